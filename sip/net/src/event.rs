//! What the driver reports to its owner.

use bytes::Bytes;
use sip_proto::Flow;

/// One whole received message (a datagram or one framed message from a stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// Where it came from; `remote` is the real source address (RFC 3581 `received`/`rport`
    /// are the caller's job) and `connection` is set for TCP/TLS.
    pub flow: Flow,
    /// The message bytes.
    pub data: Bytes,
}

/// An event from the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    /// A message arrived.
    Message(Incoming),
    /// A queued message could not be delivered (connect refused or timed out, connection lost,
    /// socket error): feed it to the transaction layer's transport-error input (RFC 3261 §18.4).
    SendFailed {
        /// The flow it was sent on.
        flow: Flow,
    },
}
