//! The INVITE client transaction (RFC 3261 §17.1.1, as updated by RFC 6026 §7.2 and §8.4).

use std::time::Duration;

use bytes::Bytes;
use sip_types::Message;

use super::ack::ack_for_non_2xx;
use super::event::TransactionEvent;
use super::id::ClientTransactionId;
use super::key::StoredKey;
use super::output::{Output, Step};
use super::timer::{Deadlines, Side, Timer};
use crate::flow::Flow;

/// The states of the INVITE client transaction (RFC 3261 Figure 5, RFC 6026 Figure 3).
///
/// ```text
///                                |INVITE from TU
///              Timer A fires     |INVITE sent             Timer B fires
///              Reset A,          V                        or Transport Err.
///              INVITE sent +-----------+                  inform TU
///                +---------|           |-------------------------------+
///                |         |  Calling  |                               |
///                +-------->|           |------------+                  |
///  300-699                 +-----------+ 2xx        |                  |
///  ACK sent                   |  |       2xx to TU  |                  |
///  resp. to TU                |  |1xx               |                  |
///  +--------------------------+  |1xx to TU         |                  |
///  |                             V                  |                  |
///  |              1xx       +-----------+           |                  |
///  |              1xx to TU |           |  2xx      |                  |
///  |              +---------|Proceeding |---------->|                  |
///  |              +-------->|           |  2xx to TU|                  |
///  |                        +-----------+           V                  |
///  |        300-699              |            +-----------+            |
///  |        ACK sent,            |            |           |--+ 2xx     |
///  |        resp. to TU          |            | Accepted  |  | 2xx to TU
///  |  +-----------+<-------------+            |           |<-+         |
///  +->|           |--+ 300-699                +-----------+            |
///     | Completed |  | ACK sent                     |Timer M fires     |
///     |           |<-+                              |                  |
///     +-----------+                                 |                  |
///           |Timer D fires                          |                  |
///           V                                       V                  |
///       Terminated <--------------------------------+------------------+
/// ```
/// (Accepted is entered only on a 2xx and ends with Timer M; Completed only on 300-699 and ends
/// with Timer D. On reliable transports Timer A is not used and Timer D is zero.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientInviteState {
    /// INVITE sent, no response yet; Timers A (unreliable) and B run.
    Calling,
    /// A provisional response arrived.
    Proceeding,
    /// A 300-699 arrived and was ACKed; absorbs its retransmissions until Timer D.
    Completed,
    /// A 2xx arrived (RFC 6026): further 2xx go to the TU until Timer M.
    Accepted,
}

/// One INVITE client transaction.
#[derive(Debug)]
pub(crate) struct ClientInvite {
    pub(crate) id: u64,
    pub(crate) state: ClientInviteState,
    pub(crate) key: StoredKey,
    pub(crate) flow: Flow,
    /// What the current state may still have to send: the INVITE while Calling or Proceeding
    /// (Timer A retransmits it; parsed again only to build the ACK of a non-2xx), the ACK in
    /// Completed (sent again for each retransmitted final), nothing in Accepted. Dropped at
    /// each state change, so a transaction waiting on Timer D or M holds only its key.
    held: Bytes,
    interval: Duration,
    pub(crate) deadlines: Deadlines,
}

impl ClientInvite {
    /// Send `request` and enter Calling (RFC 3261 §17.1.1.2).
    pub(crate) fn start(
        id: u64,
        key: StoredKey,
        request: Bytes,
        flow: Flow,
        out: &mut Output<'_>,
    ) -> Self {
        let mut tx = Self {
            id,
            state: ClientInviteState::Calling,
            key,
            flow,
            held: request,
            interval: out.config.t1(),
            deadlines: Deadlines::default(),
        };
        out.send(flow, tx.held.clone());
        if !flow.transport.is_reliable() {
            out.arm(&mut tx.deadlines, Side::Client, id, Timer::A, tx.interval);
        }
        out.arm(
            &mut tx.deadlines,
            Side::Client,
            id,
            Timer::B,
            out.config.t1_x64(),
        );
        tx
    }

    fn tu_id(&self) -> ClientTransactionId {
        ClientTransactionId(self.id)
    }

