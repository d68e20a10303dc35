//! The registrar / proxy side: build challenges and verify credentials (RFC 7616 §3.3–§3.5,
//! RFC 3261 §22.3–§22.4, RFC 3310 §3.2–§3.4).

use std::fmt;

use sip_types::auth::{format_nc, AuthHeaderWriter, Credentials};

use super::aka::{aka_password, decode_auts, AUTS_LEN};
use super::algorithm::{Algorithm, HexDigest};
use super::nonce::{ct_eq, NonceKey};
use super::replay::{NcCheck, NonceCounts, DEFAULT_CAPACITY};
use super::response::{compute_response, ha1_plain, hex_eq_ct, Qop, ResponseInput};
use super::DigestError;

/// Server settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestConfig {
    /// Seconds a nonce stays fresh; older genuine nonces get `stale=true` (default 300).
    pub nonce_lifetime: u64,
    /// Seconds a nonce's issue time may lie in the future (clock skew between nodes sharing
    /// the secret; default 30).
    pub max_clock_skew: u64,
    /// Nonces tracked for nonce-count replay protection (default 262 144); see
    /// [`super::DEFAULT_CAPACITY`] for sizing.
    pub nc_capacity: usize,
    /// Accept responses without `qop` (RFC 2069) for MD5 and AKA (default true). Such
    /// responses carry no nonce-count, so only the nonce lifetime limits their replay.
    pub allow_rfc2069: bool,
    /// Require the credentials' `uri` to equal the Request-URI (RFC 7616 §3.4.6; default
    /// true). Registrars behind a proxy may turn it off: UEs and test tools (sipp) often put
    /// the address they sent to there, and Kamailio's IMS registrar does not compare. The
    /// response is still computed over the `uri` the client sent, and nonces and nonce-counts
    /// still limit replay.
    pub require_uri_match: bool,
}

impl Default for DigestConfig {
    fn default() -> Self {
        Self {
            nonce_lifetime: 300,
            max_clock_skew: 30,
            nc_capacity: DEFAULT_CAPACITY,
            allow_rfc2069: true,
            require_uri_match: true,
        }
    }
}

/// What the server knows about the user, for the credentials' algorithm.
#[derive(Clone, Copy)]
pub enum Secret<'a> {
    /// The plaintext password.
    Password(&'a [u8]),
    /// A precomputed `H(username:realm:password)` in hex, for the credentials' hash.
    Ha1(&'a str),
    /// An AKA vector from the HSS: XRES (AKAv1 password) plus IK and CK (AKAv2 derives the
    /// password from all three, RFC 4169 §3).
    Aka {
        /// Expected response (4 to 16 bytes).
        xres: &'a [u8],
        /// Integrity key.
        ik: &'a [u8; 16],
        /// Cipher key.
        ck: &'a [u8; 16],
    },
}

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Secret::Password(_) => "Password",
            Secret::Ha1(_) => "Ha1",
            Secret::Aka { .. } => "Aka",
        };
        write!(f, "Secret::{kind}(<redacted>)")
    }
}

/// The request being authenticated and the realm the server expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestRequest<'a> {
    /// The request method (e.g. `REGISTER`).
    pub method: &'a str,
    /// The Request-URI as written; the digest-uri must equal it (RFC 7616 §3.4.6).
    pub request_uri: &'a str,
    /// The realm this server challenges for.
    pub realm: &'a str,
    /// The request body, when the caller accepts `qop=auth-int` (RFC 7616 §3.4.3); `None`
    /// refuses auth-int with [`DigestError::UnsupportedQop`].
    pub body: Option<&'a [u8]>,
}

/// Successful verification details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated {
    /// The algorithm used.
    pub algorithm: Algorithm,
    /// The qop used (`auth`, `auth-int`), or `None` for an RFC 2069 response.
    pub qop: Option<&'static str>,
    /// The nonce-count, when `qop` was used.
    pub nc: Option<u32>,
    /// `rspauth` for Authentication-Info (RFC 7616 §3.5), when `qop` was used.
    pub rspauth: Option<HexDigest>,
}

