//! Sequence numbers (TS 33.102 §6.3.2, §6.3.7 and Annex C): SQN = SEQ ‖ IND, 48 bits, with an
//! IND of `ind_bits` low-order bits (5 by default, Annex C.1.1/C.3.2).

use super::error::AkaError;

/// A 48-bit sequence number (TS 33.102 §6.3.2). Values are kept masked to 48 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Sqn(u64);

impl Sqn {
    /// The largest SQN, 2^48 − 1.
    pub const MAX: Self = Self((1 << 48) - 1);

    /// From an integer; bits above the 48th are dropped.
    pub const fn new(value: u64) -> Self {
        Self(value & Self::MAX.0)
    }

    /// From its 6 big-endian bytes (as in AUTN and AUTS).
    pub fn from_bytes(b: [u8; 6]) -> Self {
        let [a, b1, c, d, e, f] = b;
        Self(u64::from_be_bytes([0, 0, a, b1, c, d, e, f]))
    }

    /// Its 6 big-endian bytes.
    pub fn to_bytes(self) -> [u8; 6] {
        let [_, _, a, b, c, d, e, f] = self.0.to_be_bytes();
        [a, b, c, d, e, f]
    }

    /// The integer value.
    pub const fn value(self) -> u64 {
        self.0
    }

    /// SQN ⊕ AK, the concealed form carried in AUTN / AUTS.
    pub fn xor(self, ak: &super::keys::Ak) -> [u8; 6] {
        let mut b = self.to_bytes();
        for (x, k) in b.iter_mut().zip(ak.as_bytes()) {
            *x ^= k;
        }
        b
    }
}

/// How SQNs are split and checked (TS 33.102 Annex C). Defaults: IND of 5 bits (a = 32
/// array entries), Δ = 2^28 (Annex C.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqnConfig {
    ind_bits: u8,
    delta: u64,
    age_limit: Option<u64>,
}

impl Default for SqnConfig {
    fn default() -> Self {
        Self {
            ind_bits: 5,
            delta: 1 << 28,
            age_limit: None,
        }
    }
}

impl SqnConfig {
    /// A configuration with `ind_bits` of IND (0..=10) and the freshness window Δ on SEQ
    /// (Annex C.2.2; 1..=2^43).
    pub fn new(ind_bits: u8, delta: u64) -> Result<Self, AkaError> {
        if ind_bits > 10 {
            return Err(AkaError::BadSqnConfig("ind_bits must be at most 10"));
        }
        if delta == 0 || delta > 1 << 43 {
            return Err(AkaError::BadSqnConfig("delta must be in 1..=2^43"));
        }
        Ok(Self {
            ind_bits,
            delta,
            age_limit: None,
        })
    }

    /// Also apply the optional age limit L of Annex C.2.2: reject SEQ when
    /// SEQ_MS − SEQ > L. `None` (the default) disables it.
    pub fn with_age_limit(mut self, limit: Option<u64>) -> Self {
        self.age_limit = limit;
        self
    }

    /// The age limit L, if any.
    pub fn age_limit(&self) -> Option<u64> {
        self.age_limit
    }

    /// Number of IND bits.
    pub fn ind_bits(&self) -> u8 {
        self.ind_bits
    }

    /// The freshness window Δ on SEQ.
    pub fn delta(&self) -> u64 {
        self.delta
    }

    fn ind_mask(&self) -> u64 {
        (1u64 << self.ind_bits) - 1
    }

    fn seq_max(&self) -> u64 {
        Sqn::MAX.0 >> self.ind_bits
    }

    /// SEQ, the high-order part of `sqn`.
    pub fn seq(&self, sqn: Sqn) -> u64 {
        sqn.0 >> self.ind_bits
    }

    /// IND, the low-order `ind_bits` of `sqn`.
    pub fn ind(&self, sqn: Sqn) -> u64 {
        sqn.0 & self.ind_mask()
    }

    /// SQN = SEQ ‖ IND (each masked to its width).
    pub fn compose(&self, seq: u64, ind: u64) -> Sqn {
        Sqn::new(((seq & self.seq_max()) << self.ind_bits) | (ind & self.ind_mask()))
    }

    /// The SQN for the next vector after `last` (Annex C.1.2 and C.3.2): SEQ + 1 and IND + 1
    /// modulo 2^ind_bits. SEQ wraps to 0 after its maximum.
    pub fn next(&self, last: Sqn) -> Sqn {
        let seq = self.seq(last).wrapping_add(1) & self.seq_max();
        self.compose(seq, self.ind(last).wrapping_add(1))
    }

    /// The SQN for the HE to continue from after a resynchronisation (TS 33.102 §6.3.5):
    /// keep `sqn_he` if the next SQN it yields would be accepted by a USIM whose highest
    /// accepted SQN is `sqn_ms`, else restart from SQN_MS. Returns the SQN of the next vector.
    pub fn after_resync(&self, sqn_he: Sqn, sqn_ms: Sqn) -> Sqn {
        let candidate = self.next(sqn_he);
        let (seq_c, seq_ms) = (self.seq(candidate), self.seq(sqn_ms));
        if seq_c > seq_ms && seq_c - seq_ms <= self.delta {
            candidate
        } else {
            self.next(sqn_ms)
        }
    }
}

