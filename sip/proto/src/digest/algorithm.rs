//! Digest algorithms (RFC 7616 §3.3 and §6.1 registry, RFC 8760; RFC 3310 §3.1 AKAv1-MD5,
//! RFC 4169 §3 AKAv2-MD5) and the hex-encoded hash they use.

use std::fmt;
use std::str::FromStr;

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

use super::DigestError;

/// A digest `algorithm` value. An absent `algorithm` parameter means [`Algorithm::Md5`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5` (RFC 7616 §3.4.2; RFC 2617 default).
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256` (RFC 7616).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256` (SHA-512/256, RFC 7616).
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
    /// `AKAv1-MD5` (RFC 3310 §3.1): the password is the AKA RES.
    AkaV1Md5,
    /// `AKAv2-MD5` (RFC 4169 §3): the password is derived from RES, IK and CK.
    AkaV2Md5,
}

/// The hash function behind an [`Algorithm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashKind {
    /// MD5, 32 hex digits.
    Md5,
    /// SHA-256, 64 hex digits.
    Sha256,
    /// SHA-512/256, 64 hex digits.
    Sha512_256,
}

impl HashKind {
    /// Length of the lowercase hex output.
    pub const fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha256 | Self::Sha512_256 => 64,
        }
    }
}

impl Algorithm {
    /// Every algorithm, in registry order.
    pub const ALL: [Self; 8] = [
        Self::Md5,
        Self::Md5Sess,
        Self::Sha256,
        Self::Sha256Sess,
        Self::Sha512_256,
        Self::Sha512_256Sess,
        Self::AkaV1Md5,
        Self::AkaV2Md5,
    ];

    /// Parses an `algorithm` token, case-insensitively.
    pub fn parse(token: &str) -> Result<Self, DigestError> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(token))
            .ok_or(DigestError::UnsupportedAlgorithm)
    }

    /// The token as registered (e.g. `SHA-512-256-sess`, `AKAv1-MD5`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Md5Sess => "MD5-sess",
            Self::Sha256 => "SHA-256",
            Self::Sha256Sess => "SHA-256-sess",
            Self::Sha512_256 => "SHA-512-256",
            Self::Sha512_256Sess => "SHA-512-256-sess",
            Self::AkaV1Md5 => "AKAv1-MD5",
            Self::AkaV2Md5 => "AKAv2-MD5",
        }
    }

    /// The hash function used for HA1, HA2 and the response.
    pub const fn hash(self) -> HashKind {
        match self {
            Self::Md5 | Self::Md5Sess | Self::AkaV1Md5 | Self::AkaV2Md5 => HashKind::Md5,
            Self::Sha256 | Self::Sha256Sess => HashKind::Sha256,
            Self::Sha512_256 | Self::Sha512_256Sess => HashKind::Sha512_256,
        }
    }

    /// True for the `-sess` variants (RFC 7616 §3.4.2: HA1 also covers nonce and cnonce).
    pub const fn is_session(self) -> bool {
        matches!(
            self,
            Self::Md5Sess | Self::Sha256Sess | Self::Sha512_256Sess
        )
    }

    /// True for the AKA algorithms (RFC 3310, RFC 4169).
    pub const fn is_aka(self) -> bool {
        matches!(self, Self::AkaV1Md5 | Self::AkaV2Md5)
    }

    /// True where a response without `qop` (RFC 2069 compatibility) is defined: MD5 and AKA.
    pub const fn allows_rfc2069(self) -> bool {
        matches!(self, Self::Md5 | Self::AkaV1Md5 | Self::AkaV2Md5)
    }
}

impl FromStr for Algorithm {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lowercase hex digest held inline (no allocation). `Debug` does not show the value: an HA1
/// is as good as the password.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HexDigest {
    buf: [u8; 64],
    len: u8,
}

impl HexDigest {
    fn from_bytes(bytes: &[u8]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 64];
        let mut len = 0u8;
        for (pair, b) in buf.chunks_exact_mut(2).zip(bytes) {
            if let [hi, lo] = pair {
                *hi = HEX[usize::from(b >> 4)];
                *lo = HEX[usize::from(b & 0x0f)];
                len += 2;
            }
        }
        Self { buf, len }
    }

    /// Wraps an existing hex string (e.g. a stored HA1) if it has `hash`'s length and only hex
    /// digits; upper-case digits are lowered.
    pub fn from_hex(hash: HashKind, hex: &str) -> Option<Self> {
        if hex.len() != hash.hex_len() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut buf = [0u8; 64];
        for (dst, src) in buf.iter_mut().zip(hex.bytes()) {
            *dst = src.to_ascii_lowercase();
        }
        Some(Self {
            buf,
            len: u8::try_from(hex.len()).ok()?,
        })
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        self.buf
            .get(..usize::from(self.len))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The hex text as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_str().as_bytes()
    }
}

impl fmt::Debug for HexDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HexDigest(<{} hex digits>)", self.len)
    }
}

fn hash_with<D: Digest>(parts: &[&[u8]]) -> HexDigest {
    let mut d = D::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            d.update(b":");
        }
        d.update(p);
    }
    HexDigest::from_bytes(&d.finalize())
}

/// `H(p1 ":" p2 ":" ...)` in lowercase hex (RFC 7616 §3.4: `KD(secret, data) = H(secret ":"
/// data)`).
pub fn hash_parts(hash: HashKind, parts: &[&[u8]]) -> HexDigest {
    match hash {
        HashKind::Md5 => hash_with::<Md5>(parts),
        HashKind::Sha256 => hash_with::<Sha256>(parts),
        HashKind::Sha512_256 => hash_with::<Sha512_256>(parts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_case_insensitively() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::parse(a.as_str()), Ok(a));
            assert_eq!(Algorithm::parse(&a.as_str().to_ascii_lowercase()), Ok(a));
            assert_eq!(a.to_string(), a.as_str());
        }
        assert_eq!(
            "sha-512-256-SESS".parse::<Algorithm>(),
            Ok(Algorithm::Sha512_256Sess)
        );
        assert_eq!(
            Algorithm::parse("SHA-1"),
            Err(DigestError::UnsupportedAlgorithm)
        );
        assert_eq!(Algorithm::parse(""), Err(DigestError::UnsupportedAlgorithm));
    }

    #[test]
    fn hashes_match_known_values() {
        // FIPS 180 / RFC 1321 test strings ("abc").
        assert_eq!(
            hash_parts(HashKind::Md5, &[b"abc"]).as_str(),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hash_parts(HashKind::Sha256, &[b"abc"]).as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hash_parts(HashKind::Sha512_256, &[b"abc"]).as_str(),
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
        );
        assert_eq!(
            hash_parts(HashKind::Md5, &[b"a", b"bc"]),
            hash_parts(HashKind::Md5, &[b"a:bc"])
        );
    }

    #[test]
    fn hex_digest_from_hex_checks_length_and_digits() {
        let h = HexDigest::from_hex(HashKind::Md5, "900150983CD24FB0D6963F7D28E17F72");
        assert_eq!(
            h.map(|h| h.as_str().to_owned()).as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
        assert!(HexDigest::from_hex(HashKind::Md5, "00").is_none());
        assert!(
            HexDigest::from_hex(HashKind::Sha256, "900150983cd24fb0d6963f7d28e17f72").is_none()
        );
        assert!(HexDigest::from_hex(HashKind::Md5, "z00150983cd24fb0d6963f7d28e17f72").is_none());
        assert!(!format!("{:?}", hash_parts(HashKind::Md5, &[b"abc"])).contains("9001"));
    }
}
