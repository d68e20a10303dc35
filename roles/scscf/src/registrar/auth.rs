//! Challenges in flight (TS 33.203 §6.1, RFC 3310 §3, RFC 7616 §3.3): the vectors fetched
//! with MAR, keyed by (IMPI, nonce), single use and short-lived; consecutive failures per
//! IMPI; and which AORs each IMPI has registered (for RTR/PPR naming only the IMPI).

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ims_cx::{scheme, AuthItem};
use sip_proto::digest::{
    Algorithm, DigestConfig, DigestError, DigestRequest, DigestServer, Secret, Verified,
};
use sip_types::auth::{Challenge, Credentials};

/// How long a challenge stays answerable by default (`[scscf] auth_vector_timeout_s`).
pub(crate) const VECTOR_TTL: Duration = Duration::from_secs(30);

/// Consecutive failed responses after which the IMPI gets 403 instead of a new challenge.
/// Three: a UE gets two fresh challenges after a wrong answer, so a client that mangles one
/// RES in 32 (sipp 3.6.1) keeps its registration, while guessing stays bounded.
pub(crate) const MAX_FAILURES: u32 = 3;

/// One challenge sent and not yet answered.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// The vector (AKA) or H(A1) (SIP Digest) from the HSS.
    pub(crate) item: AuthItem,
    /// The algorithm challenged with (the nonce is bound to it).
    pub(crate) algorithm: Algorithm,
    /// The realm challenged with.
    pub(crate) realm: String,
    /// The public identity the MAR named.
    pub(crate) impu: String,
    issued: Instant,
}

/// An authentication left unfinished: the identities of a challenge that expired unanswered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Abandoned {
    /// The private identity challenged (lower-cased).
    pub(crate) impi: String,
    /// The public identity the MAR named.
    pub(crate) impu: String,
}

/// Why no challenge could be made from an MAA item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ChallengeError {
    /// The item's scheme or algorithm is not one we can verify.
    #[error("unsupported authentication scheme from the HSS")]
    UnsupportedScheme,
}

/// Challenges in flight and failure counts, shared by every REGISTER handler.
pub struct AuthState {
    /// How long a challenge stays answerable.
    ttl: Duration,
    inner: Mutex<Inner>,
}

struct Inner {
    digest: DigestServer,
    pending: HashMap<(String, String), Pending>,
    failures: HashMap<String, u32>,
    /// IMPI → the AORs it registered, sorted; and the reverse, so a de-registration finds its
    /// entries without a scan of every user. Vecs: an IMPI has a handful of AORs.
    aors_by_impi: HashMap<String, Vec<String>>,
    impis_by_aor: HashMap<String, Vec<String>>,
}

