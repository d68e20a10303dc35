//! Parse, validate, every typed view and an Edits round trip on arbitrary bytes: nothing may
//! panic, an empty edit list prints the input back, and edits a proxy makes keep a parsable
//! message.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sip_types::auth::{Challenge, Credentials};
use sip_types::ims::{
    contacts, name_addrs, security_mechanisms, tokens, AccessNetworkInfo,
    ChargingFunctionAddresses, ChargingVector, Event, SubscriptionState, VisitedNetworkId,
};
use sip_types::{
    CSeq, Edits, HeaderName, Message, NameAddr, ResponseBuilder, StatusCode, Uri, Via,
};

fn views(m: &Message) {
    let _ = (
        m.request_uri(),
        m.reason(),
        m.status(),
        m.method(),
        m.body(),
    );
    let _ = (m.call_id(), m.cseq(), m.max_forwards(), m.expires());
    if let Ok(f) = m.from() {
        let _ = (f.tag(), f.parsed_uri());
    }
    if let Ok(t) = m.to() {
        let _ = t.parsed_uri();
    }
    for v in m.vias().flatten() {
        let _ = (v.branch(), v.received(), v.rport(), v.has_rfc3261_branch());
        let _ = v.params.iter().count();
    }
    if let Some(uri) = m.request_uri() {
        if let Ok(Uri::Sip(u)) = Uri::parse(uri) {
            let _ = (u.user_unescaped(), u.transport(), u.is_loose_route());
            let _ = u.params.iter().count();
        }
    }
    for h in m.headers() {
        let value = m.value_str(h);
        let _ = (m.name_str(h), m.slice_of(value), m.offset_of(value));
        let _ = m.header_by_name(m.name_str(h));
        match h.name {
            HeaderName::CSEQ => {
                let _ = CSeq::parse(value);
            }
            HeaderName::VIA => {
                let _ = Via::parse(value);
            }
            HeaderName::P_CHARGING_VECTOR => {
                let _ = ChargingVector::parse(value);
            }
            HeaderName::P_CHARGING_FUNCTION_ADDRESSES => {
                if let Ok(p) = ChargingFunctionAddresses::parse(value) {
                    let _ = (p.ccf().count(), p.ecf().count());
                }
            }
            HeaderName::P_ACCESS_NETWORK_INFO => {
                let _ = AccessNetworkInfo::parse(value);
            }
            HeaderName::P_VISITED_NETWORK_ID => {
                let _ = VisitedNetworkId::parse(value);
            }
            HeaderName::EVENT => {
                let _ = Event::parse(value).map(|e| (e.package(), e.id()));
            }
            HeaderName::SUBSCRIPTION_STATE => {
                let _ = SubscriptionState::parse(value).map(|s| (s.expires(), s.reason()));
            }
            HeaderName::AUTHORIZATION | HeaderName::PROXY_AUTHORIZATION => {
                let _ = Credentials::parse(value);
            }
            HeaderName::WWW_AUTHENTICATE | HeaderName::PROXY_AUTHENTICATE => {
                let _ = Challenge::parse(value);
            }
            _ => {}
        }
    }
    for name in [
        HeaderName::ROUTE,
        HeaderName::RECORD_ROUTE,
        HeaderName::PATH,
        HeaderName::SERVICE_ROUTE,
        HeaderName::P_ASSERTED_IDENTITY,
        HeaderName::P_PREFERRED_IDENTITY,
        HeaderName::P_ASSOCIATED_URI,
    ] {
        for n in name_addrs(m, name).flatten() {
            let _ = n.parsed_uri();
        }
    }
    for c in contacts(m).flatten() {
        let _ = (c.expires(), c.q_millis(), c.sip_instance(), c.reg_id());
        let _ = (c.pn_provider(), c.pn_prid(), c.pn_param());
    }
    for name in [HeaderName::SECURITY_CLIENT, HeaderName::SECURITY_VERIFY] {
        for s in security_mechanisms(m, name).flatten() {
            let _ = (
                s.spi_c(),
                s.spi_s(),
                s.port_c(),
                s.port_s(),
                s.q_millis(),
                s.alg(),
            );
        }
    }
    let _ = tokens(m, HeaderName::SUPPORTED).count();
    for v in m.header_values(HeaderName::CONTACT) {
        let _ = NameAddr::parse(v.text);
    }
}

fn edits(m: &Message, input: &Bytes) {
    assert_eq!(
        &Edits::new().apply(m),
        input,
        "empty edits must print the input back"
    );
    let mut e = Edits::new();
    e.prepend_header(
        m,
        HeaderName::VIA,
        "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKfuzz",
    )
    .prepend_header(m, HeaderName::RECORD_ROUTE, "<sip:192.0.2.1;lr>")
    .append_header(m, "X-Fuzz", "1");
    if let Some(top) = m.header_values(HeaderName::VIA).next() {
        e.remove_value(m, &top);
    }
    if let Some(i) = m
        .headers()
        .iter()
        .position(|h| h.name == HeaderName::MAX_FORWARDS)
    {
        e.replace_value(m, i, "69");
    }
    if m.is_request() {
        e.replace_request_uri(m, "sip:bob@192.0.2.4");
    }
    let out = e.apply(m);
    let again = Message::parse(out.clone());
    assert!(
        again.is_ok(),
        "edited message must parse: {:?}",
        again.err()
    );
    if let Ok(again) = again {
        assert_eq!(again.body(), m.body());
        // The input may carry X-Fuzz headers of its own: ours is the last one.
        let last = again
            .headers()
            .iter()
            .rev()
            .find(|h| again.name_str(h).eq_ignore_ascii_case("x-fuzz"))
            .map(|h| again.value_str(h));
        assert_eq!(last, Some("1"));
    }
    if m.is_request() {
        let resp = ResponseBuilder::new(m, StatusCode::BAD_REQUEST)
            .to_tag("fz")
            .build();
        let parsed = Message::parse(resp);
        assert!(
            parsed.is_ok(),
            "built response must parse: {:?}",
            parsed.err()
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let input = Bytes::copy_from_slice(data);
    let Ok(m) = Message::parse(input.clone()) else {
        return;
    };
    let full = m.validate();
    if let Err(e) = &full {
        let _ = (e.reason_phrase(), e.status(), e.kind.reason());
    }
    // The relay check is the full one for requests and never stricter for responses.
    let relay = m.validate_for_relay();
    if m.is_request() {
        assert_eq!(full.is_ok(), relay.is_ok(), "relay check differs on a request");
    } else if full.is_ok() {
        assert!(relay.is_ok(), "relay check refuses a response the full check accepts");
    }
    views(&m);
    edits(&m, &input);
});
