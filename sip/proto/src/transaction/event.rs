//! What the transaction layer hands out: datagrams or stream writes to send, and events for the
//! transaction user (RFC 3261 §17: the TU).

use bytes::Bytes;
use sip_types::Message;

use super::id::{ClientTransactionId, ServerTransactionId};
use crate::flow::Flow;

/// Bytes to send on a flow (a request, a response, or an ACK built by the layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send.
    pub flow: Flow,
    /// The message.
    pub bytes: Bytes,
}

/// Something the TU must act on, drained with [`super::TransactionLayer::poll_event`].
#[derive(Debug)]
pub enum TransactionEvent {
    /// A request that created a new server transaction (never ACK). `cancels` is set for a
    /// CANCEL whose target INVITE server transaction exists (RFC 3261 §9.2); the TU answers
    /// the CANCEL itself.
    Request {
        /// The new server transaction.
        id: ServerTransactionId,
        /// The request.
        request: Message,
        /// Where it came from (responses go back there, RFC 3261 §18.2.2).
        flow: Flow,
        /// For a CANCEL: the INVITE server transaction it cancels.
        cancels: Option<ServerTransactionId>,
    },
    /// An ACK that matched no INVITE server transaction awaiting it (an ACK for a 2xx, or one
    /// received in the RFC 6026 Accepted state), for the TU.
    Ack {
        /// The ACK.
        request: Message,
        /// Where it came from.
        flow: Flow,
    },
    /// A response matched to client transaction `id` (1xx and final; retransmissions absorbed,
    /// except 2xx to INVITE, which are passed up every time while in Accepted, RFC 6026 §8.4).
    Response {
        /// The client transaction.
        id: ClientTransactionId,
        /// The response.
        response: Message,
    },
    /// A response that matched no client transaction (a proxy forwards it statelessly,
    /// RFC 3261 §16.7 / §18.1.2).
    StrayResponse {
        /// The response.
        response: Message,
        /// Where it came from.
        flow: Flow,
    },
    /// Timer B or F fired: the TU acts as on a 408 (RFC 3261 §16.8, §17.1.1.2, §17.1.2.2).
    Timeout {
        /// The client transaction, now terminated.
        id: ClientTransactionId,
    },
    /// The transport reported failure for this client transaction (RFC 3261 §17.1.4): treat as
    /// a 503 (RFC 3261 §16.7 step 4).
    TransportError {
        /// The client transaction, now terminated.
        id: ClientTransactionId,
    },
    /// A server transaction ended (Timer H without ACK, a transport error, or normal
    /// termination); informational.
    ServerTerminated {
        /// The server transaction, now gone.
        id: ServerTransactionId,
    },
}
