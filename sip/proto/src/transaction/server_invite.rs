//! The INVITE server transaction (RFC 3261 §17.2.1, as updated by RFC 6026 §7.1 and §8.5-8.7).

use std::time::Duration;

use bytes::Bytes;
use sip_types::{Message, StatusCode};

use super::event::TransactionEvent;
use super::key::StoredKey;
use super::output::{Output, Step};
use super::timer::{Deadlines, Side, Timer};
use crate::flow::Flow;

/// The states of the INVITE server transaction (RFC 3261 Figure 7, RFC 6026 Figure 5).
///
/// ```text
///                                    |INVITE
///                                    |pass INV to TU
///                 INVITE             V send 100 if TU won't in 200 ms (the TU's job here)
///                 send response+-----------+
///                     +--------|           |--------+ 101-199 from TU
///                     |        |           |        | send response
///                     +------->|           |<-------+
///                              | Proceeding|
///                              |           |--------+ Transport Err.
///                              |           |        | Inform TU
///                              |           |<-------+
///                              +-----------+
///                 300-699 from TU |     |2xx from TU
///                 send response   |     |send response
///                  +--------------+     +------------+
///                  |                                 |
/// INVITE           V          Timer G fires          |
/// send response+-----------+  send response          |
///     +--------|           |--------+                |
///     |        |           |        |                |
///     +------->| Completed |<-------+      INVITE    |  Transport Err.
///              |           |               -         |  Inform TU
///              |           |-------+      +-----+    |  +---+
///              +-----------+       |      |     |    |  |   |
///                |     |   Timer H |      |     V    V  |   |
///                |     |   or      |    +-----------+   |   |
///                |     |Transport  |    |           |<--+   |
///           ACK  |     |Err.       |    | Accepted  |-------+ 2xx from TU
///           -    |     |Inform TU  |    |           |         send response
///                |     +-----------+    +-----------+
///                V                 |       |  ^    | ACK
///              +-----------+       |       |  +----+ pass ACK to TU
///              |           |       |       |
///              | Confirmed |       |       | Timer L fires
///              |           |       |       | -
///              +-----------+       |       |
///                |                 |       |
///                |Timer I fires    |       |
///                |-                |       |
///                V                 V       V
///                      Terminated (removed from the layer)
/// ```
/// On reliable transports Timer G is not used and Timer I is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerInviteState {
    /// INVITE passed to the TU; provisional responses are resent on retransmissions.
    Proceeding,
    /// A 300-699 was sent; retransmitted (Timer G) until the ACK or Timer H.
    Completed,
    /// The ACK for the 300-699 arrived; later ACKs are absorbed until Timer I.
    Confirmed,
    /// A 2xx was sent (RFC 6026): ACKs go to the TU, 2xx retransmissions from the TU go out,
    /// until Timer L.
    Accepted,
}

/// One INVITE server transaction.
#[derive(Debug)]
pub(crate) struct ServerInvite {
    pub(crate) id: u64,
    pub(crate) state: ServerInviteState,
    pub(crate) key: StoredKey,
    pub(crate) flow: Flow,
    /// The last response sent, for retransmitted INVITEs (Proceeding, Completed) and Timer G
    /// (Completed); dropped in Accepted and Confirmed, which never send it again.
    last_response: Option<Bytes>,
    interval: Duration,
    pub(crate) deadlines: Deadlines,
}

impl ServerInvite {
    /// A new INVITE: enter Proceeding (the layer hands the request to the TU).
    pub(crate) fn new(id: u64, key: StoredKey, flow: Flow) -> Self {
        Self {
            id,
            state: ServerInviteState::Proceeding,
            key,
            flow,
            last_response: None,
            interval: Duration::ZERO,
            deadlines: Deadlines::default(),
        }
    }

    fn resend(&self, out: &mut Output<'_>) {
        if let Some(r) = &self.last_response {
            out.send(self.flow, r.clone());
        }
    }

