//! RFC 4475 / RFC 5118 torture messages, walked from `tests/data/torture/manifest.tsv`.
//!
//! Every "valid" message must `parse()` and `validate()`; every "invalid" one must fail one of
//! them with the kind listed in [`expected_failure`], except the ones in [`TOLERATED`].

// Test helpers unwrap: a failure is a failing test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use bytes::Bytes;
use sip_types::{
    Edits, HeaderName, Host, Message, Method, NameAddr, ParseError, ParseErrorKind, Uri,
};

/// Invalid messages this parser accepts, as RFC 4475 allows a liberal element to:
/// - baddate (§3.1.2.12): the Date header is never interpreted, so a non-GMT zone is
///   harmless; RFC 4475 allows ignoring it.
const TOLERATED: &[&str] = &["baddate"];

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/torture")
}

/// RFC 5118 archive files use bare LF; the CRLF wire copies live in rfc5118-wire/.
fn wire_path(file: &str) -> PathBuf {
    data_dir().join(file.replacen("rfc5118/", "rfc5118-wire/", 1))
}

fn load(file: &str) -> Bytes {
    let path = wire_path(file);
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn stem(file: &str) -> &str {
    file.rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".dat")
}

fn parse_and_validate(buf: Bytes) -> Result<Message, ParseError> {
    let m = Message::parse(buf)?;
    m.validate()?;
    Ok(m)
}

/// The error each invalid message must produce.
fn expected_failure(name: &str) -> ParseErrorKind {
    use ParseErrorKind as K;
    match name {
        "badinv01" => K::Invalid(HeaderName::VIA),
        "clerr" | "ncl" | "mcl01" => K::ContentLength,
        "scalar02" | "scalarlg" => K::Invalid(HeaderName::CSEQ),
        "quotbal" | "badaspec" => K::Invalid(HeaderName::TO),
        "ltgtruri" | "lwsruri" | "lwsstart" | "escruri" | "ipv6-bad" => K::RequestUri,
        "trws" | "test" => K::StartLine,
        "regbadct" => K::Invalid(HeaderName::CONTACT),
        "baddn" => K::Unterminated,
        "badvers" => K::Version,
        "mismatch01" | "mismatch02" => K::CSeqMethodMismatch,
        "bigcode" => K::StatusCode,
        "insuf" => K::Missing(HeaderName::CALL_ID),
        "multi01" => K::Duplicate(HeaderName::CALL_ID),
        other => panic!("no expected failure listed for {other}"),
    }
}

fn manifest() -> Vec<(String, bool)> {
    let text = std::fs::read_to_string(data_dir().join("manifest.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            let file = cols.next().unwrap().to_owned();
            let verdict = cols.next().unwrap();
            assert!(verdict == "valid" || verdict == "invalid", "{l}");
            (file, verdict == "valid")
        })
        .collect()
}

