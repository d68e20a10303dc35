//! Duplicate detection on the server (RFC 6733 §5.5.4): requests are remembered by
//! (Origin-Host, End-to-End Identifier) with their answer once sent, so that a retransmission
//! (T flag) after failover is answered from the cache instead of being processed twice.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

/// (Origin-Host lower-cased, End-to-End Identifier).
pub(crate) type DupKey = (Box<str>, u32);

/// A bounded FIFO cache of recent requests and their answers.
#[derive(Debug, Default)]
pub(crate) struct DuplicateCache {
    map: HashMap<DupKey, Option<Bytes>>,
    order: VecDeque<DupKey>,
    capacity: usize,
}

/// What the cache knows about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Never seen (now remembered).
    New,
    /// Seen, not yet answered.
    InProgress,
    /// Seen and answered with this frame.
    Answered(Bytes),
}

impl DuplicateCache {
    /// A cache holding at most `capacity` requests (0 disables it).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// Looks `key` up, remembering it when new.
    pub(crate) fn check(&mut self, key: &DupKey) -> Seen {
        if self.capacity == 0 {
            return Seen::New;
        }
        match self.map.get(key) {
            Some(Some(a)) => Seen::Answered(a.clone()),
            Some(None) => Seen::InProgress,
            None => {
                while self.order.len() >= self.capacity {
                    if let Some(old) = self.order.pop_front() {
                        self.map.remove(&old);
                    }
                }
                self.map.insert(key.clone(), None);
                self.order.push_back(key.clone());
                Seen::New
            }
        }
    }

    /// Records the answer sent for `key` (if it is still remembered).
    pub(crate) fn answered(&mut self, key: &DupKey, answer: Bytes) {
        if let Some(slot) = self.map.get_mut(key) {
            *slot = Some(answer);
        }
    }

    /// Number of remembered requests.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(h: &str, e: u32) -> DupKey {
        (h.into(), e)
    }

    #[test]
    fn remembers_and_evicts() {
        let mut c = DuplicateCache::new(2);
        assert_eq!(c.check(&k("a", 1)), Seen::New);
        assert_eq!(c.check(&k("a", 1)), Seen::InProgress);
        c.answered(&k("a", 1), Bytes::from_static(b"ans"));
        assert_eq!(
            c.check(&k("a", 1)),
            Seen::Answered(Bytes::from_static(b"ans"))
        );
        assert_eq!(c.check(&k("b", 1)), Seen::New);
        assert_eq!(c.check(&k("c", 1)), Seen::New);
        assert_eq!(c.len(), 2);
        assert_eq!(c.check(&k("a", 1)), Seen::New, "oldest evicted");
        let mut off = DuplicateCache::new(0);
        assert_eq!(off.check(&k("a", 1)), Seen::New);
        assert_eq!(off.check(&k("a", 1)), Seen::New);
    }
}
