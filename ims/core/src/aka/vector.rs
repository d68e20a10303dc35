//! Network side: authentication vector generation (TS 33.102 §6.3.2) and resynchronisation
//! (TS 33.102 §6.3.5).

use super::error::AkaError;
use super::keys::{ct_eq, exact, Amf, Autn, Auts, Ck, Ik, Rand, Res};
use super::milenage::Milenage;
use super::sqn::{Sqn, SqnConfig};

/// One authentication vector (TS 33.102 §6.3.2): the quintet RAND, XRES, CK, IK, AUTN.
/// On Cx it travels as SIP-Authenticate = RAND ‖ AUTN, SIP-Authorization = XRES,
/// Confidentiality-Key = CK, Integrity-Key = IK (TS 29.228 §6.3.9–6.3.12).
///
/// `Debug` redacts XRES, CK and IK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthVector {
    /// The challenge.
    pub rand: Rand,
    /// The expected response.
    pub xres: Res,
    /// The cipher key.
    pub ck: Ck,
    /// The integrity key.
    pub ik: Ik,
    /// The network authentication token.
    pub autn: Autn,
}

impl AuthVector {
    /// RAND ‖ AUTN: the SIP-Authenticate AVP (TS 29.228 §6.3.9) and, base64-encoded, the
    /// Digest AKA `nonce` (RFC 3310 §3.2).
    pub fn rand_autn(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[..16].copy_from_slice(self.rand.as_bytes());
        out[16..].copy_from_slice(self.autn.as_bytes());
        out
    }
}

/// Generate a vector from K/OPc (in `m`), AMF, SQN and RAND (TS 33.102 §6.3.2):
/// MAC-A = f1(SQN, RAND, AMF), XRES = f2, CK = f3, IK = f4, AK = f5,
/// AUTN = (SQN ⊕ AK) ‖ AMF ‖ MAC-A. RAND must come from a good random source of the caller.
pub fn generate_vector(m: &Milenage, amf: Amf, sqn: Sqn, rand: Rand) -> AuthVector {
    let mac_a = m.f1(&rand, sqn, amf);
    let out = m.f2345(&rand);
    AuthVector {
        rand,
        xres: out.res,
        ck: out.ck,
        ik: out.ik,
        autn: Autn::assemble(sqn.xor(&out.ak), amf, mac_a),
    }
}

/// Generate one vector per RAND with consecutive SQNs after `last` (TS 33.102 Annex C.1.2),
/// as an HSS answering a MAR for several vectors does. Returns the vectors and the last SQN
/// used, which the caller stores.
pub fn generate_vectors(
    m: &Milenage,
    amf: Amf,
    config: &SqnConfig,
    last: Sqn,
    rands: &[Rand],
) -> (Vec<AuthVector>, Sqn) {
    let mut sqn = last;
    let vectors = rands
        .iter()
        .map(|rand| {
            sqn = config.next(sqn);
            generate_vector(m, amf, sqn, *rand)
        })
        .collect();
    (vectors, sqn)
}

/// A resynchronisation request as the HSS receives it in the SIP-Authorization AVP of a MAR:
/// RAND ‖ AUTS, 30 bytes (TS 29.228 §6.3.10, TS 33.203 §6.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResyncRequest {
    /// The RAND of the challenge that failed.
    pub rand: Rand,
    /// The AUTS the USIM returned.
    pub auts: Auts,
}

impl ResyncRequest {
    /// Split RAND ‖ AUTS; any other length is an error.
    pub fn parse(bytes: &[u8]) -> Result<Self, AkaError> {
        let all: [u8; 30] = exact("RAND||AUTS", bytes)?;
        let (r, a) = all.split_at(16);
        Ok(Self {
            rand: Rand::from_slice(r)?,
            auts: Auts::from_slice(a)?,
        })
    }

    /// RAND ‖ AUTS as 30 bytes.
    pub fn to_bytes(&self) -> [u8; 30] {
        let mut out = [0u8; 30];
        out[..16].copy_from_slice(self.rand.as_bytes());
        out[16..].copy_from_slice(self.auts.as_bytes());
        out
    }
}

/// Recover SQN_MS from an AUTS (TS 33.102 §6.3.5): SQN_MS = (AUTS[0..6]) ⊕ f5*(RAND), then
/// check MAC-S = f1*(SQN_MS, RAND, AMF = 0x0000). A forged AUTS fails with
/// [`AkaError::MacSMismatch`].
pub fn resync(m: &Milenage, rand: &Rand, auts: &Auts) -> Result<Sqn, AkaError> {
    let ak_star = m.f5_star(rand);
    let mut b = auts.sqn_xor_ak();
    for (x, k) in b.iter_mut().zip(ak_star.as_bytes()) {
        *x ^= k;
    }
    let sqn_ms = Sqn::from_bytes(b);
    let xmac_s = m.f1_star(rand, sqn_ms, Amf::RESYNC);
    if ct_eq(xmac_s.as_bytes(), auts.mac_s().as_bytes()) {
        Ok(sqn_ms)
    } else {
        Err(AkaError::MacSMismatch)
    }
}

