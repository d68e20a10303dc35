//! In-memory subscriber store (tests, labs, small deployments without
//! persistence).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use super::model::SQN_MAX;
use super::wildcard::Pattern;
use super::{
    AssignOutcome, IdentityType, ImpuRegistration, PrivateIdentity, PublicIdentity,
    RegistrationState, ScscfCapabilities, ServiceProfile, SubscriberStore,
};
use crate::{Result, StoreError};

#[derive(Default)]
struct Inner {
    private: BTreeMap<String, PrivateIdentity>,
    public: BTreeMap<String, PublicIdentity>,
    profiles: HashMap<String, ServiceProfile>,
    registrations: HashMap<String, ImpuRegistration>,
    scscfs: BTreeMap<String, ScscfCapabilities>,
}

/// A [`SubscriberStore`] held in process memory behind one mutex.
#[derive(Default)]
pub struct MemorySubscriberStore {
    inner: Mutex<Inner>,
}

impl MemorySubscriberStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated
        // (every update is a single insert/remove), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl SubscriberStore for MemorySubscriberStore {
    async fn put_private(&self, identity: &PrivateIdentity) -> Result<()> {
        if identity.sqn > SQN_MAX {
            return Err(StoreError::invalid("SQN exceeds 48 bits"));
        }
        self.lock()
            .private
            .insert(identity.impi.clone(), identity.clone());
        Ok(())
    }

    async fn get_private(&self, impi: &str) -> Result<Option<PrivateIdentity>> {
        Ok(self.lock().private.get(impi).cloned())
    }

    async fn delete_private(&self, impi: &str) -> Result<bool> {
        let mut g = self.lock();
        let existed = g.private.remove(impi).is_some();
        for p in g.public.values_mut() {
            p.impis.retain(|i| i != impi);
        }
        Ok(existed)
    }

    async fn put_public(&self, identity: &PublicIdentity) -> Result<()> {
        if let Some(p) = identity.identity_type.pattern() {
            Pattern::compile(p)?;
        }
        let mut stored = identity.clone();
        stored.impis.sort();
        stored.impis.dedup();
        let mut g = self.lock();
        if let Some(missing) = stored.impis.iter().find(|i| !g.private.contains_key(*i)) {
            return Err(StoreError::not_found("private identity", missing));
        }
        g.public.insert(identity.impu.clone(), stored);
        Ok(())
    }

    async fn delete_public(&self, impu: &str) -> Result<bool> {
        let mut g = self.lock();
        g.registrations.remove(impu);
        Ok(g.public.remove(impu).is_some())
    }

    async fn public_identities_of(&self, impi: &str) -> Result<Vec<PublicIdentity>> {
        Ok(self
            .lock()
            .public
            .values()
            .filter(|p| p.impis.iter().any(|i| i == impi))
            .cloned()
            .collect())
    }

    async fn find_public(&self, impu: &str) -> Result<Option<PublicIdentity>> {
        let g = self.lock();
        if let Some(p) = g.public.get(impu) {
            return Ok(Some(p.clone()));
        }
        for p in g.public.values() {
            if let IdentityType::WildcardedPsi { pattern } = &p.identity_type {
                if Pattern::compile(pattern)?.is_match(impu) {
                    return Ok(Some(p.clone()));
                }
            }
        }
        Ok(None)
    }

    async fn implicit_set(&self, impu: &str) -> Result<Vec<PublicIdentity>> {
        let g = self.lock();
        let Some(set) = g.public.get(impu).map(|p| p.implicit_set.clone()) else {
            return Ok(Vec::new());
        };
        Ok(g.public
            .values()
            .filter(|p| p.implicit_set == set)
            .cloned()
            .collect())
    }

    async fn put_service_profile(&self, profile: &ServiceProfile) -> Result<()> {
        self.lock()
            .profiles
            .insert(profile.id.clone(), profile.clone());
        Ok(())
    }

    async fn get_service_profile(&self, id: &str) -> Result<Option<ServiceProfile>> {
        Ok(self.lock().profiles.get(id).cloned())
    }

    async fn next_sqn(&self, impi: &str, step: u64) -> Result<u64> {
        let mut g = self.lock();
        let p = g
            .private
            .get_mut(impi)
            .ok_or_else(|| StoreError::not_found("private identity", impi))?;
        let next = p
            .sqn
            .checked_add(step)
            .filter(|&s| s <= SQN_MAX)
            .ok_or_else(|| StoreError::SqnExhausted {
                impi: impi.to_owned(),
            })?;
        p.sqn = next;
        Ok(next)
    }

    async fn set_sqn(&self, impi: &str, sqn: u64) -> Result<()> {
        if sqn > SQN_MAX {
            return Err(StoreError::invalid("SQN exceeds 48 bits"));
        }
        let mut g = self.lock();
        let p = g
            .private
            .get_mut(impi)
            .ok_or_else(|| StoreError::not_found("private identity", impi))?;
        p.sqn = sqn;
        Ok(())
    }

    async fn registration(&self, impu: &str) -> Result<ImpuRegistration> {
        let g = self.lock();
        if !g.public.contains_key(impu) {
            return Err(StoreError::not_found("public identity", impu));
        }
        Ok(g.registrations.get(impu).cloned().unwrap_or_default())
    }

    async fn assign_scscf(
        &self,
        impu: &str,
        scscf_name: &str,
        origin_host: &str,
        state: RegistrationState,
    ) -> Result<AssignOutcome> {
        let mut g = self.lock();
        if !g.public.contains_key(impu) {
            return Err(StoreError::not_found("public identity", impu));
        }
        let reg = g.registrations.entry(impu.to_owned()).or_default();
        match &reg.scscf_name {
            Some(holder) if holder != scscf_name => Ok(AssignOutcome::AlreadyAssigned {
                scscf_name: holder.clone(),
                origin_host: reg.origin_host.clone(),
            }),
            _ => {
                *reg = ImpuRegistration {
                    state,
                    scscf_name: Some(scscf_name.to_owned()),
                    origin_host: Some(origin_host.to_owned()),
                };
                Ok(AssignOutcome::Assigned)
            }
        }
    }

    async fn set_registration(&self, impu: &str, registration: &ImpuRegistration) -> Result<()> {
        let mut g = self.lock();
        if !g.public.contains_key(impu) {
            return Err(StoreError::not_found("public identity", impu));
        }
        g.registrations
            .insert(impu.to_owned(), registration.clone());
        Ok(())
    }

    async fn list_subscribers(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<PrivateIdentity>> {
        let g = self.lock();
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(g.private
            .range::<str, _>((lower, Bound::Unbounded))
            .take(limit as usize)
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn put_scscf(&self, caps: &ScscfCapabilities) -> Result<()> {
        self.lock().scscfs.insert(caps.name.clone(), caps.clone());
        Ok(())
    }

    async fn list_scscfs(&self) -> Result<Vec<ScscfCapabilities>> {
        Ok(self.lock().scscfs.values().cloned().collect())
    }
}