/// Insert `value` into the sorted `list` unless present.
fn insert_sorted(list: &mut Vec<String>, value: &str) {
    if let Err(at) = list.binary_search_by(|v| v.as_str().cmp(value)) {
        list.insert(at, value.to_owned());
    }
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthState")
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

impl Default for AuthState {
    fn default() -> Self {
        Self::new(VECTOR_TTL)
    }
}

impl AuthState {
    /// No challenge in flight; each one made stays answerable for `ttl` (at least a second).
    pub fn new(ttl: Duration) -> Self {
        let ttl = ttl.max(Duration::from_secs(1));
        let secret: [u8; 32] = rand::random();
        let config = DigestConfig {
            nonce_lifetime: ttl.as_secs(),
            nc_capacity: 4096,
            // The REGISTER's Request-URI is the home domain, but UEs (and sipp) often put the
            // P-CSCF's address in the digest uri; Kamailio's ims_auth accepts that too. The
            // vector is single use, so a response cannot be replayed for another request.
            require_uri_match: false,
            ..DigestConfig::default()
        };
        Self {
            ttl,
            inner: Mutex::new(Inner {
                digest: DigestServer::new(&secret, config),
                pending: HashMap::new(),
                failures: HashMap::new(),
                aors_by_impi: HashMap::new(),
                impis_by_aor: HashMap::new(),
            }),
        }
    }
}

/// The digest algorithm of an MAA item: the AKA scheme it names (TS 29.229 §6.3.2), or the
/// Digest-Algorithm of SIP Digest (MD5 when absent, RFC 2617 §3.2.1).
pub(crate) fn item_algorithm(item: &AuthItem) -> Result<Algorithm, ChallengeError> {
    match item {
        AuthItem::Aka { scheme: s, .. } => {
            if s.eq_ignore_ascii_case(scheme::AKAV1_MD5) {
                Ok(Algorithm::AkaV1Md5)
            } else if s.eq_ignore_ascii_case(scheme::AKAV2_MD5) {
                Ok(Algorithm::AkaV2Md5)
            } else {
                Err(ChallengeError::UnsupportedScheme)
            }
        }
        AuthItem::Digest { algorithm, .. } => {
            match Algorithm::parse(algorithm.as_deref().unwrap_or("MD5")) {
                Ok(a) if !a.is_aka() => Ok(a),
                _ => Err(ChallengeError::UnsupportedScheme),
            }
        }
    }
}

/// The SIP-Authentication-Scheme to ask the HSS for: the `algorithm` of the UE's
/// Authorization, else `default` from the configuration (TS 29.229 §6.3.2).
pub(crate) fn mar_scheme<'a>(ue_algorithm: Option<&str>, default: &'a str) -> &'a str {
    let from = |token: &str| -> Option<&'static str> {
        match token.trim() {
            t if t.eq_ignore_ascii_case("AKAv1-MD5")
                || t.eq_ignore_ascii_case(scheme::AKAV1_MD5) =>
            {
                Some(scheme::AKAV1_MD5)
            }
            t if t.eq_ignore_ascii_case("AKAv2-MD5")
                || t.eq_ignore_ascii_case(scheme::AKAV2_MD5) =>
            {
                Some(scheme::AKAV2_MD5)
            }
            t if t.eq_ignore_ascii_case("MD5") || t.eq_ignore_ascii_case(scheme::SIP_DIGEST) => {
                Some(scheme::SIP_DIGEST)
            }
            t if t.eq_ignore_ascii_case(scheme::UNKNOWN) => Some(scheme::UNKNOWN),
            _ => None,
        }
    };
    ue_algorithm
        .and_then(from)
        .or_else(|| from(default))
        .unwrap_or(default)
}

use crate::state::unix_now;

impl AuthState {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Challenges sent and not yet answered (nor expired).
    pub fn in_flight(&self) -> usize {
        self.lock().pending.len()
    }

    /// The WWW-Authenticate value challenging `impi` with `item` (RFC 3310 §3.2: an AKA nonce
    /// is base64 of RAND ‖ AUTN ‖ server data; RFC 7616 §3.3 for SIP Digest, in the HSS's
    /// realm since H(A1) covers it). Remembers the item until answered or its lifetime ends.
    pub(crate) fn challenge(
        &self,
        impi: &str,
        impu: &str,
        item: AuthItem,
        realm: &str,
        stale: bool,
    ) -> Result<String, ChallengeError> {
        let algorithm = item_algorithm(&item)?;
        let now = unix_now();
        let mut inner = self.lock();
        let (value, realm) = match &item {
            AuthItem::Aka { rand, autn, .. } => (
                inner.digest.challenge_aka(
                    now,
                    *rand.as_bytes(),
                    *autn.as_bytes(),
                    realm,
                    algorithm,
                    stale,
                    &[],
                ),
                realm.to_owned(),
            ),
            AuthItem::Digest { realm: r, .. } => (
                inner
                    .digest
                    .challenge(now, rand::random(), r, algorithm, stale),
                r.clone(),
            ),
        };
        let nonce = Challenge::parse(&value)
            .ok()
            .and_then(|c| c.nonce().map(str::to_owned))
            .unwrap_or_default();
        inner.pending.insert(
            (impi.to_ascii_lowercase(), nonce),
            Pending {
                item,
                algorithm,
                realm,
                impu: impu.to_owned(),
                issued: Instant::now(),
            },
        );
        Ok(value)
    }

