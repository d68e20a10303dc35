//! In-memory registration store (the default backend).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::{sort_for_expire, sort_for_lookup, Binding, BindingKey, RegistrationStore};
use crate::Result;

#[derive(Default)]
struct Inner {
    /// AOR → key text → binding.
    by_aor: HashMap<String, BTreeMap<String, Binding>>,
    /// (expires_at, AOR, key text), for `expire`.
    by_expiry: BTreeSet<(u64, String, String)>,
}

impl Inner {
    fn take(&mut self, aor: &str, key: &str) -> Option<Binding> {
        let map = self.by_aor.get_mut(aor)?;
        let old = map.remove(key)?;
        if map.is_empty() {
            self.by_aor.remove(aor);
        }
        self.by_expiry
            .remove(&(old.expires_at, aor.to_owned(), key.to_owned()));
        Some(old)
    }
}

/// A [`RegistrationStore`] in process memory: O(log n) upsert and expiry.
#[derive(Default)]
pub struct MemoryRegistrationStore {
    inner: Mutex<Inner>,
}

impl MemoryRegistrationStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The earliest expiry time of any binding held, if any.
    pub fn next_expiry(&self) -> Option<u64> {
        self.lock().by_expiry.first().map(|(at, _, _)| *at)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Updates keep both maps consistent before any panic point.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl RegistrationStore for MemoryRegistrationStore {
    async fn upsert(&self, binding: &Binding) -> Result<()> {
        binding.validate()?;
        let key = binding.key().to_text();
        let mut g = self.lock();
        g.take(&binding.aor, &key);
        g.by_expiry
            .insert((binding.expires_at, binding.aor.clone(), key.clone()));
        g.by_aor
            .entry(binding.aor.clone())
            .or_default()
            .insert(key, binding.clone());
        Ok(())
    }

    async fn remove(&self, aor: &str, key: &BindingKey) -> Result<bool> {
        Ok(self.lock().take(aor, &key.to_text()).is_some())
    }

    async fn remove_aor(&self, aor: &str) -> Result<u64> {
        let mut g = self.lock();
        let Some(map) = g.by_aor.remove(aor) else {
            return Ok(0);
        };
        for (key, b) in &map {
            g.by_expiry
                .remove(&(b.expires_at, aor.to_owned(), key.clone()));
        }
        Ok(map.len() as u64)
    }

    async fn lookup(&self, aor: &str, now: u64) -> Result<Vec<Binding>> {
        let mut list: Vec<Binding> = self
            .lock()
            .by_aor
            .get(aor)
            .map(|m| m.values().filter(|b| b.is_live(now)).cloned().collect())
            .unwrap_or_default();
        sort_for_lookup(&mut list);
        Ok(list)
    }

    async fn expire(&self, now: u64) -> Result<Vec<Binding>> {
        let mut g = self.lock();
        let due: Vec<(u64, String, String)> = g
            .by_expiry
            .range(..(now.saturating_add(1), String::new(), String::new()))
            .cloned()
            .collect();
        let mut out = Vec::with_capacity(due.len());
        for (_, aor, key) in due {
            out.extend(g.take(&aor, &key));
        }
        sort_for_expire(&mut out);
        Ok(out)
    }

    async fn count(&self, now: u64) -> Result<u64> {
        let g = self.lock();
        let expired = g
            .by_expiry
            .range(..(now.saturating_add(1), String::new(), String::new()))
            .count();
        Ok((g.by_expiry.len() - expired) as u64)
    }

    async fn all(&self) -> Result<Vec<Binding>> {
        let mut out: Vec<Binding> = self
            .lock()
            .by_aor
            .values()
            .flat_map(|m| m.values().cloned())
            .collect();
        sort_for_expire(&mut out);
        Ok(out)
    }
}
