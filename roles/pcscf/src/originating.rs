//! Requests a registered UE originates (TS 24.229 §5.2.6.3): the asserted identity, the
//! Service-Route as the route, a charging vector.

use ims_core::charging::ChargingVectorValue;
use sip_proto::proxy::LocalAddrs;
use sip_types::ims::name_addrs;
use sip_types::{Edits, HeaderName, Message, NameAddr, Uri};

use crate::headers::{bracketed, insert_first};
use crate::registrations::{contact_key, Binding};

/// What becomes of a Route value of an originating request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RouteKind {
    /// Ours, at the front: the proxy core popped it.
    Popped,
    /// A copy of a Service-Route value the UE preloaded: replaced by ours.
    Copy,
    /// Anything else: kept after the Service-Route.
    Kept,
}

/// The identity to assert and the binding it belongs to (TS 24.229 §5.2.6.3.1; RFC 3325 §6):
/// the first P-Preferred-Identity that is one of the UE's associated URIs, else the first
/// associated URI. `None` when `bindings` is empty.
pub fn asserted_identity<'b>(
    request: &Message,
    bindings: &'b [Binding],
) -> Option<(String, &'b Binding)> {
    for preferred in name_addrs(request, HeaderName::P_PREFERRED_IDENTITY).filter_map(Result::ok) {
        let wanted = contact_key(preferred.uri);
        for binding in bindings {
            if let Some(uri) = binding
                .associated_uris
                .iter()
                .find(|u| contact_key(u) == wanted)
            {
                return Some((uri.clone(), binding));
            }
        }
    }
    let first = bindings.first()?;
    let uri = first
        .associated_uris
        .first()
        .cloned()
        .unwrap_or_else(|| first.impu.clone());
    Some((uri, first))
}

