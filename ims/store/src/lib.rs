//! Subscriber (HSS) and registration (location service) stores.
//!
//! DESIGN.md §Principles 5: state lives behind small store traits with three
//! backends — in memory (default), SQL through sqlx (SQLite embedded default,
//! PostgreSQL for deployments) and Redis for state shared by many nodes.
//!
//! * [`SubscriberStore`] backs the HSS Cx server (3GPP TS 29.228/29.229):
//!   private/public identities, AKA keys and SQN, service profiles (iFC XML),
//!   S-CSCF capabilities and per-IMPU registration state.
//! * [`RegistrationStore`] backs the S-CSCF registrar / location service
//!   (TS 24.229 §5.4.1, RFC 3261 §10, RFC 5626 §6) and P-CSCF registrations.
//!
//! Durability (DESIGN.md §Principles 7): every write of the SQL and Redis
//! backends has been committed by the server before the call returns.
#![warn(missing_docs)]

mod codec;
mod error;
pub mod registration;
pub mod sql;
pub mod subscriber;

pub use error::StoreError;
pub use registration::{
    Binding, BindingKey, Flow, MemoryRegistrationStore, PushInfo, RedisRegistrationStore,
    RegistrationStore, SqlRegistrationStore, WriteThroughStore,
};
pub use sql::{SqlBackend, SqlOptions, SqlPool};
pub use subscriber::{
    import_toml, parse_import, AssignOutcome, AuthScheme, IdentityType, ImportError, ImportPlan,
    ImportReport, ImpuRegistration, MemorySubscriberStore, OpKind, PrivateIdentity, PublicIdentity,
    RegistrationState, ScscfCapabilities, ServiceProfile, SqlSubscriberStore, SubscriberStore,
};

/// Result alias of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
