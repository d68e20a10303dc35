//! The non-INVITE server transaction (RFC 3261 §17.2.2).

use bytes::Bytes;
use sip_types::StatusCode;

use super::key::StoredKey;
use super::output::{Output, Step};
use super::timer::{Deadlines, Side, Timer};
use crate::flow::Flow;

/// The states of the non-INVITE server transaction (RFC 3261 Figure 8).
///
/// ```text
///                                   |Request received
///                                   |pass to TU
///                                   V
///                             +-----------+
///                             |           |
///                             | Trying    |-------------+
///                             |           |             |
///                             +-----------+             |200-699 from TU
///                                   |                   |send response
///                                   |1xx from TU        |
///                                   |send response      |
///                                   |                   |
///                Request            V      1xx from TU  |
///                send response+-----------+send response|
///                    +--------|           |--------+    |
///                    |        | Proceeding|        |    |
///                    +------->|           |<-------+    |
///             +<--------------|           |             |
///             |Trnsprt Err    +-----------+             |
///             |Inform TU            |                   |
///             |                     |                   |
///             |                     |200-699 from TU    |
///             |                     |send response      |
///             |  Request            V                   |
///             |  send response+-----------+             |
///             |      +--------|           |             |
///             |      |        | Completed |<------------+
///             |      +------->|           |
///             +<--------------|           |
///             |Trnsprt Err    +-----------+
///             |Inform TU            |
///             |                     |Timer J fires
///             |                     |-
///             |                     |
///             |                     V
///             +-------------> Terminated (removed from the layer)
/// ```
/// Timer J is 64·T1 on unreliable transports and zero on reliable ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerNonInviteState {
    /// Request passed to the TU, nothing sent yet: retransmissions are absorbed silently.
    Trying,
    /// A provisional response was sent; retransmissions get it again.
    Proceeding,
    /// A final response was sent; retransmissions get it again until Timer J.
    Completed,
}

/// One non-INVITE server transaction.
#[derive(Debug)]
pub(crate) struct ServerNonInvite {
    pub(crate) id: u64,
    pub(crate) state: ServerNonInviteState,
    pub(crate) key: StoredKey,
    pub(crate) flow: Flow,
    /// The last response sent: what a retransmitted request gets, in Completed until Timer J.
    last_response: Option<Bytes>,
    pub(crate) deadlines: Deadlines,
}

impl ServerNonInvite {
    /// A new request: enter Trying (the layer hands the request to the TU).
    pub(crate) fn new(id: u64, key: StoredKey, flow: Flow) -> Self {
        Self {
            id,
            state: ServerNonInviteState::Trying,
            key,
            flow,
            last_response: None,
            deadlines: Deadlines::default(),
        }
    }

    /// A retransmission of the request: resend the last response, if any.
    pub(crate) fn on_retransmission(&self, out: &mut Output<'_>) {
        if let Some(r) = &self.last_response {
            out.send(self.flow, r.clone());
        }
    }

    /// The TU sends a response. Returns whether it went out and the step.
    pub(crate) fn send_response(
        &mut self,
        status: StatusCode,
        bytes: Bytes,
        out: &mut Output<'_>,
    ) -> (bool, Step) {
        if self.state == ServerNonInviteState::Completed {
            return (false, Step::Alive);
        }
        if status.is_final() && self.flow.transport.is_reliable() {
            // Timer J is zero: nothing to keep.
            self.state = ServerNonInviteState::Completed;
            out.send(self.flow, bytes);
            return (true, Step::Terminated);
        }
        out.send(self.flow, bytes.clone());
        self.last_response = Some(bytes);
        if status.is_provisional() {
            self.state = ServerNonInviteState::Proceeding;
            return (true, Step::Alive);
        }
        self.state = ServerNonInviteState::Completed;
        let j = out.config.t1_x64();
        out.arm(&mut self.deadlines, Side::Server, self.id, Timer::J, j);
        (true, Step::Alive)
    }

    /// Bytes of messages this transaction holds (tests of what each state keeps).
    #[cfg(test)]
    pub(crate) fn held_bytes(&self) -> usize {
        self.last_response.as_ref().map_or(0, Bytes::len)
    }

    /// A timer of this transaction fired.
    pub(crate) fn on_timer(&mut self, timer: Timer) -> Step {
        if timer == Timer::J && self.state == ServerNonInviteState::Completed {
            Step::Terminated
        } else {
            Step::Alive
        }
    }
}
