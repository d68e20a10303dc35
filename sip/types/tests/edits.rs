//! Round trips through `Edits` on RFC 3261 §24 messages: what a proxy does to a request.

// Test helpers unwrap: a failure is a failing test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use sip_types::{Edits, HeaderName, Message};

fn load(name: &str) -> Message {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rfc3261")
        .join(name);
    Message::parse(Bytes::from(std::fs::read(p).unwrap())).unwrap()
}

fn reparse(e: &Edits, m: &Message) -> Message {
    let out = e.apply(m);
    let again = Message::parse(out).unwrap();
    again.validate().unwrap();
    again
}

/// A proxy's forward: new top Via, Record-Route, Max-Forwards - 1, then print.
#[test]
fn proxy_forward_round_trip() {
    let m = load("24.2-F1-invite.sip");
    let mf = m
        .headers()
        .iter()
        .position(|h| h.name == HeaderName::MAX_FORWARDS)
        .unwrap();
    let mf_range = m.headers()[mf].value_range.clone();
    let mut e = Edits::new();
    e.prepend_header(
        &m,
        HeaderName::VIA,
        "SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1",
    )
    .prepend_header(
        &m,
        HeaderName::RECORD_ROUTE,
        "<sip:bigbox3.site3.atlanta.com;lr>",
    )
    .replace(mf_range, "69");
    let out = reparse(&e, &m);
    assert_eq!(out.max_forwards().unwrap(), Some(69));
    let vias: Vec<_> = out.vias().map(|v| v.unwrap().host_str).collect();
    assert_eq!(vias, ["bigbox3.site3.atlanta.com", "pc33.atlanta.com"]);
    assert_eq!(
        out.header(HeaderName::RECORD_ROUTE),
        Some("<sip:bigbox3.site3.atlanta.com;lr>")
    );
    assert_eq!(out.body(), m.body());
    // Header order: the new lines come first, in call order.
    assert_eq!(out.headers()[0].name, HeaderName::VIA);
    assert_eq!(out.headers()[1].name, HeaderName::RECORD_ROUTE);
    let via_line = "Via: SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1\r\n";
    let rr_line = "Record-Route: <sip:bigbox3.site3.atlanta.com;lr>\r\n";
    assert_eq!(
        out.as_bytes().len(),
        m.as_bytes().len() + via_line.len() + rr_line.len()
    );
    assert!(out.as_bytes().starts_with(
        format!("INVITE sip:bob@biloxi.com SIP/2.0\r\n{via_line}{rr_line}Via: ").as_bytes()
    ));
}

/// The response path: the top Via of a multi-value line is removed.
#[test]
fn top_via_removed_from_multi_value_line() {
    let text = "SIP/2.0 180 Ringing\r\n\
Via: SIP/2.0/UDP server10.biloxi.com;branch=z9hG4bK4b43c2ff8.1;received=192.0.2.3, SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n\
To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 0\r\n\r\n";
    let m = Message::parse(Bytes::from_static(text.as_bytes())).unwrap();
    let top = m.header_values(HeaderName::VIA).next().unwrap();
    assert!(!top.alone_on_line);
    let mut e = Edits::new();
    e.remove_value(&m, &top);
    let out = reparse(&e, &m);
    let line = out.header(HeaderName::VIA).unwrap();
    assert_eq!(
        line,
        "SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1"
    );
    assert_eq!(out.header_values(HeaderName::VIA).count(), 2);
    // A single-value line goes entirely.
    let top = out.header_values(HeaderName::VIA).next().unwrap();
    assert!(top.alone_on_line);
    let mut e = Edits::new();
    e.remove_value(&out, &top);
    let out2 = reparse(&e, &out);
    assert_eq!(out2.header_lines(HeaderName::VIA).count(), 1);
    assert_eq!(out2.top_via().unwrap().host_str, "pc33.atlanta.com");
}

/// A folded Via (`;received` on a continuation line) is removed whole.
#[test]
fn folded_via_removed_whole() {
    let m = load("24.2-F6-180.sip");
    let top = m.header_values(HeaderName::VIA).next().unwrap();
    assert!(top.alone_on_line);
    assert!(top.text.contains("\r\n ;received=192.0.2.3"));
    let mut e = Edits::new();
    e.remove_value(&m, &top);
    let out = reparse(&e, &m);
    assert_eq!(out.top_via().unwrap().host_str, "bigbox3.site3.atlanta.com");
    assert_eq!(
        out.as_bytes().len(),
        m.as_bytes().len() - top.text.len() - "Via: \r\n".len()
    );
}

/// Route removal (loose routing, RFC 3261 §16.4) and Request-URI rewrite (§16.5).
#[test]
fn route_pop_and_request_uri() {
    let text = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n\
Route: <sip:ss1.atlanta.com;lr>,\r\n  <sip:ss2.biloxi.com;lr>\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 0\r\n\r\n";
    let m = Message::parse(Bytes::from_static(text.as_bytes())).unwrap();
    let route = m.header_values(HeaderName::ROUTE).next().unwrap();
    assert_eq!(route.text, "<sip:ss1.atlanta.com;lr>");
    let mut e = Edits::new();
    e.remove_value(&m, &route)
        .replace_request_uri(&m, "sip:bob@192.0.2.4");
    let out = reparse(&e, &m);
    assert_eq!(out.request_uri(), Some("sip:bob@192.0.2.4"));
    let routes: Vec<_> = out
        .header_values(HeaderName::ROUTE)
        .map(|v| v.text)
        .collect();
    assert_eq!(routes, ["<sip:ss2.biloxi.com;lr>"]);

    let mut e = Edits::new();
    e.remove_header(&m, HeaderName::ROUTE)
        .append_header(&m, "P-Hint", "x");
    let out = reparse(&e, &m);
    assert_eq!(out.header(HeaderName::ROUTE), None);
    assert_eq!(out.header_by_name("p-hint"), Some("x"));
    assert_eq!(
        out.headers().last().map(|h| out.name_str(h)),
        Some("P-Hint")
    );

    let mut buf = BytesMut::new();
    e.write(&m, &mut buf);
    assert_eq!(buf.freeze(), e.apply(&m));
}
