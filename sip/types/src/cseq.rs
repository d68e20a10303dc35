//! CSeq (RFC 3261 §20.16): `CSeq: 1*DIGIT LWS Method`, the number below 2^31.

use crate::error::ParseError;
use crate::method::Method;

/// A parsed CSeq value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CSeq {
    /// Sequence number.
    pub seq: u32,
    /// Method.
    pub method: Method,
}

impl CSeq {
    /// Parse a CSeq header value.
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        let _ = value;
        todo!("sip-types helper fills this")
    }
}

impl std::fmt::Display for CSeq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.seq, self.method.as_str())
    }
}
