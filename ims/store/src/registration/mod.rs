//! Registration store: the S-CSCF location service (TS 24.229 §5.4.1,
//! RFC 3261 §10.3) and P-CSCF registration records.

mod cached;
mod memory;
mod model;
mod redis;
mod sql;

pub use self::redis::RedisRegistrationStore;
pub use cached::WriteThroughStore;
pub use memory::MemoryRegistrationStore;
pub use model::{Binding, BindingKey, Flow, PushInfo};
pub use sql::SqlRegistrationStore;

pub(crate) use model::{decode_binding, encode_binding};

use crate::Result;

/// Contact bindings per address-of-record.
///
/// A binding is live while `now < expires_at`; expired bindings are never
/// returned by [`lookup`](Self::lookup) and are removed (and returned, for
/// reg-event NOTIFY and SAR) by [`expire`](Self::expire). Every method is
/// atomic; writes are durable when they return.
#[async_trait::async_trait]
pub trait RegistrationStore: Send + Sync {
    /// Inserts the binding or replaces the one with the same
    /// [`BindingKey`] in the same AOR (RFC 5626 §6).
    async fn upsert(&self, binding: &Binding) -> Result<()>;

    /// Removes one binding; returns whether it existed.
    async fn remove(&self, aor: &str, key: &BindingKey) -> Result<bool>;

    /// Removes every binding of `aor` (`Contact: *`, RFC 3261 §10.2.2, or
    /// network de-registration); returns how many there were.
    async fn remove_aor(&self, aor: &str) -> Result<u64>;

    /// Live bindings of `aor` at `now`, by decreasing q then key.
    async fn lookup(&self, aor: &str, now: u64) -> Result<Vec<Binding>>;

    /// Removes and returns every binding expired at `now`, by AOR then key.
    async fn expire(&self, now: u64) -> Result<Vec<Binding>>;

    /// Number of live bindings at `now`.
    async fn count(&self, now: u64) -> Result<u64>;

    /// Every stored binding, expired ones included, by AOR then key (loading a
    /// [`WriteThroughStore`]).
    async fn all(&self) -> Result<Vec<Binding>>;
}

/// Orders bindings for [`RegistrationStore::lookup`].
pub(crate) fn sort_for_lookup(list: &mut [Binding]) {
    list.sort_by_cached_key(|b| (std::cmp::Reverse(b.q), b.key().to_text()));
}

/// Orders bindings for [`RegistrationStore::expire`].
pub(crate) fn sort_for_expire(list: &mut [Binding]) {
    list.sort_by_cached_key(|b| (b.aor.clone(), b.key().to_text()));
}
