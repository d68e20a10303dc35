//! Building new messages: responses from a request (RFC 3261 §8.2.6) and requests (UAC side,
//! ACK/CANCEL of client transactions §17.1.1.3 / §9.1, tests, probes).

use bytes::{BufMut, Bytes, BytesMut};

use crate::header_name::HeaderName;
use crate::message::Message;
use crate::method::Method;
use crate::status::StatusCode;

/// Builds a response to a request: copies every Via, From, To (adding `;tag=` when asked and
/// absent), Call-ID and CSeq as written, then extra headers, Content-Length and body.
/// Works on requests that failed [`Message::validate`] too (copies what is there), so a 400
/// can be sent for a malformed request.
#[derive(Debug)]
pub struct ResponseBuilder<'a> {
    request: &'a Message,
    status: StatusCode,
    reason: Option<&'a str>,
    to_tag: Option<&'a str>,
    headers: Vec<(&'a str, String)>,
    body: Option<(&'a str, Bytes)>,
}

impl<'a> ResponseBuilder<'a> {
    /// Start a response with `status` to `request` (default reason phrase).
    pub fn new(request: &'a Message, status: StatusCode) -> Self {
        Self {
            request,
            status,
            reason: None,
            to_tag: None,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Override the reason phrase.
    pub fn reason(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Add `;tag=` to To when the request's To has none.
    pub fn to_tag(mut self, tag: &'a str) -> Self {
        self.to_tag = Some(tag);
        self
    }

    /// Add a header line.
    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Set the body and its Content-Type.
    pub fn body(mut self, content_type: &'a str, body: impl Into<Bytes>) -> Self {
        self.body = Some((content_type, body.into()));
        self
    }

    /// Print the response.
    pub fn build(self) -> Bytes {
        let req = self.request;
        let mut out = BytesMut::with_capacity(512);
        let reason = self
            .reason
            .unwrap_or_else(|| self.status.canonical_reason());
        out.put_slice(b"SIP/2.0 ");
        put_decimal(&mut out, usize::from(self.status.0));
        out.put_u8(b' ');
        out.put_slice(reason.as_bytes());
        out.put_slice(b"\r\n");
        let raw: &[u8] = req.as_bytes();
        for h in req.headers() {
            let copy = matches!(
                h.name,
                HeaderName::VIA | HeaderName::FROM | HeaderName::CALL_ID | HeaderName::CSEQ
            );
            if copy {
                out.put_slice(raw.get(h.line_range.clone()).unwrap_or_default());
            } else if h.name == HeaderName::TO {
                let has_tag = req.to().ok().and_then(|t| t.tag()).is_some();
                match self.to_tag {
                    Some(tag) if !has_tag => {
                        let head = h.line_range.start..h.value_range.end;
                        out.put_slice(raw.get(head).unwrap_or_default());
                        out.put_slice(b";tag=");
                        out.put_slice(tag.as_bytes());
                        out.put_slice(b"\r\n");
                    }
                    _ => out.put_slice(raw.get(h.line_range.clone()).unwrap_or_default()),
                }
            }
        }
        let headers = self.headers.iter().map(|(n, v)| (*n, v.as_str()));
        finish(&mut out, headers, self.body.as_ref().map(|(t, b)| (*t, b)));
        out.freeze()
    }
}

/// Builds a request line by line: `Method uri SIP/2.0`, headers in the order given, then
/// Content-Length (always written) and body.
#[derive(Debug)]
pub struct RequestBuilder {
    method: Method,
    uri: String,
    headers: Vec<(String, String)>,
    body: Option<(String, Bytes)>,
}

impl RequestBuilder {
    /// Start a request.
    pub fn new(method: Method, uri: impl Into<String>) -> Self {
        Self {
            method,
            uri: uri.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Add a header line.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Set the body and its Content-Type.
    pub fn body(mut self, content_type: impl Into<String>, body: impl Into<Bytes>) -> Self {
        self.body = Some((content_type.into(), body.into()));
        self
    }

    /// Print the request.
    pub fn build(self) -> Bytes {
        let mut out = BytesMut::with_capacity(512);
        out.put_slice(self.method.as_str().as_bytes());
        out.put_u8(b' ');
        out.put_slice(self.uri.as_bytes());
        out.put_slice(b" SIP/2.0\r\n");
        let headers = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        finish(
            &mut out,
            headers,
            self.body.as_ref().map(|(t, b)| (t.as_str(), b)),
        );
        out.freeze()
    }
}

/// Extra header lines, Content-Type (with a body), Content-Length, the empty line and the body.
fn finish<'h>(
    out: &mut BytesMut,
    headers: impl Iterator<Item = (&'h str, &'h str)>,
    body: Option<(&str, &Bytes)>,
) {
    for (name, value) in headers {
        put_header(out, name, value);
    }
    if let Some((content_type, _)) = body {
        put_header(out, "Content-Type", content_type);
    }
    let len = body.map_or(0, |(_, b)| b.len());
    out.put_slice(b"Content-Length: ");
    put_decimal(out, len);
    out.put_slice(b"\r\n\r\n");
    if let Some((_, b)) = body {
        out.put_slice(b);
    }
}

/// `n` in decimal (a hot path: every 100 Trying).
fn put_decimal(out: &mut BytesMut, n: usize) {
    out.put_slice(crate::Decimal::new(n as u64).as_bytes());
}

fn put_header(out: &mut BytesMut, name: &str, value: &str) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value.as_bytes());
    out.put_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header_name::HeaderName;

    #[test]
    fn response_copies_dialog_headers() {
        let req = RequestBuilder::new(Method::INVITE, "sip:bob@biloxi.com")
            .header(
                "Via",
                "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds",
            )
            .header("Max-Forwards", "70")
            .header("To", "Bob <sip:bob@biloxi.com>")
            .header("From", "Alice <sip:alice@atlanta.com>;tag=1928301774")
            .header("Call-ID", "a84b4c76e66710")
            .header("CSeq", "314159 INVITE")
            .body("application/sdp", "v=0\r\n")
            .build();
        let req = Message::parse(req).unwrap();
        req.validate().unwrap();
        assert_eq!(req.body(), b"v=0\r\n");
        assert_eq!(
            req.header(HeaderName::CONTENT_TYPE),
            Some("application/sdp")
        );

        let resp = ResponseBuilder::new(&req, StatusCode::RINGING)
            .to_tag("a6c85cf")
            .header("Contact", "<sip:bob@192.0.2.4>")
            .build();
        let resp = Message::parse(resp).unwrap();
        resp.validate().unwrap();
        assert_eq!(resp.status(), Some(StatusCode::RINGING));
        assert_eq!(resp.reason(), Some("Ringing"));
        assert_eq!(resp.to().unwrap().tag(), Some("a6c85cf"));
        assert_eq!(resp.header(HeaderName::CONTENT_LENGTH), Some("0"));
        assert_eq!(resp.header(HeaderName::MAX_FORWARDS), None);
        assert_eq!(
            resp.header(HeaderName::CONTACT),
            Some("<sip:bob@192.0.2.4>")
        );
        assert_eq!(resp.call_id().unwrap(), "a84b4c76e66710");

        let resp = ResponseBuilder::new(&req, StatusCode::BAD_REQUEST)
            .reason("Bad Request (malformed CSeq)")
            .body("text/plain", Bytes::from_static(b"x"))
            .build();
        let resp = Message::parse(resp).unwrap();
        assert_eq!(resp.reason(), Some("Bad Request (malformed CSeq)"));
        assert_eq!(resp.to().unwrap().tag(), None);
        assert_eq!(resp.body(), b"x");
    }

    #[test]
    fn decimal_matches_display() {
        for n in [0usize, 7, 10, 100, 180, 699, 65535, usize::MAX] {
            let mut out = BytesMut::new();
            put_decimal(&mut out, n);
            assert_eq!(&out[..], n.to_string().as_bytes());
        }
    }

    #[test]
    fn existing_to_tag_kept() {
        let req = RequestBuilder::new(Method::BYE, "sip:a@b")
            .header("Via", "SIP/2.0/UDP h;branch=z9hG4bKq")
            .header("To", "<sip:a@b>;tag=old")
            .header("From", "<sip:c@d>;tag=f")
            .header("Call-ID", "c")
            .header("CSeq", "2 BYE")
            .build();
        let req = Message::parse(req).unwrap();
        let resp = ResponseBuilder::new(&req, StatusCode::OK)
            .to_tag("new")
            .build();
        let resp = Message::parse(resp).unwrap();
        assert_eq!(resp.to().unwrap().tag(), Some("old"));
    }
}
