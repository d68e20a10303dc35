//! The dialog of a charged call as the S-CSCF sees it (RFC 3261 §12.1): what it needs to end
//! the call itself with a BYE to each side (TS 24.229 §5.4.5.1.2, release of a session by
//! the S-CSCF) when the credit runs out. Pure.

use bytes::Bytes;
use sip_types::{HeaderName, Message, Method, RequestBuilder};

/// One side of the dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogSide {
    /// Where requests to this side go (its Contact URI).
    pub target: String,
    /// The Route set from us towards it, nearest hop first.
    pub route: Vec<String>,
    /// Its own From/To value (with its tag).
    pub identity: String,
}

/// A confirmed dialog: the caller (UAC), the callee (UAS), Call-ID and the INVITE's CSeq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogRecord {
    /// Call-ID.
    pub call_id: String,
    /// The INVITE's CSeq number.
    pub cseq: u32,
    /// The UAC.
    pub caller: DialogSide,
    /// The UAS.
    pub callee: DialogSide,
}

fn first_contact(msg: &Message) -> Option<String> {
    sip_types::ims::name_addrs(msg, HeaderName::CONTACT)
        .next()?
        .ok()
        .map(|a| a.uri.to_owned())
}

fn record_route(msg: &Message) -> Vec<String> {
    msg.header_values(HeaderName::RECORD_ROUTE)
        .map(|v| v.text.trim().to_owned())
        .collect()
}

/// The URI inside a Route/Record-Route value.
fn uri_of(value: &str) -> Option<&str> {
    sip_types::NameAddr::parse(value).ok().map(|a| a.uri)
}

impl DialogRecord {
    /// The dialog of `invite` (as the S-CSCF received it) confirmed by its 2xx `ok`.
    /// Record-Route values for which `is_ours` holds (given the URI) are left out of the
    /// route sets. None when a header needed is missing.
    pub fn confirmed(
        invite: &Message,
        ok: &Message,
        is_ours: impl Fn(&str) -> bool,
    ) -> Option<Self> {
        let before = record_route(invite);
        let all = record_route(ok);
        // The 2xx carries every Record-Route: those of the hops after us on top, then ours,
        // then those the INVITE arrived with (RFC 3261 §16.6 step 4, §12.1.2).
        let after = all.len().saturating_sub(before.len());
        let not_ours = |v: &&String| uri_of(v).is_some_and(|u| !is_ours(u));
        let callee_route = all
            .iter()
            .take(after)
            .rev()
            .filter(not_ours)
            .cloned()
            .collect();
        let caller_route = before.iter().filter(not_ours).cloned().collect();
        Some(Self {
            call_id: invite.call_id().ok()?.to_owned(),
            cseq: invite.cseq().ok()?.seq,
            caller: DialogSide {
                target: first_contact(invite)?,
                route: caller_route,
                identity: invite.header(HeaderName::FROM)?.trim().to_owned(),
            },
            callee: DialogSide {
                target: first_contact(ok)?,
                route: callee_route,
                identity: ok.header(HeaderName::TO)?.trim().to_owned(),
            },
        })
    }

    /// The BYE the S-CSCF sends to the callee on the caller's behalf, and the URI of its
    /// first hop.
    pub fn bye_to_callee(&self, reason: &str) -> (Bytes, String) {
        self.bye(&self.callee, &self.caller, reason)
    }

    /// The BYE the S-CSCF sends to the caller on the callee's behalf, and the URI of its
    /// first hop.
    pub fn bye_to_caller(&self, reason: &str) -> (Bytes, String) {
        self.bye(&self.caller, &self.callee, reason)
    }

