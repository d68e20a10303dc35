//! Originating requests (TS 24.229 §5.4.3.2): the served user is the P-Asserted-Identity the
//! P-CSCF asserted (a registered user of ours), or, for a request an application server sends
//! on behalf of a user (`orig` parameter on our Route, §5.7.3), its P-Served-User or
//! P-Asserted-Identity, registered or not (ORIGINATING_UNREGISTERED); its originating iFCs run
//! first, then the request is routed on its Request-URI: to a home user (terminating
//! processing here, or the I-CSCF), or out of the network (the breakout, e.g. a BGCF).

use sip_proto::proxy::Decision;
use sip_types::ims::name_addrs;
use sip_types::{HeaderName, Message, Method, StatusCode, Uri};

use crate::charging::ChargingRole;

use super::charging_hooks;
use super::isc::{next_application_server, IscStep};
use super::routing::{asserted_identity, identity_of, is_home, locate, loose_route, reply, Job};
use super::served::{self, has_bindings, Chain, ServedError};
use super::terminating;

/// The user part of the Service-Route we hand to UEs: a request whose Route carried it is
/// originating (the lab's contract with the P-CSCF).
pub const ORIG_USER: &str = "orig";

/// The URI parameter an application server puts on our Route when it originates a request on
/// behalf of a user (TS 24.229 §5.7.3, §5.4.3.2): `<sip:orig@HOST:PORT;lr;orig>`.
pub const ORIG_PARAM: &str = "orig";

/// True when the request comes from an application server acting for a user rather than
/// from a UE through its P-CSCF: the first Route value with our `orig` user also carries the
/// `orig` parameter. The P-CSCF always writes our Service-Route, which has no such parameter,
/// as the first Route value of a UE's request (TS 24.229 §5.2.6.3.2), so a UE cannot reach
/// this case through it.
pub(crate) fn sent_on_behalf(request: &Message) -> bool {
    name_addrs(request, HeaderName::ROUTE)
        .filter_map(Result::ok)
        .filter_map(|na| match na.parsed_uri() {
            Ok(Uri::Sip(u)) if u.user == Some(ORIG_USER) => Some(u.params.contains(ORIG_PARAM)),
            _ => None,
        })
        .next()
        .unwrap_or(false)
}

/// The identity in P-Served-User (RFC 5502 §6), which an application server may set to name
/// the user it acts for (TS 24.229 §5.4.3.2 step 1).
fn served_user_header(request: &Message) -> Option<String> {
    name_addrs(request, HeaderName::P_SERVED_USER)
        .filter_map(Result::ok)
        .find_map(|na| na.parsed_uri().ok().and_then(|u| identity_of(&u)))
}

/// Originating processing of an initial request from a UE of ours, or from an application
/// server on behalf of a user ([`sent_on_behalf`]; the user may then be unregistered:
/// session case ORIGINATING_UNREGISTERED with the profile from SAR UNREGISTERED_USER).
pub(crate) async fn start(job: Job<'_>) -> Decision {
    let on_behalf = sent_on_behalf(job.request);
    let identity = if on_behalf {
        served_user_header(job.request).or_else(|| asserted_identity(job.request))
    } else {
        asserted_identity(job.request)
    };
    let Some(identity) = identity else {
        return reply(StatusCode::FORBIDDEN, "Forbidden (no P-Asserted-Identity)");
    };
    let served = if on_behalf {
        served::originating_on_behalf(job.shared, &identity).await
    } else {
        served::originating(job.shared, &identity).await
    };
    let chain = match served {
        Ok(chain) => chain,
        Err(ServedError::Hss(e)) => {
            tracing::warn!(identity, error = %e, "cannot get the originating profile");
            return reply(
                StatusCode::SERVER_INTERNAL_ERROR,
                "Server Internal Error (HSS unavailable)",
            );
        }
        Err(e) if on_behalf => {
            tracing::info!(identity, error = %e, "request on behalf of a user refused");
            let (status, reason) = served::originating_failure(&e);
            return reply(status, reason);
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

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn invite(extra: &str) -> Message {
        Message::parse(Bytes::from(format!(
            "INVITE sip:bob@ims.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK1\r\n\
             {extra}From: <sip:carol@ims.test>;tag=1\r\nTo: <sip:bob@ims.test>\r\nCall-ID: c\r\n\
             CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        )))
        .unwrap()
    }

    #[test]
    fn on_behalf_only_with_the_orig_parameter_on_the_first_orig_route() {
        assert!(sent_on_behalf(&invite(
            "Route: <sip:orig@127.0.0.1:5080;lr;orig>\r\n"
        )));
        // The P-CSCF's Service-Route first; a UE's preloaded copy with the parameter after.
        assert!(!sent_on_behalf(&invite(
            "Route: <sip:orig@127.0.0.1:5080;lr>, <sip:orig@127.0.0.1:5080;lr;orig>\r\n"
        )));
        assert!(!sent_on_behalf(&invite(
            "Route: <sip:orig@127.0.0.1:5080;lr>\r\n"
        )));
        assert!(!sent_on_behalf(&invite("")));
    }

    #[test]
    fn served_user_from_p_served_user() {
        let m = invite("P-Served-User: <sip:carol@ims.test>;sescase=orig;regstate=unreg\r\n");
        assert_eq!(
            served_user_header(&m).as_deref(),
            Some("sip:carol@ims.test")
        );
        assert_eq!(served_user_header(&invite("")), None);
    }
}
