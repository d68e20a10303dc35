//! HTTP/1.1 request framing for the admin API (RFC 9112 §2-§6), sans-IO: bytes in, whole
//! requests out, no socket and no clock. Only what a JSON-RPC endpoint needs: the request line,
//! header fields and a `Content-Length` body (no chunked coding, no trailers), under one size
//! cap for head and body together.

use std::fmt;

/// Largest request accepted, head and body together (1 MiB).
pub const MAX_REQUEST: usize = 1 << 20;

/// Most header fields in one request.
pub const MAX_HEADERS: usize = 100;

/// Why a request cannot be read. Each maps to the status answered, after which the connection
/// closes (the framing can no longer be trusted). Messages never quote the peer's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The request line is not `method SP request-target SP HTTP-version` (RFC 9112 §3).
    #[error("malformed request line")]
    RequestLine,
    /// The version is not HTTP/1.0 or HTTP/1.1.
    #[error("unsupported HTTP version")]
    Version,
    /// Header line `line` (1 = the first after the request line) is not `name: value`, or is
    /// an obsolete folded line (RFC 9112 §5.2).
    #[error("malformed header field on line {line}")]
    HeaderLine {
        /// Position of the line among the header lines, from 1.
        line: usize,
    },
    /// More than [`MAX_HEADERS`] header fields.
    #[error("more than {MAX_HEADERS} header fields")]
    TooManyHeaders,
    /// `Content-Length` is not a number, or its values differ (RFC 9110 §8.6).
    #[error("invalid Content-Length")]
    ContentLength,
    /// Both `Transfer-Encoding` and `Content-Length` (RFC 9112 §6.1: a smuggling attempt).
    #[error("both Transfer-Encoding and Content-Length")]
    Ambiguous,
    /// A body framed by `Transfer-Encoding`, which this endpoint does not read.
    #[error("Transfer-Encoding is not supported: send Content-Length")]
    LengthRequired,
    /// Head and body exceed [`MAX_REQUEST`].
    #[error("request larger than {MAX_REQUEST} bytes")]
    TooLarge,
}

impl HttpError {
    /// The status code answered (RFC 9110 §15).
    pub fn status(self) -> u16 {
        match self {
            Self::RequestLine | Self::HeaderLine { .. } | Self::ContentLength | Self::Ambiguous => {
                400
            }
            Self::LengthRequired => 411,
            Self::TooLarge => 413,
            Self::TooManyHeaders => 431,
            Self::Version => 505,
        }
    }
}

/// HTTP version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0: the connection closes after the answer unless `Connection: keep-alive`.
    Http10,
    /// HTTP/1.1: persistent unless `Connection: close` (RFC 9112 §9.3).
    Http11,
}

/// One whole request.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The method token, as sent (methods are case-sensitive, RFC 9110 §9.1).
    pub method: String,
    /// The request-target (origin form for this API, e.g. `/`).
    pub target: String,
    /// The version.
    pub version: Version,
    /// Header fields in order, values without surrounding whitespace.
    pub headers: Vec<(String, String)>,
    /// `Content-Length`, when sent.
    pub content_length: Option<usize>,
    /// The body.
    pub body: Vec<u8>,
}

impl fmt::Debug for Request {
    // Header values may carry the bearer token: only names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("version", &self.version)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the connection stays open after the answer (RFC 9112 §9.3).
    pub fn keep_alive(&self) -> bool {
        let has = |option: &str| {
            self.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
                .flat_map(|(_, v)| v.split(','))
                .any(|o| o.trim().eq_ignore_ascii_case(option))
        };
        match self.version {
            Version::Http11 => !has("close"),
            Version::Http10 => has("keep-alive"),
        }
    }
}

/// The head of the request being read, once its blank line has arrived.
#[derive(Debug, Clone)]
struct Head {
    /// Bytes of the head, blank line included.
    len: usize,
    body_len: usize,
    expect_continue: bool,
    request: Request,
}

/// Splits a byte stream into [`Request`]s, like a `tokio_util` `Decoder`: feed what was read
/// into the buffer, call [`decode`](Self::decode) until it returns `Ok(None)`, read more.
/// Pipelined requests come out one by one. After an error the stream is unusable.
#[derive(Debug, Default)]
pub struct RequestDecoder {
    /// Where the search for the blank line resumes (no rescans of a slowly arriving head).
    scanned: usize,
    head: Option<Head>,
}

