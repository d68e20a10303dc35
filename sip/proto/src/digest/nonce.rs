//! Stateless nonces that carry their own integrity (RFC 7616 §3.3 and §5.4 leave the nonce
//! format to the server).
//!
//! Plain: `base64(timestamp(8, big-endian) ‖ random(16) ‖ mac(16))`; AKA (RFC 3310 §3.2 lets
//! server data follow RAND and AUTN): `base64(RAND(16) ‖ AUTN(16) ‖ timestamp(8) ‖ mac(16))`.
//! `mac` is HMAC-SHA-256 under the server secret, truncated to 16 bytes, over a domain label,
//! the fields above, the algorithm token and the realm, so a nonce is bound to the realm and
//! the algorithm it was issued for (no downgrade). The server keeps no state per challenge.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::algorithm::Algorithm;

/// Length of the truncated MAC in a nonce.
pub const MAC_LEN: usize = 16;
const PLAIN_LEN: usize = 8 + 16 + MAC_LEN;
const AKA_LEN: usize = 16 + 16 + 8 + MAC_LEN;
/// Longest nonce text accepted before decoding (hostile input is cut off early).
const MAX_NONCE_TEXT: usize = 128;

/// The HMAC key behind nonces and opaque values. `Debug` does not show it.
#[derive(Clone)]
pub struct NonceKey {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NonceKey(<secret>)")
    }
}

/// Builds an HMAC from a key of any length. HMAC (RFC 2104 §2) zero-pads keys up to the
/// 64-byte block and hashes longer ones first; doing it here keeps construction infallible.
fn hmac_block_key<M, D>(key: &[u8]) -> M
where
    M: Mac + hmac::digest::KeyInit,
    D: Digest,
{
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        let h = D::digest(key);
        for (dst, src) in block.iter_mut().zip(h.iter()) {
            *dst = *src;
        }
    } else {
        for (dst, src) in block.iter_mut().zip(key) {
            *dst = *src;
        }
    }
    let mut key_block = hmac::digest::Key::<M>::default();
    for (dst, src) in key_block.iter_mut().zip(block.iter()) {
        *dst = *src;
    }
    <M as hmac::digest::KeyInit>::new(&key_block)
}

/// HMAC-MD5 with an arbitrary key (RFC 4169 PRF).
pub(crate) fn hmac_md5(key: &[u8], data: &[u8]) -> [u8; 16] {
    let mut m = hmac_block_key::<Hmac<md5::Md5>, md5::Md5>(key);
    m.update(data);
    let out = m.finalize().into_bytes();
    let mut r = [0u8; 16];
    for (dst, src) in r.iter_mut().zip(out.iter()) {
        *dst = *src;
    }
    r
}

/// What a genuine nonce carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceInfo {
    /// Issue time (unix seconds).
    pub issued: u64,
    /// The MAC: unique per nonce, used as the replay-table key.
    pub mac: [u8; MAC_LEN],
    /// For AKA nonces, RAND and AUTN.
    pub aka: Option<([u8; 16], [u8; 16])>,
}

impl NonceKey {
    /// A key from the server secret (any length; 32 random bytes recommended). Servers that
    /// share this secret accept each other's nonces.
    pub fn new(secret: &[u8]) -> Self {
        Self {
            mac: hmac_block_key::<Hmac<Sha256>, Sha256>(secret),
        }
    }

    fn tag(
        &self,
        label: &[u8],
        fields: &[&[u8]],
        algorithm: Algorithm,
        realm: &str,
    ) -> [u8; MAC_LEN] {
        let mut m = self.mac.clone();
        m.update(label);
        for f in fields {
            m.update(f);
        }
        m.update(algorithm.as_str().as_bytes());
        m.update(&[0]);
        m.update(realm.as_bytes());
        let full = m.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        for (dst, src) in out.iter_mut().zip(full.iter()) {
            *dst = *src;
        }
        out
    }

    /// A plain nonce issued at `now` with caller-supplied `random` bytes.
    pub fn issue(&self, now: u64, random: [u8; 16], realm: &str, algorithm: Algorithm) -> String {
        let ts = now.to_be_bytes();
        let mac = self.tag(b"nonce\0", &[&ts, &random], algorithm, realm);
        let mut raw = [0u8; PLAIN_LEN];
        let parts: [&[u8]; 3] = [&ts, &random, &mac];
        fill(&mut raw, &parts);
        STANDARD.encode(raw)
    }

    /// An AKA nonce (RFC 3310 §3.2): RAND and AUTN first, then our timestamp and MAC.
    pub fn issue_aka(
        &self,
        now: u64,
        rand: [u8; 16],
        autn: [u8; 16],
        realm: &str,
        algorithm: Algorithm,
    ) -> String {
        let ts = now.to_be_bytes();
        let mac = self.tag(b"aka\0", &[&rand, &autn, &ts], algorithm, realm);
        let mut raw = [0u8; AKA_LEN];
        let parts: [&[u8]; 4] = [&rand, &autn, &ts, &mac];
        fill(&mut raw, &parts);
        STANDARD.encode(raw)
    }

