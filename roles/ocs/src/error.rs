//! Errors of the OCS library (administration and storage); protocol faults become answers.

/// An OCS error.
#[derive(Debug, thiserror::Error)]
pub enum OcsError {
    /// Invalid configuration (names the key or tariff).
    #[error("configuration: {0}")]
    Config(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the ledger migrations failed.
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// No account with this id or identity.
    #[error("unknown account {0:?}")]
    UnknownAccount(String),
    /// The account or identity already exists.
    #[error("account or identity {0:?} already exists")]
    Exists(String),
    /// An argument is out of range (amount, identity syntax).
    #[error("invalid: {0}")]
    Invalid(String),
    /// A stored value is out of range (corrupt ledger).
    #[error("corrupt ledger value: {0}")]
    Corrupt(String),
}
