//! The message: one `Bytes` buffer plus an index of the start line, headers and body.
//! RFC 3261 §7 (grammar in §25).

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;

use crate::cseq::CSeq;
use crate::error::{ParseError, ParseErrorKind};
use crate::header_name::HeaderName;
use crate::hot::{AddrSpans, HostKind, Hot, Span, TopValue, ViaSpans};
use crate::method::Method;
use crate::name_addr::NameAddr;
use crate::params::Params;
use crate::scan::{find_unquoted, is_lws, is_token_char, parse_u32};
use crate::status::StatusCode;
use crate::uri::Uri;
use crate::via::Via;

fn fail(kind: ParseErrorKind, offset: usize) -> ParseError {
    ParseError::new(kind, offset)
}

/// Header lines the reused scratch index holds before it grows.
const EXPECTED_HEADERS: usize = 32;

/// A scratch index that grew past this many lines is dropped after use rather than kept.
const SCRATCH_KEEP: usize = 256;

thread_local! {
    /// The header index under construction, reused message after message: the message keeps an
    /// exact-size copy, so its one allocation for the index is small (a dozen lines fit the
    /// allocator's per-thread cache, 24 spare ones did not).
    static SCRATCH: std::cell::RefCell<Vec<Header>> =
        std::cell::RefCell::new(Vec::with_capacity(EXPECTED_HEADERS));
}

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
    /// The start line and header section (checked UTF-8 once), so text views need no check.
    head: Arc<str>,
    /// Header indexes and the parsed top Via, CSeq, From and To (shared: clones and moves of
    /// the message stay cheap).
    hot: Arc<Hot>,
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
        use ParseErrorKind as K;
        let b: &[u8] = &buf;
        // RFC 3261 §7.5: CRLFs before the start line are ignored.
        let mut pos = 0;
        while b.get(pos..pos + 2) == Some(b"\r\n") {
            pos += 2;
        }
        let lf = crate::scan::find_byte_swar(b.get(pos..).unwrap_or_default(), b'\n')
            .map(|i| pos + i)
            .ok_or_else(|| fail(K::Unterminated, pos))?;
        if lf == pos || b.get(lf - 1) != Some(&b'\r') {
            return Err(fail(K::StartLine, lf));
        }
        let start = parse_start_line(&buf, pos, lf - 1)?;
        let headers_start = lf + 1;

        let mut hot = Hot::default();
        let (headers_end, content_length, headers) = SCRATCH.with(|scratch| {
            let Ok(mut index) = scratch.try_borrow_mut() else {
                let mut index = Vec::with_capacity(EXPECTED_HEADERS);
                let (end, length) = scan_headers(b, headers_start, &mut index, &mut hot)?;
                return Ok((end, length, index));
            };
            index.clear();
            let scanned = scan_headers(b, headers_start, &mut index, &mut hot)
                .map(|(end, length)| (end, length, index.to_vec()));
            if index.capacity() > SCRATCH_KEEP {
                *index = Vec::with_capacity(EXPECTED_HEADERS);
            }
            scanned
        })?;
        let head = match std::str::from_utf8(b.get(..headers_end).unwrap_or_default()) {
            Ok(h) => Arc::from(h),
            Err(e) => return Err(fail(K::Utf8, e.valid_up_to())),
        };
        let body_start = headers_end + 2;
        let body = match content_length {
            Some(n) => {
                let end = body_start.checked_add(n).filter(|&e| e <= b.len());
                body_start..end.ok_or_else(|| fail(K::ContentLength, body_start))?
            }
            None => body_start..b.len(),
        };
        let mut msg = Self {
            buf,
            head,
            hot: Arc::new(hot),
            start,
            headers,
            headers_start,
            headers_end,
            body,
        };
        msg.fill_hot();
        Ok(msg)
    }

    /// Parse the top Via, CSeq, From and To once (values that fail stay uncached, so their
    /// accessors report the error).
    fn fill_hot(&mut self) {
        let mut vias = self.header_values_scanned(HeaderName::VIA);
        let top = vias.next();
        let top_via_value = top.and_then(|t| {
            Some(TopValue {
                value: Span::new(t.range.0, t.range.1 - t.range.0)?,
                line: u32::try_from(vias.index).ok()?,
                alone: t.alone_on_line,
                next: u32::try_from(vias.pos?).ok()?,
                lines_left: match vias.lines_left {
                    Some(n) => Some(u8::try_from(n).ok()?),
                    None => None,
                },
            })
        });
        let parsed = top.and_then(|t| Via::parse_with_branch(t.text).ok());
        let via = parsed.and_then(|(v, branch)| {
            Some(ViaSpans {
                transport: self.span(v.transport)?,
                host: HostKind::of(&v.host),
                host_str: self.span(v.host_str)?,
                port: v.port,
                params: self.span(v.params.as_str())?,
                branch: match branch {
                    Some(b) => Some(self.span(b)?),
                    None => None,
                },
            })
        });
        let cseq = self.parse_cseq().ok();
        let from = self.addr_spans(HeaderName::FROM);
        let to = self.addr_spans(HeaderName::TO);
        // Just built, so not shared yet.
        if let Some(hot) = Arc::get_mut(&mut self.hot) {
            hot.via = via;
            hot.top_via_value = top_via_value;
            hot.cseq = cseq;
            hot.from = from;
            hot.to = to;
        }
    }

    fn addr_spans(&self, name: HeaderName) -> Option<AddrSpans> {
        let a = self.parse_name_addr(name).ok()?;
        Some(AddrSpans {
            display: match a.display {
                Some(d) => Some(self.span(d)?),
                None => None,
            },
            uri: self.span(a.uri)?,
            bracketed: a.bracketed,
            params: self.span(a.params.as_str())?,
        })
    }

    /// The span of `s` in this message ([`Span::LITERAL`] if it points elsewhere); `None` if
    /// its offsets do not fit the cache.
    fn span(&self, s: &str) -> Option<Span> {
        match self.offset_of(s) {
            Some(o) => Span::new(o, s.len()),
            None => Some(Span::LITERAL),
        }
    }

    /// The text of a cached span (a literal empty string for [`Span::LITERAL`]).
    fn span_text(&self, s: &Span) -> &str {
        if *s == Span::LITERAL {
            return "";
        }
        match (usize::try_from(s.start), usize::try_from(s.end)) {
            (Ok(a), Ok(b)) => self.text(a..b),
            _ => "",
        }
    }

    fn addr_from_spans(&self, a: &AddrSpans) -> NameAddr<'_> {
        NameAddr {
            display: a.display.as_ref().map(|d| self.span_text(d)),
            uri: self.span_text(&a.uri),
            bracketed: a.bracketed,
            params: Params::new(self.span_text(&a.params)),
        }
    }

    /// RFC 3261 §16.3 / §8.2 checks every hop needs: exactly one Call-ID, From, To, CSeq (and at
    /// most one Max-Forwards); at least one Via; top Via, From, To, CSeq and Max-Forwards parse;
    /// the CSeq method equals the request method; the Request-URI parses.
    ///
    /// Also checks every Contact value (`*` or a name-addr, RFC 3261 §20.10), that From/To URIs
    /// parse, and that a SIP Request-URI carries no headers (RFC 4475 §3.1.2.11).
    pub fn validate(&self) -> Result<(), ParseError> {
        self.check(true)
    }

    /// What a proxy relaying the message needs checked: [`Message::validate`] for a request;
    /// for a response (RFC 3261 §16.7), the same header counts, top Via, Call-ID, CSeq, From
    /// and To name-addrs and Max-Forwards, but not the URIs inside From and To nor the
    /// Contact values, which a proxy passes through untouched.
    pub fn validate_for_relay(&self) -> Result<(), ParseError> {
        self.check(self.is_request())
    }

    /// [`Message::validate`]; `deep` adds the From/To URI and Contact checks.
    fn check(&self, deep: bool) -> Result<(), ParseError> {
        use ParseErrorKind as K;
        // Line counts of the headers that must appear once.
        const ONCE: [HeaderName; 5] = [
            HeaderName::CALL_ID,
            HeaderName::FROM,
            HeaderName::TO,
            HeaderName::CSEQ,
            HeaderName::MAX_FORWARDS,
        ];
        if self.hot.count_of(HeaderName::VIA) == 0 {
            return Err(fail(K::Missing(HeaderName::VIA), self.headers_start));
        }
        for name in ONCE.iter() {
            let count = self.hot.count_of(*name);
            let at = self.hot.first_of(*name).and_then(|i| self.headers.get(i));
            let at = at.map_or(self.headers_start, |h| h.value_range.start);
            if count == 0 && *name != HeaderName::MAX_FORWARDS {
                return Err(fail(K::Missing(*name), self.headers_start));
            }
            if count > 1 {
                return Err(fail(K::Duplicate(*name), at));
            }
        }
        let at = |name: HeaderName| self.header_offset(name);
        if self.hot.via.is_none() {
            self.top_via()
                .map_err(|e| fail(e.kind, at(HeaderName::VIA)))?;
        }
        let call_id = self.call_id()?;
        if call_id.is_empty() || call_id.bytes().any(is_lws) {
            return Err(fail(
                K::Invalid(HeaderName::CALL_ID),
                at(HeaderName::CALL_ID),
            ));
        }
        for (name, addr) in [
            (HeaderName::FROM, &self.hot.from),
            (HeaderName::TO, &self.hot.to),
        ] {
            // The URI is checked here, not at parse time: most hops never look inside it.
            let uri_ok = match addr {
                Some(_) if !deep => true,
                Some(a) => Uri::parse(self.span_text(&a.uri)).is_ok(),
                None if !deep => {
                    self.name_addr(name)?;
                    true
                }
                None => self.name_addr(name)?.parsed_uri().is_ok(),
            };
            if !uri_ok {
                return Err(fail(K::Invalid(name), at(name)));
            }
        }
        let owned;
        let cseq = match &self.hot.cseq {
            Some(c) => c,
            None => {
                owned = self.cseq()?;
                &owned
            }
        };
        self.max_forwards()?;
        if let StartLine::Request { method, uri } = &self.start {
            if cseq.method != *method {
                return Err(fail(K::CSeqMethodMismatch, at(HeaderName::CSEQ)));
            }
            let bad_uri = fail(K::RequestUri, uri.start);
            match Uri::parse(self.text(uri.clone())) {
                Ok(Uri::Sip(u)) if u.headers.is_some() => return Err(bad_uri),
                Ok(_) => {}
                Err(_) => return Err(bad_uri),
            }
        }
        if !deep {
            return Ok(());
        }
        for v in self.header_values(HeaderName::CONTACT) {
            if v.text != "*" && NameAddr::parse(v.text).is_err() {
                return Err(fail(K::Invalid(HeaderName::CONTACT), v.range.0));
            }
        }
        Ok(())
    }

    /// Offset of the first value of `name` (for error positions), or the header start.
    fn header_offset(&self, name: HeaderName) -> usize {
        self.first_header(name)
            .map_or(self.headers_start, |h| h.value_range.start)
    }

    fn first_header(&self, name: HeaderName) -> Option<&Header> {
        if crate::hot::slot(name).is_some() && !self.hot.unindexed {
            return self.hot.first_of(name).and_then(|i| self.headers.get(i));
        }
        self.headers.iter().find(|h| h.name == name)
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
        match &self.start {
            StartLine::Request { uri, .. } => Some(self.text(uri.clone())),
            StartLine::Response { .. } => None,
        }
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
        match &self.start {
            StartLine::Response { reason, .. } => Some(self.text(reason.clone())),
            StartLine::Request { .. } => None,
        }
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
    /// Returns `""` for a range outside the buffer or not on UTF-8 boundaries.
    pub fn text(&self, range: Range<usize>) -> &str {
        if range.end <= self.head.len() {
            return self.head.get(range).unwrap_or("");
        }
        self.buf
            .get(range)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// Zero-copy owned slice of the buffer for a `&str` borrowed from this message (a copy
    /// when `s` does not point into the buffer).
    pub fn slice_of(&self, s: &str) -> Bytes {
        match self.offset_of(s) {
            Some(off) => self.buf.slice(off..off + s.len()),
            None => Bytes::copy_from_slice(s.as_bytes()),
        }
    }

    /// Absolute byte offset of a `&str` borrowed from this message, if it points into it.
    pub fn offset_of(&self, s: &str) -> Option<usize> {
        // Text views point into the UTF-8 copy of the head, which mirrors the buffer's start.
        let head = (s.as_ptr() as usize).checked_sub(self.head.as_ptr() as usize);
        if let Some(off) = head.filter(|&o| o.saturating_add(s.len()) <= self.head.len()) {
            return Some(off);
        }
        let off = (s.as_ptr() as usize).checked_sub(self.buf.as_ptr() as usize)?;
        let end = off.checked_add(s.len())?;
        (end <= self.buf.len()).then_some(off)
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
        self.first_header(name).map(|h| self.value_str(h))
    }

    /// The first line's value of any header by its name text (case-insensitive, compact forms
    /// of known names understood).
    pub fn header_by_name(&self, name: &str) -> Option<&str> {
        let known = HeaderName::from_bytes(name.as_bytes());
        if known != HeaderName::OTHER {
            return self.header(known);
        }
        self.headers
            .iter()
            .find(|h| h.name == HeaderName::OTHER && self.name_str(h).eq_ignore_ascii_case(name))
            .map(|h| self.value_str(h))
    }

    /// The values of every line of a known header, whole (not split at commas), in order.
    pub fn header_lines(&self, name: HeaderName) -> impl Iterator<Item = &str> + '_ {
        self.headers
            .iter()
            .filter(move |h| h.name == name)
            .map(|h| self.value_str(h))
    }

    /// Every comma-separated value of every line of a known header, in order. Use only for
    /// headers whose grammar is a comma list (Via, Route, Record-Route, Contact, Path...).
    ///
    /// Empty elements (`a,,b`) are skipped.
    pub fn header_values(&self, name: HeaderName) -> impl Iterator<Item = HeaderValue<'_>> + '_ {
        // The Vias start from the top value found at parse time.
        if let (HeaderName::VIA, Some(top)) = (name, self.hot.top_via_value) {
            if let (Ok(start), Ok(end)) = (
                usize::try_from(top.value.start),
                usize::try_from(top.value.end),
            ) {
                return HeaderValues {
                    msg: self,
                    name,
                    index: usize::try_from(top.line).unwrap_or(usize::MAX),
                    pos: usize::try_from(top.next).ok(),
                    seen_on_line: true,
                    lines_left: top.lines_left.map(usize::from),
                    first: Some(HeaderValue {
                        text: self.text(start..end),
                        range: (start, end),
                        header_index: usize::try_from(top.line).unwrap_or(usize::MAX),
                        alone_on_line: top.alone,
                    }),
                };
            }
        }
        self.header_values_scanned(name)
    }

    /// [`Message::header_values`] without the parse-time start.
    fn header_values_scanned(&self, name: HeaderName) -> HeaderValues<'_> {
        // Indexed headers start at their first line and stop after their last one.
        let (index, lines_left) = if crate::hot::slot(name).is_some() && !self.hot.unindexed {
            let count = self.hot.count_of(name);
            match self.hot.first_of(name) {
                Some(i) => (i, (count < usize::from(u8::MAX)).then_some(count)),
                None => (self.headers.len(), None),
            }
        } else {
            (0, None)
        };
        HeaderValues {
            msg: self,
            name,
            index,
            pos: None,
            seen_on_line: false,
            lines_left,
            first: None,
        }
    }

    /// The body (exactly Content-Length bytes).
    pub fn body(&self) -> &[u8] {
        self.buf.get(self.body.clone()).unwrap_or_default()
    }

    /// The body's range in the buffer.
    pub fn body_range(&self) -> Range<usize> {
        self.body.clone()
    }

    /// The topmost Via value.
    pub fn top_via(&self) -> Result<Via<'_>, ParseError> {
        if let Some(v) = &self.hot.via {
            let host_str = self.span_text(&v.host_str);
            return Ok(Via {
                transport: self.span_text(&v.transport),
                host: v.host.with_text(host_str),
                host_str,
                port: v.port,
                params: Params::new(self.span_text(&v.params)),
            });
        }
        self.parse_top_via()
    }

    /// The top Via's branch parameter value (cached at parse time), if it parses and has one.
    pub fn top_via_branch(&self) -> Option<&str> {
        match &self.hot.via {
            Some(v) => v.branch.as_ref().map(|r| self.span_text(r)),
            None => self.parse_top_via().ok()?.branch(),
        }
    }

    fn parse_top_via(&self) -> Result<Via<'_>, ParseError> {
        let v = self
            .header_values(HeaderName::VIA)
            .next()
            .ok_or_else(|| fail(ParseErrorKind::Missing(HeaderName::VIA), self.headers_start))?;
        Via::parse(v.text).map_err(|e| fail(e.kind, v.range.0))
    }

    /// Every Via value, top first.
    pub fn vias(&self) -> impl Iterator<Item = Result<Via<'_>, ParseError>> + '_ {
        self.header_values(HeaderName::VIA)
            .map(|v| Via::parse(v.text).map_err(|e| fail(e.kind, v.range.0)))
    }

    /// The value of a header that must be present, or `Missing(name)`.
    fn required(&self, name: HeaderName) -> Result<&Header, ParseError> {
        self.first_header(name)
            .ok_or_else(|| fail(ParseErrorKind::Missing(name), self.headers_start))
    }

    /// The Call-ID.
    pub fn call_id(&self) -> Result<&str, ParseError> {
        self.required(HeaderName::CALL_ID)
            .map(|h| self.value_str(h))
    }

    /// The CSeq.
    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        if let Some(c) = &self.hot.cseq {
            return Ok(c.clone());
        }
        self.parse_cseq()
    }

    /// The CSeq number and whether its method is `method`, without cloning the method.
    pub fn cseq_is(&self, method: &Method) -> Option<(u32, bool)> {
        match &self.hot.cseq {
            Some(c) => Some((c.seq, c.method == *method)),
            None => self.parse_cseq().ok().map(|c| (c.seq, c.method == *method)),
        }
    }

    fn parse_cseq(&self) -> Result<CSeq, ParseError> {
        let h = self.required(HeaderName::CSEQ)?;
        CSeq::parse(self.value_str(h)).map_err(|e| fail(e.kind, h.value_range.start))
    }

    fn name_addr(&self, name: HeaderName) -> Result<NameAddr<'_>, ParseError> {
        let cached = match name {
            HeaderName::FROM => &self.hot.from,
            HeaderName::TO => &self.hot.to,
            _ => &None,
        };
        if let Some(a) = cached {
            return Ok(self.addr_from_spans(a));
        }
        self.parse_name_addr(name)
    }

    fn parse_name_addr(&self, name: HeaderName) -> Result<NameAddr<'_>, ParseError> {
        let h = self.required(name)?;
        NameAddr::parse(self.value_str(h))
            .map_err(|_| fail(ParseErrorKind::Invalid(name), h.value_range.start))
    }

    /// The From header.
    pub fn from(&self) -> Result<NameAddr<'_>, ParseError> {
        self.name_addr(HeaderName::FROM)
    }

    /// The To header.
    pub fn to(&self) -> Result<NameAddr<'_>, ParseError> {
        self.name_addr(HeaderName::TO)
    }

    fn number(&self, name: HeaderName) -> Result<Option<u32>, ParseError> {
        match self.first_header(name) {
            None => Ok(None),
            Some(h) => parse_u32(self.value_str(h))
                .map(Some)
                .ok_or_else(|| fail(ParseErrorKind::Invalid(name), h.value_range.start)),
        }
    }

    /// Max-Forwards, if present.
    pub fn max_forwards(&self) -> Result<Option<u32>, ParseError> {
        self.number(HeaderName::MAX_FORWARDS)
    }

    /// Expires header value in seconds, if present.
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        self.number(HeaderName::EXPIRES)
    }
}