    /// A response matched this transaction.
    pub(crate) fn on_response(&mut self, response: Message, out: &mut Output<'_>) -> Step {
        let Some(status) = response.status() else {
            return Step::Alive;
        };
        let id = self.tu_id();
        match self.state {
            ClientInviteState::Calling | ClientInviteState::Proceeding => {
                if status.is_provisional() {
                    if self.state == ClientInviteState::Calling {
                        self.state = ClientInviteState::Proceeding;
                        self.deadlines.cancel(Timer::A);
                        self.deadlines.cancel(Timer::B);
                    }
                } else if status.is_success() {
                    self.enter_accepted(out);
                } else {
                    // The INVITE is not needed past this point: only its ACK is kept.
                    self.held = Message::parse(std::mem::take(&mut self.held))
                        .ok()
                        .and_then(|invite| ack_for_non_2xx(&invite, &response))
                        .unwrap_or_default();
                    self.send_ack(out);
                    self.deadlines.cancel(Timer::A);
                    self.deadlines.cancel(Timer::B);
                    self.state = ClientInviteState::Completed;
                    let d = out.config.timer_d(self.flow.transport.is_reliable());
                    out.emit(TransactionEvent::Response { id, response });
                    if d.is_zero() {
                        return Step::Terminated;
                    }
                    out.arm(&mut self.deadlines, Side::Client, self.id, Timer::D, d);
                    return Step::Alive;
                }
                out.emit(TransactionEvent::Response { id, response });
            }
            // RFC 6026 §8.4: every 2xx goes to the TU, anything else is absorbed.
            ClientInviteState::Accepted => {
                if status.is_success() {
                    out.emit(TransactionEvent::Response { id, response });
                }
            }
            // §17.1.1.2: retransmitted finals are ACKed again, not passed up.
            ClientInviteState::Completed => {
                if status.is_final() && !status.is_success() {
                    self.send_ack(out);
                }
            }
        }
        Step::Alive
    }

    fn enter_accepted(&mut self, out: &mut Output<'_>) {
        self.deadlines.cancel(Timer::A);
        self.deadlines.cancel(Timer::B);
        self.state = ClientInviteState::Accepted;
        // RFC 6026 §8.4: Accepted sends nothing (the TU ACKs the 2xx); drop the INVITE.
        self.held = Bytes::new();
        let m = out.config.t1_x64();
        out.arm(&mut self.deadlines, Side::Client, self.id, Timer::M, m);
    }

    /// In Completed: send the ACK again (none if the INVITE lacked a field it copies).
    fn send_ack(&self, out: &mut Output<'_>) {
        if !self.held.is_empty() {
            out.send(self.flow, self.held.clone());
        }
    }

    /// A timer of this transaction fired.
    pub(crate) fn on_timer(&mut self, timer: Timer, out: &mut Output<'_>) -> Step {
        match (timer, self.state) {
            (Timer::A, ClientInviteState::Calling) => {
                out.send(self.flow, self.held.clone());
                self.interval = self.interval.saturating_mul(2);
                out.arm(
                    &mut self.deadlines,
                    Side::Client,
                    self.id,
                    Timer::A,
                    self.interval,
                );
                Step::Alive
            }
            (Timer::B, ClientInviteState::Calling) => {
                out.emit(TransactionEvent::Timeout { id: self.tu_id() });
                Step::Terminated
            }
            (Timer::D, ClientInviteState::Completed) | (Timer::M, ClientInviteState::Accepted) => {
                Step::Terminated
            }
            _ => Step::Alive,
        }
    }

    /// Bytes of messages this transaction holds (tests of what each state keeps).
    #[cfg(test)]
    pub(crate) fn held_bytes(&self) -> usize {
        self.held.len()
    }

    /// The transport failed to send on our flow (RFC 3261 §17.1.1.2: Calling state only;
    /// RFC 6026 also leaves Accepted quietly to the TU).
    pub(crate) fn on_transport_error(&mut self, out: &mut Output<'_>) -> Step {
        match self.state {
            ClientInviteState::Calling | ClientInviteState::Proceeding => {
                out.emit(TransactionEvent::TransportError { id: self.tu_id() });
                Step::Terminated
            }
            ClientInviteState::Completed | ClientInviteState::Accepted => Step::Terminated,
        }
    }
}
