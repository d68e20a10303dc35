//! Subscriber store of the HSS (3GPP TS 29.228 / TS 29.229 Cx server).

mod import;
mod memory;
mod model;
mod sql;
pub(crate) mod wildcard;

pub use import::{import_toml, parse_import, ImportError, ImportPlan, ImportReport};
pub use memory::MemorySubscriberStore;
pub use model::{
    AssignOutcome, AuthScheme, IdentityType, ImpuRegistration, OpKind, PrivateIdentity,
    PublicIdentity, RegistrationState, ScscfCapabilities, ServiceProfile, SQN_MAX,
};
pub use sql::SqlSubscriberStore;

use crate::Result;

/// Subscriber data of the HSS: identities, credentials, service profiles,
/// S-CSCF capabilities and per-IMPU registration state.
///
/// Every method is atomic on its own; writes are durable when they return.
#[async_trait::async_trait]
pub trait SubscriberStore: Send + Sync {
    /// Inserts or replaces a private identity (all fields, SQN included).
    async fn put_private(&self, identity: &PrivateIdentity) -> Result<()>;

    /// The private identity `impi`, if provisioned.
    async fn get_private(&self, impi: &str) -> Result<Option<PrivateIdentity>>;

    /// Removes a private identity and its links to public identities;
    /// returns whether it existed. Public identities stay.
    async fn delete_private(&self, impi: &str) -> Result<bool>;

    /// Inserts or replaces a public identity and its IMPI links.
    async fn put_public(&self, identity: &PublicIdentity) -> Result<()>;

    /// Removes a public identity (and its registration state); returns
    /// whether it existed.
    async fn delete_public(&self, impu: &str) -> Result<bool>;

    /// Public identities shared with `impi` (TS 29.228 §6.1.1 UAR checks
    /// the pair), ordered by IMPU.
    async fn public_identities_of(&self, impi: &str) -> Result<Vec<PublicIdentity>>;

    /// The public identity `impu`: an exact match first, then the first
    /// wildcarded PSI whose pattern matches (TS 29.228 §6.1.1.1, ordered by
    /// IMPU for determinism).
    async fn find_public(&self, impu: &str) -> Result<Option<PublicIdentity>>;

    /// The implicit registration set of `impu` (TS 23.228 §4.3.3.3),
    /// `impu` included, ordered by IMPU; empty if `impu` is unknown.
    async fn implicit_set(&self, impu: &str) -> Result<Vec<PublicIdentity>>;

    /// Inserts or replaces a service profile.
    async fn put_service_profile(&self, profile: &ServiceProfile) -> Result<()>;

    /// The service profile `id`, if any.
    async fn get_service_profile(&self, id: &str) -> Result<Option<ServiceProfile>>;

    /// Atomically adds `step` to the SQN of `impi` and returns the new
    /// value (TS 33.102 §6.3.2, Annex C). Concurrent callers never get the
    /// same value. Fails with `NotFound` for an unknown IMPI and with
    /// `SqnExhausted` past 2^48-1.
    async fn next_sqn(&self, impi: &str, step: u64) -> Result<u64>;

    /// Sets the SQN after a resynchronisation (TS 33.102 §6.3.5).
    async fn set_sqn(&self, impi: &str, sqn: u64) -> Result<()>;

    /// The registration record of `impu` (`NotRegistered` without an S-CSCF
    /// when none was stored). Fails with `NotFound` for an unknown IMPU.
    async fn registration(&self, impu: &str) -> Result<ImpuRegistration>;

    /// Assigns `scscf_name` to `impu` and sets `state`, unless another
    /// S-CSCF is already assigned (compare-and-set, TS 29.228 §6.1.2): then
    /// nothing changes and the holder is returned.
    async fn assign_scscf(
        &self,
        impu: &str,
        scscf_name: &str,
        origin_host: &str,
        state: RegistrationState,
    ) -> Result<AssignOutcome>;

    /// Unconditionally sets the registration record (de-registration,
    /// administrative changes).
    async fn set_registration(&self, impu: &str, registration: &ImpuRegistration) -> Result<()>;

    /// A page of private identities ordered by IMPI, starting after
    /// `after` (keyset paging), at most `limit` entries.
    async fn list_subscribers(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<PrivateIdentity>>;

    /// Inserts or replaces an S-CSCF capability record.
    async fn put_scscf(&self, caps: &ScscfCapabilities) -> Result<()>;

    /// All S-CSCF capability records, ordered by name.
    async fn list_scscfs(&self) -> Result<Vec<ScscfCapabilities>>;
}