/// Index the header lines from `headers_start` to the empty line into `headers` (noting the
/// indexed ones in `hot`); returns the offset of the empty line and the Content-Length.
/// RFC 3261 §7.3.1.
fn scan_headers(
    b: &[u8],
    headers_start: usize,
    headers: &mut Vec<Header>,
    hot: &mut Hot,
) -> Result<(usize, Option<usize>), ParseError> {
    use ParseErrorKind as K;
    let mut content_length: Option<usize> = None;
    let mut p = headers_start;
    let headers_end = loop {
        let rest = b.get(p..).unwrap_or_default();
        match rest {
            [b'\r', b'\n', ..] => break p,
            [] => return Err(fail(K::Unterminated, p)),
            [b' ' | b'\t', ..] => return Err(fail(K::HeaderLine, p)),
            _ => {}
        }
        // Name: a token, then optional SP/HT, then the colon (RFC 3261 §7.3.1 HCOLON).
        // Offsets below are relative to `p` while scanning `rest`.
        let name_len = rest
            .iter()
            .position(|&c| !is_token_char(c))
            .unwrap_or(rest.len());
        let after_name = rest.get(name_len..).unwrap_or_default();
        let ws = after_name.iter().position(|&c| c != b' ' && c != b'\t');
        let colon = match ws {
            Some(w) if name_len > 0 && after_name.get(w) == Some(&b':') => name_len + w,
            _ => return Err(fail(K::HeaderLine, p)),
        };
        let name_bytes = rest.get(..name_len).unwrap_or_default();
        // The logical line ends at a CRLF not followed by SP/HT (folding, §7.3.1).
        let mut q = colon + 1;
        let eol = loop {
            let nl = crate::scan::find_byte_swar(rest.get(q..).unwrap_or_default(), b'\n')
                .map(|i| q + i)
                .ok_or_else(|| fail(K::Unterminated, p + q))?;
            // nl > colon >= 0, so nl - 1 does not wrap.
            if nl - 1 <= colon || rest.get(nl - 1) != Some(&b'\r') {
                return Err(fail(K::HeaderLine, p + nl));
            }
            match rest.get(nl + 1) {
                Some(b' ' | b'\t') => q = nl + 1,
                Some(_) => break nl - 1,
                None => return Err(fail(K::Unterminated, p + nl)),
            }
        };
        let value = rest.get(colon + 1..eol).unwrap_or_default();
        let lead = value
            .iter()
            .position(|&c| !is_lws(c))
            .unwrap_or(value.len());
        let trail = value
            .iter()
            .rposition(|&c| !is_lws(c))
            .map_or(lead, |i| i + 1);
        let (vs, ve) = (p + colon + 1 + lead, p + colon + 1 + trail);
        let (name_end, eol) = (p + name_len, p + eol);
        let name = HeaderName::from_token(name_bytes);
        if name == HeaderName::CONTENT_LENGTH {
            let n = b
                .get(vs..ve)
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(parse_u32)
                .ok_or_else(|| fail(K::ContentLength, vs))?;
            let n = usize::try_from(n).map_err(|_| fail(K::ContentLength, vs))?;
            if content_length.is_some_and(|prev| prev != n) {
                return Err(fail(K::ContentLength, vs));
            }
            content_length = Some(n);
        }
        hot.note(name, headers.len());
        headers.push(Header {
            name,
            name_range: p..name_end,
            value_range: vs..ve,
            line_range: p..eol + 2,
        });
        p = eol + 2;
    };
    Ok((headers_end, content_length))
}