/// The edits for an originating request over the proxy core's `edits`: the UE's identity
/// headers replaced by our P-Asserted-Identity, P-Preferred-Identity removed; the
/// Service-Route written as the first Route values (RFC 3608 §6; TS 24.229 §5.2.6.3.2), any
/// copies of them the UE preloaded removed; a P-Charging-Vector when the request has none.
pub fn originating_edits(
    request: &Message,
    mut edits: Edits,
    locals: &LocalAddrs,
    identity: &str,
    service_route: &[String],
    vector: Option<&ChargingVectorValue>,
) -> Edits {
    edits.remove_header(request, HeaderName::P_ASSERTED_IDENTITY);
    edits.remove_header(request, HeaderName::P_PREFERRED_IDENTITY);
    edits.append_header(request, "P-Asserted-Identity", &bracketed(identity));
    if !service_route.is_empty() {
        let wanted: Vec<String> = service_route.iter().map(|u| contact_key(u)).collect();
        // The values naming us at the front were popped by the proxy core already; a line
        // left with nothing goes whole (so that two removals on one line cannot overlap).
        let mut ours = true;
        let mut values = Vec::new();
        for value in request.header_values(HeaderName::ROUTE) {
            let parsed = NameAddr::parse(value.text).ok();
            if ours {
                ours = parsed
                    .and_then(|na| na.parsed_uri().ok())
                    .is_some_and(|u| matches!(u, Uri::Sip(s) if locals.is_our_uri(&s)));
            }
            let kind = if ours {
                RouteKind::Popped
            } else if parsed.is_some_and(|na| wanted.contains(&contact_key(na.uri))) {
                RouteKind::Copy
            } else {
                RouteKind::Kept
            };
            values.push((value, kind));
        }
        let mut lines_removed = Vec::new();
        for (value, kind) in &values {
            let index = value.header_index;
            let line_empties = values
                .iter()
                .filter(|(v, _)| v.header_index == index)
                .all(|(_, k)| *k != RouteKind::Kept);
            if line_empties {
                if !lines_removed.contains(&index) {
                    if let Some(h) = request.headers().get(index) {
                        edits.remove(h.line_range.clone());
                    }
                    lines_removed.push(index);
                }
            } else if *kind == RouteKind::Copy {
                edits.remove_value(request, value);
            }
        }
        let route: Vec<String> = service_route.iter().map(|u| bracketed(u)).collect();
        insert_first(
            &mut edits,
            request,
            HeaderName::ROUTE,
            "Route",
            &route.join(", "),
        );
    }
    if let Some(vector) = vector {
        edits.append_header(request, "P-Charging-Vector", &vector.to_header_value());
    }
    edits
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use bytes::Bytes;
    use sip_proto::proxy::LocalAddr;
    use sip_proto::{Flow, Transport};

    use super::*;

    fn binding(associated: &[&str]) -> Binding {
        Binding {
            contact: "sip:alice@127.0.0.1:4000".into(),
            flow: Flow {
                transport: Transport::Udp,
                remote: "127.0.0.1:4000".parse().unwrap(),
                local: "127.0.0.1:5060".parse().unwrap(),
                connection: None,
            },
            impu: "sip:alice@ims.test".into(),
            service_route: vec!["sip:orig@127.0.0.1:5080;lr".into()],
            associated_uris: associated.iter().map(|s| (*s).to_owned()).collect(),
            expires_at: Instant::now(),
        }
    }

    fn invite(extra: &str) -> Message {
        Message::parse(Bytes::from(format!(
            "INVITE sip:bob@ims.test SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:4000;branch=z9hG4bK-1\r\n\
Max-Forwards: 70\r\n\
{extra}\
From: <sip:alice@ims.test>;tag=a\r\n\
To: <sip:bob@ims.test>\r\n\
Call-ID: c1\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@127.0.0.1:4000>\r\n\
Content-Length: 0\r\n\r\n"
        )))
        .unwrap()
    }

    fn locals() -> LocalAddrs {
        LocalAddrs::new(
            vec![LocalAddr {
                transport: Transport::Udp,
                addr: "127.0.0.1:5060".parse().unwrap(),
            }],
            vec![],
        )
    }

    #[test]
    fn preferred_identity_only_when_associated() {
        let bindings = [binding(&["sip:alice@ims.test", "tel:+15550001"])];
        let req = invite("P-Preferred-Identity: <tel:+15550001>\r\n");
        assert_eq!(
            asserted_identity(&req, &bindings).unwrap().0,
            "tel:+15550001"
        );
        let req = invite("P-Preferred-Identity: <sip:bob@ims.test>\r\n");
        assert_eq!(
            asserted_identity(&req, &bindings).unwrap().0,
            "sip:alice@ims.test"
        );
        assert!(asserted_identity(&req, &[]).is_none());
    }

    #[test]
    fn service_route_replaces_the_preloaded_copy() {
        let req = invite(
            "Route: <sip:127.0.0.1:5060;lr>, <sip:orig@127.0.0.1:5080;lr>\r\n\
P-Preferred-Identity: <tel:+15550001>\r\nP-Asserted-Identity: <sip:forged@ims.test>\r\n",
        );
        // What the proxy core did: pop our Route value.
        let mut edits = Edits::new();
        let first = req.header_values(HeaderName::ROUTE).next().unwrap();
        edits.remove_value(&req, &first);
        let sr = vec!["sip:orig@127.0.0.1:5080;lr".to_owned()];
        let out = originating_edits(&req, edits, &locals(), "tel:+15550001", &sr, None).apply(&req);
        let out = Message::parse(out).unwrap();
        let routes: Vec<_> = out
            .header_values(HeaderName::ROUTE)
            .map(|v| v.text)
            .collect();
        assert_eq!(routes, ["<sip:orig@127.0.0.1:5080;lr>"]);
        assert_eq!(
            out.header(HeaderName::P_ASSERTED_IDENTITY),
            Some("<tel:+15550001>")
        );
        assert!(out.header(HeaderName::P_PREFERRED_IDENTITY).is_none());
    }
}
