//! Small header rules the P-CSCF applies in several places.

use sip_proto::proxy::HostPort;
use sip_proto::{Flow, Transport};
use sip_types::{Edits, HeaderName, Message, Method};

/// The headers a P-CSCF never passes to a UE (TS 24.229 §5.2.7.4, §5.2.6.4).
pub const CHARGING_HEADERS: [HeaderName; 2] = [
    HeaderName::P_CHARGING_VECTOR,
    HeaderName::P_CHARGING_FUNCTION_ADDRESSES,
];

/// The user part of our Path URI: terminating requests come back with it as Route.
pub const TERM_USER: &str = "term";

/// Our Path value for a REGISTER received on `flow` (RFC 3327 §5.2; TS 24.229 §5.2.2.1):
/// `<sip:term@IP:PORT;lr>` naming the listener it came in on.
pub fn path_value(flow: &Flow) -> String {
    let at = HostPort(flow.local);
    match flow.transport {
        Transport::Udp => format!("<sip:{TERM_USER}@{at};lr>"),
        Transport::Tls => format!("<sips:{TERM_USER}@{at};lr>"),
        t => format!("<sip:{TERM_USER}@{at};transport={};lr>", t.param()),
    }
}

/// Initial requests of these methods create a dialog (RFC 3261 §12, RFC 6665, RFC 3515), so
/// the P-CSCF record-routes them (TS 24.229 §5.2.6.3.3, §5.2.6.4).
pub fn forms_dialog(method: &Method) -> bool {
    *method == Method::INVITE
        || *method == Method::SUBSCRIBE
        || *method == Method::REFER
        || *method == Method::NOTIFY
}

/// True when the request has a To tag (in-dialog).
pub fn has_to_tag(request: &Message) -> bool {
    request.to().ok().and_then(|t| t.tag()).is_some()
}

/// Remove every line of each header in `names`.
pub fn remove_headers(edits: &mut Edits, request: &Message, names: &[HeaderName]) {
    for name in names {
        edits.remove_header(request, *name);
    }
}

/// Insert `Name: value` before the first line of header `before`, or at the end of the header
/// section when there is none (so that a new Path or Route value comes first).
pub fn insert_first(
    edits: &mut Edits,
    request: &Message,
    before: HeaderName,
    name: &str,
    value: &str,
) {
    match request.headers().iter().find(|h| h.name == before) {
        Some(h) => {
            edits.insert(h.line_range.start, format!("{name}: {value}\r\n"));
        }
        None => {
            edits.append_header(request, name, value);
        }
    }
}

/// An angle-bracketed name-addr for `uri`.
pub fn bracketed(uri: &str) -> String {
    format!("<{uri}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_names_the_listener() {
        let mut flow = Flow {
            transport: Transport::Udp,
            remote: "127.0.0.1:4000".parse().unwrap(),
            local: "127.0.0.1:5060".parse().unwrap(),
            connection: None,
        };
        assert_eq!(path_value(&flow), "<sip:term@127.0.0.1:5060;lr>");
        flow.transport = Transport::Tcp;
        assert_eq!(
            path_value(&flow),
            "<sip:term@127.0.0.1:5060;transport=tcp;lr>"
        );
    }

    #[test]
    fn dialog_forming_methods() {
        assert!(forms_dialog(&Method::INVITE));
        assert!(forms_dialog(&Method::SUBSCRIBE));
        assert!(!forms_dialog(&Method::MESSAGE));
        assert!(!forms_dialog(&Method::REGISTER));
    }
}
