//! The UA side: answer a challenge with an Authorization / Proxy-Authorization value (RFC 7616
//! §3.4, RFC 3261 §22.2; RFC 3310 §3.3–§3.4 for AKA).

use std::fmt;

use sip_types::auth::{format_nc, AuthHeaderWriter, Challenge};

use super::aka::{encode_auts, AUTS_LEN};
use super::algorithm::Algorithm;
use super::response::{compute_response, ha1_plain, Qop, ResponseInput};
use super::DigestError;

/// A user's digest credentials. For AKAv1 the password is RES; for AKAv2 it is
/// [`super::akav2_password`] of RES, IK and CK. `Debug` hides the password.
#[derive(Clone, Copy)]
pub struct DigestClient<'a> {
    username: &'a str,
    password: &'a [u8],
}

impl fmt::Debug for DigestClient<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestClient")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl<'a> DigestClient<'a> {
    /// Credentials for `username` (the IMPI in IMS) with `password`.
    pub fn new(username: &'a str, password: &'a [u8]) -> Self {
        Self { username, password }
    }

    /// The Authorization value answering `challenge` for a request with `method` and `uri`,
    /// using `cnonce` and nonce-count `nc` (RFC 7616 §3.4). Uses `qop=auth` when offered and
    /// the RFC 2069 form when the challenge has no `qop`.
    pub fn authorization(
        &self,
        challenge: &Challenge<'_>,
        method: &str,
        uri: &str,
        cnonce: &str,
        nc: u32,
    ) -> Result<String, DigestError> {
        let answer = Answer {
            method,
            uri,
            cnonce,
            nc,
            body: None,
        };
        self.build(challenge, &answer, self.password, None)
    }

    /// Like [`DigestClient::authorization`], but uses `qop=auth-int` over `body` when the
    /// challenge offers it (RFC 7616 §3.4.3), `auth` otherwise.
    pub fn authorization_with_body(
        &self,
        challenge: &Challenge<'_>,
        method: &str,
        uri: &str,
        body: &[u8],
        cnonce: &str,
        nc: u32,
    ) -> Result<String, DigestError> {
        let answer = Answer {
            method,
            uri,
            cnonce,
            nc,
            body: Some(body),
        };
        self.build(challenge, &answer, self.password, None)
    }

    /// An AKA synchronisation-failure answer (RFC 3310 §3.4): `auts` plus a response computed
    /// with an empty password.
    pub fn aka_resync_authorization(
        &self,
        challenge: &Challenge<'_>,
        method: &str,
        uri: &str,
        cnonce: &str,
        nc: u32,
        auts: &[u8; AUTS_LEN],
    ) -> Result<String, DigestError> {
        let answer = Answer {
            method,
            uri,
            cnonce,
            nc,
            body: None,
        };
        self.build(challenge, &answer, b"", Some(auts))
    }

    fn build(
        &self,
        challenge: &Challenge<'_>,
        answer: &Answer<'_>,
        password: &[u8],
        auts: Option<&[u8; AUTS_LEN]>,
    ) -> Result<String, DigestError> {
        let Answer {
            method,
            uri,
            cnonce,
            nc,
            body,
        } = *answer;
        if !challenge.scheme().is_digest() {
            return Err(DigestError::NotDigest);
        }
        let realm = challenge.realm().ok_or(DigestError::Missing("realm"))?;
        let nonce = challenge.nonce().ok_or(DigestError::Missing("nonce"))?;
        let algorithm = challenge
            .algorithm()
            .map_or(Ok(Algorithm::Md5), Algorithm::parse)?;
        if auts.is_some() && !algorithm.is_aka() {
            return Err(DigestError::UnsupportedAlgorithm);
        }
        let qop = if let (Some(body), true) = (body, challenge.offers_qop("auth-int")) {
            Qop::AuthInt { nc, cnonce, body }
        } else if challenge.offers_qop("auth") {
            Qop::Auth { nc, cnonce }
        } else if challenge.qop().is_none() {
            Qop::None
        } else {
            return Err(DigestError::UnsupportedQop);
        };
        let ha1 = ha1_plain(algorithm, self.username, realm, password);
        let response = compute_response(&ResponseInput {
            algorithm,
            ha1,
            nonce,
            method,
            uri,
            qop,
        });
        let mut w = AuthHeaderWriter::new("Digest");
        w.quoted("username", self.username)
            .quoted("realm", realm)
            .quoted("nonce", nonce)
            .quoted("uri", uri)
            .quoted("response", response.as_str())
            .token("algorithm", algorithm.as_str());
        if let (Qop::Auth { nc, cnonce } | Qop::AuthInt { nc, cnonce, .. }, Some(token)) =
            (qop, qop.token())
        {
            w.quoted("cnonce", cnonce)
                .token("qop", token)
                .token("nc", &format_nc(nc));
        }
        if let Some(opaque) = challenge.opaque() {
            w.quoted("opaque", opaque);
        }
        if let Some(auts) = auts {
            w.quoted("auts", &encode_auts(auts));
        }
        Ok(w.finish())
    }
}

/// The request-side inputs of one answer.
#[derive(Clone, Copy)]
struct Answer<'a> {
    method: &'a str,
    uri: &'a str,
    cnonce: &'a str,
    nc: u32,
    body: Option<&'a [u8]>,
}

#[cfg(test)]
mod tests {
    use sip_types::auth::Credentials;

    use super::*;

    #[test]
    fn rfc2617_example_header() {
        // RFC 2617 §3.5.
        let ch = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", \
             opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .expect("parses");
        let v = DigestClient::new("Mufasa", b"Circle Of Life")
            .authorization(&ch, "GET", "/dir/index.html", "0a4f113b", 1)
            .expect("answers");
        let c = Credentials::parse(&v).expect("parses");
        assert_eq!(c.response(), Some("6629fae49393a05397450978507c4ef1"));
        assert_eq!(c.nc(), Some(1));
        assert_eq!(c.qop(), Some("auth"));
        assert_eq!(c.opaque(), Some("5ccc069c403ebaf9f0171e9517f40e41"));
        assert_eq!(c.algorithm(), Some("MD5"));
    }

    #[test]
    fn only_auth_int_offered_is_unsupported() {
        let ch =
            Challenge::parse("Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"").expect("parses");
        assert_eq!(
            DigestClient::new("u", b"p").authorization(&ch, "GET", "/", "c", 1),
            Err(DigestError::UnsupportedQop)
        );
        let ch = Challenge::parse("Digest realm=\"r\"").expect("parses");
        assert_eq!(
            DigestClient::new("u", b"p").authorization(&ch, "GET", "/", "c", 1),
            Err(DigestError::Missing("nonce"))
        );
        let ch =
            Challenge::parse("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-1").expect("parses");
        assert_eq!(
            DigestClient::new("u", b"p").authorization(&ch, "GET", "/", "c", 1),
            Err(DigestError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn debug_hides_password() {
        let s = format!("{:?}", DigestClient::new("u", b"c4nary"));
        assert!(!s.contains("c4nary"));
    }
}
