//! Nonce-count replay protection (RFC 7616 §3.4 and §5.4): a bounded table of the highest `nc`
//! seen per nonce. A repeated or lower `nc` is a replay.
//!
//! Memory is bounded by `capacity`; when full, the entry first used longest ago is evicted and
//! the table remembers the newest issue time among evicted nonces. A nonce issued at or before
//! that time that is not in the table may have been evicted, so it is refused as stale (the
//! client retries with a fresh nonce) rather than accepted: eviction never opens a replay
//! window. Entries whose nonce has expired are dropped without raising that floor, since an
//! expired nonce is refused anyway.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use super::nonce::MAC_LEN;

/// Default number of nonces tracked (about 16 MiB). Size the table for at least the peak rate
/// of first uses of new nonces times the nonce lifetime (262 144 covers ~870/s over 300 s);
/// beyond that, recently issued nonces start to be refused as stale.
pub const DEFAULT_CAPACITY: usize = 262_144;

/// A hasher for MAC keys: they are already uniformly distributed and unpredictable without the
/// server secret, so FNV-1a is enough (and reads no OS randomness, unlike `RandomState`).
#[derive(Default)]
struct MacHasher(u64);

impl Hasher for MacHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The outcome of presenting one `nc` for one nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NcCheck {
    /// Higher than anything seen for this nonce: accepted and recorded.
    Fresh,
    /// Equal to or lower than a count already seen: a replay.
    Replay,
    /// Not in the table but possibly evicted from it: treat the nonce as stale.
    Forgotten,
}

/// The bounded table of highest nonce-counts.
#[derive(Debug)]
pub struct NonceCounts {
    capacity: usize,
    highest: HashMap<[u8; MAC_LEN], u32, BuildHasherDefault<MacHasher>>,
    order: VecDeque<([u8; MAC_LEN], u64)>,
    evicted_floor: Option<u64>,
}

impl NonceCounts {
    /// A table tracking at most `capacity` nonces (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            highest: HashMap::default(),
            order: VecDeque::new(),
            evicted_floor: None,
        }
    }

    /// Number of nonces tracked.
    pub fn len(&self) -> usize {
        self.highest.len()
    }

    /// True when nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.highest.is_empty()
    }

    /// Presents `nc` for the nonce identified by `key`, issued at `issued`. `expired_before`
    /// is the issue time below which nonces are stale (their entries may be dropped freely).
    pub fn check(
        &mut self,
        key: [u8; MAC_LEN],
        issued: u64,
        nc: u32,
        expired_before: u64,
    ) -> NcCheck {
        if let Some(seen) = self.highest.get_mut(&key) {
            if nc <= *seen {
                return NcCheck::Replay;
            }
            *seen = nc;
            return NcCheck::Fresh;
        }
        if self.evicted_floor.is_some_and(|floor| issued <= floor) {
            return NcCheck::Forgotten;
        }
        // Drop expired entries from the front, then make room.
        while let Some(&(old, old_issued)) = self.order.front() {
            if old_issued >= expired_before {
                break;
            }
            self.order.pop_front();
            self.highest.remove(&old);
        }
        while self.highest.len() >= self.capacity {
            let Some((old, old_issued)) = self.order.pop_front() else {
                break;
            };
            self.highest.remove(&old);
            self.evicted_floor = Some(self.evicted_floor.map_or(old_issued, |f| f.max(old_issued)));
        }
        self.highest.insert(key, nc);
        self.order.push_back((key, issued));
        NcCheck::Fresh
    }
}

impl Default for NonceCounts {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u8) -> [u8; MAC_LEN] {
        [i; MAC_LEN]
    }

    #[test]
    fn increasing_counts_pass_and_repeats_fail() {
        let mut t = NonceCounts::new(4);
        assert_eq!(t.check(key(1), 10, 1, 0), NcCheck::Fresh);
        assert_eq!(t.check(key(1), 10, 1, 0), NcCheck::Replay);
        assert_eq!(t.check(key(1), 10, 3, 0), NcCheck::Fresh);
        assert_eq!(t.check(key(1), 10, 2, 0), NcCheck::Replay);
        assert_eq!(t.check(key(2), 10, 1, 0), NcCheck::Fresh);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn eviction_is_bounded_and_refuses_forgotten_nonces() {
        let mut t = NonceCounts::new(2);
        assert_eq!(t.check(key(1), 10, 1, 0), NcCheck::Fresh);
        assert_eq!(t.check(key(2), 11, 1, 0), NcCheck::Fresh);
        assert_eq!(t.check(key(3), 12, 1, 0), NcCheck::Fresh);
        assert_eq!(t.len(), 2);
        // key(1) was evicted: replaying it is not accepted.
        assert_eq!(t.check(key(1), 10, 1, 0), NcCheck::Forgotten);
        // A never-seen nonce issued before the floor is refused too; a newer one passes.
        assert_eq!(t.check(key(9), 9, 1, 0), NcCheck::Forgotten);
        assert_eq!(t.check(key(4), 13, 1, 0), NcCheck::Fresh);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn expired_entries_drop_without_raising_the_floor() {
        let mut t = NonceCounts::new(2);
        assert_eq!(t.check(key(1), 10, 1, 0), NcCheck::Fresh);
        assert_eq!(t.check(key(2), 11, 1, 0), NcCheck::Fresh);
        // Everything issued before 100 is expired: both drop, floor stays unset.
        assert_eq!(t.check(key(3), 100, 1, 100), NcCheck::Fresh);
        assert_eq!(t.len(), 1);
        assert_eq!(t.check(key(4), 50, 1, 0), NcCheck::Fresh);
    }

    #[test]
    fn zero_capacity_still_tracks_one() {
        let mut t = NonceCounts::new(0);
        assert_eq!(t.check(key(1), 1, 1, 0), NcCheck::Fresh);
        assert_eq!(t.check(key(1), 1, 1, 0), NcCheck::Replay);
    }
}
