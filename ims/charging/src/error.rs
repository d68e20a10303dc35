//! Errors of the charging clients.

/// Why an answer (CCA or ACA) could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// The message is not the expected answer (wrong command, or a request).
    #[error("not a {0}")]
    NotAnswer(&'static str),
    /// An AVP is missing or malformed.
    #[error("malformed answer: {0}")]
    Malformed(#[from] diameter_codec::Error),
}

/// Why the accounting spool failed.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The SQLite spool failed (open, write, read).
    #[error("spool database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value is out of range (corrupt spool).
    #[error("corrupt spool row: {0}")]
    Corrupt(String),
    /// The sender task stopped.
    #[error("the spool sender stopped")]
    Stopped,
}
