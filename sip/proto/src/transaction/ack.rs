//! The ACK a client INVITE transaction sends for a non-2xx final response (RFC 3261 §17.1.1.3):
//! same Request-URI, Call-ID, From, CSeq number and top Via (so the same branch) as the INVITE,
//! To from the response, and the INVITE's Route headers.

use bytes::Bytes;
use sip_types::{HeaderName, Message, Method, RequestBuilder};

/// Build the ACK for `response` to `invite`; `None` if a field it copies is missing.
pub(crate) fn ack_for_non_2xx(invite: &Message, response: &Message) -> Option<Bytes> {
    let uri = invite.request_uri()?;
    let via = invite.header_values(HeaderName::VIA).next()?.text;
    let cseq = invite.cseq().ok()?.seq;
    let mut builder = RequestBuilder::new(Method::ACK, uri)
        .header("Via", via)
        .header("Max-Forwards", "70");
    for h in invite
        .headers()
        .iter()
        .filter(|h| h.name == HeaderName::ROUTE)
    {
        builder = builder.header("Route", invite.value_str(h));
    }
    let builder = builder
        .header("From", invite.header(HeaderName::FROM)?)
        .header("To", response.header(HeaderName::TO)?)
        .header("Call-ID", invite.header(HeaderName::CALL_ID)?)
        .header("CSeq", format!("{cseq} ACK"));
    Some(builder.build())
}
