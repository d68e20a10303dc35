//! RFC 3263 resolution, data-driven from `tests/data/resolve.txt` (static hosts and IPs only:
//! no DNS query is sent).

use std::collections::HashMap;
use std::net::SocketAddr;

use sip_net::{ResolveConfig, ResolveError, Resolver, Target, Transport};
use sip_types::SipUri;

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("address")
}

fn resolver() -> Resolver {
    let mut static_hosts = HashMap::new();
    static_hosts.insert(
        "pcscf.ims.test".to_owned(),
        vec![
            (Transport::Udp, addr("192.0.2.10:5060")),
            (Transport::Tcp, addr("192.0.2.10:5060")),
            (Transport::Tls, addr("192.0.2.10:5061")),
        ],
    );
    static_hosts.insert(
        "SCSCF.ims.test".to_owned(),
        vec![(Transport::Tcp, addr("192.0.2.20:6060"))],
    );
    Resolver::new(ResolveConfig {
        static_hosts,
        ..ResolveConfig::default()
    })
    .expect("resolver")
}

fn parse_expected(text: &str) -> Result<Vec<Target>, ResolveError> {
    if let Some(kind) = text.strip_prefix("error ") {
        return Err(match kind {
            "NotFound" => ResolveError::NotFound,
            "UnknownTransport" => ResolveError::UnknownTransport,
            other => panic!("unknown error kind {other}"),
        });
    }
    Ok(text
        .split(';')
        .map(|t| {
            let mut parts = t.split_whitespace();
            let transport =
                Transport::from_token(parts.next().expect("transport")).expect("known transport");
            let addr = addr(parts.next().expect("addr"));
            let server_name = parts.next().map(str::to_owned);
            Target {
                transport,
                addr,
                server_name,
            }
        })
        .collect())
}

#[tokio::test]
async fn resolves_the_data_file_cases() {
    let resolver = resolver();
    let data = include_str!("data/resolve.txt");
    let mut cases = 0;
    for line in data.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (uri_text, expected) = line.split_once('|').expect("URI | expected");
        let uri = SipUri::parse(uri_text.trim()).expect("test URI parses");
        let expected = parse_expected(expected.trim());
        let got = resolver.resolve(&uri).await;
        assert_eq!(got, expected, "case {uri_text}");
        // The non-DNS path agrees wherever it can answer.
        match (resolver.resolve_local(&uri), &expected) {
            (Ok(Some(local)), Ok(exp)) => assert_eq!(&local, exp, "local {uri_text}"),
            (Ok(None), Err(ResolveError::NotFound)) => {}
            (Err(e), Err(exp)) => assert_eq!(&e, exp, "local {uri_text}"),
            (other, exp) => panic!("local {uri_text}: {other:?} vs {exp:?}"),
        }
        cases += 1;
    }
    assert!(cases >= 15, "only {cases} cases");
}
