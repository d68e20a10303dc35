//! HA1, HA2 and request-digest computation (RFC 7616 §3.4.1–§3.4.3, RFC 2069 compatibility
//! when `qop` is absent) and the constant-time comparison used to check a response.

use super::algorithm::{hash_parts, Algorithm, HashKind, HexDigest};

/// Quality of protection chosen for one response (RFC 7616 §3.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qop<'a> {
    /// No `qop` (RFC 2069 compatibility): `response = KD(HA1, nonce ":" HA2)`.
    None,
    /// `qop=auth` with the client's nonce-count and cnonce.
    Auth {
        /// nonce-count.
        nc: u32,
        /// client nonce.
        cnonce: &'a str,
    },
    /// `qop=auth-int`: like `auth`, and HA2 also covers `H(entity-body)`.
    AuthInt {
        /// nonce-count.
        nc: u32,
        /// client nonce.
        cnonce: &'a str,
        /// the message body.
        body: &'a [u8],
    },
}

impl Qop<'_> {
    /// The `qop` token, if any.
    pub fn token(&self) -> Option<&'static str> {
        match self {
            Qop::None => None,
            Qop::Auth { .. } => Some("auth"),
            Qop::AuthInt { .. } => Some("auth-int"),
        }
    }

    fn nc_cnonce(&self) -> Option<(u32, &str)> {
        match *self {
            Qop::None => None,
            Qop::Auth { nc, cnonce } | Qop::AuthInt { nc, cnonce, .. } => Some((nc, cnonce)),
        }
    }
}

/// `H(username ":" realm ":" password)`: the stored form of a password (RFC 7616 §3.4.2).
pub fn ha1_plain(algorithm: Algorithm, username: &str, realm: &str, password: &[u8]) -> HexDigest {
    hash_parts(
        algorithm.hash(),
        &[username.as_bytes(), realm.as_bytes(), password],
    )
}

/// HA1 for `algorithm` from a plain HA1 (`H(username:realm:password)`): unchanged, or for the
/// `-sess` variants `H(H(username:realm:password) ":" nonce ":" cnonce)` (RFC 7616 §3.4.2).
pub fn ha1_for(algorithm: Algorithm, plain: &HexDigest, nonce: &str, cnonce: &str) -> HexDigest {
    if algorithm.is_session() {
        hash_parts(
            algorithm.hash(),
            &[plain.as_bytes(), nonce.as_bytes(), cnonce.as_bytes()],
        )
    } else {
        *plain
    }
}

/// HA2 = `H(method ":" uri)`, or with auth-int `H(method ":" uri ":" H(body))` (RFC 7616
/// §3.4.3). An empty `method` gives the Authentication-Info `rspauth` form (RFC 7616 §3.5).
pub fn ha2(hash: HashKind, method: &str, uri: &str, qop: &Qop<'_>) -> HexDigest {
    match qop {
        Qop::AuthInt { body, .. } => {
            let body_hash = hash_parts(hash, &[body]);
            hash_parts(
                hash,
                &[method.as_bytes(), uri.as_bytes(), body_hash.as_bytes()],
            )
        }
        _ => hash_parts(hash, &[method.as_bytes(), uri.as_bytes()]),
    }
}

/// request-digest = `KD(HA1, nonce ":" nc ":" cnonce ":" qop ":" HA2)`, or without qop
/// `KD(HA1, nonce ":" HA2)` (RFC 7616 §3.4.1, RFC 2069 §2.1.2).
pub fn request_digest(
    hash: HashKind,
    ha1: &HexDigest,
    nonce: &str,
    qop: &Qop<'_>,
    ha2: &HexDigest,
) -> HexDigest {
    match (qop.nc_cnonce(), qop.token()) {
        (Some((nc, cnonce)), Some(token)) => {
            let nc_hex = format_nc(nc);
            hash_parts(
                hash,
                &[
                    ha1.as_bytes(),
                    nonce.as_bytes(),
                    &nc_hex,
                    cnonce.as_bytes(),
                    token.as_bytes(),
                    ha2.as_bytes(),
                ],
            )
        }
        _ => hash_parts(hash, &[ha1.as_bytes(), nonce.as_bytes(), ha2.as_bytes()]),
    }
}

