//! Terminating requests (TS 24.229 §5.4.3.3): the served user is the Request-URI's identity;
//! its terminating iFCs run first, then the location service retargets the request to every
//! live contact through its Path (RFC 3327 §5.3), with P-Called-Party-ID (RFC 7315 §4.2):
//! one branch per contact (`Decision::Fork`), in serial groups by decreasing q (RFC 3261
//! §16.6 step 1): the contacts of the highest q in parallel, the next q only when all of those
//! failed; within a group the most recently registered first.

use ims_store::Binding;
use sip_proto::proxy::{Decision, Fork, ForkBranch};
use sip_types::{Edits, HeaderName, StatusCode};

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

/// The bindings best first (highest q, then most recently registered, then the latest expiry),
/// each with its serial group: 0 for the highest q, 1 for the next q present, and so on
/// (RFC 3261 §16.6 step 1; equal q share a group).
pub(crate) fn by_q_groups(bindings: &[Binding]) -> Vec<(&Binding, u32)> {
    let mut ordered: Vec<&Binding> = bindings.iter().collect();
    ordered.sort_by_key(|b| std::cmp::Reverse((b.q, b.registered_at, b.expires_at)));
    let mut group = 0u32;
    let mut previous = ordered.first().map(|b| b.q);
    ordered
        .into_iter()
        .map(|b| {
            if previous != Some(b.q) {
                group += 1;
                previous = Some(b.q);
            }
            (b, group)
        })
        .collect()
}

/// The location service step (TS 24.229 §5.4.3.3 step 10-11): retarget to the live bindings
/// of the served user.
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
    let Some(best) = best_binding(&bindings) else {
        return reply(
            StatusCode::TEMPORARILY_UNAVAILABLE,
            "Temporarily Unavailable (not registered)",
        );
    };
    let request = job.request;
    let called = request.request_uri().unwrap_or_default().to_owned();
    // One branch per contact: its Request-URI, its Path as Route, its first hop, its q group.
    // The best contact first; contacts whose next hop cannot be located are left out.
    let mut branches = Vec::new();
    for (binding, group) in by_q_groups(&bindings) {
        let hop = binding.path.first().unwrap_or(&binding.contact);
        let Some(target) = locate(&shared.sessions.hosts, hop).into_iter().next() else {
            tracing::warn!(hop = %hop, "next hop of the binding cannot be located");
            continue;
        };
        let mut edits = job.edits.clone();
        edits.replace_request_uri(request, &binding.contact);
        edits.remove_header(request, HeaderName::P_CALLED_PARTY_ID);
        edits.remove_header(request, HeaderName::P_SERVED_USER);
        edits.append_header(request, "P-Called-Party-ID", &format!("<{called}>"));
        if !binding.path.is_empty() {
            let route: Vec<String> = binding.path.iter().map(|p| bracketed(p)).collect();
            edits.prepend_header(request, HeaderName::ROUTE, &route.join(", "));
        }
        branches.push(ForkBranch {
            edits,
            target,
            group,
        });
    }
    if branches.is_empty() {
        return reply(
            StatusCode::TEMPORARILY_UNAVAILABLE,
            "Temporarily Unavailable (contact unreachable)",
        );
    }
    let observe = if charging_hooks::is_charged(request) {
        let refusal =
            charging_hooks::authorize(shared, request, ChargingRole::Terminating, &chain.identity)
                .await;
        if let Some(refusal) = refusal {
            return refusal;
        }
        true
    } else {
        false
    };
    tracing::debug!(
        aor = %chain.user.aor,
        contacts = branches.len(),
        groups = 1 + branches.windows(2).filter(|w| w[0].group != w[1].group).count(),
        best = %best.contact,
        "terminating request to every contact"
    );
    if branches.len() == 1 {
        let Some(only) = branches.pop() else {
            return reply(StatusCode::SERVER_INTERNAL_ERROR, "Server Internal Error");
        };
        let mut forward = job.forward(only.edits, vec![only.target]);
        forward.observe = observe;
        return Decision::Forward(forward);
    }
    // RFC 3261 §16.6 / TS 24.229 §5.4.3.3: fork to every registered contact, the q groups in
    // series; the first 2xx wins and the other branches are cancelled.
    let template = job.forward(Edits::new(), Vec::new());
    Decision::Fork(Fork {
        branches,
        record_route: template.record_route,
        observe,
        strip_from_responses: template.strip_from_responses,
    })
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

    #[test]
    fn q_groups_decrease_and_equal_q_share_one() {
        let list = [
            binding("sip:low@1.1.1.1", 100, 50),
            binding("sip:a@1.1.1.1", 1000, 10),
            binding("sip:mid@1.1.1.1", 500, 40),
            binding("sip:b@1.1.1.1", 1000, 20),
        ];
        let groups: Vec<(&str, u32)> = by_q_groups(&list)
            .into_iter()
            .map(|(b, g)| (b.contact.as_str(), g))
            .collect();
        assert_eq!(
            groups,
            vec![
                ("sip:b@1.1.1.1", 0),
                ("sip:a@1.1.1.1", 0),
                ("sip:mid@1.1.1.1", 1),
                ("sip:low@1.1.1.1", 2),
            ]
        );
        // No q anywhere (1000 for all): one parallel group, as before.
        let same = [
            binding("sip:a@1.1.1.1", 1000, 1),
            binding("sip:b@1.1.1.1", 1000, 2),
        ];
        assert!(by_q_groups(&same).iter().all(|(_, g)| *g == 0));
        assert!(by_q_groups(&[]).is_empty());
    }
}
