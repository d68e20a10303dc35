//! Errors of the CDF store and export.

/// A failure of the CDR store or of an export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CdfError {
    /// The SQL driver failed (connection, query, commit).
    #[error("sql: {0}")]
    Sql(#[from] sqlx::Error),
    /// Applying the embedded schema migrations failed.
    #[error("sql migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A configuration value is unusable (bad URL, bad schema name).
    #[error("configuration: {0}")]
    Config(String),
    /// A stored value does not fit the model (corrupt or foreign row).
    #[error("invalid stored data: {0}")]
    InvalidData(String),
    /// The store's writer task is gone (runtime shutting down).
    #[error("CDR writer stopped")]
    WriterStopped,
    /// Writing an export failed.
    #[error("export: {0}")]
    Io(#[from] std::io::Error),
}

impl CdfError {
    /// Whether the database reported that it is out of space (SQLITE_FULL, PostgreSQL
    /// class 53100 `disk_full`): the ACA then carries DIAMETER_OUT_OF_SPACE (RFC 6733 §9.4).
    pub fn is_out_of_space(&self) -> bool {
        match self {
            Self::Sql(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("13") | Some("53100"))
            }
            _ => false,
        }
    }
}
