//! The message: one `Bytes` buffer plus an index of the start line, headers and body.
//! RFC 3261 §7 (grammar in §25).

use std::ops::Range;

use bytes::Bytes;

use crate::cseq::CSeq;
use crate::error::ParseError;
use crate::header_name::HeaderName;
use crate::method::Method;
use crate::name_addr::NameAddr;
use crate::status::StatusCode;
use crate::via::Via;

/// The first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// `Method SP Request-URI SP SIP-Version`
    Request {
        /// The method.
        method: Method,
        /// Byte range of the Request-URI in the buffer.
        uri: Range<usize>,
    },
    /// `SIP-Version SP Status-Code SP Reason-Phrase`
    Response {
        /// The status code (100..=699).
        status: StatusCode,
        /// Byte range of the reason phrase (may be empty).
        reason: Range<usize>,
    },
}

/// One header line (possibly folded over several physical lines), in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The known name, or `HeaderName::OTHER`.
    pub name: HeaderName,
    /// Range of the name as written (long or compact form, original case).
    pub name_range: Range<usize>,
    /// Range of the value: after the colon and leading whitespace, before the final CRLF, with
    /// trailing whitespace trimmed. Folded lines stay inside (CRLF + WSP counts as LWS).
    pub value_range: Range<usize>,
    /// Range of the whole line including its terminating CRLF (for removal).
    pub line_range: Range<usize>,
}

/// One comma-separated value of a header line (RFC 3261 §7.3.1), split outside quoted
/// strings and angle brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderValue<'a> {
    /// The value text, trimmed of surrounding LWS.
    pub text: &'a str,
    /// Its absolute byte range in the message buffer.
    pub range: (usize, usize),
    /// Index of the header line (into [`Message::headers`]) it belongs to.
    pub header_index: usize,
    /// True when it is the only value on its line (removing it removes the line).
    pub alone_on_line: bool,
}

/// A parsed SIP message. Cheap to clone (the buffer is reference-counted).
#[derive(Debug, Clone)]
pub struct Message {
    buf: Bytes,
    start: StartLine,
    headers: Vec<Header>,
    /// Offset of the first header line (just after the start line's CRLF).
    headers_start: usize,
    /// Offset of the empty line that ends the header section.
    headers_end: usize,
    body: Range<usize>,
}

impl Message {
    /// Parse one message from `buf` (a datagram or a frame cut by the stream framer).
    ///
    /// Indexes the start line and every header line, checks the header section's syntax
    /// (`name: value`, folding, UTF-8) and Content-Length. The body is Content-Length bytes
    /// (bytes beyond it are ignored: RFC 4475 §3.1.1.8); without Content-Length it is the rest
    /// of the buffer. Mandatory-header checks are in [`Message::validate`].
    pub fn parse(buf: Bytes) -> Result<Self, ParseError> {
        let _ = buf;
        todo!("sip-types helper fills this")
    }

    /// RFC 3261 §16.3 / §8.2 checks every hop needs: exactly one Call-ID, From, To, CSeq (and at
    /// most one Max-Forwards); at least one Via; top Via, From, To, CSeq and Max-Forwards parse;
    /// the CSeq method equals the request method; the Request-URI parses.
    pub fn validate(&self) -> Result<(), ParseError> {
        todo!("sip-types helper fills this")
    }

    /// The whole buffer as received.
    pub fn as_bytes(&self) -> &Bytes {
        &self.buf
    }

    /// The start line.
    pub fn start_line(&self) -> &StartLine {
        &self.start
    }

    /// True for a request.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The method of a request; for a response, `None` (see [`Message::cseq`]).
    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI text of a request.
    pub fn request_uri(&self) -> Option<&str> {
        todo!("sip-types helper fills this")
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<StatusCode> {
        match &self.start {
            StartLine::Response { status, .. } => Some(*status),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase of a response.
    pub fn reason(&self) -> Option<&str> {
        todo!("sip-types helper fills this")
    }

    /// Every header line in wire order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// Offset where the first header line starts (insert here to put a header first).
    pub fn headers_start(&self) -> usize {
        self.headers_start
    }

    /// Offset of the empty line that ends the header section (insert here to append a header).
    pub fn headers_end(&self) -> usize {
        self.headers_end
    }

    /// The text at `range` in the buffer (header sections are checked UTF-8 at parse time).
    pub fn text(&self, range: Range<usize>) -> &str {
        let _ = range;
        todo!("sip-types helper fills this")
    }

    /// Zero-copy owned slice of the buffer for a `&str` borrowed from this message.
    pub fn slice_of(&self, s: &str) -> Bytes {
        let _ = s;
        todo!("sip-types helper fills this")
    }

    /// The name of header `h` as written.
    pub fn name_str(&self, h: &Header) -> &str {
        self.text(h.name_range.clone())
    }

    /// The value of header `h` (whole line, all comma-separated values).
    pub fn value_str(&self, h: &Header) -> &str {
        self.text(h.value_range.clone())
    }

    /// The first line's value of a known header.
    pub fn header(&self, name: HeaderName) -> Option<&str> {
        let _ = name;
        todo!("sip-types helper fills this")
    }

    /// The first line's value of any header by its name text (case-insensitive, compact forms
    /// of known names understood).
    pub fn header_by_name(&self, name: &str) -> Option<&str> {
        let _ = name;
        todo!("sip-types helper fills this")
    }

    /// Every comma-separated value of every line of a known header, in order. Use only for
    /// headers whose grammar is a comma list (Via, Route, Record-Route, Contact, Path...).
    pub fn header_values(&self, name: HeaderName) -> impl Iterator<Item = HeaderValue<'_>> + '_ {
        let _ = name;
        std::iter::from_fn(|| todo!("sip-types helper fills this"))
    }

    /// The body (exactly Content-Length bytes).
    pub fn body(&self) -> &[u8] {
        &self.buf[self.body.clone()]
    }

    /// The body's range in the buffer.
    pub fn body_range(&self) -> Range<usize> {
        self.body.clone()
    }

    /// The topmost Via value.
    pub fn top_via(&self) -> Result<Via<'_>, ParseError> {
        todo!("sip-types helper fills this")
    }

    /// Every Via value, top first.
    pub fn vias(&self) -> impl Iterator<Item = Result<Via<'_>, ParseError>> + '_ {
        std::iter::from_fn(|| todo!("sip-types helper fills this"))
    }

    /// The Call-ID.
    pub fn call_id(&self) -> Result<&str, ParseError> {
        todo!("sip-types helper fills this")
    }

    /// The CSeq.
    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        todo!("sip-types helper fills this")
    }

    /// The From header.
    pub fn from(&self) -> Result<NameAddr<'_>, ParseError> {
        todo!("sip-types helper fills this")
    }

    /// The To header.
    pub fn to(&self) -> Result<NameAddr<'_>, ParseError> {
        todo!("sip-types helper fills this")
    }

    /// Max-Forwards, if present.
    pub fn max_forwards(&self) -> Result<Option<u32>, ParseError> {
        todo!("sip-types helper fills this")
    }

    /// Expires header value in seconds, if present.
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        todo!("sip-types helper fills this")
    }
}
