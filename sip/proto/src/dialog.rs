//! Dialogs (RFC 3261 §12): identifiers, route set, CSeq, remote target.
//!
//! A [`Dialog`] is plain data plus transitions: it is created from the request and response
//! that establish it (§12.1.1 UAS, §12.1.2 UAC), builds in-dialog requests (§12.2.1.1),
//! checks the remote CSeq of received requests (§12.2.2) and follows target refreshes
//! (§12.2). Branches and tags are passed in: nothing here draws random numbers.

use bytes::Bytes;
use sip_types::{HeaderName, Message, Method, NameAddr, ParseError, RequestBuilder, Uri};

/// Why a dialog cannot be made or a request does not fit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    /// A header the dialog needs does not parse (or is missing).
    #[error("malformed message: {0}")]
    Malformed(#[from] ParseError),
    /// The message is not of the kind expected (a response where a request is needed...).
    #[error("wrong kind of message for this dialog operation")]
    WrongMessage,
    /// A dialog-creating message without a Contact (RFC 3261 §12.1.1, §12.1.2).
    #[error("no Contact to take the remote target from")]
    MissingContact,
    /// The From/To tag that identifies the dialog is missing.
    #[error("missing dialog tag")]
    MissingTag,
    /// A request whose CSeq is lower than the remote sequence number (§12.2.2): answer 500.
    #[error("CSeq lower than the dialog's remote sequence number")]
    CSeqOutOfOrder,
}

/// The dialog identifier (§12): Call-ID, local tag and remote tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// Call-ID.
    pub call_id: String,
    /// Our tag (From in our requests, To in our responses).
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// The id of the dialog a received request belongs to: local tag from To, remote from
    /// From (§12.2.2).
    pub fn of_received_request(request: &Message) -> Result<Self, DialogError> {
        Ok(Self {
            call_id: request.call_id()?.to_owned(),
            local_tag: request.to()?.tag().unwrap_or_default().to_owned(),
            remote_tag: request.from()?.tag().unwrap_or_default().to_owned(),
        })
    }

    /// The id of the dialog a received response belongs to: local tag from From, remote from
    /// To (§12.1.2).
    pub fn of_received_response(response: &Message) -> Result<Self, DialogError> {
        Ok(Self {
            call_id: response.call_id()?.to_owned(),
            local_tag: response.from()?.tag().unwrap_or_default().to_owned(),
            remote_tag: response.to()?.tag().unwrap_or_default().to_owned(),
        })
    }
}

/// Whether the dialog is early (created by a 1xx) or confirmed (§12.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response with a To tag.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
}

/// The dialog state of RFC 3261 §12.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// Call-ID and tags.
    pub id: DialogId,
    /// Early or confirmed.
    pub state: DialogState,
    /// Our URI (From of our requests).
    pub local_uri: String,
    /// The peer's URI (To of our requests).
    pub remote_uri: String,
    /// Where our requests go: the peer's Contact URI.
    pub remote_target: String,
    /// Route values (name-addr text as written), in the order our requests carry them.
    pub route_set: Vec<String>,
    /// The CSeq number of our last request (0 when we have sent none: §12.1.1 "empty").
    pub local_seq: u32,
    /// The CSeq number of the peer's last request, if any.
    pub remote_seq: Option<u32>,
    /// True when the dialog was made with a SIPS Request-URI (§12.1.1).
    pub secure: bool,
}

/// Target-refresh requests (§12.2; RFC 3311 UPDATE, RFC 6665 SUBSCRIBE/NOTIFY, RFC 3515 REFER).
fn is_target_refresh(method: &Method) -> bool {
    [
        Method::INVITE,
        Method::UPDATE,
        Method::SUBSCRIBE,
        Method::NOTIFY,
        Method::REFER,
    ]
    .contains(method)
}

fn contact_uri(msg: &Message) -> Result<Option<String>, DialogError> {
    let Some(value) = msg.header_values(HeaderName::CONTACT).next() else {
        return Ok(None);
    };
    Ok(Some(NameAddr::parse(value.text)?.uri.to_owned()))
}

fn record_route(msg: &Message) -> Vec<String> {
    msg.header_values(HeaderName::RECORD_ROUTE)
        .map(|v| v.text.to_owned())
        .collect()
}

fn is_sips(msg: &Message) -> bool {
    msg.request_uri()
        .and_then(|u| u.get(..5))
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("sips:"))
}

