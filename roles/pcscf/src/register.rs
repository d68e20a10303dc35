//! REGISTER through the P-CSCF (TS 24.229 §5.2.2): what is added on the way to the I-CSCF,
//! and what the 200 OK teaches about the UE.

use ims_core::charging::ChargingVectorValue;
use sip_proto::Flow;
use sip_types::ims::{contacts, has_token, name_addrs, Contact};
use sip_types::{Edits, HeaderName, Message};

use crate::headers::{insert_first, path_value, remove_headers, CHARGING_HEADERS};
use crate::registrations::{contact_key, RegistrationUpdate};

/// Expiry assumed for a contact the 200 OK lists without `expires` and with no Expires
/// header (RFC 3261 §10.2.1.1 default).
const DEFAULT_EXPIRES: u32 = 3600;

/// The edits for a REGISTER from a UE received on `flow`, over the proxy core's `edits`
/// (TS 24.229 §5.2.2.1): our Path first with `Require: path` (RFC 3327 §5.2) and `path` in
/// Supported, P-Visited-Network-ID (RFC 7315 §4.3), a fresh P-Charging-Vector; identities and
/// charging headers the UE put in are removed (RFC 3325 §5: the UE is outside the trust domain).
pub fn register_edits(
    request: &Message,
    mut edits: Edits,
    flow: &Flow,
    visited_network_id: &str,
    vector: &ChargingVectorValue,
) -> Edits {
    insert_first(
        &mut edits,
        request,
        HeaderName::PATH,
        "Path",
        &path_value(flow),
    );
    if !has_token(request, HeaderName::REQUIRE, "path") {
        edits.append_header(request, "Require", "path");
    }
    if !has_token(request, HeaderName::SUPPORTED, "path") {
        edits.append_header(request, "Supported", "path");
    }
    remove_headers(
        &mut edits,
        request,
        &[
            HeaderName::P_ASSERTED_IDENTITY,
            HeaderName::P_VISITED_NETWORK_ID,
        ],
    );
    remove_headers(&mut edits, request, &CHARGING_HEADERS);
    edits.append_header(
        request,
        "P-Visited-Network-ID",
        &visited_network_value(visited_network_id),
    );
    edits.append_header(request, "P-Charging-Vector", &vector.to_header_value());
    edits
}

/// A P-Visited-Network-ID value: the name as a token when it is one, else quoted.
fn visited_network_value(name: &str) -> String {
    let token = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c));
    if token {
        name.to_owned()
    } else {
        format!("\"{name}\"")
    }
}

