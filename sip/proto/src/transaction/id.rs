//! Transaction handles.

/// A server transaction (RFC 3261 §17.2), as handed to the TU in
/// [`super::TransactionEvent::Request`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct ServerTransactionId(pub(crate) u64);

/// A client transaction (RFC 3261 §17.1), as returned by
/// [`super::TransactionLayer::send_request`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct ClientTransactionId(pub(crate) u64);

impl ServerTransactionId {
    /// The numeric value, for logs (unique among live transactions of one layer; an ended
    /// transaction's value comes back only after 2^32 reuses of its slot).
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl ClientTransactionId {
    /// The numeric value, for logs (unique among live transactions of one layer; an ended
    /// transaction's value comes back only after 2^32 reuses of its slot).
    pub fn as_u64(self) -> u64 {
        self.0
    }
}