#[test]
fn manifest_verdicts() {
    let entries = manifest();
    assert_eq!(entries.len(), 62);
    let mut failures = Vec::new();
    for (file, valid) in &entries {
        let name = stem(file);
        let buf = load(file);
        let result = parse_and_validate(buf.clone());
        match (valid, result) {
            (true, Ok(m)) => {
                // Printing through an empty edit list gives the same bytes.
                assert_eq!(Edits::new().apply(&m), buf, "{name}");
            }
            (true, Err(e)) => failures.push(format!("{name}: valid but failed: {e:?}")),
            (false, Ok(_)) if TOLERATED.contains(&name) => {}
            (false, Ok(_)) => failures.push(format!("{name}: invalid but accepted")),
            (false, Err(e)) => {
                let want = expected_failure(name);
                if e.kind != want {
                    failures.push(format!("{name}: got {:?}, want {want:?}", e.kind));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn valid(file: &str) -> Message {
    parse_and_validate(load(file)).unwrap_or_else(|e| panic!("{file}: {e:?}"))
}

fn sip_uri(text: &str) -> sip_types::SipUri<'_> {
    match Uri::parse(text) {
        Ok(Uri::Sip(u)) => u,
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn wsinv_folding_and_counts() {
    let m = valid("rfc4475/wsinv.dat");
    assert_eq!(m.header_values(HeaderName::VIA).count(), 3);
    assert_eq!(m.header_values(HeaderName::ROUTE).count(), 1);
    assert_eq!(m.header_values(HeaderName::CONTACT).count(), 1);
    assert_eq!(m.max_forwards().unwrap(), Some(68));
    assert_eq!(m.cseq().unwrap().seq, 9);
    assert_eq!(
        m.header_by_name("UnknownHeaderWithUnusualValue"),
        Some(";;,,;;,;")
    );
    assert_eq!(m.to().unwrap().tag(), Some("1918181833n"));
    assert_eq!(m.from().unwrap().tag(), Some("98asjd8"));
    let vias: Vec<_> = m.vias().map(Result::unwrap).collect();
    assert_eq!(vias[1].transport, "TCP");
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    let contact = NameAddr::parse(m.header(HeaderName::CONTACT).unwrap()).unwrap();
    assert_eq!(contact.params.get("newparam"), Some(Some("newvalue")));
    assert_eq!(contact.params.get("q"), Some(Some("0.33")));
    assert_eq!(m.body().len(), 150);
}

#[test]
fn intmeth_unusual_method() {
    let m = valid("rfc4475/intmeth.dat");
    let method = m.method().unwrap();
    assert_eq!(
        method.as_str(),
        "!interesting-Method0123456789_*+`.%indeed'~"
    );
    assert!(!method.is_known());
}

#[test]
fn esc01_unescape_once() {
    let m = valid("rfc4475/esc01.dat");
    let ruri = sip_uri(m.request_uri().unwrap());
    assert_eq!(
        ruri.user_unescaped().as_deref(),
        Some("sips:user@example.com")
    );
    let contact = NameAddr::parse(m.header(HeaderName::CONTACT).unwrap()).unwrap();
    let uri = sip_uri(contact.uri);
    assert!(
        uri.params.as_str().contains("%25%34%31"),
        "{}",
        uri.params.as_str()
    );
}

#[test]
fn escnull_distinct_contacts() {
    let m = valid("rfc4475/escnull.dat");
    let users: Vec<String> = m
        .header_values(HeaderName::CONTACT)
        .map(|v| {
            let n = NameAddr::parse(v.text).unwrap();
            sip_uri(n.uri).user_unescaped().unwrap()
        })
        .collect();
    assert_eq!(users, ["\0", "\0\0"]);
    assert_eq!(m.header(HeaderName::CONTENT_LENGTH), Some("0"));
}

#[test]
fn esc02_percent_outside_uris() {
    let m = valid("rfc4475/esc02.dat");
    assert_ne!(m.method(), Some(&Method::REGISTER));
    assert_eq!(m.header_values(HeaderName::CONTACT).count(), 2);
    assert_eq!(m.to().unwrap().display, Some("%Z%45"));
    assert!(m.header_by_name("C%6Fntact").is_some());
}

#[test]
fn lwsdisp_token_display() {
    let m = valid("rfc4475/lwsdisp.dat");
    assert_eq!(m.from().unwrap().display, Some("caller"));
}

#[test]
fn longreq_many_vias() {
    let m = valid("rfc4475/longreq.dat");
    assert_eq!(m.header_values(HeaderName::VIA).count(), 34);
    assert!(m.vias().all(|v| v.is_ok()));
    assert!(m.from().unwrap().tag().unwrap().len() > 100);
}

#[test]
fn dblreq_body_empty() {
    let m = valid("rfc4475/dblreq.dat");
    assert_eq!(m.method(), Some(&Method::REGISTER));
    assert!(m.body().is_empty());
    assert!(m.as_bytes().len() > m.body_range().end + 400);
}

#[test]
fn semiuri_user_part() {
    let m = valid("rfc4475/semiuri.dat");
    let u = sip_uri(m.request_uri().unwrap());
    assert_eq!(u.user, Some("user;par=u%40example.net"));
    assert_eq!(u.host, Host::Domain("example.com"));
    assert!(u.params.as_str().is_empty());
    assert_eq!(m.header_values(HeaderName::ACCEPT).count(), 6);
}

#[test]
fn transports_tokens() {
    let m = valid("rfc4475/transports.dat");
    let t: Vec<&str> = m.vias().map(|v| v.unwrap().transport).collect();
    assert_eq!(t.len(), 5);
    assert_eq!(t[0], "UDP");
    assert_eq!(t[4], "TCP");
}

#[test]
fn mpart01_binary_body() {
    let m = valid("rfc4475/mpart01.dat");
    assert_eq!(m.body().len(), 553);
}

#[test]
fn unreason_and_noreason() {
    let m = valid("rfc4475/unreason.dat");
    assert!(m.reason().unwrap().contains('='));
    assert!(!m.reason().unwrap().is_ascii());
    let m = valid("rfc4475/noreason.dat");
    assert_eq!(m.reason(), Some(""));
    assert_eq!(m.status().map(|s| s.0), Some(100));
}

#[test]
fn unknown_schemes() {
    let m = valid("rfc4475/unkscm.dat");
    assert!(matches!(
        Uri::parse(m.request_uri().unwrap()),
        Ok(Uri::Other { .. })
    ));
    let m = valid("rfc4475/novelsc.dat");
    match Uri::parse(m.request_uri().unwrap()) {
        Ok(Uri::Other { scheme, .. }) => assert_eq!(scheme, "soap.beep"),
        other => panic!("{other:?}"),
    }
    let m = valid("rfc4475/unksm2.dat");
    assert!(matches!(
        m.to().unwrap().parsed_uri(),
        Ok(Uri::Other { scheme: "isbn", .. })
    ));
    assert!(matches!(
        m.from().unwrap().parsed_uri(),
        Ok(Uri::Other { scheme: "http", .. })
    ));
}

#[test]
fn cparam_params_belong_where_written() {
    let m = valid("rfc4475/cparam01.dat");
    let c = NameAddr::parse(m.header(HeaderName::CONTACT).unwrap()).unwrap();
    assert!(c.params.contains("unknownparam"));
    assert!(!sip_uri(c.uri).params.contains("unknownparam"));
    let m = valid("rfc4475/cparam02.dat");
    let c = NameAddr::parse(m.header(HeaderName::CONTACT).unwrap()).unwrap();
    assert!(!c.params.contains("unknownparam"));
    assert!(sip_uri(c.uri).params.contains("unknownparam"));
}

#[test]
fn regescrt_keeps_escaped_header() {
    let m = valid("rfc4475/regescrt.dat");
    let c = NameAddr::parse(m.header(HeaderName::CONTACT).unwrap()).unwrap();
    assert!(sip_uri(c.uri).headers.unwrap().starts_with("Route="));
}

#[test]
fn inv2543_body_is_rest() {
    let m = valid("rfc4475/inv2543.dat");
    assert_eq!(m.header(HeaderName::CONTENT_LENGTH), None);
    assert_eq!(m.body_range().end, m.as_bytes().len());
    assert!(!m.body().is_empty());
    assert!(!m.top_via().unwrap().has_rfc3261_branch());
}

#[test]
fn badbranch_and_zeromf() {
    let m = valid("rfc4475/badbranch.dat");
    assert!(!m.top_via().unwrap().has_rfc3261_branch());
    let m = valid("rfc4475/zeromf.dat");
    assert_eq!(m.max_forwards().unwrap(), Some(0));
}

#[test]
fn bcast_second_via() {
    let m = valid("rfc4475/bcast.dat");
    let v = m.vias().nth(1).unwrap().unwrap();
    assert_eq!(v.host, Host::V4(std::net::Ipv4Addr::BROADCAST));
}

#[test]
fn badvers_answers_505() {
    let e = parse_and_validate(load("rfc4475/badvers.dat")).unwrap_err();
    assert_eq!(e.status(), 505);
    assert_eq!(e.kind, ParseErrorKind::Version);
}

#[test]
fn invalid_reason_phrases() {
    let e = parse_and_validate(load("rfc4475/scalar02.dat")).unwrap_err();
    assert_eq!(e.reason_phrase(), "Bad Request (malformed CSeq)");
    assert_eq!(e.status(), 400);
    let e = parse_and_validate(load("rfc4475/insuf.dat")).unwrap_err();
    assert_eq!(e.reason_phrase(), "Bad Request (missing Call-ID)");
}

#[test]
fn ipv6_references() {
    let m = valid("rfc5118/ipv6-good.dat");
    let u = sip_uri(m.request_uri().unwrap());
    assert_eq!(u.host, Host::V6("2001:db8::10".parse().unwrap()));
    let m = valid("rfc5118/port-ambiguous.dat");
    let u = sip_uri(m.request_uri().unwrap());
    assert_eq!(u.host, Host::V6("2001:db8::10:5070".parse().unwrap()));
    assert_eq!(u.port, None);
    let m = valid("rfc5118/port-unambiguous.dat");
    let u = sip_uri(m.request_uri().unwrap());
    assert_eq!(u.host, Host::V6("2001:db8::10".parse().unwrap()));
    assert_eq!(u.port, Some(5070));
    let m = valid("rfc5118/ipv6-bug-abnf-3-colons.dat");
    let u = sip_uri(m.request_uri().unwrap());
    assert_eq!(u.host, Host::V6("2001:db8::192.0.2.1".parse().unwrap()));
    let m = valid("rfc5118/ipv4-mapped-ipv6.dat");
    assert!(matches!(m.top_via().unwrap().host, Host::V6(_)));
}

#[test]
fn via_received_both_forms() {
    let m = valid("rfc5118/via-received-param-with-delim.dat");
    assert!(m.top_via().unwrap().received().unwrap().starts_with('['));
    let m = valid("rfc5118/via-received-param-no-delim.dat");
    assert!(m
        .top_via()
        .unwrap()
        .received()
        .unwrap()
        .starts_with("2001:"));
    let m = valid("rfc5118/mult-ip-in-header.dat");
    let hosts: Vec<_> = m.vias().map(|v| v.unwrap().host).collect();
    assert!(hosts.iter().any(|h| matches!(h, Host::V4(_))));
    assert!(hosts.iter().any(|h| matches!(h, Host::V6(_))));
}