    /// Takes (single use) the challenge `nonce` sent to `impi`, if it is still fresh.
    pub(crate) fn take(&self, impi: &str, nonce: &str) -> Option<Pending> {
        let mut inner = self.lock();
        let p = inner
            .pending
            .remove(&(impi.to_ascii_lowercase(), nonce.to_owned()))?;
        (p.issued.elapsed() < self.ttl).then_some(p)
    }

    /// Verifies `credentials` of a REGISTER (`method`, `request_uri`) against `pending`
    /// (RFC 3310 §3.3 AKAv1: password XRES; RFC 4169 §3 AKAv2; SIP Digest with H(A1)).
    pub(crate) fn verify(
        &self,
        pending: &Pending,
        method: &str,
        request_uri: &str,
        credentials: &Credentials<'_>,
    ) -> Result<Verified, DigestError> {
        let secret = match &pending.item {
            AuthItem::Aka { xres, ck, ik, .. } => Secret::Aka {
                xres,
                ik: ik.as_bytes(),
                ck: ck.as_bytes(),
            },
            AuthItem::Digest { ha1, .. } => Secret::Ha1(ha1),
        };
        let request = DigestRequest {
            method,
            request_uri,
            realm: &pending.realm,
            body: None,
        };
        self.lock()
            .digest
            .verify(unix_now(), &request, credentials, secret)
    }

    /// Counts one more failed response of `impi`; returns the count so far.
    pub(crate) fn failed(&self, impi: &str) -> u32 {
        let mut inner = self.lock();
        let n = inner.failures.entry(impi.to_ascii_lowercase()).or_insert(0);
        *n += 1;
        *n
    }

    /// Forgets the failures of `impi` (after a success, or after refusing it).
    pub(crate) fn reset_failures(&self, impi: &str) {
        self.lock().failures.remove(&impi.to_ascii_lowercase());
    }

    /// Drops challenges past their lifetime; returns the (IMPI, IMPU) pairs whose
    /// authentication was abandoned: a challenge expired unanswered and no fresher one for
    /// that IMPI is waiting (TS 24.229 §5.4.1.2.1, reg-await-auth expiry).
    pub(crate) fn purge(&self) -> Vec<Abandoned> {
        self.purge_at(Instant::now())
    }

    /// [`Self::purge`] as if it were `now`.
    fn purge_at(&self, now: Instant) -> Vec<Abandoned> {
        let ttl = self.ttl;
        let fresh = |p: &Pending| now.saturating_duration_since(p.issued) < ttl;
        let mut inner = self.lock();
        let mut expired: Vec<Abandoned> = Vec::new();
        inner.pending.retain(|(impi, _), p| {
            let keep = fresh(p);
            if !keep {
                expired.push(Abandoned {
                    impi: impi.clone(),
                    impu: p.impu.clone(),
                });
            }
            keep
        });
        if expired.is_empty() {
            return expired;
        }
        expired.sort_by(|a, b| (&a.impi, &a.impu).cmp(&(&b.impi, &b.impu)));
        expired.dedup();
        // One pass over what is still waiting, not one per expired challenge: a flood of
        // unanswered REGISTERs must not make this quadratic under the lock.
        let waiting: HashSet<&str> = inner
            .pending
            .keys()
            .map(|(impi, _)| impi.as_str())
            .collect();
        expired.retain(|a| !waiting.contains(a.impi.as_str()));
        expired
    }

    /// Records that `impi` registered `aor`.
    pub(crate) fn note_registered(&self, impi: &str, aor: &str) {
        let impi = impi.to_ascii_lowercase();
        let mut inner = self.lock();
        insert_sorted(inner.aors_by_impi.entry(impi.clone()).or_default(), aor);
        insert_sorted(inner.impis_by_aor.entry(aor.to_owned()).or_default(), &impi);
    }