/// The outcome of a successful [`DigestServer::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// The user proved knowledge of the secret.
    Authenticated(Authenticated),
    /// AKA synchronisation failure (RFC 3310 §3.4): the response was computed with an empty
    /// password and the user is NOT authenticated; fetch a new vector with RAND and AUTS.
    AkaResync {
        /// RAND of the challenge (from the nonce).
        rand: [u8; 16],
        /// AUTS from the client.
        auts: [u8; AUTS_LEN],
    },
}

/// Digest challenge and verification with stateless nonces and nonce-count replay protection.
pub struct DigestServer {
    key: NonceKey,
    config: DigestConfig,
    counts: NonceCounts,
}

impl fmt::Debug for DigestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestServer")
            .field("config", &self.config)
            .field("tracked_nonces", &self.counts.len())
            .finish_non_exhaustive()
    }
}

impl DigestServer {
    /// A server whose nonces are keyed by `secret` (32 random bytes recommended; nodes sharing
    /// it accept each other's nonces).
    pub fn new(secret: &[u8], config: DigestConfig) -> Self {
        Self {
            key: NonceKey::new(secret),
            counts: NonceCounts::new(config.nc_capacity),
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &DigestConfig {
        &self.config
    }

    /// A WWW-Authenticate / Proxy-Authenticate value for a password-based `algorithm`:
    /// `Digest realm, nonce, opaque, algorithm, qop="auth"[, stale=true]`. For the AKA
    /// algorithms use [`DigestServer::challenge_aka`], whose nonce carries RAND and AUTN.
    pub fn challenge(
        &self,
        now: u64,
        random: [u8; 16],
        realm: &str,
        algorithm: Algorithm,
        stale: bool,
    ) -> String {
        let nonce = self.key.issue(now, random, realm, algorithm);
        self.write_challenge(realm, &nonce, algorithm, stale, &[])
    }

    /// An AKA challenge (RFC 3310 §3.2): the nonce is `base64(RAND ‖ AUTN ‖ server data)`.
    /// `extra` quoted params follow (e.g. IMS `ik`/`ck` toward the P-CSCF, TS 24.229 §5.4.1.2).
    #[allow(clippy::too_many_arguments)]
    pub fn challenge_aka(
        &self,
        now: u64,
        rand: [u8; 16],
        autn: [u8; 16],
        realm: &str,
        algorithm: Algorithm,
        stale: bool,
        extra: &[(&str, &str)],
    ) -> String {
        let nonce = self.key.issue_aka(now, rand, autn, realm, algorithm);
        self.write_challenge(realm, &nonce, algorithm, stale, extra)
    }

    fn write_challenge(
        &self,
        realm: &str,
        nonce: &str,
        algorithm: Algorithm,
        stale: bool,
        extra: &[(&str, &str)],
    ) -> String {
        let opaque = self.key.opaque(realm);
        let mut w = AuthHeaderWriter::new("Digest");
        w.quoted("realm", realm)
            .quoted("nonce", nonce)
            .quoted("opaque", &opaque)
            .token("algorithm", algorithm.as_str())
            .quoted("qop", "auth");
        if stale {
            w.token("stale", "true");
        }
        for (name, value) in extra {
            w.quoted(name, value);
        }
        w.finish()
    }

    /// Verifies `credentials` for `request` at `now` (unix seconds) against `secret`.
    ///
    /// Checks, in order: scheme, required parameters, realm, algorithm, digest-uri, nonce MAC,
    /// opaque, qop, the response (constant time), then nonce age (genuine but expired →
    /// [`DigestError::Stale`]) and nonce-count replay. The replay table is only updated by
    /// requests whose response verified, so forged requests cannot poison it.
    pub fn verify(
        &mut self,
        now: u64,
        request: &DigestRequest<'_>,
        credentials: &Credentials<'_>,
        secret: Secret<'_>,
    ) -> Result<Verified, DigestError> {
        if !credentials.is_digest() {
            return Err(DigestError::NotDigest);
        }
        let username = credentials
            .username()
            .ok_or(DigestError::Missing("username"))?;
        let realm = credentials.realm().ok_or(DigestError::Missing("realm"))?;
        let nonce = credentials.nonce().ok_or(DigestError::Missing("nonce"))?;
        let uri = credentials.uri().ok_or(DigestError::Missing("uri"))?;
        let response = credentials
            .response()
            .ok_or(DigestError::Missing("response"))?;
        if realm != request.realm {
            return Err(DigestError::RealmMismatch);
        }
        let algorithm = credentials
            .algorithm()
            .map_or(Ok(Algorithm::Md5), Algorithm::parse)?;
        if self.config.require_uri_match && uri != request.request_uri {
            return Err(DigestError::UriMismatch);
        }
        let info = self
            .key
            .open(nonce, realm, algorithm)
            .ok_or(DigestError::InvalidNonce)?;
        if info.issued > now.saturating_add(self.config.max_clock_skew) {
            return Err(DigestError::InvalidNonce);
        }
        if let Some(opaque) = credentials.opaque() {
            if !ct_eq(opaque.as_bytes(), self.key.opaque(realm).as_bytes()) {
                return Err(DigestError::InvalidNonce);
            }
        }
        let qop = match credentials.qop() {
            None if self.config.allow_rfc2069 && algorithm.allows_rfc2069() => Qop::None,
            None => return Err(DigestError::Missing("qop")),
            Some(q) if q.eq_ignore_ascii_case("auth") => Qop::Auth {
                nc: credentials.nc().ok_or(DigestError::Missing("nc"))?,
                cnonce: credentials.cnonce().ok_or(DigestError::Missing("cnonce"))?,
            },
            Some(q) if q.eq_ignore_ascii_case("auth-int") => match request.body {
                Some(body) => Qop::AuthInt {
                    nc: credentials.nc().ok_or(DigestError::Missing("nc"))?,
                    cnonce: credentials.cnonce().ok_or(DigestError::Missing("cnonce"))?,
                    body,
                },
                None => return Err(DigestError::UnsupportedQop),
            },
            Some(_) => return Err(DigestError::UnsupportedQop),
        };
        let resync = match credentials.auts() {
            None => None,
            Some(a) if algorithm.is_aka() => Some(decode_auts(a).ok_or(DigestError::InvalidAuts)?),
            Some(_) => return Err(DigestError::InvalidAuts),
        };
        let ha1 = if resync.is_some() {
            // RFC 3310 §3.4: with AUTS the response uses an empty password.
            ha1_plain(algorithm, username, realm, b"")
        } else {
            plain_ha1(algorithm, username, realm, secret)?
        };
        let input = ResponseInput {
            algorithm,
            ha1,
            nonce,
            method: request.method,
            uri,
            qop,
        };
        let expected = compute_response(&input);
        if !hex_eq_ct(expected.as_bytes(), response.as_bytes()) {
            return Err(DigestError::BadResponse);
        }
        let expired_before = now.saturating_sub(self.config.nonce_lifetime);
        if info.issued < expired_before {
            return Err(DigestError::Stale);
        }
        let nc = match qop {
            Qop::Auth { nc, .. } | Qop::AuthInt { nc, .. } => {
                match self.counts.check(info.mac, info.issued, nc, expired_before) {
                    NcCheck::Fresh => Some(nc),
                    NcCheck::Replay => return Err(DigestError::Replay),
                    NcCheck::Forgotten => return Err(DigestError::Stale),
                }
            }
            Qop::None => None,
        };
        if let Some(auts) = resync {
            let (rand, _) = info.aka.ok_or(DigestError::InvalidNonce)?;
            return Ok(Verified::AkaResync { rand, auts });
        }
        // rspauth (RFC 7616 §3.5) for qop=auth only: auth-int would need the response body.
        let rspauth = matches!(qop, Qop::Auth { .. }).then(|| {
            compute_response(&ResponseInput {
                method: "",
                ..input
            })
        });
        Ok(Verified::Authenticated(Authenticated {
            algorithm,
            qop: qop.token(),
            nc,
            rspauth,
        }))
    }

    /// An Authentication-Info value proving the server's knowledge of the secret (RFC 7616
    /// §3.5): `rspauth`, `qop`, `cnonce`, `nc`; `None` without qop.
    pub fn authentication_info(
        &self,
        authenticated: &Authenticated,
        credentials: &Credentials<'_>,
    ) -> Option<String> {
        let rspauth = authenticated.rspauth?;
        let nc = authenticated.nc?;
        let cnonce = credentials.cnonce()?;
        let mut w = AuthHeaderWriter::params_only();
        w.token("qop", "auth")
            .quoted("rspauth", rspauth.as_str())
            .quoted("cnonce", cnonce)
            .token("nc", &format_nc(nc));
        Some(w.finish())
    }
}

/// `H(username:realm:password)` from whichever secret the caller has.
fn plain_ha1(
    algorithm: Algorithm,
    username: &str,
    realm: &str,
    secret: Secret<'_>,
) -> Result<HexDigest, DigestError> {
    match secret {
        Secret::Password(p) => Ok(ha1_plain(algorithm, username, realm, p)),
        Secret::Ha1(hex) => {
            HexDigest::from_hex(algorithm.hash(), hex).ok_or(DigestError::InvalidSecret)
        }
        Secret::Aka { xres, ik, ck } => {
            let password = aka_password(algorithm, xres, ik, ck)?;
            Ok(ha1_plain(algorithm, username, realm, &password))
        }
    }
}

#[cfg(test)]
mod tests {
    use sip_types::auth::Challenge;

    use super::*;

    const REALM: &str = "ims.example.net";
    const RURI: &str = "sip:ims.example.net";

    fn request() -> DigestRequest<'static> {
        DigestRequest {
            method: "REGISTER",
            request_uri: RURI,
            realm: REALM,
            body: None,
        }
    }

    #[test]
    fn challenge_has_the_expected_params() {
        let s = DigestServer::new(b"k", DigestConfig::default());
        let v = s.challenge(1000, [3; 16], REALM, Algorithm::Sha256, true);
        let c = Challenge::parse(&v).expect("parses");
        assert_eq!(c.realm(), Some(REALM));
        assert_eq!(c.algorithm(), Some("SHA-256"));
        assert_eq!(c.qop(), Some("auth"));
        assert!(c.stale());
        assert_eq!(c.opaque().map(str::len), Some(16));
        let n = c.nonce().expect("nonce");
        assert!(NonceKey::new(b"k")
            .open(n, REALM, Algorithm::Sha256)
            .is_some());
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = format!("{:?}", Secret::Password(b"hunter2"));
        assert!(!s.contains("hunter2"));
        let s = format!(
            "{:?}",
            DigestServer::new(b"k3y-canary", DigestConfig::default())
        );
        assert!(!s.contains("canary"));
    }

    #[test]
    fn ha1_secret_must_fit_the_hash() {
        assert_eq!(
            plain_ha1(Algorithm::Sha256, "u", REALM, Secret::Ha1("00")),
            Err(DigestError::InvalidSecret)
        );
        let md5 = ha1_plain(Algorithm::Md5, "u", REALM, b"p");
        assert_eq!(
            plain_ha1(Algorithm::Md5, "u", REALM, Secret::Ha1(md5.as_str())),
            Ok(md5)
        );
    }

    #[test]
    fn not_digest_and_missing_params() {
        let mut s = DigestServer::new(b"k", DigestConfig::default());
        let c = Credentials::parse("Basic abc").expect("parses");
        assert_eq!(
            s.verify(0, &request(), &c, Secret::Password(b"p")),
            Err(DigestError::NotDigest)
        );
        let c = Credentials::parse("Digest realm=\"x\"").expect("parses");
        assert_eq!(
            s.verify(0, &request(), &c, Secret::Password(b"p")),
            Err(DigestError::Missing("username"))
        );
    }
}
