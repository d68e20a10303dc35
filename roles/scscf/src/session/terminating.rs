//! Terminating requests (TS 24.229 §5.4.3.3): the served user is the Request-URI's identity;
//! its terminating iFCs run first, then the location service retargets the request to the
//! best contact through its Path (RFC 3327 §5.3), with P-Called-Party-ID (RFC 7315 §4.2).
//!
//! Only the best binding is used (highest q, then most recently registered): the proxy core
//! forks serially with shared edits, so parallel forking to every contact is not done yet.

use ims_store::Binding;
use sip_proto::proxy::Decision;
use sip_types::{HeaderName, StatusCode};

use crate::charging::ChargingRole;

use super::charging_hooks;
use super::isc::{next_application_server, IscStep};
use super::routing::{bracketed, locate, reply, unix_now, Job};
use super::served::{self, terminating_failure, Chain};

/// Terminating processing for `identity` (from the I-CSCF, or after originating processing
/// for a user of ours).
pub(crate) async fn start(job: Job<'_>, identity: &str) -> Decision {
    let chain = match served::terminating(job.shared, identity).await {
        Ok(chain) => chain,
        Err(e) => {
            tracing::info!(identity, error = %e, "terminating request rejected");
            let (status, reason) = terminating_failure(&e);
            return reply(status, reason);
        }
    };
    resume(job, &chain, None).await
}

/// Continue the terminating iFC chain of `chain` after priority `after`, then deliver.
pub(crate) async fn resume(job: Job<'_>, chain: &Chain, after: Option<i32>) -> Decision {
    match next_application_server(&job, chain, after) {
        IscStep::Decided(decision) => decision,
        IscStep::Done => deliver(job, chain).await,
    }
}

/// The binding a request goes to: highest q, then most recently registered, then the latest
/// expiry.
pub(crate) fn best_binding(bindings: &[Binding]) -> Option<&Binding> {
    bindings
        .iter()
        .max_by_key(|b| (b.q, b.registered_at, b.expires_at))
}

/// The location service step (TS 24.229 §5.4.3.3 step 10-11): retarget to the best live
/// binding of the served user.
pub(crate) async fn deliver(job: Job<'_>, chain: &Chain) -> Decision {
    let shared = job.shared;
    let bindings = match shared
        .registrations
        .lookup(&chain.user.aor, unix_now())
        .await
    {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(aor = %chain.user.aor, error = %e, "location service lookup failed");
            return reply(
                StatusCode::SERVER_INTERNAL_ERROR,
                "Server Internal Error (location service)",
            );
        }
    };
    let Some(binding) = best_binding(&bindings) else {
        return reply(
            StatusCode::TEMPORARILY_UNAVAILABLE,
            "Temporarily Unavailable (not registered)",
        );
    };
    if bindings.len() > 1 {
        tracing::debug!(
            aor = %chain.user.aor,
            contacts = bindings.len(),
            "several contacts: the best one only (no parallel forking yet)"
        );
    }
    let request = job.request;
    let called = request.request_uri().unwrap_or_default().to_owned();
    let hop = binding.path.first().unwrap_or(&binding.contact);
    let targets = locate(&shared.sessions.hosts, hop);
    if targets.is_empty() {
        tracing::warn!(hop = %hop, "next hop of the binding cannot be located");
        return reply(
            StatusCode::TEMPORARILY_UNAVAILABLE,
            "Temporarily Unavailable (contact unreachable)",
        );
    }
    let mut edits = job.edits.clone();
    edits.replace_request_uri(request, &binding.contact);
    edits.remove_header(request, HeaderName::P_CALLED_PARTY_ID);
    edits.remove_header(request, HeaderName::P_SERVED_USER);
    edits.append_header(request, "P-Called-Party-ID", &format!("<{called}>"));
    if !binding.path.is_empty() {
        let route: Vec<String> = binding.path.iter().map(|p| bracketed(p)).collect();
        edits.prepend_header(request, HeaderName::ROUTE, &route.join(", "));
    }
    let mut forward = job.forward(edits, targets);
    if charging_hooks::is_charged(request) {
        let refusal =
            charging_hooks::authorize(shared, request, ChargingRole::Terminating, &chain.identity)
                .await;
        if let Some(refusal) = refusal {
            return refusal;
        }
        forward.observe = true;
    }
    tracing::debug!(
        aor = %chain.user.aor,
        contact = %binding.contact,
        "terminating request to contact"
    );
    Decision::Forward(forward)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(contact: &str, q: u16, registered_at: u64) -> Binding {
        Binding {
            aor: "sip:bob@ims.test".into(),
            contact: contact.into(),
            expires_at: 10_000,
            q,
            instance: None,
            reg_id: None,
            path: vec![],
            call_id: "c".into(),
            cseq: 1,
            received: None,
            user_agent: None,
            pn: None,
            registered_at,
        }
    }

    #[test]
    fn best_is_highest_q_then_newest() {
        let list = [
            binding("sip:a@1.1.1.1", 500, 30),
            binding("sip:b@1.1.1.1", 1000, 10),
            binding("sip:c@1.1.1.1", 1000, 20),
        ];
        assert_eq!(
            best_binding(&list).map(|b| b.contact.as_str()),
            Some("sip:c@1.1.1.1")
        );
        assert!(best_binding(&[]).is_none());
    }
}