/// [`resync`] then [`SqnConfig::after_resync`]: the SQN of the next vector to generate, given
/// the HE's last used SQN.
pub fn resync_continue(
    m: &Milenage,
    config: &SqnConfig,
    sqn_he: Sqn,
    request: &ResyncRequest,
) -> Result<Sqn, AkaError> {
    let sqn_ms = resync(m, &request.rand, &request.auts)?;
    Ok(config.after_resync(sqn_he, sqn_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aka::keys::{Key, Op};

    fn set1() -> (Milenage, Rand, Sqn, Amf) {
        let k = Key::from_hex("465b5ce8b199b49faa5f0a2ee238a6bc").unwrap();
        let op = Op::from_hex("cdc202d5123e20f62b6d676ac72cb318").unwrap();
        let rand = Rand::from_hex("23553cbe9637a89d218ae64dae47bf35").unwrap();
        (
            Milenage::with_op(&k, &op),
            rand,
            Sqn::new(0xff9b_b4d0_b607),
            Amf::new([0xb9, 0xb9]),
        )
    }

    #[test]
    fn autn_is_sqn_xor_ak_amf_mac() {
        let (m, rand, sqn, amf) = set1();
        let v = generate_vector(&m, amf, sqn, rand);
        // SQN ⊕ AK = ff9bb4d0b607 ⊕ aa689c648370
        assert_eq!(v.autn.to_hex(), "55f328b43577b9b94a9ffac354dfafb3");
        assert_eq!(v.xres.to_hex(), "a54211d5e3ba50bf");
        assert_eq!(&v.rand_autn()[..16], rand.as_bytes());
        assert_eq!(&v.rand_autn()[16..], v.autn.as_bytes());
        let dbg = format!("{v:?}");
        assert!(!dbg.contains("a54211d5"), "{dbg}");
    }

    #[test]
    fn resync_recovers_sqn_ms_and_rejects_forgery() {
        let (m, rand, _, _) = set1();
        let sqn_ms = Sqn::new(0x0000_0000_1234);
        let mac_s = m.f1_star(&rand, sqn_ms, Amf::RESYNC);
        let auts = Auts::assemble(sqn_ms.xor(&m.f5_star(&rand)), mac_s);
        assert_eq!(resync(&m, &rand, &auts), Ok(sqn_ms));

        let mut forged = *auts.as_bytes();
        forged[13] ^= 1;
        assert_eq!(
            resync(&m, &rand, &Auts::new(forged)),
            Err(AkaError::MacSMismatch)
        );
        // A genuine AUTS replayed with another RAND fails too.
        let other = Rand::new([7; 16]);
        assert_eq!(resync(&m, &other, &auts), Err(AkaError::MacSMismatch));
    }

    #[test]
    fn several_vectors_use_consecutive_sqns() {
        let (m, _, _, amf) = set1();
        let cfg = SqnConfig::default();
        let last = cfg.compose(41, 31);
        let rands = [Rand::new([1; 16]), Rand::new([2; 16]), Rand::new([3; 16])];
        let (vs, end) = generate_vectors(&m, amf, &cfg, last, &rands);
        assert_eq!(vs.len(), 3);
        assert_eq!(end, cfg.compose(44, 2));
        assert_eq!(vs[2].rand, rands[2]);
        let mut usim = crate::aka::UsimSqnState::new(cfg);
        for v in &vs {
            let r = crate::aka::usim_authenticate(&m, &mut usim, &v.rand, &v.autn).unwrap();
            assert_eq!(r.res, v.xres);
        }
        assert_eq!(usim.sqn_ms(), end);
        let (none, same) = generate_vectors(&m, amf, &cfg, last, &[]);
        assert!(none.is_empty());
        assert_eq!(same, last);
    }

    #[test]
    fn resync_request_parse() {
        let mut raw = [0u8; 30];
        raw[0] = 1;
        raw[29] = 2;
        let r = ResyncRequest::parse(&raw).unwrap();
        assert_eq!(r.rand.as_bytes()[0], 1);
        assert_eq!(r.auts.as_bytes()[13], 2);
        assert_eq!(r.to_bytes(), raw);
        assert!(matches!(
            ResyncRequest::parse(&raw[..29]),
            Err(AkaError::BadLength { got: 29, .. })
        ));
    }
}
