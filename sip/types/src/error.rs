//! Parse errors: small, `Copy`, string-free; each names the fault for a 400 reason phrase.

use crate::header_name::HeaderName;

/// What was wrong with the input. Never carries peer bytes (they may hold credentials).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The first line is neither a request line nor a status line.
    StartLine,
    /// The SIP-Version is not `SIP/2.0` (answer 505).
    Version,
    /// The Request-URI is malformed (e.g. `<sip:...>` or LWS inside it).
    RequestUri,
    /// A status code outside 100..=699.
    StatusCode,
    /// A header line without a colon or with an invalid name.
    HeaderLine,
    /// Content-Length is missing where required, negative, not a number, repeated with other
    /// values, or larger than the bytes that followed.
    ContentLength,
    /// The header section does not end with an empty line.
    Unterminated,
    /// The message is larger than the configured cap.
    TooLarge,
    /// Bytes in the header section that are not UTF-8.
    Utf8,
    /// A mandatory header is missing.
    Missing(HeaderName),
    /// A header that must appear once appears several times.
    Duplicate(HeaderName),
    /// A header whose value does not follow its grammar.
    Invalid(HeaderName),
    /// CSeq method differs from the request method.
    CSeqMethodMismatch,
    /// A URI (outside the start line) is malformed.
    Uri,
}

/// A parse failure with the byte offset where it was detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} at byte {offset}", kind.reason())]
pub struct ParseError {
    /// What was wrong.
    pub kind: ParseErrorKind,
    /// Offset into the message buffer (0 when unknown).
    pub offset: usize,
}

impl ParseError {
    /// A new error of `kind` at `offset`.
    pub const fn new(kind: ParseErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// The status code to answer a request that failed this way (400, or 505 for the version).
    pub fn status(&self) -> u16 {
        match self.kind {
            ParseErrorKind::Version => 505,
            _ => 400,
        }
    }

    /// A reason phrase that names the fault, e.g. `Bad Request (malformed CSeq)`.
    pub fn reason_phrase(&self) -> &'static str {
        self.kind.reason_phrase()
    }
}

impl ParseErrorKind {
    /// Short description of the fault, e.g. `malformed CSeq`.
    pub fn reason(&self) -> &'static str {
        todo!("sip-types helper fills this")
    }

    /// Full reason phrase for the error response, e.g. `Bad Request (malformed CSeq)`.
    pub fn reason_phrase(&self) -> &'static str {
        todo!("sip-types helper fills this")
    }
}