/// What a 2xx to a REGISTER received on `flow` grants (TS 24.229 §5.2.2.1): each contact of
/// the request with the expiry the registrar gave it (0 when the response no longer lists it),
/// the Service-Route and P-Associated-URI lists, the registered identity (To). `None` when the
/// request's To cannot be read.
pub fn registration_update(
    request: &Message,
    response: &Message,
    flow: &Flow,
) -> Option<RegistrationUpdate> {
    let impu = request.to().ok()?.uri.to_owned();
    let default_expires = response.expires().ok().flatten();
    let granted: Vec<(String, Option<u32>)> = contacts(response)
        .filter_map(Result::ok)
        .filter_map(|c| match c {
            Contact::Addr(a) => Some((contact_key(a.uri), c.expires())),
            Contact::Star => None,
        })
        .collect();
    let mut remove_all = false;
    let mut registered = Vec::new();
    for contact in contacts(request).filter_map(Result::ok) {
        let Contact::Addr(addr) = contact else {
            remove_all = true;
            continue;
        };
        let key = contact_key(addr.uri);
        let expires = match granted.iter().find(|(k, _)| *k == key) {
            Some((_, e)) => e.or(default_expires).unwrap_or(DEFAULT_EXPIRES),
            None => 0,
        };
        registered.push((addr.uri.to_owned(), expires));
    }
    let service_route = name_addrs(response, HeaderName::SERVICE_ROUTE)
        .filter_map(Result::ok)
        .map(|n| n.uri.to_owned())
        .collect();
    let mut associated_uris: Vec<String> = name_addrs(response, HeaderName::P_ASSOCIATED_URI)
        .filter_map(Result::ok)
        .map(|n| n.uri.to_owned())
        .collect();
    if associated_uris.is_empty() {
        associated_uris.push(impu.clone());
    }
    Some(RegistrationUpdate {
        impu,
        flow: *flow,
        service_route,
        associated_uris,
        contacts: registered,
        remove_all,
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use sip_proto::Transport;

    use super::*;

    const REGISTER: &str = "REGISTER sip:ims.test SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:4000;branch=z9hG4bK-1;rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:alice@ims.test>;tag=a\r\n\
To: <sip:alice@ims.test>\r\n\
Call-ID: reg-1\r\n\
CSeq: 1 REGISTER\r\n\
Contact: <sip:alice@127.0.0.1:4000>;expires=600\r\n\
Supported: path\r\n\
P-Asserted-Identity: <sip:mallory@ims.test>\r\n\
P-Charging-Vector: icid-value=forged\r\n\
Content-Length: 0\r\n\r\n";

    fn flow() -> Flow {
        Flow {
            transport: Transport::Udp,
            remote: "127.0.0.1:4000".parse().unwrap(),
            local: "127.0.0.1:5060".parse().unwrap(),
            connection: None,
        }
    }

    fn msg(text: &str) -> Message {
        Message::parse(Bytes::from(text.to_owned())).unwrap()
    }

    #[test]
    fn register_gets_path_require_pvni_and_a_fresh_vector() {
        let req = msg(REGISTER);
        let vector = ChargingVectorValue::new("icid-1", Some("127.0.0.1".into()));
        let out = msg(std::str::from_utf8(
            &register_edits(&req, Edits::new(), &flow(), "visited net", &vector).apply(&req),
        )
        .unwrap());
        assert_eq!(
            out.header(HeaderName::PATH),
            Some("<sip:term@127.0.0.1:5060;lr>")
        );
        assert!(has_token(&out, HeaderName::REQUIRE, "path"));
        // The UE supported path already: not added twice.
        assert_eq!(out.header_values(HeaderName::SUPPORTED).count(), 1);
        assert_eq!(
            out.header(HeaderName::P_VISITED_NETWORK_ID),
            Some("\"visited net\"")
        );
        assert!(out.header(HeaderName::P_ASSERTED_IDENTITY).is_none());
        assert_eq!(out.header_values(HeaderName::P_CHARGING_VECTOR).count(), 1);
        assert!(out
            .header(HeaderName::P_CHARGING_VECTOR)
            .unwrap()
            .starts_with("icid-value=icid-1"));
    }

    #[test]
    fn update_from_the_ok() {
        let req = msg(REGISTER);
        let ok = msg("SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 127.0.0.1:4000;branch=z9hG4bK-1\r\n\
From: <sip:alice@ims.test>;tag=a\r\n\
To: <sip:alice@ims.test>;tag=r\r\n\
Call-ID: reg-1\r\n\
CSeq: 1 REGISTER\r\n\
Contact: <sip:alice@127.0.0.1:4000>;expires=300, <sip:alice@10.0.0.9:5060>;expires=100\r\n\
Service-Route: <sip:orig@scscf.ims.test:5080;lr>\r\n\
P-Associated-URI: <sip:alice@ims.test>, <tel:+15550001>\r\n\
Content-Length: 0\r\n\r\n");
        let u = registration_update(&req, &ok, &flow()).unwrap();
        assert_eq!(u.impu, "sip:alice@ims.test");
        // Only the UE's own contact, with the granted expiry.
        assert_eq!(u.contacts, vec![("sip:alice@127.0.0.1:4000".into(), 300)]);
        assert_eq!(u.service_route, vec!["sip:orig@scscf.ims.test:5080;lr"]);
        assert_eq!(u.associated_uris.len(), 2);
        assert!(!u.remove_all);
        // The contact gone from the 200: expiry 0; no P-Associated-URI: the IMPU stands in.
        let gone = msg("SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 127.0.0.1:4000;branch=z9hG4bK-1\r\n\
From: <sip:alice@ims.test>;tag=a\r\n\
To: <sip:alice@ims.test>;tag=r\r\n\
Call-ID: reg-1\r\n\
CSeq: 1 REGISTER\r\n\
Content-Length: 0\r\n\r\n");
        let u = registration_update(&req, &gone, &flow()).unwrap();
        assert_eq!(u.contacts, vec![("sip:alice@127.0.0.1:4000".into(), 0)]);
        assert_eq!(u.associated_uris, vec!["sip:alice@ims.test"]);
    }
}