impl Dialog {
    /// The dialog a UAC gets from its `request` (INVITE, SUBSCRIBE...) and a 1xx (with a To
    /// tag) or 2xx `response` (§12.1.2): route set from Record-Route reversed, remote target
    /// from Contact.
    pub fn new_uac(request: &Message, response: &Message) -> Result<Self, DialogError> {
        let status = response.status().ok_or(DialogError::WrongMessage)?;
        if !request.is_request() {
            return Err(DialogError::WrongMessage);
        }
        let from = request.from()?;
        let to = response.to()?;
        let remote_tag = to.tag().ok_or(DialogError::MissingTag)?;
        let mut route_set = record_route(response);
        route_set.reverse();
        Ok(Self {
            id: DialogId {
                call_id: request.call_id()?.to_owned(),
                local_tag: from.tag().ok_or(DialogError::MissingTag)?.to_owned(),
                remote_tag: remote_tag.to_owned(),
            },
            state: if status.is_success() {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local_uri: from.uri.to_owned(),
            remote_uri: to.uri.to_owned(),
            remote_target: contact_uri(response)?.ok_or(DialogError::MissingContact)?,
            route_set,
            local_seq: request.cseq()?.seq,
            remote_seq: None,
            secure: is_sips(request),
        })
    }

    /// The dialog a UAS gets from a dialog-creating `request` it answers with To tag
    /// `local_tag` (§12.1.1): route set from Record-Route in order, remote target from Contact.
    pub fn new_uas(request: &Message, local_tag: &str) -> Result<Self, DialogError> {
        if !request.is_request() {
            return Err(DialogError::WrongMessage);
        }
        let from = request.from()?;
        let to = request.to()?;
        Ok(Self {
            id: DialogId {
                call_id: request.call_id()?.to_owned(),
                local_tag: local_tag.to_owned(),
                remote_tag: from.tag().ok_or(DialogError::MissingTag)?.to_owned(),
            },
            state: DialogState::Confirmed,
            local_uri: to.uri.to_owned(),
            remote_uri: from.uri.to_owned(),
            remote_target: contact_uri(request)?.ok_or(DialogError::MissingContact)?,
            route_set: record_route(request),
            local_seq: 0,
            remote_seq: Some(request.cseq()?.seq),
            secure: is_sips(request),
        })
    }

    /// A response received for a request of ours in this dialog (§12.2.1.2, §13.2.2.4): a 2xx
    /// to INVITE confirms an early dialog and recomputes its route set; a 2xx to a target
    /// refresh updates the remote target.
    pub fn handle_response(&mut self, response: &Message) -> Result<(), DialogError> {
        let status = response.status().ok_or(DialogError::WrongMessage)?;
        let method = response.cseq()?.method;
        if !status.is_success() {
            return Ok(());
        }
        if method == Method::INVITE && self.state == DialogState::Early {
            self.state = DialogState::Confirmed;
            let mut route_set = record_route(response);
            route_set.reverse();
            self.route_set = route_set;
        }
        if is_target_refresh(&method) {
            if let Some(target) = contact_uri(response)? {
                self.remote_target = target;
            }
        }
        Ok(())
    }

    /// A request received in this dialog (§12.2.2): its CSeq must not go backwards (else
    /// answer 500); a target refresh with a Contact updates the remote target.
    pub fn handle_request(&mut self, request: &Message) -> Result<(), DialogError> {
        let method = request.method().ok_or(DialogError::WrongMessage)?;
        let seq = request.cseq()?.seq;
        if *method != Method::ACK && *method != Method::CANCEL {
            if self.remote_seq.is_some_and(|r| seq < r) {
                return Err(DialogError::CSeqOutOfOrder);
            }
            self.remote_seq = Some(seq);
        }
        if is_target_refresh(method) {
            if let Some(target) = contact_uri(request)? {
                self.remote_target = target;
            }
        }
        Ok(())
    }

    /// The Request-URI and Route values of an in-dialog request (§12.2.1.1): loose routing
    /// when the first route has `lr` (or there is none), else strict routing with the remote
    /// target appended.
    pub fn request_target(&self) -> (String, Vec<String>) {
        let Some(first) = self.route_set.first() else {
            return (self.remote_target.clone(), Vec::new());
        };
        let first_uri = NameAddr::parse(first).ok().map(|n| n.uri);
        let loose = first_uri
            .and_then(|u| Uri::parse(u).ok())
            .is_none_or(|u| matches!(u, Uri::Sip(s) if s.is_loose_route()));
        match first_uri {
            Some(uri) if !loose => {
                let mut routes: Vec<String> = self.route_set.iter().skip(1).cloned().collect();
                routes.push(format!("<{}>", self.remote_target));
                (uri.to_owned(), routes)
            }
            _ => (self.remote_target.clone(), self.route_set.clone()),
        }
    }

    /// Build an in-dialog request (§12.2.1.1). `via` is our full Via value, with a fresh
    /// branch; `headers` are added after the dialog's own (Contact, Content-Type...). The
    /// CSeq number is incremented, except for ACK, which reuses the INVITE's (§13.2.2.4).
    /// (CANCEL is not built here: it copies the INVITE, §9.1.)
    pub fn build_request(&mut self, method: Method, via: &str, headers: &[(&str, &str)]) -> Bytes {
        if method != Method::ACK {
            self.local_seq = self.local_seq.wrapping_add(1) & 0x7fff_ffff;
        }
        let (uri, routes) = self.request_target();
        let cseq = format!("{} {}", self.local_seq, method.as_str());
        let mut b = RequestBuilder::new(method, uri)
            .header("Via", via)
            .header("Max-Forwards", "70");
        for r in routes {
            b = b.header("Route", r);
        }
        b = b
            .header(
                "From",
                format!("<{}>;tag={}", self.local_uri, self.id.local_tag),
            )
            .header("To", self.remote_to())
            .header("Call-ID", self.id.call_id.as_str())
            .header("CSeq", cseq);
        for (name, value) in headers {
            b = b.header(*name, *value);
        }
        b.build()
    }

    fn remote_to(&self) -> String {
        if self.id.remote_tag.is_empty() {
            format!("<{}>", self.remote_uri)
        } else {
            format!("<{}>;tag={}", self.remote_uri, self.id.remote_tag)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Message {
        let m = Message::parse(Bytes::copy_from_slice(text.as_bytes())).expect("parse");
        m.validate().expect("valid");
        m
    }

    const INVITE: &str = "INVITE sips:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK1\r\n\
Max-Forwards: 70\r\n\
From: \"Alice\" <sips:alice@example.com>;tag=a1\r\n\
To: <sips:bob@example.com>\r\n\
Call-ID: d1@192.0.2.1\r\n\
CSeq: 10 INVITE\r\n\
Record-Route: <sips:p1.example.com;lr>, <sips:p2.example.com;lr>\r\n\
Contact: <sips:alice@192.0.2.1>\r\n\
Content-Length: 0\r\n\r\n";

    const OK: &str = "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK1\r\n\
From: \"Alice\" <sips:alice@example.com>;tag=a1\r\n\
To: <sips:bob@example.com>;tag=b1\r\n\
Call-ID: d1@192.0.2.1\r\n\
CSeq: 10 INVITE\r\n\
Record-Route: <sips:p1.example.com;lr>\r\n\
Record-Route: <sips:p2.example.com;lr>\r\n\
Contact: <sips:bob@192.0.2.2>\r\n\
Content-Length: 0\r\n\r\n";

    #[test]
    fn uac_dialog_reverses_record_route() {
        let d = Dialog::new_uac(&parse(INVITE), &parse(OK)).expect("dialog");
        assert_eq!(
            d.id,
            DialogId {
                call_id: "d1@192.0.2.1".into(),
                local_tag: "a1".into(),
                remote_tag: "b1".into()
            }
        );
        assert_eq!(
            d.route_set,
            vec!["<sips:p2.example.com;lr>", "<sips:p1.example.com;lr>"]
        );
        assert_eq!(d.remote_target, "sips:bob@192.0.2.2");
        assert_eq!(d.local_uri, "sips:alice@example.com");
        assert_eq!(d.local_seq, 10);
        assert!(d.secure);
        assert_eq!(d.state, DialogState::Confirmed);
        assert_eq!(
            DialogId::of_received_response(&parse(OK)).expect("id"),
            d.id
        );
    }

    #[test]
    fn uas_dialog_keeps_record_route_order() {
        let d = Dialog::new_uas(&parse(INVITE), "b1").expect("dialog");
        assert_eq!(
            d.route_set,
            vec!["<sips:p1.example.com;lr>", "<sips:p2.example.com;lr>"]
        );
        assert_eq!(d.remote_target, "sips:alice@192.0.2.1");
        assert_eq!(d.remote_seq, Some(10));
        assert_eq!(d.local_seq, 0);
        assert_eq!(d.id.remote_tag, "a1");
    }

    #[test]
    fn build_request_loose_routing() {
        let mut d = Dialog::new_uac(&parse(INVITE), &parse(OK)).expect("dialog");
        let bye = d.build_request(
            Method::BYE,
            "SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK2",
            &[("Contact", "<sips:alice@192.0.2.1>")],
        );
        let bye = parse(std::str::from_utf8(&bye).expect("utf8"));
        assert_eq!(bye.request_uri(), Some("sips:bob@192.0.2.2"));
        let routes: Vec<&str> = bye
            .header_values(HeaderName::ROUTE)
            .map(|v| v.text)
            .collect();
        assert_eq!(
            routes,
            vec!["<sips:p2.example.com;lr>", "<sips:p1.example.com;lr>"]
        );
        assert_eq!(bye.cseq().expect("cseq").seq, 11);
        assert_eq!(bye.to().expect("to").tag(), Some("b1"));
        assert_eq!(bye.from().expect("from").tag(), Some("a1"));
        assert_eq!(bye.call_id().ok(), Some("d1@192.0.2.1"));
        let ack = d.build_request(Method::ACK, "SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK3", &[]);
        let ack = parse(std::str::from_utf8(&ack).expect("utf8"));
        assert_eq!(ack.cseq().expect("cseq").seq, 11, "ACK keeps the number");
    }

    #[test]
    fn build_request_strict_routing() {
        let mut d = Dialog::new_uac(&parse(INVITE), &parse(OK)).expect("dialog");
        d.route_set = vec!["<sip:strict.example.com>".into(), "<sip:p1;lr>".into()];
        let (uri, routes) = d.request_target();
        assert_eq!(uri, "sip:strict.example.com");
        assert_eq!(routes, vec!["<sip:p1;lr>", "<sips:bob@192.0.2.2>"]);
    }

    #[test]
    fn remote_cseq_and_target_refresh() {
        let mut d = Dialog::new_uas(&parse(INVITE), "b1").expect("dialog");
        let reinvite = INVITE
            .replace("CSeq: 10", "CSeq: 12")
            .replace(
                "To: <sips:bob@example.com>",
                "To: <sips:bob@example.com>;tag=b1",
            )
            .replace("sips:alice@192.0.2.1>", "sips:alice@192.0.2.99>");
        d.handle_request(&parse(&reinvite)).expect("in order");
        assert_eq!(d.remote_seq, Some(12));
        assert_eq!(d.remote_target, "sips:alice@192.0.2.99");
        let old = reinvite.replace("CSeq: 12", "CSeq: 11");
        assert_eq!(
            d.handle_request(&parse(&old)),
            Err(DialogError::CSeqOutOfOrder)
        );
        assert_eq!(
            DialogId::of_received_request(&parse(&reinvite)).expect("id"),
            d.id
        );
    }

    #[test]
    fn early_dialog_confirmed_by_2xx_recomputes_route_set() {
        let ringing = OK
            .replace("200 OK", "180 Ringing")
            .replace("Record-Route: <sips:p2.example.com;lr>\r\n", "");
        let mut d = Dialog::new_uac(&parse(INVITE), &parse(&ringing)).expect("dialog");
        assert_eq!(d.state, DialogState::Early);
        assert_eq!(d.route_set.len(), 1);
        d.handle_response(&parse(OK)).expect("2xx");
        assert_eq!(d.state, DialogState::Confirmed);
        assert_eq!(d.route_set.len(), 2);
    }

    #[test]
    fn missing_contact_or_tag_is_an_error() {
        let no_contact = OK.replace("Contact: <sips:bob@192.0.2.2>\r\n", "");
        assert_eq!(
            Dialog::new_uac(&parse(INVITE), &parse(&no_contact)),
            Err(DialogError::MissingContact)
        );
        let no_tag = OK.replace(";tag=b1", "");
        assert_eq!(
            Dialog::new_uac(&parse(INVITE), &parse(&no_tag)),
            Err(DialogError::MissingTag)
        );
    }
}
