//! ISC routing (TS 24.229 §5.4.3.2 step 4, §5.4.3.3 step 4; TS 23.218 §6.4-§6.6): the served
//! user's iFCs in priority order; the first match sends the request to its application server
//! with our ODI Route behind the AS's, so that it comes back to us and evaluation resumes.
//!
//! Default handling: an AS that cannot be located is skipped (SESSION_CONTINUED) or fails the
//! request (SESSION_TERMINATED). An AS that times out or answers 408/5xx is handled by the
//! proxy core's serial failover: with SESSION_CONTINUED the second target is this S-CSCF
//! itself, so the request comes back unchanged (AS Route still on top, then our ODI Route)
//! and [`resume_after_failed_as`] continues with the next iFC; with SESSION_TERMINATED the
//! error goes back (a timeout as `408 Request Timeout`). "Times out" is the ISC timer
//! (`[isc] timeout_ms`, `Forward::give_up_after` on the AS targets): an INVITE without any
//! response from the AS, another request without a final one; Timer B/F when it is 0.

use std::time::Instant;

use ims_core::ifc::{
    DefaultHandling, EvalContext, InitialFilterCriteria, RegistrationState, SessionCase,
};
use sip_proto::proxy::Decision;
use sip_types::{HeaderName, StatusCode};

use super::odi::{odi_user, token_of, OdiState};
use super::routing::{is_self, locate, loose_route, reply, route_users, self_target, Job};
use super::served::{profile_of, Chain};

/// What the iFC chain says next.
#[derive(Debug)]
pub(crate) enum IscStep {
    /// Send the request to an AS (or answer it when a SESSION_TERMINATED AS is unreachable).
    Decided(Decision),
    /// No (further) iFC matches: route the request on.
    Done,
}

/// The iFCs of `chain` that match the request, after priority `after`.
fn matching<'a>(
    chain: &'a Chain,
    job: &Job<'_>,
    after: Option<i32>,
) -> Vec<&'a InitialFilterCriteria> {
    let Some(profile) = profile_of(&chain.user, &chain.identity) else {
        return Vec::new();
    };
    let state = if chain.is_registered() {
        RegistrationState::Registered
    } else {
        RegistrationState::Unregistered
    };
    profile.matching_ifcs_after(job.request, &EvalContext::new(chain.case, state), after)
}

/// The P-Served-User value (RFC 5502 §6, TS 24.229 §7.2A.15).
fn served_user_value(chain: &Chain) -> String {
    let sescase = if chain.is_originating() {
        "orig"
    } else {
        "term"
    };
    let regstate = if chain.is_registered() {
        "reg"
    } else {
        "unreg"
    };
    format!("<{}>;sescase={sescase};regstate={regstate}", chain.identity)
}

/// Evaluate the iFCs of `chain` after `after` and send the request to the first AS that
/// matches (TS 24.229 §5.4.3.2 step 4).
pub(crate) fn next_application_server(job: &Job<'_>, chain: &Chain, after: Option<i32>) -> IscStep {
    for ifc in matching(chain, job, after) {
        let server = &ifc.application_server;
        let mut targets = locate(&job.shared.sessions.hosts, &server.server_name);
        let Some(first) = targets.first().copied() else {
            tracing::warn!(
                server = %server.server_name,
                priority = ifc.priority,
                "application server cannot be located"
            );
            match server.default_handling {
                DefaultHandling::SessionContinued => continue,
                DefaultHandling::SessionTerminated => {
                    return IscStep::Decided(reply(
                        StatusCode::BAD_GATEWAY,
                        "Bad Gateway (application server unreachable)",
                    ))
                }
            }
        };
        // The ISC timer (`[isc] timeout_ms`) on every AS target, not on ourselves.
        let as_targets = if server.default_handling == DefaultHandling::SessionContinued {
            targets.truncate(1);
            targets.extend(self_target(job.shared, &first));
            1
        } else {
            targets.len()
        };
        let token = job.shared.sessions.odi.insert(
            OdiState {
                user: chain.user.clone(),
                identity: chain.identity.clone(),
                case: chain.case,
                priority: ifc.priority,
                default_handling: server.default_handling,
                request_uri: job.request.request_uri().unwrap_or_default().to_owned(),
            },
            Instant::now(),
        );
        let mut edits = job.edits.clone();
        edits.remove_header(job.request, HeaderName::P_SERVED_USER);
        let odi = format!("<sip:{}@{};lr>", odi_user(&token), job.shared.route_host);
        edits.prepend_header(
            job.request,
            HeaderName::ROUTE,
            &format!("{}, {odi}", loose_route(&server.server_name)),
        );
        edits.append_header(job.request, "P-Served-User", &served_user_value(chain));
        tracing::debug!(
            server = %server.server_name,
            priority = ifc.priority,
            identity = %chain.identity,
            "to application server"
        );
        let mut forward = job.forward(edits, targets);
        forward.give_up_after = vec![job.shared.sessions.isc_timeout; as_targets];
        return IscStep::Decided(Decision::Forward(forward));
    }
    IscStep::Done
}

/// A request we sent to ourselves as the failover target of an AS with SESSION_CONTINUED: it
/// came from our own listener with the AS's Route on top and our ODI Route second. Returns
/// the ODI state and the edits with both Route values removed.
pub(crate) fn resume_after_failed_as(job: &mut Job<'_>) -> Option<OdiState> {
    if !is_self(job.shared, job.flow.remote) {
        return None;
    }
    let users = route_users(job.request);
    let token = users.get(1)?.as_deref().and_then(token_of)?;
    let state = job.shared.sessions.odi.get(token, Instant::now())?;
    // Both values usually share one line; removing them one by one would overlap.
    let rest: Vec<&str> = job
        .request
        .header_values(HeaderName::ROUTE)
        .skip(2)
        .map(|v| v.text.trim())
        .collect();
    job.edits.remove_header(job.request, HeaderName::ROUTE);
    if !rest.is_empty() {
        job.edits
            .prepend_header(job.request, HeaderName::ROUTE, &rest.join(", "));
    }
    tracing::info!(
        identity = %state.identity,
        priority = state.priority,
        "application server failed: continuing (default handling SESSION_CONTINUED)"
    );
    Some(state)
}

/// The session case of a chain resumed from `state`.
pub(crate) fn chain_of(state: &OdiState) -> Chain {
    Chain {
        user: state.user.clone(),
        identity: state.identity.clone(),
        case: state.case,
    }
}

/// True for the originating session cases.
pub(crate) fn is_originating_case(case: SessionCase) -> bool {
    matches!(
        case,
        SessionCase::Originating
            | SessionCase::OriginatingUnregistered
            | SessionCase::OriginatingCdiv
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ims_core::ifc::ImsSubscription;
    use std::sync::Arc;

    #[test]
    fn served_user_header() {
        let chain = Chain {
            user: Arc::new(crate::state::ServedUser {
                aor: "sip:bob@ims.test".into(),
                impi: "bob@ims.test".into(),
                subscription: ImsSubscription {
                    private_id: "bob@ims.test".into(),
                    service_profiles: vec![],
                },
                implicit_set: vec![],
                charging: None,
            }),
            identity: "sip:bob@ims.test".into(),
            case: SessionCase::TerminatingUnregistered,
        };
        assert_eq!(
            served_user_value(&chain),
            "<sip:bob@ims.test>;sescase=term;regstate=unreg"
        );
        assert!(!is_originating_case(chain.case));
    }
}
