//! Building new messages: responses from a request (RFC 3261 §8.2.6) and requests (UAC side,
//! ACK/CANCEL of client transactions §17.1.1.3 / §9.1, tests, probes).

use bytes::Bytes;

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
        Self { request, status, reason: None, to_tag: None, headers: Vec::new(), body: None }
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
        let _ = (&self.request, self.status, self.reason, self.to_tag, &self.headers, &self.body);
        todo!("sip-types helper fills this")
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
        Self { method, uri: uri.into(), headers: Vec::new(), body: None }
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
        let _ = (&self.method, &self.uri, &self.headers, &self.body);
        todo!("sip-types helper fills this")
    }
}