    /// Records that `aor` is no longer registered (by any IMPI).
    pub(crate) fn note_deregistered(&self, aor: &str) {
        let mut inner = self.lock();
        let Some(impis) = inner.impis_by_aor.remove(aor) else {
            return;
        };
        for impi in impis {
            if let Some(aors) = inner.aors_by_impi.get_mut(&impi) {
                aors.retain(|a| a != aor);
                if aors.is_empty() {
                    inner.aors_by_impi.remove(&impi);
                }
            }
        }
    }

    /// The AORs `impi` has registered.
    pub(crate) fn aors_of(&self, impi: &str) -> Vec<String> {
        self.lock()
            .aors_by_impi
            .get(&impi.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ims_core::aka::{Autn, Ck, Ik, Rand};
    use sip_proto::digest::DigestClient;

    fn aka_item(xres: &[u8]) -> AuthItem {
        AuthItem::Aka {
            scheme: scheme::AKAV1_MD5.into(),
            rand: Rand::new([1; 16]),
            autn: Autn::new([2; 16]),
            xres: xres.to_vec(),
            ck: Ck::new([3; 16]),
            ik: Ik::new([4; 16]),
        }
    }

    #[test]
    fn scheme_from_ue_then_default() {
        assert_eq!(mar_scheme(Some("AKAv1-MD5"), "MD5"), scheme::AKAV1_MD5);
        assert_eq!(mar_scheme(Some("akav2-md5"), "MD5"), scheme::AKAV2_MD5);
        assert_eq!(mar_scheme(Some("MD5"), "AKAv1-MD5"), scheme::SIP_DIGEST);
        assert_eq!(mar_scheme(None, "AKAv1-MD5"), scheme::AKAV1_MD5);
        assert_eq!(mar_scheme(Some("SHA-1"), "SIP Digest"), scheme::SIP_DIGEST);
        assert_eq!(mar_scheme(None, "Unknown"), scheme::UNKNOWN);
    }

    #[test]
    fn item_algorithms() {
        assert_eq!(item_algorithm(&aka_item(b"1234")), Ok(Algorithm::AkaV1Md5));
        let digest = |a: Option<&str>| AuthItem::Digest {
            realm: "ims.test".into(),
            ha1: "00".into(),
            qop: "auth".into(),
            algorithm: a.map(str::to_owned),
        };
        assert_eq!(item_algorithm(&digest(None)), Ok(Algorithm::Md5));
        assert_eq!(
            item_algorithm(&digest(Some("AKAv1-MD5"))),
            Err(ChallengeError::UnsupportedScheme)
        );
    }

    #[test]
    fn aka_challenge_verifies_once_and_binds_the_impi() {
        let state = AuthState::default();
        let xres = b"12345678";
        let value = state
            .challenge(
                "alice@ims.test",
                "sip:alice@ims.test",
                aka_item(xres),
                "ims.test",
                false,
            )
            .unwrap();
        let ch = Challenge::parse(&value).unwrap();
        let nonce = ch.nonce().unwrap().to_owned();
        let (rand, autn) = sip_proto::digest::rand_autn(&nonce).unwrap();
        assert_eq!((rand, autn), ([1; 16], [2; 16]));
        assert_eq!(state.in_flight(), 1);
        // Another IMPI cannot answer it.
        assert!(state.take("bob@ims.test", &nonce).is_none());
        let auth = DigestClient::new("alice@ims.test", xres)
            .authorization(&ch, "REGISTER", "sip:ims.test", "c0ffee", 1)
            .unwrap();
        let creds = Credentials::parse(&auth).unwrap();
        let p = state.take("Alice@ims.test", &nonce).unwrap();
        assert!(matches!(
            state.verify(&p, "REGISTER", "sip:ims.test", &creds),
            Ok(Verified::Authenticated(_))
        ));
        assert!(state.take("alice@ims.test", &nonce).is_none(), "single use");
        assert_eq!(state.in_flight(), 0);
    }

    #[test]
    fn expired_challenges_are_reported_once_per_identity() {
        let state = AuthState::default();
        let challenge = |impi: &str, impu: &str| {
            state
                .challenge(impi, impu, digest_item(), "ims.test", false)
                .unwrap()
        };
        challenge("carol@ims.test", "sip:carol@ims.test");
        challenge("carol@ims.test", "sip:carol@ims.test");
        challenge("dave@ims.test", "sip:dave@ims.test");
        assert!(state.purge().is_empty(), "nothing expired yet");
        assert_eq!(state.in_flight(), 3);
        let later = Instant::now() + VECTOR_TTL + Duration::from_secs(1);
        let abandoned = state.purge_at(later);
        assert_eq!(
            abandoned,
            [
                Abandoned {
                    impi: "carol@ims.test".into(),
                    impu: "sip:carol@ims.test".into()
                },
                Abandoned {
                    impi: "dave@ims.test".into(),
                    impu: "sip:dave@ims.test".into()
                },
            ]
        );
        assert_eq!(state.in_flight(), 0);
        assert!(state.purge_at(later).is_empty(), "reported once");
    }

    /// A SIP Digest item: every challenge with it gets a random nonce.
    fn digest_item() -> AuthItem {
        AuthItem::Digest {
            realm: "ims.test".into(),
            ha1: "00".into(),
            qop: "auth".into(),
            algorithm: None,
        }
    }

    #[test]
    fn an_expired_challenge_with_a_fresh_one_pending_is_not_abandoned() {
        let state = AuthState::default();
        let challenge = |impi: &str| {
            state
                .challenge(impi, "sip:carol@ims.test", digest_item(), "ims.test", false)
                .unwrap()
        };
        challenge("carol@ims.test");
        // A second challenge issued 20 s later: at 35 s the first is stale, the second not.
        let second = challenge("Carol@ims.test");
        assert_eq!(state.in_flight(), 2);
        let nonce = Challenge::parse(&second)
            .unwrap()
            .nonce()
            .unwrap()
            .to_owned();
        {
            let mut inner = state.lock();
            let p = inner
                .pending
                .get_mut(&("carol@ims.test".to_owned(), nonce))
                .unwrap();
            p.issued += Duration::from_secs(20);
        }
        let at = Instant::now() + Duration::from_secs(35);
        assert!(state.purge_at(at).is_empty());
        assert_eq!(state.in_flight(), 1);
    }

    #[test]
    fn failures_count_and_reset() {
        let state = AuthState::default();
        assert_eq!(state.failed("a@x"), 1);
        assert_eq!(state.failed("A@x"), 2);
        state.reset_failures("a@x");
        assert_eq!(state.failed("a@x"), 1);
    }

    #[test]
    fn aors_by_impi() {
        let state = AuthState::default();
        state.note_registered("a@x", "sip:a@x");
        state.note_registered("a@x", "sip:a2@x");
        assert_eq!(state.aors_of("a@x"), ["sip:a2@x", "sip:a@x"]);
        state.note_deregistered("sip:a@x");
        assert_eq!(state.aors_of("a@x"), ["sip:a2@x"]);
        state.note_deregistered("sip:a2@x");
        assert!(state.aors_of("a@x").is_empty());
        // A shared public identity: one de-registration clears it for both IMPIs.
        state.note_registered("a@x", "sip:shared@x");
        state.note_registered("B@x", "sip:shared@x");
        state.note_registered("b@x", "sip:b@x");
        assert_eq!(state.aors_of("b@x"), ["sip:b@x", "sip:shared@x"]);
        state.note_deregistered("sip:shared@x");
        assert!(state.aors_of("a@x").is_empty());
        assert_eq!(state.aors_of("b@x"), ["sip:b@x"]);
        let inner = state.lock();
        assert_eq!(inner.aors_by_impi.len(), 1);
        assert_eq!(inner.impis_by_aor.len(), 1);
    }
}
