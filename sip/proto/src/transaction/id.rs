//! Transaction handles and the cheap hasher for maps keyed by them.

use std::hash::{BuildHasherDefault, Hasher};

/// A server transaction (RFC 3261 §17.2), as handed to the TU in
/// [`super::TransactionEvent::Request`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct ServerTransactionId(pub(crate) u64);

/// A client transaction (RFC 3261 §17.1), as returned by
/// [`super::TransactionLayer::send_request`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct ClientTransactionId(pub(crate) u64);

impl ServerTransactionId {
    /// The numeric value (unique within one layer, for logs).
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl ClientTransactionId {
    /// The numeric value (unique within one layer, for logs).
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

/// Hasher for our own sequential ids (never peer-chosen, so no flooding risk): one multiply.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by transaction number.
pub(crate) type IdMap<V> = std::collections::HashMap<u64, V, BuildHasherDefault<IdHasher>>;
