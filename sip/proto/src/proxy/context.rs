//! The response context of a stateful proxy (RFC 3261 §16.7): the branches of one server
//! transaction and the best final response seen so far.

use std::time::{Duration, Instant};

use sip_types::{Message, StatusCode};

use super::request::Plan;
use crate::flow::Flow;
use crate::transaction::ClientTransactionId;

/// One forwarded copy of the request (§16.6).
#[derive(Debug)]
pub(super) struct Branch {
    pub(super) id: ClientTransactionId,
    /// The request as sent (parsed again only to build a CANCEL, §9.1).
    pub(super) request: bytes::Bytes,
    pub(super) flow: Flow,
    pub(super) provisional: bool,
    pub(super) done: bool,
    pub(super) cancel_sent: bool,
    /// When the proxy gives up on this branch if it is still silent (see
    /// [`super::Forward::give_up_after`]); `None` once disarmed.
    pub(super) give_up_at: Option<Instant>,
    /// An INVITE branch's Timer C (RFC 3261 §16.6 step 11), pushed back by every provisional
    /// other than 100 (§16.7 step 2); `None` for other methods and once it ended.
    pub(super) timer_c_at: Option<Instant>,
    /// The proxy gave up on it: it counts as a 408; late answers are not passed on.
    pub(super) abandoned: bool,
}

/// A final response kept for selection: received from a branch, or made up by the proxy for a
/// branch that timed out (408) or could not be sent to (503).
#[derive(Debug)]
pub(super) enum Candidate {
    Received(Message),
    Synthetic,
}

/// The state of one proxied request.
#[derive(Debug)]
pub(super) struct ResponseContext {
    /// The request as received.
    pub(super) request: Message,
    /// Where it came from.
    pub(super) flow: Flow,
    pub(super) plan: Plan,
    /// Index into `plan.targets` of the next target to try.
    pub(super) next_target: usize,
    pub(super) branches: Vec<Branch>,
    pub(super) best: Option<(StatusCode, Candidate)>,
    /// A final response (2xx, or the selected best) went upstream.
    pub(super) final_sent: bool,
    /// A CANCEL arrived, or a 6xx/2xx ended the search (§16.7 steps 5, 10).
    pub(super) cancelled: bool,
    /// Application mode: report the final response to the role.
    pub(super) observe: bool,
    /// Application mode: headers removed from responses going upstream.
    pub(super) strip_from_responses: Vec<sip_types::HeaderName>,
    /// Application mode, parallel forking: the edits of each target, same order as
    /// `plan.targets` (empty otherwise).
    pub(super) branch_edits: Vec<sip_types::Edits>,
    /// Application mode, forking: the serial group of each target, same order as
    /// `plan.targets`, ascending (empty for a serial forward).
    pub(super) groups: Vec<u32>,
    /// Targets at and after this index belong to a later group (forking).
    pub(super) group_end: usize,
    /// Application mode: give up on target `i` after `give_up_after[i]` of silence.
    pub(super) give_up_after: Vec<Option<Duration>>,
}

impl ResponseContext {
    pub(super) fn new(request: Message, flow: Flow, plan: Plan) -> Self {
        Self {
            request,
            flow,
            plan,
            next_target: 0,
            branches: Vec::with_capacity(1),
            best: None,
            final_sent: false,
            cancelled: false,
            observe: false,
            strip_from_responses: Vec::new(),
            branch_edits: Vec::new(),
            groups: Vec::new(),
            group_end: usize::MAX,
            give_up_after: Vec::new(),
        }
    }

    /// A fork (targets in parallel groups) rather than a serial forward.
    pub(super) fn is_fork(&self) -> bool {
        !self.groups.is_empty()
    }

    /// The end of the group the next untried target belongs to (RFC 3261 §16.6 step 1).
    pub(super) fn next_group_end(&self) -> usize {
        let start = self.next_target;
        match self.groups.get(start) {
            Some(group) => self.groups[start..]
                .iter()
                .position(|g| g != group)
                .map_or(self.groups.len(), |n| start + n),
            None => self.plan.targets.len(),
        }
    }

    /// Branches still waiting for a final response.
    pub(super) fn pending(&self) -> bool {
        self.branches.iter().any(|b| !b.done)
    }

    /// Targets not tried yet.
    pub(super) fn targets_left(&self) -> bool {
        self.next_target < self.plan.targets.len()
    }

    /// §16.7 step 6: keep a 6xx over anything, otherwise the lowest class; the first of a class.
    pub(super) fn offer(&mut self, status: StatusCode, candidate: Candidate) {
        let better = match &self.best {
            None => true,
            Some((old, _)) => {
                old.class() != 6 && (status.class() == 6 || status.class() < old.class())
            }
        };
        if better {
            self.best = Some((status, candidate));
        }
    }

    /// True when the best so far is a failure worth trying the next target for (timeout or
    /// server error): the edge's serial failover, like Kamailio's failure_route on 408|5xx.
    pub(super) fn best_is_retryable(&self) -> bool {
        match &self.best {
            Some((s, _)) => *s == StatusCode::REQUEST_TIMEOUT || s.class() == 5,
            None => true,
        }
    }
}