    fn bye(&self, to: &DialogSide, from: &DialogSide, reason: &str) -> (Bytes, String) {
        let mut b = RequestBuilder::new(Method::BYE, to.target.clone())
            .header("Max-Forwards", "70")
            .header("From", from.identity.clone())
            .header("To", to.identity.clone())
            .header("Call-ID", self.call_id.clone())
            .header("CSeq", format!("{} BYE", self.cseq.saturating_add(1)));
        for r in &to.route {
            b = b.header("Route", r.clone());
        }
        // RFC 3326: why the network ended the call.
        b = b.header("Reason", format!("SIP;cause=402;text=\"{reason}\""));
        let hop = to
            .route
            .first()
            .and_then(|r| uri_of(r))
            .unwrap_or(&to.target)
            .to_owned();
        (b.build(), hop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip_types::{ResponseBuilder, StatusCode};

    #[test]
    fn route_sets_skip_our_entries_and_byes_cross_the_tags() {
        let invite = RequestBuilder::new(Method::INVITE, "sip:bob@ims.test")
            .header("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1")
            .header("Record-Route", "<sip:pcscf-a.test;lr>")
            .header("From", "<sip:alice@ims.test>;tag=a1")
            .header("To", "<sip:bob@ims.test>")
            .header("Call-ID", "call-9")
            .header("CSeq", "41 INVITE")
            .header("Contact", "<sip:alice@10.0.0.1:5060>")
            .build();
        let invite = Message::parse(invite).unwrap();
        let ok = ResponseBuilder::new(&invite, StatusCode::OK)
            .to_tag("b2")
            .header(
                "Record-Route",
                "<sip:pcscf-b.test;lr>, <sip:term@127.0.0.1:5080;lr>",
            )
            .header("Record-Route", "<sip:orig@127.0.0.1:5080;lr>")
            .header("Record-Route", "<sip:pcscf-a.test;lr>")
            .header("Contact", "<sip:bob@10.0.0.2:5062>")
            .build();
        let ok = Message::parse(ok).unwrap();
        let ours = |u: &str| u.contains("127.0.0.1:5080");
        let d = DialogRecord::confirmed(&invite, &ok, ours).unwrap();
        assert_eq!(d.callee.route, ["<sip:pcscf-b.test;lr>"]);
        assert_eq!(d.caller.route, ["<sip:pcscf-a.test;lr>"]);
        assert_eq!(d.cseq, 41);

        let (bye, hop) = d.bye_to_callee("credit exhausted");
        assert_eq!(hop, "sip:pcscf-b.test;lr");
        let bye = Message::parse(bye).unwrap();
        assert_eq!(bye.request_uri(), Some("sip:bob@10.0.0.2:5062"));
        assert_eq!(bye.from().unwrap().tag(), Some("a1"));
        assert_eq!(bye.to().unwrap().tag(), Some("b2"));
        assert_eq!(bye.cseq().unwrap().seq, 42);
        assert_eq!(bye.call_id().unwrap(), "call-9");

        let (bye, hop) = d.bye_to_caller("credit exhausted");
        assert_eq!(hop, "sip:pcscf-a.test;lr");
        let bye = Message::parse(bye).unwrap();
        assert_eq!(bye.request_uri(), Some("sip:alice@10.0.0.1:5060"));
        assert_eq!(bye.from().unwrap().tag(), Some("b2"));
        assert_eq!(bye.to().unwrap().tag(), Some("a1"));
        assert_eq!(bye.header(HeaderName::ROUTE), Some("<sip:pcscf-a.test;lr>"));

        // No proxies at all: straight to the contacts.
        let plain = Message::parse(
            RequestBuilder::new(Method::INVITE, "sip:bob@ims.test")
                .header("From", "<sip:alice@ims.test>;tag=a1")
                .header("To", "<sip:bob@ims.test>")
                .header("Call-ID", "c")
                .header("CSeq", "1 INVITE")
                .header("Contact", "<sip:alice@10.0.0.1>")
                .build(),
        )
        .unwrap();
        let ok = Message::parse(
            ResponseBuilder::new(&plain, StatusCode::OK)
                .to_tag("t")
                .header("Contact", "<sip:bob@10.0.0.2>")
                .build(),
        )
        .unwrap();
        let d = DialogRecord::confirmed(&plain, &ok, ours).unwrap();
        assert_eq!(d.bye_to_callee("x").1, "sip:bob@10.0.0.2");
        assert!(d.caller.route.is_empty() && d.callee.route.is_empty());
    }
}