/// The inputs of one digest response.
#[derive(Debug, Clone, Copy)]
pub struct ResponseInput<'a> {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The plain HA1 (`H(username:realm:password)`), before any `-sess` step.
    pub ha1: HexDigest,
    /// The server nonce.
    pub nonce: &'a str,
    /// The request method (empty for `rspauth`).
    pub method: &'a str,
    /// The digest-uri.
    pub uri: &'a str,
    /// The qop and its parameters.
    pub qop: Qop<'a>,
}

/// The full response computation: HA1 (with `-sess`), HA2, request-digest.
pub fn compute_response(input: &ResponseInput<'_>) -> HexDigest {
    let hash = input.algorithm.hash();
    let cnonce = input.qop.nc_cnonce().map_or("", |(_, c)| c);
    let ha1 = ha1_for(input.algorithm, &input.ha1, input.nonce, cnonce);
    let ha2 = ha2(hash, input.method, input.uri, &input.qop);
    request_digest(hash, &ha1, input.nonce, &input.qop, &ha2)
}

/// 8 lowercase hex digits (RFC 7616 §3.4 nc-value), without allocating.
pub fn format_nc(nc: u32) -> [u8; 8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 8];
    for (i, o) in out.iter_mut().enumerate() {
        let shift = 28 - 4 * i;
        *o = HEX[((nc >> shift) & 0xf) as usize];
    }
    out
}

/// Compares two byte strings in time that depends only on their lengths. Hex responses are
/// compared case-insensitively (RFC 7616 §3.4.1 says lowercase, some clients send upper case).
pub fn hex_eq_ct(expected: &[u8], received: &[u8]) -> bool {
    if expected.len() != received.len() {
        return false;
    }
    let diff = expected
        .iter()
        .zip(received)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b.to_ascii_lowercase()));
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nc_is_eight_lowercase_hex_digits() {
        assert_eq!(&format_nc(1), b"00000001");
        assert_eq!(&format_nc(0xdead_beef), b"deadbeef");
        assert_eq!(&format_nc(u32::MAX), b"ffffffff");
    }

    #[test]
    fn constant_time_compare() {
        assert!(hex_eq_ct(b"abc0", b"abc0"));
        assert!(hex_eq_ct(b"abc0", b"ABC0"));
        assert!(!hex_eq_ct(b"abc0", b"abc1"));
        assert!(!hex_eq_ct(b"abc0", b"abc"));
        assert!(!hex_eq_ct(b"", b"a"));
    }

    #[test]
    fn rfc2617_section_3_5_example() {
        // RFC 2617 §3.5: Mufasa / "Circle Of Life", GET /dir/index.html.
        let ha1 = ha1_plain(
            Algorithm::Md5,
            "Mufasa",
            "testrealm@host.com",
            b"Circle Of Life",
        );
        let r = compute_response(&ResponseInput {
            algorithm: Algorithm::Md5,
            ha1,
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            method: "GET",
            uri: "/dir/index.html",
            qop: Qop::Auth {
                nc: 1,
                cnonce: "0a4f113b",
            },
        });
        assert_eq!(r.as_str(), "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn sess_changes_ha1_only_for_sess() {
        let plain = ha1_plain(Algorithm::Sha256, "u", "r", b"p");
        assert_eq!(ha1_for(Algorithm::Sha256, &plain, "n", "c"), plain);
        let sess = ha1_for(Algorithm::Sha256Sess, &plain, "n", "c");
        assert_ne!(sess, plain);
        assert_eq!(
            sess,
            hash_parts(HashKind::Sha256, &[plain.as_bytes(), b"n", b"c"])
        );
    }

    #[test]
    fn auth_int_covers_the_body() {
        let a = ha2(
            HashKind::Md5,
            "INVITE",
            "sip:a@b",
            &Qop::AuthInt {
                nc: 1,
                cnonce: "c",
                body: b"v=0",
            },
        );
        let b = ha2(
            HashKind::Md5,
            "INVITE",
            "sip:a@b",
            &Qop::AuthInt {
                nc: 1,
                cnonce: "c",
                body: b"v=1",
            },
        );
        let plain = ha2(
            HashKind::Md5,
            "INVITE",
            "sip:a@b",
            &Qop::Auth { nc: 1, cnonce: "c" },
        );
        assert_ne!(a, b);
        assert_ne!(a, plain);
    }
}
