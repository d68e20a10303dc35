//! What every request handler of the S-CSCF shares: the SIP handle, the Cx client, the
//! location service, the profiles of served users and the authentication challenges in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ims_core::ifc::ImsSubscription;
use ims_cx::{ChargingInfo, CxClient};
use ims_store::RegistrationStore;
use sip_net::SipHandle;

use crate::config::ScscfSection;

/// A served user's profile from the HSS (SAR User-Data, TS 29.228 Annex B).
#[derive(Debug, Clone)]
pub struct ServedUser {
    /// The public identity its contact bindings are stored under in the location service
    /// (the To of the REGISTER).
    pub aor: String,
    /// The private identity it registered with.
    pub impi: String,
    /// The subscription (service profiles, iFCs).
    pub subscription: ImsSubscription,
    /// The implicit registration set: every public identity registered with it, in profile
    /// order (the P-Associated-URI list, TS 24.229 §5.4.1.2.2).
    pub implicit_set: Vec<String>,
    /// Charging function addresses from the SAA: the same for most users, so shared.
    pub charging: Option<Arc<ChargingInfo>>,
}

/// Profiles of the users this S-CSCF serves, by public identity (lower-cased). Filled on
/// registration (SAR) and PPR; on a miss after a restart, the session code re-fetches with a
/// SAR of type NO_ASSIGNMENT.
#[derive(Debug, Default)]
pub struct Profiles {
    inner: Mutex<ProfilesInner>,
}

#[derive(Debug, Default)]
struct ProfilesInner {
    by_impu: HashMap<String, Arc<ServedUser>>,
    /// The charging addresses last stored, shared with every later profile that has the same.
    last_charging: Option<Arc<ChargingInfo>>,
}

impl Profiles {
    /// The profile serving `impu`.
    pub fn get(&self, impu: &str) -> Option<Arc<ServedUser>> {
        let key = normalise(impu);
        self.lock().by_impu.get(&key).cloned()
    }

    /// Store `user` under every identity of its implicit set.
    pub fn insert(&self, mut user: ServedUser) {
        let mut inner = self.lock();
        if let Some(charging) = &mut user.charging {
            match &inner.last_charging {
                Some(last) if **last == **charging => *charging = Arc::clone(last),
                _ => inner.last_charging = Some(Arc::clone(charging)),
            }
        }
        let user = Arc::new(user);
        for impu in &user.implicit_set {
            inner.by_impu.insert(normalise(impu), Arc::clone(&user));
        }
    }

    /// Forget every identity of `impu`'s implicit set; returns the profile removed.
    pub fn remove(&self, impu: &str) -> Option<Arc<ServedUser>> {
        let map = &mut self.lock().by_impu;
        let user = map.remove(&normalise(impu))?;
        for other in &user.implicit_set {
            map.remove(&normalise(other));
        }
        Some(user)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ProfilesInner> {
        // Every update leaves the map consistent before any panic point.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Identities compare case-insensitively in the host part and exactly elsewhere; for the
/// lab's identities lower-casing the whole text is enough and cheap.
pub fn normalise(impu: &str) -> String {
    impu.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_ascii_lowercase()
}

/// Everything a handler needs.
pub struct Shared {
    /// `[scscf]`.
    pub config: ScscfSection,
    /// Decide requests, originate new ones.
    pub sip: SipHandle,
    /// Cx towards the HSS.
    pub cx: CxClient,
    /// Contact bindings (the location service).
    pub registrations: Arc<dyn RegistrationStore>,
    /// Profiles of served users.
    pub profiles: Profiles,
    /// Registrar state: challenges in flight, failure counts (owned by `registrar`).
    pub auth: crate::registrar::AuthState,
    /// Our Service-Route / Record-Route host part, e.g. `127.0.0.1:5080`, from the listener.
    pub route_host: String,
    /// Session routing state: ODI tokens, dialogs for charging, third-party registrations
    /// (owned by `session`).
    pub sessions: crate::session::SessionState,
    /// The charging trigger (Ro/Rf), when `[charging]` is configured (owned by `charging`).
    pub charging: Option<crate::charging::ChargingTrigger>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("server_name", &self.config.server_name)
            .field("route_host", &self.route_host)
            .finish()
    }
}

/// Now, Unix seconds: the clock of binding expiry, challenges and charging records.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Open the registration store of `[store]`, behind the write-through cache when it is on.
pub async fn open_registrations(
    store: &crate::config::StoreSection,
) -> anyhow::Result<Arc<dyn RegistrationStore>> {
    let backing = open_backing(&store.url).await?;
    if !store.cached() {
        return Ok(backing);
    }
    Ok(Arc::new(ims_store::WriteThroughStore::load(backing).await?))
}

/// Open the registration store named by `url`.
async fn open_backing(url: &str) -> anyhow::Result<Arc<dyn RegistrationStore>> {
    if url == "memory" {
        return Ok(Arc::new(ims_store::MemoryRegistrationStore::new()));
    }
    if url.starts_with("redis://") {
        return Ok(Arc::new(
            ims_store::RedisRegistrationStore::connect(url, "ims:scscf:").await?,
        ));
    }
    role_kit::ensure_sqlite_dir(url)?;
    let pool = ims_store::SqlPool::open(&ims_store::SqlOptions::new(url.to_owned())).await?;
    Ok(Arc::new(ims_store::SqlRegistrationStore::new(pool)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(aor: &str, ccf: &str) -> ServedUser {
        ServedUser {
            aor: aor.into(),
            impi: format!("{aor}-impi"),
            subscription: ImsSubscription {
                private_id: format!("{aor}-impi"),
                service_profiles: Vec::new(),
            },
            implicit_set: vec![aor.into(), format!("{aor}-alias")],
            charging: Some(Arc::new(ChargingInfo {
                primary_ccf: Some(ccf.into()),
                ..ChargingInfo::default()
            })),
        }
    }

    #[test]
    fn profiles_share_equal_charging_addresses() {
        let profiles = Profiles::default();
        profiles.insert(user("sip:a@x", "aaa://cdf"));
        profiles.insert(user("sip:b@x", "aaa://cdf"));
        profiles.insert(user("sip:c@x", "aaa://cdf2"));
        let charging = |impu: &str| profiles.get(impu).and_then(|u| u.charging.clone());
        let (a, b, c) = (
            charging("sip:a@x"),
            charging("SIP:B@X"),
            charging("sip:c@x-alias"),
        );
        assert!(matches!((&a, &b), (Some(a), Some(b)) if Arc::ptr_eq(a, b)));
        assert_eq!(
            c.and_then(|c| c.primary_ccf.clone()).as_deref(),
            Some("aaa://cdf2")
        );
        assert!(profiles.remove("sip:a@x-alias").is_some());
        assert!(profiles.get("sip:a@x").is_none() && profiles.get("sip:b@x").is_some());
    }
}
