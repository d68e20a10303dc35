//! A write-through cache over a persistent registration store (what Kamailio's usrloc calls
//! `db_mode` 1): every binding is also held in memory and every read is served from there;
//! a write reaches the backing store first, so what a caller was told is stored survives a
//! restart (DESIGN.md §Principles 7), and start-up loads the backing store.
//!
//! Only for a backing store that this process alone writes (SQLite, or a PostgreSQL/Redis
//! store not shared with another S-CSCF): another writer's changes would not be seen.

use std::sync::Arc;

use super::{Binding, BindingKey, MemoryRegistrationStore, RegistrationStore};
use crate::Result;

/// A [`RegistrationStore`] that reads from memory and writes through to `backing`.
pub struct WriteThroughStore {
    memory: MemoryRegistrationStore,
    backing: Arc<dyn RegistrationStore>,
    /// Serialises writes, so the memory copy applies them in the backing store's order.
    writes: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for WriteThroughStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteThroughStore").finish_non_exhaustive()
    }
}

impl WriteThroughStore {
    /// Loads every binding of `backing`, expired ones included: they are handed out by the
    /// first [`expire`](RegistrationStore::expire), as if the process had never stopped.
    pub async fn load(backing: Arc<dyn RegistrationStore>) -> Result<Self> {
        let memory = MemoryRegistrationStore::new();
        for b in backing.all().await? {
            memory.upsert(&b).await?;
        }
        Ok(Self {
            memory,
            backing,
            writes: tokio::sync::Mutex::new(()),
        })
    }
}

#[async_trait::async_trait]
impl RegistrationStore for WriteThroughStore {
    async fn upsert(&self, binding: &Binding) -> Result<()> {
        let _order = self.writes.lock().await;
        self.backing.upsert(binding).await?;
        self.memory.upsert(binding).await
    }

    async fn remove(&self, aor: &str, key: &BindingKey) -> Result<bool> {
        let _order = self.writes.lock().await;
        let existed = self.backing.remove(aor, key).await?;
        self.memory.remove(aor, key).await?;
        Ok(existed)
    }

    async fn remove_aor(&self, aor: &str) -> Result<u64> {
        let _order = self.writes.lock().await;
        let n = self.backing.remove_aor(aor).await?;
        self.memory.remove_aor(aor).await?;
        Ok(n)
    }

    async fn lookup(&self, aor: &str, now: u64) -> Result<Vec<Binding>> {
        self.memory.lookup(aor, now).await
    }

    /// Asks the backing store only when a binding in memory is due, so an idle registrar
    /// sends no query; the backing store's answer is the authoritative list.
    async fn expire(&self, now: u64) -> Result<Vec<Binding>> {
        if self.memory.next_expiry().is_none_or(|at| at > now) {
            return Ok(Vec::new());
        }
        let _order = self.writes.lock().await;
        let expired = self.backing.expire(now).await?;
        self.memory.expire(now).await?;
        Ok(expired)
    }

    async fn count(&self, now: u64) -> Result<u64> {
        self.memory.count(now).await
    }

    async fn all(&self) -> Result<Vec<Binding>> {
        self.memory.all().await
    }
}