/// Parse the start line `b[s..e]` (CRLF excluded). RFC 3261 §7.1, §7.2, §25.1.
fn parse_start_line(buf: &Bytes, s: usize, e: usize) -> Result<StartLine, ParseError> {
    use ParseErrorKind as K;
    let line = buf.get(s..e).unwrap_or_default();
    let is_version = |v: &[u8]| v.eq_ignore_ascii_case(b"SIP/2.0");
    let looks_like_version = |v: &[u8]| v.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"));
    let sp1 = memchr::memchr(b' ', line).ok_or_else(|| fail(K::StartLine, s))?;
    let first = line.get(..sp1).unwrap_or_default();
    if looks_like_version(first) {
        if !is_version(first) {
            return Err(fail(K::Version, s));
        }
        let rest = line.get(sp1 + 1..).unwrap_or_default();
        let code_end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
        let code = rest.get(..code_end).unwrap_or_default();
        let status = match code {
            [a @ b'1'..=b'6', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
                u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
            }
            _ => return Err(fail(K::StatusCode, s + sp1 + 1)),
        };
        let reason_start = (s + sp1 + 1 + code_end + 1).min(e);
        return Ok(StartLine::Response {
            status: StatusCode(status),
            reason: reason_start..e,
        });
    }
    // RFC 4475 §3.1.2.10: trailing whitespace after the SIP-Version is rejected.
    if matches!(line.last(), Some(b' ' | b'\t')) {
        return Err(fail(K::StartLine, e));
    }
    if first.is_empty() || !first.iter().all(|&c| is_token_char(c)) {
        return Err(fail(K::StartLine, s));
    }
    let sp2 = memchr::memrchr(b' ', line).ok_or_else(|| fail(K::StartLine, s))?;
    if sp2 == sp1 {
        return Err(fail(K::StartLine, s));
    }
    let version = line.get(sp2 + 1..).unwrap_or_default();
    if !is_version(version) {
        let kind = if looks_like_version(version) {
            K::Version
        } else {
            K::StartLine
        };
        return Err(fail(kind, s + sp2 + 1));
    }
    let uri = line.get(sp1 + 1..sp2).unwrap_or_default();
    let uri_ok = !uri.is_empty()
        && uri.first() != Some(&b'<')
        && !uri.iter().any(|&c| is_lws(c) || c < b' ')
        && memchr::memchr(b':', uri).is_some();
    if !uri_ok {
        return Err(fail(K::RequestUri, s + sp1 + 1));
    }
    let method = Method::from_slice(&buf.slice(s..s + sp1));
    Ok(StartLine::Request {
        method,
        uri: s + sp1 + 1..s + sp2,
    })
}

