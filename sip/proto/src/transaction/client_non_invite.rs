//! The non-INVITE client transaction (RFC 3261 §17.1.2).

use std::time::Duration;

use sip_types::Message;

use super::event::TransactionEvent;
use super::id::ClientTransactionId;
use super::key::StoredKey;
use super::output::{Output, Step};
use super::timer::{Deadlines, Side, Timer};
use crate::flow::Flow;

/// The states of the non-INVITE client transaction (RFC 3261 Figure 6).
///
/// ```text
///                                    |Request from TU
///                                    |send request
///                Timer E             V
///                send request  +-----------+
///                    +---------|           |-------------------+
///                    |         |  Trying   |  Timer F          |
///                    +-------->|           |  or Transport Err.|
///                              +-----------+  inform TU        |
///                 200-699         |  |                         |
///                 resp. to TU     |  |1xx                      |
///                 +---------------+  |resp. to TU              |
///                 |                  |                         |
///                 |   Timer E        V       Timer F           |
///                 |   send req +-----------+ or Transport Err. |
///                 |  +---------|           | inform TU         |
///                 |  |         |Proceeding |------------------>|
///                 |  +-------->|           |-----+             |
///                 |            +-----------+     |1xx          |
///                 |              |      ^        |resp to TU   |
///                 | 200-699      |      +--------+             |
///                 | resp. to TU  |                             |
///                 |              |                             |
///                 |              V                             |
///                 |            +-----------+                   |
///                 |            |           |                   |
///                 |            | Completed |                   |
///                 |            |           |                   |
///                 |            +-----------+                   |
///                 |              ^   |                         |
///                 |              |   | Timer K                 |
///                 +--------------+   | -                       |
///                                    |                         |
///                                    V                         |
///              NOTE:           Terminated <--------------------+
///          E: T1 doubling up to T2 in Trying, T2 in Proceeding
///          (unreliable only); K: T4 unreliable, zero reliable
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientNonInviteState {
    /// Request sent, no response yet; Timers E (unreliable) and F run.
    Trying,
    /// A provisional response arrived; E keeps retransmitting every T2.
    Proceeding,
    /// A final response arrived; retransmissions of it are absorbed until Timer K.
    Completed,
}

/// One non-INVITE client transaction.
#[derive(Debug)]
pub(crate) struct ClientNonInvite {
    pub(crate) id: u64,
    pub(crate) state: ClientNonInviteState,
    pub(crate) key: StoredKey,
    pub(crate) flow: Flow,
    /// The request, for Timer E; dropped on the final response (Completed sends nothing).
    request: bytes::Bytes,
    interval: Duration,
    pub(crate) deadlines: Deadlines,
}

impl ClientNonInvite {
    /// Send `request` and enter Trying (RFC 3261 §17.1.2.2).
    pub(crate) fn start(
        id: u64,
        key: StoredKey,
        request: bytes::Bytes,
        flow: Flow,
        out: &mut Output<'_>,
    ) -> Self {
        let mut tx = Self {
            id,
            state: ClientNonInviteState::Trying,
            key,
            flow,
            request,
            interval: out.config.t1(),
            deadlines: Deadlines::default(),
        };
        out.send(flow, tx.request.clone());
        if !flow.transport.is_reliable() {
            out.arm(&mut tx.deadlines, Side::Client, id, Timer::E, tx.interval);
        }
        let f = out.config.t1_x64();
        out.arm(&mut tx.deadlines, Side::Client, id, Timer::F, f);
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
        if self.state == ClientNonInviteState::Completed {
            return Step::Alive;
        }
        let id = self.tu_id();
        if status.is_provisional() {
            self.state = ClientNonInviteState::Proceeding;
            out.emit(TransactionEvent::Response { id, response });
            return Step::Alive;
        }
        self.deadlines.cancel(Timer::E);
        self.deadlines.cancel(Timer::F);
        self.state = ClientNonInviteState::Completed;
        // Completed only absorbs response retransmissions until Timer K: the key is enough.
        self.request = bytes::Bytes::new();
        out.emit(TransactionEvent::Response { id, response });
        if self.flow.transport.is_reliable() {
            return Step::Terminated;
        }
        let k = out.config.t4();
        out.arm(&mut self.deadlines, Side::Client, self.id, Timer::K, k);
        Step::Alive
    }

    /// A timer of this transaction fired.
    pub(crate) fn on_timer(&mut self, timer: Timer, out: &mut Output<'_>) -> Step {
        match (timer, self.state) {
            (Timer::E, ClientNonInviteState::Trying | ClientNonInviteState::Proceeding) => {
                out.send(self.flow, self.request.clone());
                self.interval = if self.state == ClientNonInviteState::Trying {
                    self.interval.saturating_mul(2).min(out.config.t2())
                } else {
                    out.config.t2()
                };
                out.arm(
                    &mut self.deadlines,
                    Side::Client,
                    self.id,
                    Timer::E,
                    self.interval,
                );
                Step::Alive
            }
            (Timer::F, ClientNonInviteState::Trying | ClientNonInviteState::Proceeding) => {
                out.emit(TransactionEvent::Timeout { id: self.tu_id() });
                Step::Terminated
            }
            (Timer::K, ClientNonInviteState::Completed) => Step::Terminated,
            _ => Step::Alive,
        }
    }

    /// Bytes of messages this transaction holds (tests of what each state keeps).
    #[cfg(test)]
    pub(crate) fn held_bytes(&self) -> usize {
        self.request.len()
    }

    /// The transport failed to send on our flow (RFC 3261 §17.1.2.2, §17.1.4).
    pub(crate) fn on_transport_error(&mut self, out: &mut Output<'_>) -> Step {
        if self.state != ClientNonInviteState::Completed {
            out.emit(TransactionEvent::TransportError { id: self.tu_id() });
        }
        Step::Terminated
    }
}