impl RequestDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next whole request off the front of `buf`; `Ok(None)` when more bytes are
    /// needed.
    pub fn decode(&mut self, buf: &mut Vec<u8>) -> Result<Option<Request>, HttpError> {
        if self.head.is_none() {
            // RFC 9112 §2.2: empty lines before the request line are ignored.
            if self.scanned == 0 {
                let blank = buf
                    .iter()
                    .take_while(|b| **b == b'\r' || **b == b'\n')
                    .count();
                buf.drain(..blank);
            }
            let from = self.scanned.saturating_sub(3);
            let Some(end) = find_blank_line(buf, from) else {
                if buf.len() > MAX_REQUEST {
                    return Err(HttpError::TooLarge);
                }
                self.scanned = buf.len();
                return Ok(None);
            };
            self.head = Some(parse_head(buf.get(..end).unwrap_or_default())?);
        }
        let Some(head) = &self.head else {
            return Ok(None);
        };
        let total = head.len + head.body_len;
        if buf.len() < total {
            return Ok(None);
        }
        let Some(mut head) = self.head.take() else {
            return Ok(None);
        };
        self.scanned = 0;
        head.request.body = buf.get(head.len..total).unwrap_or_default().to_vec();
        buf.drain(..total);
        Ok(Some(head.request))
    }

    /// Whether a head asking `Expect: 100-continue` was read and its body has not come in
    /// whole (RFC 9110 §10.1.1): the server then answers `100 Continue` once.
    pub fn expects_continue(&self) -> bool {
        self.head.as_ref().is_some_and(|h| h.expect_continue)
    }

    /// Whether part of a request has been read (for the read timeout).
    pub fn in_request(&self, buf: &[u8]) -> bool {
        self.head.is_some() || !buf.is_empty()
    }
}

/// End of the head (just past CRLF CRLF), searching from `from`.
fn find_blank_line(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| from + p + 4)
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn parse_head(head: &[u8]) -> Result<Head, HttpError> {
    // Keep the CR of the last line: every line then ends in CR before the split on LF.
    let text = head.strip_suffix(b"\n\r\n").unwrap_or(head);
    let mut lines = text.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r"));
    let request_line = lines.next().flatten().ok_or(HttpError::RequestLine)?;
    let (method, target, version) = parse_request_line(request_line)?;
    let mut headers = Vec::new();
    let mut lengths: Option<usize> = None;
    let mut transfer_encoding = false;
    let mut expect_continue = false;
    for (i, line) in lines.enumerate() {
        let bad = HttpError::HeaderLine { line: i + 1 };
        let line = line.ok_or(bad)?;
        if headers.len() == MAX_HEADERS {
            return Err(HttpError::TooManyHeaders);
        }
        let colon = line.iter().position(|b| *b == b':').ok_or(bad)?;
        let (name, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or_default();
        // An empty name, or whitespace before the colon or at the start (obs-fold), is
        // refused (RFC 9112 §5.1, §5.2).
        if name.is_empty() || !name.iter().all(|b| is_tchar(*b)) {
            return Err(bad);
        }
        if value
            .iter()
            .any(|b| (*b < 0x20 && *b != b'\t') || *b == 0x7f)
        {
            return Err(bad);
        }
        let name = String::from_utf8_lossy(name).into_owned();
        let value = String::from_utf8_lossy(value)
            .trim_matches([' ', '\t'])
            .to_owned();
        if name.eq_ignore_ascii_case("content-length") {
            for part in value.split(',') {
                let n = parse_length(part.trim())?;
                if lengths.is_some_and(|l| l != n) {
                    return Err(HttpError::ContentLength);
                }
                lengths = Some(n);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
        } else if name.eq_ignore_ascii_case("expect") {
            expect_continue = value.eq_ignore_ascii_case("100-continue");
        }
        headers.push((name, value));
    }
    if transfer_encoding {
        return Err(if lengths.is_some() {
            HttpError::Ambiguous
        } else {
            HttpError::LengthRequired
        });
    }
    let body_len = lengths.unwrap_or(0);
    if head.len().saturating_add(body_len) > MAX_REQUEST {
        return Err(HttpError::TooLarge);
    }
    Ok(Head {
        len: head.len(),
        body_len,
        expect_continue: expect_continue && body_len > 0,
        request: Request {
            method,
            target,
            version,
            headers,
            content_length: lengths,
            body: Vec::new(),
        },
    })
}

fn parse_length(text: &str) -> Result<usize, HttpError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HttpError::ContentLength);
    }
    // Digits that overflow are certainly too large.
    text.parse::<usize>().map_err(|_| HttpError::TooLarge)
}

