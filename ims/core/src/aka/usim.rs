//! The USIM side of AKA (TS 33.102 §6.3.3), for test UEs and end-to-end tests.

use super::keys::{ct_eq, Amf, Autn, Auts, Ck, Ik, Rand, Res};
use super::milenage::Milenage;
use super::sqn::{Sqn, UsimSqnState};

/// A successful challenge: the USIM's RES and the session keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsimResponse {
    /// RES, to be sent to the network.
    pub res: Res,
    /// CK.
    pub ck: Ck,
    /// IK.
    pub ik: Ik,
    /// The SQN recovered from AUTN (now recorded as accepted).
    pub sqn: Sqn,
}

/// Why the USIM refused a challenge (TS 33.102 §6.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsimFailure {
    /// XMAC ≠ MAC-A: the network is not authentic ("user authentication reject").
    MacFailure,
    /// MAC-A verified but SQN is not fresh: send AUTS (Digest AKA `auts`, RFC 3310 §3.4).
    SyncFailure {
        /// AUTS = (SQN_MS ⊕ AK*) ‖ MAC-S with MAC-S = f1*(SQN_MS, RAND, AMF = 0).
        auts: Auts,
    },
}

/// Run the USIM checks on (RAND, AUTN): AK = f5(RAND), SQN = (SQN ⊕ AK) ⊕ AK,
/// XMAC = f1(SQN, RAND, AMF) must equal MAC-A, then SQN must be fresh for `state`
/// (Annex C.2). On success the SQN is recorded and RES/CK/IK returned.
pub fn usim_authenticate(
    m: &Milenage,
    state: &mut UsimSqnState,
    rand: &Rand,
    autn: &Autn,
) -> Result<UsimResponse, UsimFailure> {
    let out = m.f2345(rand);
    let mut b = autn.sqn_xor_ak();
    for (x, k) in b.iter_mut().zip(out.ak.as_bytes()) {
        *x ^= k;
    }
    let sqn = Sqn::from_bytes(b);
    let xmac = m.f1(rand, sqn, autn.amf());
    if !ct_eq(xmac.as_bytes(), autn.mac_a().as_bytes()) {
        return Err(UsimFailure::MacFailure);
    }
    if !state.accept(sqn) {
        let sqn_ms = state.sqn_ms();
        let mac_s = m.f1_star(rand, sqn_ms, Amf::RESYNC);
        let auts = Auts::assemble(sqn_ms.xor(&m.f5_star(rand)), mac_s);
        return Err(UsimFailure::SyncFailure { auts });
    }
    Ok(UsimResponse {
        res: out.res,
        ck: out.ck,
        ik: out.ik,
        sqn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aka::keys::{Key, Op};
    use crate::aka::sqn::SqnConfig;
    use crate::aka::vector::{generate_vector, resync, resync_continue, ResyncRequest};

    /// The demo subscriber of sipp-based testbeds: K and OP are the ASCII bytes of text and
    /// AMF is the two ASCII characters "00" (0x3030).
    fn demo() -> Milenage {
        Milenage::with_op(
            &Key::new(*b"0123456789abcdef"),
            &Op::new(*b"fedcba9876543210"),
        )
    }

    #[test]
    fn demo_user_vector_verifies_on_the_usim() {
        let m = demo();
        let amf = Amf::new(*b"00");
        let cfg = SqnConfig::default();
        let sqn = cfg.next(Sqn::default());
        let rand = Rand::new(*b"RAND-FOR-TEST-01");
        let v = generate_vector(&m, amf, sqn, rand);
        assert_eq!(v.autn.amf().as_bytes(), &[0x30, 0x30]);
        let mut usim = UsimSqnState::new(cfg);
        let r = usim_authenticate(&m, &mut usim, &v.rand, &v.autn).unwrap();
        assert_eq!(r.res, v.xres);
        assert_eq!(r.ck, v.ck);
        assert_eq!(r.ik, v.ik);
        assert_eq!(r.sqn, sqn);
        // Replaying the same vector is a sync failure, not a success.
        assert!(matches!(
            usim_authenticate(&m, &mut usim, &v.rand, &v.autn),
            Err(UsimFailure::SyncFailure { .. })
        ));
    }

    #[test]
    fn wrong_key_is_mac_failure() {
        let m = demo();
        let v = generate_vector(&m, Amf::new(*b"00"), Sqn::new(33), Rand::new([1; 16]));
        let other = Milenage::with_op(&Key::new([9; 16]), &Op::new(*b"fedcba9876543210"));
        let mut usim = UsimSqnState::new(SqnConfig::default());
        assert_eq!(
            usim_authenticate(&other, &mut usim, &v.rand, &v.autn),
            Err(UsimFailure::MacFailure)
        );
        let mut tampered = *v.autn.as_bytes();
        tampered[6] ^= 0x80; // AMF is covered by MAC-A
        assert_eq!(
            usim_authenticate(&m, &mut usim, &v.rand, &Autn::new(tampered)),
            Err(UsimFailure::MacFailure)
        );
    }

    #[test]
    fn sync_failure_then_resync_then_success() {
        let m = demo();
        let cfg = SqnConfig::default();
        let amf = Amf::new(*b"00");
        let mut usim = UsimSqnState::new(cfg);
        // The USIM has already seen SEQ 500 (e.g. from another HSS copy).
        assert!(usim.accept(cfg.compose(500, 3)));
        // The HSS is behind: its next vector (SEQ 11, IND 3) is stale for this USIM.
        let sqn_he = cfg.compose(10, 2);
        let rand = Rand::new([0x42; 16]);
        let stale = generate_vector(&m, amf, cfg.next(sqn_he), rand);
        let Err(UsimFailure::SyncFailure { auts }) =
            usim_authenticate(&m, &mut usim, &stale.rand, &stale.autn)
        else {
            panic!("expected a sync failure");
        };
        assert_eq!(resync(&m, &rand, &auts), Ok(cfg.compose(500, 3)));
        let req = ResyncRequest { rand, auts };
        let next = resync_continue(&m, &cfg, sqn_he, &req).unwrap();
        assert_eq!(next, cfg.compose(501, 4));
        let fresh = generate_vector(&m, amf, next, Rand::new([0x43; 16]));
        let ok = usim_authenticate(&m, &mut usim, &fresh.rand, &fresh.autn).unwrap();
        assert_eq!(ok.res, fresh.xres);
    }
}
