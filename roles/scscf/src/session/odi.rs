//! Original Dialog Identifiers (TS 24.229 §5.4.3.2 step 4c, §5.4.3.3 step 4c; TS 23.218
//! §6.5): the token in the Route we hand to an application server, so that the request coming
//! back from it is recognised and iFC evaluation resumes where it stopped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ims_core::ifc::{DefaultHandling, SessionCase};
use rand::RngCore;

use crate::state::ServedUser;

/// How long a token stays valid: long enough for an AS that waits on a user (Timer C, RFC 3261
/// §16.6 step 11, is at least 3 minutes).
pub const ODI_TTL: Duration = Duration::from_secs(240);

/// Tokens kept at most; the oldest go first when full.
pub const ODI_CAPACITY: usize = 16_384;

/// Where the S-CSCF stopped in a served user's iFC chain when it sent a request to an AS.
#[derive(Debug, Clone)]
pub struct OdiState {
    /// The served user's profile.
    pub user: Arc<ServedUser>,
    /// The served public identity (P-Asserted-Identity or Request-URI identity).
    pub identity: String,
    /// The session case of the chain.
    pub case: SessionCase,
    /// The priority of the iFC that sent the request to the AS.
    pub priority: i32,
    /// That iFC's DefaultHandling.
    pub default_handling: DefaultHandling,
    /// The Request-URI the request had when it was sent to the AS (a terminating AS that
    /// changes it retargets the request).
    pub request_uri: String,
}

/// The token map: bounded, with a TTL.
#[derive(Debug, Default)]
pub struct OdiMap {
    inner: Mutex<HashMap<String, (Instant, OdiState)>>,
}

impl OdiMap {
    /// Remember `state` and return its new token (16 hex digits).
    pub fn insert(&self, state: OdiState, now: Instant) -> String {
        let mut bytes = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= ODI_CAPACITY {
            map.retain(|_, (at, _)| now.duration_since(*at) < ODI_TTL);
        }
        if map.len() >= ODI_CAPACITY {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(token.clone(), (now, state));
        token
    }

    /// The state of a live token. Tokens are not consumed: an AS that forks sends the request
    /// back more than once.
    pub fn get(&self, token: &str, now: Instant) -> Option<OdiState> {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match map.get(token) {
            Some((at, state)) if now.duration_since(*at) < ODI_TTL => Some(state.clone()),
            Some(_) => {
                map.remove(token);
                None
            }
            None => None,
        }
    }

    /// Tokens held.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// True when no token is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The user part of our ODI Route URI for `token`.
pub fn odi_user(token: &str) -> String {
    format!("odi-{token}")
}

/// The token in a Route URI user part `odi-TOKEN`.
pub fn token_of(user: &str) -> Option<&str> {
    user.strip_prefix("odi-").filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ims_core::ifc::ImsSubscription;

    fn state() -> OdiState {
        OdiState {
            user: Arc::new(ServedUser {
                aor: "sip:alice@ims.test".into(),
                impi: "alice@ims.test".into(),
                subscription: ImsSubscription {
                    private_id: "alice@ims.test".into(),
                    service_profiles: vec![],
                },
                implicit_set: vec!["sip:alice@ims.test".into()],
                charging: None,
            }),
            identity: "sip:alice@ims.test".into(),
            case: SessionCase::Originating,
            priority: 3,
            default_handling: DefaultHandling::SessionContinued,
            request_uri: "sip:bob@ims.test".into(),
        }
    }

    #[test]
    fn tokens_resolve_until_they_expire() {
        let map = OdiMap::default();
        let t0 = Instant::now();
        let token = map.insert(state(), t0);
        assert_eq!(token.len(), 16);
        assert_eq!(map.get(&token, t0).map(|s| s.priority), Some(3));
        assert!(map.get("nope", t0).is_none());
        assert!(map.get(&token, t0 + ODI_TTL).is_none());
        assert!(map.is_empty(), "an expired token is dropped when looked up");
    }

    #[test]
    fn tokens_in_route_users() {
        assert_eq!(token_of(&odi_user("abc")), Some("abc"));
        assert_eq!(token_of("odi-"), None);
        assert_eq!(token_of("orig"), None);
    }
}
