//! Errors shared by every store backend.

/// An error from a store backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The SQL driver failed (connection, query, constraint).
    #[error("sql: {0}")]
    Sql(#[from] sqlx::Error),
    /// Applying the embedded schema migrations failed.
    #[error("sql migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The Redis client failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The named entity does not exist (e.g. `next_sqn` of an unknown IMPI).
    #[error("{kind} not found: {key}")]
    NotFound {
        /// What was looked for ("private identity", "public identity", ...).
        kind: &'static str,
        /// The key that was looked up.
        key: String,
    },
    /// A value does not fit the model or the storage encoding.
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// Advancing the SQN would exceed its 48-bit range (TS 33.102 §6.3.2).
    #[error("SQN of {impi} would exceed 2^48-1")]
    SqnExhausted {
        /// The private identity whose SQN is exhausted.
        impi: String,
    },
    /// A configuration value is unusable (bad URL, bad schema name).
    #[error("configuration: {0}")]
    Config(String),
}

impl StoreError {
    pub(crate) fn not_found(kind: &'static str, key: &str) -> Self {
        Self::NotFound {
            kind,
            key: key.to_owned(),
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Self::InvalidData(msg.into())
    }
}