/// Iterator behind [`Message::header_values`].
struct HeaderValues<'a> {
    msg: &'a Message,
    name: HeaderName,
    index: usize,
    /// Where the next value of the current line starts; `None` at a line's start.
    pos: Option<usize>,
    seen_on_line: bool,
    /// Lines of `name` not yet started, when known exactly (indexed headers).
    lines_left: Option<usize>,
    /// A value found before (the cached top Via), yielded first.
    first: Option<HeaderValue<'a>>,
}

impl<'a> Iterator for HeaderValues<'a> {
    type Item = HeaderValue<'a>;

    fn next(&mut self) -> Option<HeaderValue<'a>> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        let buf: &[u8] = &self.msg.buf;
        loop {
            if self.pos.is_none() && self.lines_left == Some(0) {
                return None;
            }
            let h = self.msg.headers.get(self.index)?;
            let end = h.value_range.end;
            let start = match self.pos {
                Some(p) => p,
                None if h.name == self.name => {
                    self.seen_on_line = false;
                    if let Some(n) = self.lines_left.as_mut() {
                        *n = n.saturating_sub(1);
                    }
                    h.value_range.start
                }
                None => {
                    self.index += 1;
                    continue;
                }
            };
            if start >= end {
                self.index += 1;
                self.pos = None;
                continue;
            }
            let seg = buf.get(start..end).unwrap_or_default();
            let cut = find_unquoted(seg, b',', true).map_or(end, |i| start + i);
            self.pos = Some(cut + 1);
            let (mut ts, mut te) = (start, cut);
            while ts < te && buf.get(ts).is_some_and(|&c| is_lws(c)) {
                ts += 1;
            }
            while te > ts && buf.get(te - 1).is_some_and(|&c| is_lws(c)) {
                te -= 1;
            }
            if ts == te {
                continue;
            }
            let rest = buf.get(cut..end).unwrap_or_default();
            let alone = !self.seen_on_line && rest.iter().all(|&c| c == b',' || is_lws(c));
            self.seen_on_line = true;
            return Some(HeaderValue {
                text: self.msg.text(ts..te),
                range: (ts, te),
                header_index: self.index,
                alone_on_line: alone,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds, SIP/2.0/TCP p1.example.com;branch=z9hG4bK1\r\n\
v: SIP/2.0/UDP p2.example.com;branch=z9hG4bK2\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.com>\r\n\
From: \"Alice, A.\" <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.com>\r\n\
X-Odd:  spaced  \r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\r\nextra";

    fn msg(s: &str) -> Message {
        Message::parse(Bytes::copy_from_slice(s.as_bytes())).unwrap()
    }

    fn err(s: &str) -> ParseErrorKind {
        match Message::parse(Bytes::copy_from_slice(s.as_bytes())) {
            Ok(m) => m.validate().unwrap_err().kind,
            Err(e) => e.kind,
        }
    }

    #[test]
    fn parses_request() {
        let m = msg(INVITE);
        m.validate().unwrap();
        assert!(m.is_request());
        assert_eq!(m.method(), Some(&Method::INVITE));
        assert_eq!(m.request_uri(), Some("sip:bob@biloxi.com"));
        assert_eq!(m.headers().len(), 11);
        assert_eq!(m.body(), b"v=0\r");
        assert_eq!(m.call_id().unwrap(), "a84b4c76e66710@pc33.atlanta.com");
        assert_eq!(m.cseq().unwrap().seq, 314159);
        assert_eq!(m.from().unwrap().tag(), Some("1928301774"));
        assert_eq!(m.from().unwrap().display, Some("Alice, A."));
        assert_eq!(m.to().unwrap().tag(), None);
        assert_eq!(m.max_forwards().unwrap(), Some(70));
        assert_eq!(m.expires().unwrap(), None);
        assert_eq!(m.header_by_name("x-odd"), Some("spaced"));
        assert_eq!(m.header_by_name("l"), Some("4"));
        assert_eq!(m.header_by_name("nope"), None);
        assert_eq!(m.top_via().unwrap().host_str, "pc33.atlanta.com");
        let vias: Vec<_> = m.header_values(HeaderName::VIA).collect();
        assert_eq!(vias.len(), 3);
        assert!(!vias[0].alone_on_line);
        assert!(!vias[1].alone_on_line);
        assert!(vias[2].alone_on_line);
        assert_eq!(vias[1].text, "SIP/2.0/TCP p1.example.com;branch=z9hG4bK1");
        assert_eq!(vias[2].header_index, 1);
        assert_eq!(m.vias().filter(Result::is_ok).count(), 3);
        let h = &m.headers()[0];
        assert_eq!(m.name_str(h), "Via");
        let cid = m.call_id().unwrap();
        assert_eq!(&m.slice_of(cid)[..], cid.as_bytes());
        assert_eq!(m.offset_of(cid), Some(m.headers()[5].value_range.start));
    }

    #[test]
    fn parses_response() {
        let m = msg(
            "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\
From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
        );
        m.validate().unwrap();
        assert_eq!(m.status(), Some(StatusCode::RINGING));
        assert_eq!(m.reason(), Some("Ringing"));
        assert!(m.body().is_empty());
        let m = msg("SIP/2.0 100 \r\n\r\n");
        assert_eq!(m.reason(), Some(""));
    }

    #[test]
    fn folding_and_leading_crlf() {
        let m = msg("\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nSubject: one\r\n two\r\n\r\n");
        assert_eq!(m.header(HeaderName::SUBJECT), Some("one\r\n two"));
    }

    #[test]
    fn errors_name_the_fault() {
        use ParseErrorKind as K;
        assert_eq!(err("SIP/2.0 4294967301 x\r\n\r\n"), K::StatusCode);
        assert_eq!(err("SIP/2.0 099 x\r\n\r\n"), K::StatusCode);
        assert_eq!(err("SIP/7.0 200 OK\r\n\r\n"), K::Version);
        assert_eq!(err("INVITE sip:a@b SIP/7.0\r\n\r\n"), K::Version);
        assert_eq!(err("INVITE sip:a@b\r\n\r\n"), K::StartLine);
        assert_eq!(err("INVITE sip:a@b SIP/2.0  \r\n\r\n"), K::StartLine);
        assert_eq!(err("INVITE <sip:a@b> SIP/2.0\r\n\r\n"), K::RequestUri);
        assert_eq!(err("INVITE sip:a@b; lr SIP/2.0\r\n\r\n"), K::RequestUri);
        assert_eq!(
            err("INVITE sip:a@b SIP/2.0\r\nFoo bar\r\n\r\n"),
            K::HeaderLine
        );
        assert_eq!(
            err("INVITE sip:a@b SIP/2.0\r\n: bar\r\n\r\n"),
            K::HeaderLine
        );
        assert_eq!(
            err("INVITE sip:a@b SIP/2.0\r\n x: bar\r\n\r\n"),
            K::HeaderLine
        );
        assert_eq!(
            err("INVITE sip:a@b SIP/2.0\r\nA: b\nC: d\r\n\r\n"),
            K::HeaderLine
        );
        assert_eq!(err("INVITE sip:a@b SIP/2.0\r\nA: b\r\n"), K::Unterminated);
        assert_eq!(err("INVITE sip:a@b SIP/2.0"), K::Unterminated);
        assert_eq!(
            err("INVITE sip:a@b SIP/2.0\r\nl: -1\r\n\r\n"),
            K::ContentLength
        );
        assert_eq!(
            err("INVITE sip:a@b SIP/2.0\r\nl: 5\r\n\r\nabc"),
            K::ContentLength
        );
        assert_eq!(
            err("INVITE sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab"),
            K::ContentLength
        );
        assert_eq!(
            err("INVITE sip:a@b SIP/2.0\r\nX: \u{e9}\r\n\r\n"),
            K::Missing(HeaderName::VIA)
        );
        let bad_utf8 = b"INVITE sip:a@b SIP/2.0\r\nX: \xff\r\n\r\n";
        assert_eq!(
            Message::parse(Bytes::from_static(bad_utf8))
                .unwrap_err()
                .kind,
            K::Utf8
        );
        assert_eq!(err(""), K::Unterminated);
        assert_eq!(err("\r\n"), K::Unterminated);
    }

    #[test]
    fn validate_checks() {
        use ParseErrorKind as K;
        let base = INVITE.replace("CSeq: 314159 INVITE", "CSeq: 314159 OPTIONS");
        assert_eq!(err(&base), K::CSeqMethodMismatch);
        let dup = INVITE.replace(
            "Max-Forwards: 70\r\n",
            "Max-Forwards: 70\r\nMax-Forwards: 69\r\n",
        );
        assert_eq!(err(&dup), K::Duplicate(HeaderName::MAX_FORWARDS));
        let missing = INVITE.replace("Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n", "");
        assert_eq!(err(&missing), K::Missing(HeaderName::CALL_ID));
        let mf = INVITE.replace("Max-Forwards: 70", "Max-Forwards: seventy");
        assert_eq!(err(&mf), K::Invalid(HeaderName::MAX_FORWARDS));
        let via = INVITE.replace("pc33.atlanta.com;branch", "pc33.atlanta.com;;branch");
        assert_eq!(err(&via), K::Invalid(HeaderName::VIA));
        let ct = INVITE.replace(
            "<sip:alice@pc33.atlanta.com>",
            "<sip:alice@pc33.atlanta.com>;;",
        );
        assert_eq!(err(&ct), K::Invalid(HeaderName::CONTACT));
        let ruri = INVITE.replace(
            "INVITE sip:bob@biloxi.com",
            "INVITE sip:bob@biloxi.com?Route=x",
        );
        assert_eq!(err(&ruri), K::RequestUri);
        let star = INVITE.replace("<sip:alice@pc33.atlanta.com>", "*");
        assert!(msg(&star).validate().is_ok());
        let no_mf = INVITE.replace("Max-Forwards: 70\r\n", "");
        assert!(msg(&no_mf).validate().is_ok());
    }

    #[test]
    fn relay_checks_skip_what_a_proxy_passes_through() {
        use ParseErrorKind as K;
        let ok = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\
From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\
Contact: <sip:c@d>\r\n\r\n";
        msg(ok).validate_for_relay().unwrap();
        // Contact and the From/To URIs: checked by validate, not for relaying a response.
        for bad in [
            ok.replace("Contact: <sip:c@d>", "Contact: <sip:c@d>;;"),
            ok.replace("From: <sip:a@b>", "From: <sip:@>"),
            ok.replace("To: <sip:c@d>", "To: <sip:@>"),
        ] {
            let m = msg(&bad);
            assert!(m.validate().is_err(), "{bad}");
            m.validate_for_relay().unwrap();
        }
        // What a proxy needs still fails the same way.
        for (bad, kind) in [
            (
                ok.replace("CSeq: 1 INVITE", "CSeq: x INVITE"),
                K::Invalid(HeaderName::CSEQ),
            ),
            (
                ok.replace("Call-ID: x\r\n", ""),
                K::Missing(HeaderName::CALL_ID),
            ),
            (
                ok.replace("From: <sip:a@b>", "From: <sip:a@b"),
                K::Invalid(HeaderName::FROM),
            ),
            (
                ok.replace("branch=z9hG4bKx", "branch=z9hG4bKx;;"),
                K::Invalid(HeaderName::VIA),
            ),
        ] {
            let m = msg(&bad);
            assert_eq!(
                m.validate_for_relay().map_err(|e| e.kind),
                Err(kind),
                "{bad}"
            );
            assert_eq!(m.validate_for_relay(), m.validate(), "{bad}");
        }
        // Requests: the full check.
        let req = INVITE.replace(
            "<sip:alice@pc33.atlanta.com>",
            "<sip:alice@pc33.atlanta.com>;;",
        );
        assert_eq!(msg(&req).validate_for_relay(), msg(&req).validate());
        assert!(msg(&req).validate_for_relay().is_err());
    }

    #[test]
    fn message_stays_small() {
        assert!(size_of::<Message>() <= 192, "{}", size_of::<Message>());
    }

    #[test]
    fn cached_views_equal_fresh_parses() {
        let texts = [
            INVITE.to_owned(),
            INVITE.replace("pc33.atlanta.com;branch=z9hG4bK776asdhds", "[::1]:5060"),
            INVITE.replace("To: Bob <sip:bob@biloxi.com>", "t: sip:bob@192.0.2.1;tag=x"),
            INVITE.replace("CSeq: 314159 INVITE", "CSeq: x INVITE"),
        ];
        for t in &texts {
            let m = msg(t);
            assert_eq!(m.top_via(), m.parse_top_via(), "{t}");
            assert_eq!(m.cseq(), m.parse_cseq());
            assert_eq!(m.from(), m.parse_name_addr(HeaderName::FROM));
            assert_eq!(m.to(), m.parse_name_addr(HeaderName::TO));
            assert_eq!(
                m.top_via_branch(),
                m.parse_top_via().ok().and_then(|v| v.branch())
            );
            if let (Ok(a), Ok(b)) = (m.top_via(), m.parse_top_via()) {
                // Same slices of the message, not just equal text.
                if !b.params.as_str().is_empty() {
                    assert_eq!(a.params.as_str().as_ptr(), b.params.as_str().as_ptr());
                }
                assert_eq!(m.offset_of(a.host_str), m.offset_of(b.host_str));
            }
        }
        assert!(msg(&texts[3]).cseq().is_err());
        assert_eq!(msg(&texts[1]).top_via_branch(), None);
        assert_eq!(msg(INVITE).cseq_is(&Method::INVITE), Some((314159, true)));
    }

    #[test]
    fn vias_from_the_cache_equal_a_fresh_walk() {
        let texts = [
            INVITE.to_owned(),
            INVITE.replace("Via: SIP/2.0/UDP pc33", "Via: , ,SIP/2.0/UDP pc33"),
            INVITE.replace(
                "v: SIP/2.0/UDP p2.example.com;branch=z9hG4bK2\r\n",
                "X: y\r\nv: SIP/2.0/UDP p2.example.com;branch=z9hG4bK2,\r\n",
            ),
            INVITE.replace(", SIP/2.0/TCP p1", ",\r\n SIP/2.0/TCP p1"),
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b\r\n\r\n"
                .to_owned(),
            "OPTIONS sip:a@b SIP/2.0\r\nVia:\r\nVia: SIP/2.0/UDP c\r\n\r\n".to_owned(),
            "OPTIONS sip:a@b SIP/2.0\r\nX: y\r\n\r\n".to_owned(),
        ];
        for t in &texts {
            let m = msg(t);
            let cached: Vec<_> = m.header_values(HeaderName::VIA).collect();
            let fresh: Vec<_> = m.header_values_scanned(HeaderName::VIA).collect();
            assert_eq!(cached, fresh, "{t}");
            assert_eq!(m.hot.top_via_value.is_some(), !fresh.is_empty(), "{t}");
        }
    }

    #[test]
    fn empty_values_skipped() {
        let m = msg("OPTIONS sip:a@b SIP/2.0\r\nRoute: <sip:x;lr>, ,<sip:y;lr>,\r\nRoute:\r\n\r\n");
        let v: Vec<_> = m.header_values(HeaderName::ROUTE).map(|v| v.text).collect();
        assert_eq!(v, ["<sip:x;lr>", "<sip:y;lr>"]);
        assert_eq!(
            m.header(HeaderName::ROUTE),
            Some("<sip:x;lr>, ,<sip:y;lr>,")
        );
        assert_eq!(m.header_lines(HeaderName::ROUTE).count(), 2);
    }

    #[test]
    fn indexed_values_start_and_stop_at_their_lines() {
        let m = msg(INVITE);
        let vias: Vec<_> = m.header_values(HeaderName::VIA).map(|v| v.text).collect();
        assert_eq!(
            vias,
            [
                "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds",
                "SIP/2.0/TCP p1.example.com;branch=z9hG4bK1",
                "SIP/2.0/UDP p2.example.com;branch=z9hG4bK2",
            ]
        );
        // Interleaved lines of an indexed header, and one absent from the message.
        let m = msg(
            "OPTIONS sip:a@b SIP/2.0\r\nContact: <sip:1@h>, <sip:2@h>\r\nX: y\r\n\
Contact: <sip:3@h>\r\nContent-Length: 0\r\n\r\n",
        );
        let c: Vec<_> = m
            .header_values(HeaderName::CONTACT)
            .map(|v| v.text)
            .collect();
        assert_eq!(c, ["<sip:1@h>", "<sip:2@h>", "<sip:3@h>"]);
        assert_eq!(m.header_values(HeaderName::VIA).count(), 0);
        // From/To URIs are checked by validate(), not parse().
        let bad = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
From: <sip:@>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";
        let m = msg(bad);
        assert_eq!(m.from().map(|f| f.tag()), Ok(Some("1")));
        assert!(m.from().is_ok_and(|f| f.parsed_uri().is_err()));
        assert_eq!(
            m.validate().map_err(|e| e.kind),
            Err(ParseErrorKind::Invalid(HeaderName::FROM))
        );
    }
}
