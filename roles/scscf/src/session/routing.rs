//! Small routing helpers shared by the originating, terminating and ISC code: identities from
//! URIs, home-domain tests, next-hop location and the request being decided.

use std::net::SocketAddr;

use sip_proto::proxy::{Decision, Forward, HostTable, LocalResponse, Target};
use sip_proto::transaction::ServerTransactionId;
use sip_proto::Flow;
use sip_types::{Edits, HeaderName, Message, Method, NameAddr, StatusCode, Uri};

use crate::config::ScscfSection;
use crate::state::Shared;

/// The request being decided: where it came from and the edits it has so far (the core's plan
/// first: Max-Forwards, our Route values popped, received/rport).
#[derive(Debug)]
pub(crate) struct Job<'a> {
    /// Everything shared.
    pub shared: &'a Shared,
    /// The server transaction.
    pub id: ServerTransactionId,
    /// The request as received.
    pub request: &'a Message,
    /// Where it came from.
    pub flow: Flow,
    /// Edits so far.
    pub edits: Edits,
}

impl Job<'_> {
    /// A forward of this request with `edits` to `targets`, Record-Routing a dialog-forming
    /// request (TS 24.229 §5.4.3.2 step 9, §5.4.3.3 step 8).
    pub(crate) fn forward(&self, edits: Edits, targets: Vec<Target>) -> Forward {
        Forward {
            edits,
            targets,
            record_route: forms_dialog(self.request),
            observe: false,
            strip_from_responses: Vec::new(),
            give_up_after: Vec::new(),
        }
    }
}

/// A local answer with a reason phrase.
pub(crate) fn reply(status: StatusCode, reason: &str) -> Decision {
    Decision::Respond(LocalResponse::new(status).reason(reason))
}

/// True for an initial request that creates a dialog (RFC 3261 §12, RFC 6665, RFC 3515).
pub(crate) fn forms_dialog(request: &Message) -> bool {
    let dialog_method = matches!(
        request.method(),
        Some(m) if *m == Method::INVITE || *m == Method::SUBSCRIBE || *m == Method::REFER
    );
    dialog_method && !has_to_tag(request)
}

/// True when the To header has a tag (an in-dialog request).
pub(crate) fn has_to_tag(request: &Message) -> bool {
    request.to().ok().and_then(|t| t.tag()).is_some()
}

/// The public identity a URI stands for: `sip:user@host[:port]` without parameters, or
/// `tel:number`. None for other URIs and SIP URIs without a user.
pub(crate) fn identity_of(uri: &Uri<'_>) -> Option<String> {
    match uri {
        Uri::Sip(u) => {
            let user = u.user?;
            let scheme = if u.secure { "sips" } else { "sip" };
            Some(match u.port {
                Some(p) => format!("{scheme}:{user}@{}:{p}", u.host_str),
                None => format!("{scheme}:{user}@{}", u.host_str),
            })
        }
        Uri::Tel { number, .. } => Some(format!("tel:{number}")),
        Uri::Other { .. } => None,
    }
}

/// The identity of the first name-addr of header `name` (P-Asserted-Identity, RFC 3325 §9.1).
/// With several values (a SIP and a tel URI), the SIP one is preferred.
pub(crate) fn asserted_identity(request: &Message) -> Option<String> {
    let mut first = None;
    for value in sip_types::ims::name_addrs(request, HeaderName::P_ASSERTED_IDENTITY).flatten() {
        let Ok(uri) = value.parsed_uri() else {
            continue;
        };
        if let Some(identity) = identity_of(&uri) {
            if matches!(uri, Uri::Sip(_)) {
                return Some(identity);
            }
            first.get_or_insert(identity);
        }
    }
    first
}

/// True when `host` is one of our home domains (compared ignoring ASCII case).
pub(crate) fn is_home(config: &ScscfSection, host: &str) -> bool {
    config
        .home_domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(host))
}

/// A loose-route value `<uri;lr>` for a SIP URI given with or without brackets and `lr`.
pub(crate) fn loose_route(uri: &str) -> String {
    let bare = uri.trim().trim_start_matches('<').trim_end_matches('>');
    match sip_types::SipUri::parse(bare) {
        Ok(u) if u.is_loose_route() || u.headers.is_some() => format!("<{bare}>"),
        _ => format!("<{bare};lr>"),
    }
}

