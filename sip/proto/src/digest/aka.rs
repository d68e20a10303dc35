//! Digest AKA helpers (RFC 3310 AKAv1-MD5, RFC 4169 AKAv2-MD5): the password derived from an
//! AKA vector, RAND/AUTN in a nonce, and the AUTS of a resynchronisation request.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::algorithm::Algorithm;
use super::nonce::hmac_md5;
use super::DigestError;

/// Length of AUTS (TS 33.102 §6.3.3: SQN_MS ⊕ AK (6) ‖ MAC-S (8)).
pub const AUTS_LEN: usize = 14;

/// The RFC 4169 §3 AKAv2 password: `base64(PRF(RES ‖ IK ‖ CK, "http-digest-akav2-password"))`
/// with PRF = HMAC-MD5 for AKAv2-MD5. The server uses XRES in place of RES.
pub fn akav2_password(res: &[u8], ik: &[u8; 16], ck: &[u8; 16]) -> String {
    let mut key = Vec::with_capacity(res.len() + 32);
    key.extend_from_slice(res);
    key.extend_from_slice(ik);
    key.extend_from_slice(ck);
    STANDARD.encode(hmac_md5(&key, b"http-digest-akav2-password"))
}

/// The digest password for an AKA algorithm: RES itself for AKAv1 (RFC 3310 §3.3), the
/// derived string for AKAv2 (RFC 4169 §3). Other algorithms are not AKA.
pub fn aka_password(
    algorithm: Algorithm,
    res: &[u8],
    ik: &[u8; 16],
    ck: &[u8; 16],
) -> Result<Vec<u8>, DigestError> {
    match algorithm {
        Algorithm::AkaV1Md5 => Ok(res.to_vec()),
        Algorithm::AkaV2Md5 => Ok(akav2_password(res, ik, ck).into_bytes()),
        _ => Err(DigestError::UnsupportedAlgorithm),
    }
}

/// RAND and AUTN from the start of any AKA nonce (RFC 3310 §3.2:
/// `nonce = base64(RAND ‖ AUTN ‖ server specific data)`), for the UE side.
pub fn rand_autn(nonce: &str) -> Option<([u8; 16], [u8; 16])> {
    if nonce.len() > 256 {
        return None;
    }
    let raw = STANDARD.decode(nonce).ok()?;
    let rand: [u8; 16] = raw.get(0..16)?.try_into().ok()?;
    let autn: [u8; 16] = raw.get(16..32)?.try_into().ok()?;
    Some((rand, autn))
}

/// Decodes the `auts` parameter (base64 of 14 bytes, RFC 3310 §3.4).
pub fn decode_auts(auts: &str) -> Option<[u8; AUTS_LEN]> {
    if auts.len() > 64 {
        return None;
    }
    let raw = STANDARD.decode(auts).ok()?;
    raw.as_slice().try_into().ok()
}

/// Encodes AUTS for the `auts` parameter.
pub fn encode_auts(auts: &[u8; AUTS_LEN]) -> String {
    STANDARD.encode(auts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn akav1_password_is_res() {
        let p = aka_password(Algorithm::AkaV1Md5, &[1, 2, 3, 4], &[0; 16], &[0; 16]);
        assert_eq!(p, Ok(vec![1, 2, 3, 4]));
        assert_eq!(
            aka_password(Algorithm::Md5, &[1], &[0; 16], &[0; 16]),
            Err(DigestError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn akav2_password_is_base64_hmac_md5() {
        let p = akav2_password(&[0xaa; 8], &[0x11; 16], &[0x22; 16]);
        // 16 bytes of HMAC-MD5 → 24 base64 characters ending in "==".
        assert_eq!(p.len(), 24);
        assert!(p.ends_with("=="));
        let mut key = vec![0xaa; 8];
        key.extend_from_slice(&[0x11; 16]);
        key.extend_from_slice(&[0x22; 16]);
        assert_eq!(
            p,
            STANDARD.encode(hmac_md5(&key, b"http-digest-akav2-password"))
        );
        // Any change to RES, IK or CK changes the password.
        assert_ne!(p, akav2_password(&[0xab; 8], &[0x11; 16], &[0x22; 16]));
        assert_ne!(p, akav2_password(&[0xaa; 8], &[0x12; 16], &[0x22; 16]));
        assert_ne!(p, akav2_password(&[0xaa; 8], &[0x11; 16], &[0x23; 16]));
    }

    #[test]
    fn rand_autn_and_auts() {
        let mut raw = vec![1u8; 16];
        raw.extend_from_slice(&[2u8; 16]);
        raw.extend_from_slice(b"server data");
        assert_eq!(rand_autn(&STANDARD.encode(&raw)), Some(([1; 16], [2; 16])));
        assert_eq!(rand_autn(&STANDARD.encode([1u8; 31])), None);
        assert_eq!(rand_autn("not base64!"), None);
        let auts = [9u8; AUTS_LEN];
        assert_eq!(decode_auts(&encode_auts(&auts)), Some(auts));
        assert_eq!(decode_auts(&STANDARD.encode([9u8; 13])), None);
        assert_eq!(decode_auts("%%%"), None);
    }
}
