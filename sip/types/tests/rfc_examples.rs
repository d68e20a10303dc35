//! RFC 3261 §24 and RFC 3665 example messages: parse, validate, print back byte-identical.

// Test helpers unwrap: a failure is a failing test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use bytes::Bytes;
use sip_types::{Edits, HeaderName, Message, Method, StatusCode, Uri};

fn files(dir: &str) -> Vec<(String, Bytes)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sip"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, Bytes::from(std::fs::read(&p).unwrap()))
        })
        .collect();
    out.sort();
    out
}

fn load(dir: &str, name: &str) -> Message {
    let (_, buf) = files(dir).into_iter().find(|(n, _)| n == name).unwrap();
    Message::parse(buf).unwrap()
}

fn check_all(dir: &str, expected: usize) {
    let all = files(dir);
    assert_eq!(all.len(), expected, "{dir}");
    for (name, buf) in all {
        assert!(
            buf.windows(2)
                .filter(|w| w[1] == b'\n')
                .all(|w| w[0] == b'\r'),
            "{name}: LF"
        );
        let m = Message::parse(buf.clone()).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        m.validate().unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(Edits::new().apply(&m), buf, "{name}");
        let cl: usize = m
            .header(HeaderName::CONTENT_LENGTH)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(m.body().len(), cl, "{name}");
        assert!(m.top_via().unwrap().has_rfc3261_branch(), "{name}");
        assert!(m.from().unwrap().tag().is_some(), "{name}");
        if let Some(uri) = m.request_uri() {
            assert!(matches!(Uri::parse(uri), Ok(Uri::Sip(_))), "{name}");
        }
    }
}

#[test]
fn rfc3261_section24_all() {
    check_all("rfc3261", 16);
}

#[test]
fn rfc3665_flows_all() {
    check_all("rfc3665", 10);
}

#[test]
fn rfc3261_register_details() {
    let m = load("rfc3261", "24.1-F1-register.sip");
    assert_eq!(m.method(), Some(&Method::REGISTER));
    assert_eq!(m.expires().unwrap(), Some(7200));
    assert_eq!(m.cseq().unwrap().seq, 1826);
    let v = m.top_via().unwrap();
    assert_eq!(v.port, Some(5060));
    assert_eq!(v.branch(), Some("z9hG4bKnashds7"));

    let m = load("rfc3261", "24.1-F2-200.sip");
    assert_eq!(m.status(), Some(StatusCode::OK));
    let v = m.top_via().unwrap();
    assert_eq!(v.received(), Some("192.0.2.4"));
    assert_eq!(m.to().unwrap().tag(), Some("2493k59kd"));
}

#[test]
fn rfc3261_proxied_invite_details() {
    let m = load("rfc3261", "24.2-F5-invite.sip");
    assert_eq!(m.max_forwards().unwrap(), Some(68));
    let hosts: Vec<_> = m.vias().map(|v| v.unwrap().host_str).collect();
    assert_eq!(
        hosts,
        [
            "server10.biloxi.com",
            "bigbox3.site3.atlanta.com",
            "pc33.atlanta.com"
        ]
    );
    assert!(m.body().starts_with(b"v=0\r\n"));
    assert_eq!(m.header(HeaderName::CONTENT_TYPE), Some("application/sdp"));

    let m = load("rfc3261", "24.2-F6-180.sip");
    assert_eq!(m.status(), Some(StatusCode::RINGING));
    assert_eq!(m.header_values(HeaderName::VIA).count(), 3);
    assert_eq!(
        m.vias().nth(2).unwrap().unwrap().received(),
        Some("192.0.2.1")
    );

    let m = load("rfc3261", "24.2-F12-ack.sip");
    assert_eq!(m.cseq().unwrap().method, Method::ACK);
    let m = load("rfc3261", "24.2-F13-bye.sip");
    assert_eq!(m.cseq().unwrap().seq, 231);
    assert_eq!(m.to().unwrap().tag(), Some("1928301774"));
}

#[test]
fn rfc3665_auth_flow_details() {
    let m = load("rfc3665", "2.1-F2-401.sip");
    assert_eq!(m.status(), Some(StatusCode::UNAUTHORIZED));
    let chal = m.header(HeaderName::WWW_AUTHENTICATE).unwrap();
    assert!(chal.starts_with("Digest realm=\"atlanta.example.com\""));
    assert!(chal.ends_with("algorithm=MD5"));
    let m = load("rfc3665", "2.1-F3-register.sip");
    assert!(m
        .header(HeaderName::AUTHORIZATION)
        .unwrap()
        .contains("\r\n uri="));
    assert_eq!(m.top_via().unwrap().transport, "TLS");
    assert_eq!(m.top_via().unwrap().port, Some(5061));
    let m = load("rfc3665", "2.1-F4-200.sip");
    let contact = m.header_values(HeaderName::CONTACT).next().unwrap();
    let c = sip_types::NameAddr::parse(contact.text).unwrap();
    assert_eq!(c.params.get("expires"), Some(Some("3600")));
    match c.parsed_uri().unwrap() {
        Uri::Sip(u) => assert!(u.secure),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rfc3665_call_details() {
    let m = load("rfc3665", "3.1-F1-invite.sip");
    assert_eq!(m.body().len(), 151);
    let c = m.header(HeaderName::CONTACT).unwrap();
    let c = sip_types::NameAddr::parse(c).unwrap();
    match c.parsed_uri().unwrap() {
        Uri::Sip(u) => assert_eq!(u.transport(), Some("tcp")),
        other => panic!("{other:?}"),
    }
    let m = load("rfc3665", "3.1-F3-200.sip");
    assert_eq!(m.body().len(), 147);
    assert_eq!(m.to().unwrap().tag(), Some("8321234356"));
    let m = load("rfc3665", "3.1-F4-ack.sip");
    assert_eq!(m.request_uri(), Some("sip:bob@client.biloxi.example.com"));
}
