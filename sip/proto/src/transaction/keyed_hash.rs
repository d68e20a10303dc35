//! A fast keyed hasher for the maps whose keys come from the network (Via branch, sent-by):
//! a word at a time through a folded 64x64->128 multiply, keyed by a per-process random seed
//! so that peers cannot precompute colliding keys (HashDoS). Far cheaper than SipHash-1-3 on
//! the short keys of RFC 3261 §17 transaction matching.

use std::hash::{BuildHasher, Hasher};

const K1: u64 = 0x243f_6a88_85a3_08d3;
const K2: u64 = 0x1319_8a2e_0370_7344;
const K3: u64 = 0xa409_3822_299f_31d0;

/// Multiply to 128 bits and fold the halves together.
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    // Truncations are the point: low and high halves.
    (p as u64) ^ ((p >> 64) as u64)
}

/// Builds [`KeyedHasher`]s sharing one secret seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyedState {
    seed: u64,
}

impl KeyedState {
    /// A state keyed by `seed` (random per process, supplied by the caller).
    pub(crate) fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// A seed drawn from the standard library's per-process random hash keys (the same
    /// source `HashMap::new` relies on), for callers that pass none.
    pub(crate) fn std_seed() -> u64 {
        std::collections::hash_map::RandomState::new().hash_one(K3)
    }
}

impl BuildHasher for KeyedState {
    type Hasher = KeyedHasher;

    fn build_hasher(&self) -> KeyedHasher {
        KeyedHasher {
            acc: self.seed ^ K1,
            key: (self.seed.rotate_left(29) ^ K2) | 1,
        }
    }
}

/// The hasher itself.
#[derive(Debug, Clone)]
pub(crate) struct KeyedHasher {
    acc: u64,
    key: u64,
}

impl KeyedHasher {
    fn mix(&mut self, word: u64) {
        self.acc = fold_mul(self.acc ^ word, self.key);
    }
}

impl Hasher for KeyedHasher {
    fn finish(&self) -> u64 {
        fold_mul(self.acc ^ K3, self.key.rotate_left(17))
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in chunks.by_ref() {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            if let Some(dst) = w.get_mut(..rest.len()) {
                dst.copy_from_slice(rest);
            }
            // The tail length keeps "a" and "a\0" apart.
            self.mix(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.mix(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(seed: u64, b: &[u8]) -> u64 {
        KeyedState::new(seed).hash_one(b)
    }

    #[test]
    fn keyed_and_discriminating() {
        assert_eq!(h(1, b"z9hG4bK-1"), h(1, b"z9hG4bK-1"));
        assert_ne!(h(1, b"z9hG4bK-1"), h(2, b"z9hG4bK-1"));
        assert_ne!(h(1, b"z9hG4bK-1"), h(1, b"z9hG4bK-2"));
        assert_ne!(h(1, b"a"), h(1, b"a\0"));
        assert_ne!(h(1, b""), h(1, b"\0"));
        let mut seen = std::collections::HashSet::new();
        for i in 0..10_000u32 {
            seen.insert(h(7, format!("z9hG4bK{i}").as_bytes()));
        }
        assert_eq!(seen.len(), 10_000);
        assert_ne!(KeyedState::std_seed(), 0);
    }
}
