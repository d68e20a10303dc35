//! In-memory registration store (the default backend).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::{sort_for_expire, sort_for_lookup, Binding, BindingKey, RegistrationStore};
use crate::Result;

#[derive(Default)]
struct Inner {
    /// AOR → (key text, binding). An AOR has a handful of contacts, so a right-sized Vec
    /// searched in order: a B-tree map here cost a ~4 KB leaf node per registered user.
    by_aor: HashMap<String, Vec<(Box<str>, Binding)>>,
    /// (expires_at, AOR, key text), for `expire`.
    by_expiry: BTreeSet<(u64, String, String)>,
}

impl Inner {
    fn take(&mut self, aor: &str, key: &str) -> Option<Binding> {
        let list = self.by_aor.get_mut(aor)?;
        let at = list.iter().position(|(k, _)| &**k == key)?;
        let (_, old) = list.swap_remove(at);
        if list.is_empty() {
            self.by_aor.remove(aor);
        } else {
            list.shrink_to_fit();
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
        let g = &mut *g;
        g.by_expiry
            .insert((binding.expires_at, binding.aor.clone(), key.clone()));
        let list = g.by_aor.entry(binding.aor.clone()).or_default();
        // A refresh replaces its binding in place: no removal and re-insertion per
        // re-registration.
        if let Some((_, old)) = list.iter_mut().find(|(k, _)| **k == *key) {
            if old.expires_at != binding.expires_at {
                g.by_expiry
                    .remove(&(old.expires_at, binding.aor.clone(), key));
            }
            *old = binding.clone();
            return Ok(());
        }
        list.reserve_exact(1);
        list.push((key.into_boxed_str(), binding.clone()));
        Ok(())
    }

    async fn remove(&self, aor: &str, key: &BindingKey) -> Result<bool> {
        Ok(self.lock().take(aor, &key.to_text()).is_some())
    }

    async fn remove_aor(&self, aor: &str) -> Result<u64> {
        let mut g = self.lock();
        let Some(list) = g.by_aor.remove(aor) else {
            return Ok(0);
        };
        for (key, b) in &list {
            g.by_expiry
                .remove(&(b.expires_at, aor.to_owned(), key.to_string()));
        }
        Ok(list.len() as u64)
    }

    async fn lookup(&self, aor: &str, now: u64) -> Result<Vec<Binding>> {
        let mut list: Vec<Binding> = self
            .lock()
            .by_aor
            .get(aor)
            .map(|list| {
                list.iter()
                    .map(|(_, b)| b)
                    .filter(|b| b.is_live(now))
                    .cloned()
                    .collect()
            })
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
            .flat_map(|list| list.iter().map(|(_, b)| b.clone()))
            .collect();
        sort_for_expire(&mut out);
        Ok(out)
    }
}