/// A name-addr value in angle brackets (a Path value stored as a bare URI would otherwise
/// lose its URI parameters to the header, RFC 3261 §20.10).
pub(crate) fn bracketed(value: &str) -> String {
    let v = value.trim();
    if v.starts_with('<') || v.starts_with('"') {
        v.to_owned()
    } else {
        format!("<{v}>")
    }
}

/// Where to send a request for `uri` (a URI or a name-addr): an IP literal, or a name of the
/// `[sip.hosts]` table. Empty when it cannot be located without DNS.
pub(crate) fn locate(hosts: &HostTable, uri: &str) -> Vec<Target> {
    let text = match NameAddr::parse(uri) {
        Ok(na) => na.uri,
        Err(_) => uri.trim(),
    };
    match Uri::parse(text) {
        Ok(Uri::Sip(u)) => hosts.locate(&u),
        _ => Vec::new(),
    }
}

/// Our own first listener of the transport of `like` (or any): the target for a request we
/// send to ourselves.
pub(crate) fn self_target(shared: &Shared, like: &Target) -> Option<Target> {
    let listeners = shared.sip.listeners();
    listeners
        .iter()
        .find(|(t, _)| *t == like.transport)
        .or_else(|| listeners.first())
        .map(|(transport, addr)| Target {
            transport: *transport,
            addr: *addr,
        })
}

/// True when `remote` is one of our listeners (a request we sent to ourselves).
pub(crate) fn is_self(shared: &Shared, remote: SocketAddr) -> bool {
    shared.sip.listeners().iter().any(|(_, a)| *a == remote)
}

/// The user parts of the Route values of `request`, as received, in order.
pub(crate) fn route_users(request: &Message) -> Vec<Option<String>> {
    sip_types::ims::name_addrs(request, HeaderName::ROUTE)
        .map(|v| {
            v.ok()
                .and_then(|na| na.parsed_uri().ok())
                .and_then(|u| u.as_sip().and_then(|s| s.user).map(str::to_owned))
        })
        .collect()
}

pub(crate) use crate::state::unix_now;

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn msg(text: &str) -> Message {
        Message::parse(Bytes::from(text.replace('\n', "\r\n"))).unwrap()
    }

    #[test]
    fn identities_from_uris() {
        let id = |t: &str| identity_of(&Uri::parse(t).unwrap());
        assert_eq!(
            id("sip:bob@ims.test;user=phone").as_deref(),
            Some("sip:bob@ims.test")
        );
        assert_eq!(
            id("sip:bob@127.0.0.1:5062").as_deref(),
            Some("sip:bob@127.0.0.1:5062")
        );
        assert_eq!(
            id("tel:+4912345;phone-context=x").as_deref(),
            Some("tel:+4912345")
        );
        assert_eq!(id("sip:ims.test"), None);
    }

    #[test]
    fn loose_routes() {
        assert_eq!(loose_route("sip:as.test"), "<sip:as.test;lr>");
        assert_eq!(loose_route("<sip:as.test;lr>"), "<sip:as.test;lr>");
        assert_eq!(
            loose_route("sip:127.0.0.1:5090;transport=udp"),
            "<sip:127.0.0.1:5090;transport=udp;lr>"
        );
    }

    #[test]
    fn asserted_identity_prefers_sip() {
        let m = msg("INVITE sip:bob@ims.test SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\n\
P-Asserted-Identity: <tel:+491>, \"A\" <sip:alice@ims.test>\nFrom: <sip:a@b>;tag=1\nTo: <sip:bob@ims.test>\n\
Call-ID: c\nCSeq: 1 INVITE\nContent-Length: 0\n\n");
        assert_eq!(asserted_identity(&m).as_deref(), Some("sip:alice@ims.test"));
        assert!(forms_dialog(&m));
        assert_eq!(route_users(&m), Vec::<Option<String>>::new());
    }

    #[test]
    fn locate_ip_literals_and_hosts() {
        let mut hosts = HostTable::new();
        let t = Target {
            transport: sip_proto::Transport::Udp,
            addr: "127.0.0.1:5060".parse().unwrap(),
        };
        hosts.insert("pcscf.ims.test", vec![t]);
        assert_eq!(locate(&hosts, "<sip:term@pcscf.ims.test;lr>"), vec![t]);
        assert_eq!(locate(&hosts, "sip:127.0.0.1:5060"), vec![t]);
        assert!(locate(&hosts, "sip:unknown.test").is_empty());
        assert!(locate(&hosts, "tel:+1").is_empty());
    }
}
