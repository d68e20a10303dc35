//! Errors of the HSS outside the request path (configuration, HSS-initiated procedures).
//! Requests never fail: faults there become Diameter answers.

use ims_store::StoreError;

/// An HSS error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HssError {
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The subscriber store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The identity is not provisioned.
    #[error("unknown identity {0}")]
    UnknownIdentity(String),
    /// The identity has no assigned S-CSCF to send a request to (TS 29.228 §6.1.3, §6.2.1).
    #[error("identity {0} has no assigned S-CSCF")]
    NotAssigned(String),
    /// The stored service profile could not be turned into User-Data.
    #[error("service profile {id}: {reason}")]
    Profile {
        /// Profile id.
        id: String,
        /// What was wrong.
        reason: String,
    },
    /// An answer could not be decoded or lacks its result.
    #[error("malformed answer: {0}")]
    Answer(String),
}