fn parse_request_line(line: &[u8]) -> Result<(String, String, Version), HttpError> {
    let mut parts = line.split(|b| *b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::RequestLine);
    };
    if method.is_empty() || !method.iter().all(|b| is_tchar(*b)) {
        return Err(HttpError::RequestLine);
    }
    if target.is_empty() || !target.iter().all(|b| b.is_ascii_graphic()) {
        return Err(HttpError::RequestLine);
    }
    let version = match version {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        v if v.starts_with(b"HTTP/") => return Err(HttpError::Version),
        _ => return Err(HttpError::RequestLine),
    };
    // Both are checked ASCII above.
    Ok((
        String::from_utf8_lossy(method).into_owned(),
        String::from_utf8_lossy(target).into_owned(),
        version,
    ))
}

/// An answer. Written with `Content-Length`, and `Connection: close` when the server closes
/// after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra header fields (e.g. `Allow`, `WWW-Authenticate`).
    pub headers: Vec<(&'static str, String)>,
    /// `Content-Type` of the body, if any.
    pub content_type: Option<&'static str>,
    /// The body.
    pub body: Vec<u8>,
    /// Close the connection after this answer.
    pub close: bool,
}

impl Response {
    /// A `text/plain` answer whose body is the status line's reason and `detail`.
    pub fn text(status: u16, detail: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            content_type: Some("text/plain; charset=utf-8"),
            body: format!("{status} {}: {detail}\n", reason_phrase(status)).into_bytes(),
            close: false,
        }
    }

    /// The answer to a request that could not be read; the connection closes after it.
    pub fn for_error(e: HttpError) -> Self {
        let mut r = Self::text(e.status(), &e.to_string());
        r.close = true;
        r
    }

    /// A JSON body (`application/json`, 200).
    pub fn json(body: Vec<u8>) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            content_type: Some("application/json"),
            body,
            close: false,
        }
    }

    /// The bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Length: {}\r\n",
            self.status,
            reason_phrase(self.status),
            self.body.len()
        );
        if let Some(t) = self.content_type {
            out.push_str("Content-Type: ");
            out.push_str(t);
            out.push_str("\r\n");
        }
        for (name, value) in &self.headers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        if self.close {
            out.push_str("Connection: close\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// The interim answer to `Expect: 100-continue`.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// RFC 9110 §15 reason phrases of the codes this server answers.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8]) -> (Vec<Request>, Result<(), HttpError>, Vec<u8>) {
        let mut d = RequestDecoder::new();
        let mut buf = bytes.to_vec();
        let mut out = Vec::new();
        loop {
            match d.decode(&mut buf) {
                Ok(Some(r)) => out.push(r),
                Ok(None) => return (out, Ok(()), buf),
                Err(e) => return (out, Err(e), buf),
            }
        }
    }

    fn one_err(bytes: &[u8]) -> HttpError {
        decode_all(bytes).1.unwrap_err()
    }

    const POST: &[u8] = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";

    #[test]
    fn whole_request() {
        let (reqs, r, rest) = decode_all(POST);
        r.unwrap();
        assert!(rest.is_empty());
        let req = &reqs[0];
        assert_eq!(req.method, "POST");
        assert_eq!(req.target, "/");
        assert_eq!(req.version, Version::Http11);
        assert_eq!(req.header("host"), Some("x"));
        assert_eq!(req.content_length, Some(5));
        assert_eq!(req.body, b"hello");
        assert!(req.keep_alive());
    }

    #[test]
    fn byte_by_byte_and_pipelined() {
        let mut stream = POST.to_vec();
        stream.extend_from_slice(b"\r\nGET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        stream.extend_from_slice(POST);
        let mut d = RequestDecoder::new();
        let mut buf = Vec::new();
        let mut got = Vec::new();
        for b in &stream {
            buf.push(*b);
            while let Some(r) = d.decode(&mut buf).unwrap() {
                got.push(r);
            }
        }
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].method, "GET");
        assert_eq!(got[1].version, Version::Http10);
        assert!(got[1].keep_alive());
        assert_eq!(got[2].body, b"hello");
        // Pipelined in one read.
        let (reqs, r, rest) = decode_all(&stream);
        r.unwrap();
        assert_eq!(reqs.len(), 3);
        assert!(rest.is_empty());
    }

    #[test]
    fn partial_body_waits_and_expect_continue() {
        let mut d = RequestDecoder::new();
        let mut buf =
            b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nab".to_vec();
        assert_eq!(d.decode(&mut buf).unwrap(), None);
        assert!(d.expects_continue());
        buf.extend_from_slice(b"cd");
        let r = d.decode(&mut buf).unwrap().unwrap();
        assert_eq!(r.body, b"abcd");
        assert!(!d.expects_continue());
    }

    #[test]
    fn connection_close_and_http10() {
        let (r, ..) = decode_all(b"POST / HTTP/1.1\r\nConnection: foo, close\r\n\r\n");
        assert!(!r[0].keep_alive());
        let (r, ..) = decode_all(b"POST / HTTP/1.0\r\n\r\n");
        assert!(!r[0].keep_alive());
        assert_eq!(r[0].content_length, None);
    }

    #[test]
    fn malformed_request_lines() {
        for bad in [
            &b"POST /\r\n\r\n"[..],
            b"POST  / HTTP/1.1\r\n\r\n",
            b"PO(ST / HTTP/1.1\r\n\r\n",
            b"POST / HTTP/1.1 extra\r\n\r\n",
            b"POST /\x01 HTTP/1.1\r\n\r\n",
            b"POST / FTP/1.1\r\n\r\n",
        ] {
            assert_eq!(one_err(bad), HttpError::RequestLine, "{bad:?}");
        }
        assert_eq!(one_err(b"POST / HTTP/2.0\r\n\r\n"), HttpError::Version);
        assert_eq!(HttpError::Version.status(), 505);
    }

    #[test]
    fn malformed_headers() {
        let e = one_err(b"POST / HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n");
        assert_eq!(e, HttpError::HeaderLine { line: 2 });
        assert_eq!(e.to_string(), "malformed header field on line 2");
        for bad in [
            &b"POST / HTTP/1.1\r\n: v\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nA b: v\r\n\r\n",
            b"POST / HTTP/1.1\r\nA: v\r\n folded\r\n\r\n",
            b"POST / HTTP/1.1\r\nA: v\x00\r\n\r\n",
            b"POST / HTTP/1.1\r\nA: v\nB: w\r\n\r\n",
        ] {
            assert!(
                matches!(one_err(bad), HttpError::HeaderLine { .. }),
                "{bad:?}"
            );
        }
        let mut many = b"POST / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(one_err(&many), HttpError::TooManyHeaders);
    }

    #[test]
    fn content_length_rules() {
        for bad in [
            &b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\nab",
        ] {
            assert_eq!(one_err(bad), HttpError::ContentLength, "{bad:?}");
        }
        let (r, ok, _) =
            decode_all(b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nab");
        ok.unwrap();
        assert_eq!(r[0].body, b"ab");
        assert_eq!(
            one_err(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            HttpError::LengthRequired
        );
        assert_eq!(
            one_err(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
            HttpError::Ambiguous
        );
        assert_eq!(HttpError::LengthRequired.status(), 411);
    }

    #[test]
    fn oversize_is_refused_early() {
        // A body announced over the cap is refused from its head, before it arrives.
        let big = format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", MAX_REQUEST);
        assert_eq!(one_err(big.as_bytes()), HttpError::TooLarge);
        let huge = b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert_eq!(one_err(huge), HttpError::TooLarge);
        // A head that never ends.
        let mut endless = b"POST / HTTP/1.1\r\nX: ".to_vec();
        endless.resize(MAX_REQUEST + 1, b'a');
        assert_eq!(one_err(&endless), HttpError::TooLarge);
        assert_eq!(HttpError::TooLarge.status(), 413);
        // Just under the cap is fine.
        let head = "POST / HTTP/1.1\r\nContent-Length: ";
        let body_len = MAX_REQUEST - head.len() - 7 - 4;
        let mut exact = format!("{head}{body_len}\r\n\r\n").into_bytes();
        exact.resize(MAX_REQUEST, b' ');
        let (r, ok, _) = decode_all(&exact);
        ok.unwrap();
        assert_eq!(r[0].body.len(), body_len);
    }

    #[test]
    fn responses_encode() {
        let r = Response::for_error(HttpError::HeaderLine { line: 3 });
        let text = String::from_utf8(r.encode()).unwrap();
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\n400 Bad Request: malformed header field on line 3\n"));
        let json = Response::json(b"{}".to_vec()).encode();
        assert!(String::from_utf8(json)
            .unwrap()
            .contains("Content-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"));
    }

    #[test]
    fn debug_hides_header_values() {
        let (r, ..) = decode_all(b"POST / HTTP/1.1\r\nAuthorization: Bearer s3cret\r\n\r\n");
        let shown = format!("{:?}", r[0]);
        assert!(shown.contains("Authorization"));
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