    /// Checks a received nonce for `realm` and `algorithm`; `None` if it is malformed or its
    /// MAC does not verify (forged, or issued for another realm, algorithm or secret).
    pub fn open(&self, nonce: &str, realm: &str, algorithm: Algorithm) -> Option<NonceInfo> {
        if nonce.len() > MAX_NONCE_TEXT {
            return None;
        }
        let mut raw = [0u8; 96];
        let n = STANDARD.decode_slice(nonce.as_bytes(), &mut raw).ok()?;
        let raw = raw.get(..n)?;
        if algorithm.is_aka() {
            if raw.len() != AKA_LEN {
                return None;
            }
            let rand: [u8; 16] = raw.get(0..16)?.try_into().ok()?;
            let autn: [u8; 16] = raw.get(16..32)?.try_into().ok()?;
            let ts: [u8; 8] = raw.get(32..40)?.try_into().ok()?;
            let mac: [u8; MAC_LEN] = raw.get(40..)?.try_into().ok()?;
            let want = self.tag(b"aka\0", &[&rand, &autn, &ts], algorithm, realm);
            ct_eq(&want, &mac).then_some(NonceInfo {
                issued: u64::from_be_bytes(ts),
                mac,
                aka: Some((rand, autn)),
            })
        } else {
            if raw.len() != PLAIN_LEN {
                return None;
            }
            let ts: [u8; 8] = raw.get(0..8)?.try_into().ok()?;
            let random: [u8; 16] = raw.get(8..24)?.try_into().ok()?;
            let mac: [u8; MAC_LEN] = raw.get(24..)?.try_into().ok()?;
            let want = self.tag(b"nonce\0", &[&ts, &random], algorithm, realm);
            ct_eq(&want, &mac).then_some(NonceInfo {
                issued: u64::from_be_bytes(ts),
                mac,
                aka: None,
            })
        }
    }

    /// The `opaque` value for `realm`: stable, so it needs no state (RFC 7616 §3.3).
    pub fn opaque(&self, realm: &str) -> String {
        let mac = self.tag(b"opaque\0", &[], Algorithm::Md5, realm);
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(16);
        for b in mac.iter().take(8) {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        out
    }
}

fn fill(out: &mut [u8], parts: &[&[u8]]) {
    let mut it = out.iter_mut();
    for p in parts {
        // `p` first: zip stops on it without consuming an extra slot of `out`.
        for (src, dst) in p.iter().zip(it.by_ref()) {
            *dst = *src;
        }
    }
}

/// Constant-time equality for equal-length byte strings.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const REALM: &str = "ims.example.net";

    #[test]
    fn issued_nonce_opens_with_its_time() {
        let k = NonceKey::new(b"secret");
        let n = k.issue(1_700_000_000, [7; 16], REALM, Algorithm::Md5);
        let info = k.open(&n, REALM, Algorithm::Md5).expect("genuine");
        assert_eq!(info.issued, 1_700_000_000);
        assert_eq!(info.aka, None);
        // Distinct random bytes give distinct nonces and MACs.
        let n2 = k.issue(1_700_000_000, [8; 16], REALM, Algorithm::Md5);
        assert_ne!(n, n2);
        assert_ne!(
            k.open(&n2, REALM, Algorithm::Md5).map(|i| i.mac),
            Some(info.mac)
        );
    }

    #[test]
    fn forged_or_rebound_nonces_fail() {
        let k = NonceKey::new(b"secret");
        let n = k.issue(100, [1; 16], REALM, Algorithm::Sha256);
        assert!(k.open(&n, "other.realm", Algorithm::Sha256).is_none());
        assert!(k.open(&n, REALM, Algorithm::Md5).is_none());
        assert!(NonceKey::new(b"other")
            .open(&n, REALM, Algorithm::Sha256)
            .is_none());
        // Flip one bit of the timestamp.
        let mut raw = STANDARD.decode(&n).expect("base64");
        if let Some(b) = raw.get_mut(7) {
            *b ^= 1;
        }
        assert!(k
            .open(&STANDARD.encode(&raw), REALM, Algorithm::Sha256)
            .is_none());
        for junk in [
            "",
            "!!!",
            "AAAA",
            &"A".repeat(500),
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        ] {
            assert!(k.open(junk, REALM, Algorithm::Sha256).is_none(), "{junk}");
        }
    }

    #[test]
    fn aka_nonce_carries_rand_and_autn() {
        let k = NonceKey::new(&[0x42; 100]);
        let n = k.issue_aka(5, [1; 16], [2; 16], REALM, Algorithm::AkaV1Md5);
        let info = k.open(&n, REALM, Algorithm::AkaV1Md5).expect("genuine");
        assert_eq!(info.aka, Some(([1; 16], [2; 16])));
        assert_eq!(info.issued, 5);
        let raw = STANDARD.decode(&n).expect("base64");
        assert_eq!(raw.get(..16), Some(&[1u8; 16][..]));
        assert!(k.open(&n, REALM, Algorithm::AkaV2Md5).is_none());
        assert!(k.open(&n, REALM, Algorithm::Md5).is_none());
    }

    #[test]
    fn hmac_md5_matches_rfc2104_vector() {
        // RFC 2104 Appendix / RFC 2202 test case 2: key "Jefe".
        let mac = hmac_md5(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "750c783e6ab0b503eaa86e310a5db738");
    }

    #[test]
    fn opaque_is_stable_per_realm() {
        let k = NonceKey::new(b"s");
        assert_eq!(k.opaque(REALM), k.opaque(REALM));
        assert_ne!(k.opaque(REALM), k.opaque("x"));
        assert_eq!(k.opaque(REALM).len(), 16);
    }
}
