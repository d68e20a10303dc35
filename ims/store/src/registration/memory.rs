//! In-memory registration store (the default backend, and the S-CSCF's binding cache).
//!
//! Lean by design, since it holds every registered contact: the AOR text is stored once and
//! shared by both indexes, a binding's key is compared in place rather than kept as text, and
//! the expiry index holds one entry per (expiry, AOR), not per binding.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{sort_for_expire, sort_for_lookup, Binding, BindingKey, RegistrationStore};
use crate::Result;

#[derive(Default)]
struct Inner {
    /// AOR → its bindings. An AOR has a handful of contacts, so a right-sized Vec searched
    /// in order: a B-tree map here cost a ~4 KB leaf node per registered user.
    by_aor: HashMap<Arc<str>, Vec<Binding>>,
    /// (expires_at, AOR) for every distinct expiry among an AOR's bindings, for `expire`.
    by_expiry: BTreeSet<(u64, Arc<str>)>,
    /// Bindings held.
    len: usize,
}

impl Inner {
    /// The shared AOR text and its bindings.
    fn entry(&mut self, aor: &str) -> Option<(Arc<str>, &mut Vec<Binding>)> {
        let shared = self.by_aor.get_key_value(aor)?.0.clone();
        let list = self.by_aor.get_mut(aor)?;
        Some((shared, list))
    }

    /// Removes the bindings of `aor` that `pick` selects, keeping both indexes consistent.
    fn take(&mut self, aor: &str, mut pick: impl FnMut(&Binding) -> bool) -> Vec<Binding> {
        let Some((shared, list)) = self.entry(aor) else {
            return Vec::new();
        };
        let mut taken = Vec::new();
        let mut i = 0;
        while i < list.len() {
            if pick(&list[i]) {
                taken.push(list.swap_remove(i));
            } else {
                i += 1;
            }
        }
        if taken.is_empty() {
            return taken;
        }
        let remaining: Vec<u64> = list.iter().map(|b| b.expires_at).collect();
        if list.is_empty() {
            self.by_aor.remove(aor);
        } else {
            list.shrink_to_fit();
        }
        for b in &taken {
            if !remaining.contains(&b.expires_at) {
                self.by_expiry.remove(&(b.expires_at, shared.clone()));
            }
        }
        self.len -= taken.len();
        taken
    }

    /// The (expiry, AOR) entries due at `now`.
    fn due(&self, now: u64) -> impl Iterator<Item = &(u64, Arc<str>)> {
        self.by_expiry.iter().take_while(move |(at, _)| *at <= now)
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
        self.lock().by_expiry.first().map(|(at, _)| *at)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Updates keep both indexes consistent before any panic point.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl RegistrationStore for MemoryRegistrationStore {
    async fn upsert(&self, binding: &Binding) -> Result<()> {
        binding.validate()?;
        let mut g = self.lock();
        let Inner {
            by_aor,
            by_expiry,
            len,
        } = &mut *g;
        let shared: Arc<str> = match by_aor.get_key_value(binding.aor.as_str()) {
            Some((aor, _)) => aor.clone(),
            None => Arc::from(binding.aor.as_str()),
        };
        let list = by_aor.entry(shared.clone()).or_default();
        // A refresh replaces its binding in place: no removal and re-insertion per
        // re-registration.
        if let Some(old) = list.iter_mut().find(|b| b.same_key(binding)) {
            let old_at = old.expires_at;
            *old = binding.clone();
            if old_at != binding.expires_at {
                if !list.iter().any(|b| b.expires_at == old_at) {
                    by_expiry.remove(&(old_at, shared.clone()));
                }
                by_expiry.insert((binding.expires_at, shared));
            }
            return Ok(());
        }
        list.reserve_exact(1);
        list.push(binding.clone());
        by_expiry.insert((binding.expires_at, shared));
        *len += 1;
        Ok(())
    }

    async fn remove(&self, aor: &str, key: &BindingKey) -> Result<bool> {
        // Keys are unique within an AOR (upsert replaces), so at most one is taken.
        Ok(!self.lock().take(aor, |b| b.has_key(key)).is_empty())
    }

    async fn remove_aor(&self, aor: &str) -> Result<u64> {
        Ok(self.lock().take(aor, |_| true).len() as u64)
    }

    async fn lookup(&self, aor: &str, now: u64) -> Result<Vec<Binding>> {
        let mut list: Vec<Binding> = self
            .lock()
            .by_aor
            .get(aor)
            .map(|list| list.iter().filter(|b| b.is_live(now)).cloned().collect())
            .unwrap_or_default();
        sort_for_lookup(&mut list);
        Ok(list)
    }

    async fn expire(&self, now: u64) -> Result<Vec<Binding>> {
        let mut g = self.lock();
        let due: Vec<Arc<str>> = g.due(now).map(|(_, aor)| aor.clone()).collect();
        let mut out = Vec::with_capacity(due.len());
        for aor in due {
            out.extend(g.take(&aor, |b| !b.is_live(now)));
        }
        sort_for_expire(&mut out);
        Ok(out)
    }

    async fn count(&self, now: u64) -> Result<u64> {
        let g = self.lock();
        let expired: usize = g
            .due(now)
            .map(|(at, aor)| {
                g.by_aor
                    .get(aor)
                    .map_or(0, |l| l.iter().filter(|b| b.expires_at == *at).count())
            })
            .sum();
        Ok((g.len - expired) as u64)
    }

    async fn all(&self) -> Result<Vec<Binding>> {
        let mut out: Vec<Binding> = self
            .lock()
            .by_aor
            .values()
            .flat_map(|list| list.iter().cloned())
            .collect();
        sort_for_expire(&mut out);
        Ok(out)
    }
}
