//! Originating requests (TS 24.229 §5.4.3.2): the served user is the P-Asserted-Identity the
//! P-CSCF asserted; its originating iFCs run first, then the request is routed on its
//! Request-URI: to a home user (terminating processing here, or the I-CSCF), or out of the
//! network (the breakout, e.g. a BGCF).

use sip_proto::proxy::Decision;
use sip_types::{HeaderName, Method, StatusCode, Uri};

use crate::charging::ChargingRole;

use super::charging_hooks;
use super::isc::{next_application_server, IscStep};
use super::routing::{asserted_identity, identity_of, is_home, locate, loose_route, reply, Job};
use super::served::{self, has_bindings, Chain, ServedError};
use super::terminating;

/// The user part of the Service-Route we hand to UEs: a request whose Route carried it is
/// originating (the lab's contract with the P-CSCF).
pub const ORIG_USER: &str = "orig";

/// Originating processing of an initial request from a UE of ours.
pub(crate) async fn start(job: Job<'_>) -> Decision {
    let Some(identity) = asserted_identity(job.request) else {
        return reply(StatusCode::FORBIDDEN, "Forbidden (no P-Asserted-Identity)");
    };
    let chain = match served::originating(job.shared, &identity).await {
        Ok(chain) => chain,
        Err(ServedError::Hss(e)) => {
            tracing::warn!(identity, error = %e, "cannot restore the originating profile");
            return reply(
                StatusCode::SERVER_INTERNAL_ERROR,
                "Server Internal Error (HSS unavailable)",
            );
        }
        Err(e) => {
            tracing::info!(identity, error = %e, "originating request refused");
            return reply(
                StatusCode::FORBIDDEN,
                "Forbidden (originating user not registered)",
            );
        }
    };
    resume(job, &chain, None).await
}

/// Continue the originating iFC chain after priority `after`, then route on.
pub(crate) async fn resume(job: Job<'_>, chain: &Chain, after: Option<i32>) -> Decision {
    match next_application_server(&job, chain, after) {
        IscStep::Decided(decision) => decision,
        IscStep::Done => route_onwards(job, chain).await,
    }
}

/// The end of the originating chain (TS 24.229 §5.4.3.2 step 10): charging is asked first,
/// then the request is routed on its Request-URI. Initial INVITEs and MESSAGEs are observed:
/// an INVITE's 2xx opens a session record, and charging hears of the final.
pub(crate) async fn route_onwards(job: Job<'_>, chain: &Chain) -> Decision {
    let (shared, id, request) = (job.shared, job.id, job.request);
    let charged = charging_hooks::is_charged(request);
    if charged {
        let refusal =
            charging_hooks::authorize(shared, request, ChargingRole::Originating, &chain.identity)
                .await;
        if let Some(refusal) = refusal {
            return refusal;
        }
    }
    let mut decision = by_request_uri(job).await;
    match &mut decision {
        Decision::Forward(forward) if charged => {
            forward.observe = true;
            if request.method() == Some(&Method::INVITE) {
                shared.sessions.dialogs.expect(id, &chain.identity);
            }
        }
        Decision::Respond(answer) if charged => {
            charging_hooks::release(shared, request, answer.status).await;
        }
        _ => {}
    }
    decision
}

/// Route on the Request-URI: a home user's identity (SIP URI of a home domain, or a tel: URI
/// of a user we serve), or out of the network.
pub(crate) async fn by_request_uri(job: Job<'_>) -> Decision {
    let shared = job.shared;
    let text = job.request.request_uri().unwrap_or_default();
    let Ok(uri) = Uri::parse(text) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "Bad Request (malformed Request-URI)",
        );
    };
    match &uri {
        Uri::Sip(u) if is_home(&shared.config, u.host_str) => match identity_of(&uri) {
            Some(identity) => home_user(job, &identity).await,
            None => reply(StatusCode::NOT_FOUND, "Not Found (no user in Request-URI)"),
        },
        Uri::Tel { .. } => {
            let identity = identity_of(&uri).unwrap_or_default();
            if shared.profiles.get(&identity).is_some() {
                return terminating::start(job, &identity).await;
            }
            match shared.config.breakout.clone() {
                Some(breakout) => to_next_hop(job, &breakout, "breakout"),
                None => reply(StatusCode::NOT_FOUND, "Not Found (no route to tel: URI)"),
            }
        }
        Uri::Sip(_) => match shared.config.breakout.clone() {
            Some(breakout) => to_next_hop(job, &breakout, "breakout"),
            None => reply(StatusCode::NOT_FOUND, "Not Found (no route to the domain)"),
        },
        Uri::Other { .. } => reply(
            StatusCode::UNSUPPORTED_URI_SCHEME,
            "Unsupported URI Scheme (Request-URI)",
        ),
    }
}

/// A home user: terminating processing here when we serve it (or when there is no I-CSCF to
/// ask), else the I-CSCF finds its S-CSCF (TS 24.229 §5.4.3.2 step 10).
async fn home_user(job: Job<'_>, identity: &str) -> Decision {
    let shared = job.shared;
    let served_here =
        shared.profiles.get(identity).is_some() || has_bindings(shared, identity).await;
    match shared.config.icscf.clone() {
        Some(icscf) if !served_here => to_next_hop(job, &icscf, "I-CSCF"),
        _ => terminating::start(job, identity).await,
    }
}

/// Forward with the Request-URI unchanged and a Route to `uri` (the I-CSCF or the breakout).
fn to_next_hop(job: Job<'_>, uri: &str, what: &str) -> Decision {
    let targets = locate(&job.shared.sessions.hosts, uri);
    if targets.is_empty() {
        tracing::warn!(uri, what, "next hop cannot be located");
        return reply(
            StatusCode::SERVER_INTERNAL_ERROR,
            "Server Internal Error (next hop cannot be located)",
        );
    }
    let mut edits = job.edits.clone();
    edits.remove_header(job.request, HeaderName::P_SERVED_USER);
    edits.prepend_header(job.request, HeaderName::ROUTE, &loose_route(uri));
    Decision::Forward(job.forward(edits, targets))
}
