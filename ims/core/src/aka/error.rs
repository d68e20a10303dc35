//! Errors of the AKA module. They never carry key material or peer bytes.

/// Why an AKA input or operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AkaError {
    /// A byte string had the wrong length for its field (e.g. a 14-byte AUTS,
    /// TS 33.102 §6.3.3).
    #[error("{field} must be {expected} bytes, got {got}")]
    BadLength {
        /// Which field.
        field: &'static str,
        /// The length the field requires.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A hex string was not an even run of hex digits.
    #[error("{field} is not valid hex")]
    BadHex {
        /// Which field.
        field: &'static str,
    },
    /// MAC-S of an AUTS did not verify (forged or for another RAND): TS 33.102 §6.3.5.
    #[error("AUTS MAC-S does not verify")]
    MacSMismatch,
    /// An SQN configuration value is out of range.
    #[error("invalid SQN configuration: {0}")]
    BadSqnConfig(&'static str),
}