    /// A retransmission of the INVITE (RFC 3261 §17.2.1): the last provisional or final
    /// response is sent again; in Accepted and Confirmed it is absorbed (RFC 6026 §8.5).
    pub(crate) fn on_retransmission(&self, out: &mut Output<'_>) {
        if matches!(
            self.state,
            ServerInviteState::Proceeding | ServerInviteState::Completed
        ) {
            self.resend(out);
        }
    }

    /// An ACK matched this transaction.
    pub(crate) fn on_ack(&mut self, ack: Message, flow: Flow, out: &mut Output<'_>) -> Step {
        match self.state {
            ServerInviteState::Completed => {
                self.deadlines.cancel(Timer::G);
                self.deadlines.cancel(Timer::H);
                self.state = ServerInviteState::Confirmed;
                // Confirmed only absorbs ACKs until Timer I.
                self.last_response = None;
                if self.flow.transport.is_reliable() {
                    return Step::Terminated;
                }
                let i = out.config.t4();
                out.arm(&mut self.deadlines, Side::Server, self.id, Timer::I, i);
            }
            // RFC 6026 §8.7: the ACK for a 2xx is the TU's.
            ServerInviteState::Accepted => out.emit(TransactionEvent::Ack { request: ack, flow }),
            ServerInviteState::Proceeding | ServerInviteState::Confirmed => {}
        }
        Step::Alive
    }

    /// The TU sends a response. Returns whether it went out and the step.
    pub(crate) fn send_response(
        &mut self,
        status: StatusCode,
        bytes: Bytes,
        out: &mut Output<'_>,
    ) -> (bool, Step) {
        match self.state {
            ServerInviteState::Proceeding => {
                if status.is_success() {
                    // RFC 6026 §8.5: Accepted absorbs INVITE retransmissions; 2xx
                    // retransmissions come from the TU. Nothing to keep.
                    out.send(self.flow, bytes);
                    self.last_response = None;
                    self.state = ServerInviteState::Accepted;
                    let l = out.config.t1_x64();
                    out.arm(&mut self.deadlines, Side::Server, self.id, Timer::L, l);
                    return (true, Step::Alive);
                }
                out.send(self.flow, bytes.clone());
                self.last_response = Some(bytes);
                if status.is_final() {
                    self.state = ServerInviteState::Completed;
                    if !self.flow.transport.is_reliable() {
                        self.interval = out.config.t1();
                        let g = self.interval;
                        out.arm(&mut self.deadlines, Side::Server, self.id, Timer::G, g);
                    }
                    let h = out.config.t1_x64();
                    out.arm(&mut self.deadlines, Side::Server, self.id, Timer::H, h);
                }
                (true, Step::Alive)
            }
            // RFC 6026 §8.5: 2xx retransmissions from the TU are sent.
            ServerInviteState::Accepted if status.is_success() => {
                out.send(self.flow, bytes);
                (true, Step::Alive)
            }
            _ => (false, Step::Alive),
        }
    }

    /// Bytes of messages this transaction holds (tests of what each state keeps).
    #[cfg(test)]
    pub(crate) fn held_bytes(&self) -> usize {
        self.last_response.as_ref().map_or(0, Bytes::len)
    }

    /// A timer of this transaction fired.
    pub(crate) fn on_timer(&mut self, timer: Timer, out: &mut Output<'_>) -> Step {
        match (timer, self.state) {
            (Timer::G, ServerInviteState::Completed) => {
                self.resend(out);
                self.interval = self.interval.saturating_mul(2).min(out.config.t2());
                let g = self.interval;
                out.arm(&mut self.deadlines, Side::Server, self.id, Timer::G, g);
                Step::Alive
            }
            (Timer::H, ServerInviteState::Completed)
            | (Timer::I, ServerInviteState::Confirmed)
            | (Timer::L, ServerInviteState::Accepted) => Step::Terminated,
            _ => Step::Alive,
        }
    }
}
