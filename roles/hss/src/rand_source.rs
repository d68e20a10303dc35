//! Where RAND values come from (TS 33.102 §6.3.2: RAND is an unpredictable challenge).
//! The handler takes the source as a parameter so tests can be deterministic.

use std::sync::atomic::{AtomicU64, Ordering};

use rand::RngCore;

/// A source of 128-bit RAND challenges.
pub trait RandSource: Send + Sync {
    /// A fresh RAND.
    fn rand(&self) -> [u8; 16];
}

/// RAND from the operating system's CSPRNG (the production source).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandSource;

impl RandSource for OsRandSource {
    fn rand(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut out);
        out
    }
}

/// Deterministic RANDs for tests: a fixed prefix and a big-endian counter.
#[derive(Debug, Default)]
pub struct CounterRandSource {
    next: AtomicU64,
}

impl CounterRandSource {
    /// Starts counting at `start`.
    pub const fn new(start: u64) -> Self {
        Self {
            next: AtomicU64::new(start),
        }
    }
}

impl RandSource for CounterRandSource {
    fn rand(&self) -> [u8; 16] {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut out = [0x5a; 16];
        out[8..].copy_from_slice(&n.to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_is_distinct_and_os_is_not_constant() {
        let c = CounterRandSource::new(7);
        let (a, b) = (c.rand(), c.rand());
        assert_ne!(a, b);
        assert_eq!(a[15], 7);
        assert_ne!(OsRandSource.rand(), OsRandSource.rand());
    }
}
