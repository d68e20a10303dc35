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

/// The one table of fault texts: `pattern => "status phrase", "fault"`. `reason()` gives the
/// fault, `reason_phrase()` gives `"status phrase (fault)"`, both `&'static str`.
macro_rules! reasons {
    ($($pat:pat => $status:literal, $text:literal;)*) => {
        impl ParseErrorKind {
            /// Short description of the fault, e.g. `malformed CSeq`.
            pub fn reason(&self) -> &'static str {
                match self {
                    $($pat => $text,)*
                }
            }

            /// Full reason phrase for the error response, e.g. `Bad Request (malformed CSeq)`.
            pub fn reason_phrase(&self) -> &'static str {
                match self {
                    $($pat => concat!($status, " (", $text, ")"),)*
                }
            }
        }
    };
}

use ParseErrorKind as K;

reasons! {
    K::StartLine => "Bad Request", "malformed start line";
    K::Version => "Version Not Supported", "SIP version is not 2.0";
    K::RequestUri => "Bad Request", "malformed Request-URI";
    K::StatusCode => "Bad Request", "malformed status code";
    K::HeaderLine => "Bad Request", "malformed header line";
    K::ContentLength => "Bad Request", "bad Content-Length";
    K::Unterminated => "Bad Request", "header section not terminated";
    K::TooLarge => "Message Too Large", "message too large";
    K::Utf8 => "Bad Request", "header section not UTF-8";
    K::Missing(HeaderName::VIA) => "Bad Request", "missing Via";
    K::Missing(HeaderName::FROM) => "Bad Request", "missing From";
    K::Missing(HeaderName::TO) => "Bad Request", "missing To";
    K::Missing(HeaderName::CALL_ID) => "Bad Request", "missing Call-ID";
    K::Missing(HeaderName::CSEQ) => "Bad Request", "missing CSeq";
    K::Missing(HeaderName::MAX_FORWARDS) => "Bad Request", "missing Max-Forwards";
    K::Missing(HeaderName::CONTACT) => "Bad Request", "missing Contact";
    K::Missing(_) => "Bad Request", "missing mandatory header";
    K::Duplicate(HeaderName::FROM) => "Bad Request", "duplicate From";
    K::Duplicate(HeaderName::TO) => "Bad Request", "duplicate To";
    K::Duplicate(HeaderName::CALL_ID) => "Bad Request", "duplicate Call-ID";
    K::Duplicate(HeaderName::CSEQ) => "Bad Request", "duplicate CSeq";
    K::Duplicate(HeaderName::MAX_FORWARDS) => "Bad Request", "duplicate Max-Forwards";
    K::Duplicate(HeaderName::CONTENT_LENGTH) => "Bad Request", "duplicate Content-Length";
    K::Duplicate(_) => "Bad Request", "duplicate header";
    K::Invalid(HeaderName::VIA) => "Bad Request", "malformed Via";
    K::Invalid(HeaderName::FROM) => "Bad Request", "malformed From";
    K::Invalid(HeaderName::TO) => "Bad Request", "malformed To";
    K::Invalid(HeaderName::CALL_ID) => "Bad Request", "malformed Call-ID";
    K::Invalid(HeaderName::CSEQ) => "Bad Request", "malformed CSeq";
    K::Invalid(HeaderName::MAX_FORWARDS) => "Bad Request", "malformed Max-Forwards";
    K::Invalid(HeaderName::CONTACT) => "Bad Request", "malformed Contact";
    K::Invalid(HeaderName::EXPIRES) => "Bad Request", "malformed Expires";
    K::Invalid(HeaderName::ROUTE) => "Bad Request", "malformed Route";
    K::Invalid(HeaderName::RECORD_ROUTE) => "Bad Request", "malformed Record-Route";
    K::Invalid(_) => "Bad Request", "malformed header value";
    K::CSeqMethodMismatch => "Bad Request", "CSeq method does not match";
    K::Uri => "Bad Request", "malformed URI";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_name_the_fault() {
        let k = ParseErrorKind::Invalid(HeaderName::CSEQ);
        assert_eq!(k.reason(), "malformed CSeq");
        assert_eq!(k.reason_phrase(), "Bad Request (malformed CSeq)");
        assert_eq!(
            ParseErrorKind::Missing(HeaderName::CALL_ID).reason_phrase(),
            "Bad Request (missing Call-ID)"
        );
        assert_eq!(
            ParseErrorKind::Invalid(HeaderName::SUBJECT).reason(),
            "malformed header value"
        );
        let e = ParseError::new(ParseErrorKind::Version, 8);
        assert_eq!(e.status(), 505);
        assert_eq!(
            e.reason_phrase(),
            "Version Not Supported (SIP version is not 2.0)"
        );
        assert_eq!(e.to_string(), "SIP version is not 2.0 at byte 8");
        assert_eq!(ParseError::new(ParseErrorKind::Uri, 0).status(), 400);
    }
}