/// The USIM's record of accepted sequence numbers (TS 33.102 Annex C.2): one SEQ_MS per IND
/// value. Used by test UEs ([`super::usim_authenticate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsimSqnState {
    config: SqnConfig,
    seq_ms: Vec<u64>,
    /// The highest SQN accepted so far (SQN_MS of §6.3.5, sent in AUTS).
    highest: Sqn,
}

impl UsimSqnState {
    /// A fresh USIM: every SEQ_MS(i) = 0.
    pub fn new(config: SqnConfig) -> Self {
        Self {
            config,
            seq_ms: vec![0; 1 << config.ind_bits],
            highest: Sqn::default(),
        }
    }

    /// The highest accepted SQN (SQN_MS).
    pub fn sqn_ms(&self) -> Sqn {
        self.highest
    }

    /// Annex C.2.2: `sqn` is fresh when SEQ > SEQ_MS(IND) and SEQ − SEQ_MS ≤ Δ, where SEQ_MS is
    /// the highest SEQ in the array, and (with an age limit L) SEQ_MS − SEQ ≤ L.
    pub fn is_acceptable(&self, sqn: Sqn) -> bool {
        let c = &self.config;
        let (seq, ind) = (c.seq(sqn), c.ind(sqn));
        let Some(seq_at_ind) = usize::try_from(ind).ok().and_then(|i| self.seq_ms.get(i)) else {
            return false;
        };
        let seq_ms = c.seq(self.highest);
        let too_old = c.age_limit.is_some_and(|l| seq_ms.saturating_sub(seq) > l);
        seq > *seq_at_ind && seq.saturating_sub(seq_ms) <= c.delta && !too_old
    }

    /// Check `sqn` and, when fresh, record it (SEQ_MS(IND) := SEQ). Returns whether it was.
    pub fn accept(&mut self, sqn: Sqn) -> bool {
        if !self.is_acceptable(sqn) {
            return false;
        }
        let ind = self.config.ind(sqn);
        let seq = self.config.seq(sqn);
        if let Some(slot) = usize::try_from(ind)
            .ok()
            .and_then(|i| self.seq_ms.get_mut(i))
        {
            *slot = seq;
        }
        if seq > self.config.seq(self.highest) {
            self.highest = sqn;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqn_bytes_round_trip_and_mask() {
        let s = Sqn::from_bytes([0xff, 0x9b, 0xb4, 0xd0, 0xb6, 0x07]);
        assert_eq!(s.value(), 0xff9b_b4d0_b607);
        assert_eq!(s.to_bytes(), [0xff, 0x9b, 0xb4, 0xd0, 0xb6, 0x07]);
        assert_eq!(Sqn::new(u64::MAX), Sqn::MAX);
    }

    #[test]
    fn next_increments_seq_and_ind() {
        let c = SqnConfig::default();
        let s = c.compose(7, 31);
        assert_eq!((c.seq(s), c.ind(s)), (7, 31));
        let n = c.next(s);
        assert_eq!((c.seq(n), c.ind(n)), (8, 0));
        assert_eq!(n.value(), (8 << 5));
        // SEQ wraps at its maximum.
        let top = c.compose((1 << 43) - 1, 3);
        assert_eq!(c.seq(c.next(top)), 0);
    }

    #[test]
    fn config_rejects_out_of_range() {
        assert!(SqnConfig::new(11, 100).is_err());
        assert!(SqnConfig::new(5, 0).is_err());
        let c = SqnConfig::new(0, 10).unwrap();
        assert_eq!(c.next(Sqn::new(41)), Sqn::new(42));
    }

    #[test]
    fn usim_accepts_fresh_and_rejects_replay_per_ind() {
        let c = SqnConfig::default();
        let mut u = UsimSqnState::new(c);
        assert!(u.accept(c.compose(5, 1)));
        assert!(!u.accept(c.compose(5, 1)), "replay");
        assert!(!u.accept(c.compose(4, 1)), "older on the same IND");
        assert!(
            u.accept(c.compose(3, 2)),
            "older SEQ on an unused IND is fine"
        );
        assert_eq!(u.sqn_ms(), c.compose(5, 1));
        assert!(
            !u.is_acceptable(c.compose(5 + (1 << 28) + 1, 3)),
            "beyond delta"
        );
        assert!(u.is_acceptable(c.compose(5 + (1 << 28), 3)));
    }

    #[test]
    fn age_limit_rejects_old_seq_on_unused_ind() {
        let c = SqnConfig::default().with_age_limit(Some(10));
        assert_eq!(c.age_limit(), Some(10));
        let mut u = UsimSqnState::new(c);
        assert!(u.accept(c.compose(100, 0)));
        assert!(u.is_acceptable(c.compose(90, 1)));
        assert!(!u.is_acceptable(c.compose(89, 1)));
    }

    #[test]
    fn after_resync_keeps_or_restarts() {
        let c = SqnConfig::default();
        let ms = c.compose(100, 4);
        // HE ahead within delta: keep going.
        assert_eq!(c.after_resync(c.compose(150, 9), ms), c.compose(151, 10));
        // HE behind: restart from SQN_MS.
        assert_eq!(c.after_resync(c.compose(20, 9), ms), c.compose(101, 5));
        // HE too far ahead: restart from SQN_MS.
        assert_eq!(
            c.after_resync(c.compose(100 + (1 << 29), 0), ms),
            c.compose(101, 5)
        );
    }
}
