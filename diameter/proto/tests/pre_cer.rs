//! Pre-authentication safety: frames on an accepted connection before (or instead of) a valid
//! CER, including a CER lacking Host-IP-Address as Kamailio's cdp may send.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use diameter_codec::generated::base::{self, avp as b};
use diameter_codec::{AvpContainer, Message, MessageBuilder, WriteAvps};
use diameter_proto::{ConnectionId, Node, NodeConfig, NodeEvent, PeerConfig, PeerState};

fn server(accept_unknown: bool) -> (Node, Instant) {
    let mut n = Node::new(
        local("hss.b.test", "b.test", vec![CX_APP]),
        NodeConfig {
            accept_unknown_peers: accept_unknown,
            ..cfg()
        },
    );
    n.add_peer(PeerConfig::new("scscf.a.test", "a.test", false));
    let now = Instant::now();
    n.start(now);
    (n, now)
}

fn addr() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], 40000))
}

fn drain(n: &mut Node) -> (Vec<Bytes>, Vec<NodeEvent>) {
    let mut t = Vec::new();
    while let Some((_, f)) = n.poll_transmit() {
        t.push(f);
    }
    let mut e = Vec::new();
    while let Some(ev) = n.poll_event() {
        e.push(ev);
    }
    (t, e)
}

fn cer(host: &str, with_ip: bool, apps: bool) -> Bytes {
    let mut m = MessageBuilder::request(&base::cmd::CER, 1, 2);
    m.put(&b::ORIGIN_HOST, host).put(&b::ORIGIN_REALM, "a.test");
    if with_ip {
        m.put(
            &b::HOST_IP_ADDRESS,
            &diameter_codec::format::AddressValue::V4([10, 0, 0, 1].into()),
        );
    }
    m.put(&b::VENDOR_ID, &0).put(&b::PRODUCT_NAME, "cdp");
    if apps {
        m.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
            g.put(&b::VENDOR_ID, &10415)
                .put(&b::AUTH_APPLICATION_ID, &CX);
        });
    }
    m.finish()
}

#[test]
fn non_cer_first_frame_closes_without_answer() {
    let (mut n, now) = server(false);
    let c = ConnectionId(1);
    n.handle_accepted(now, c, addr());
    let mut dwr = MessageBuilder::request(&base::cmd::DWR, 1, 1);
    dwr.put(&b::ORIGIN_HOST, "scscf.a.test")
        .put(&b::ORIGIN_REALM, "a.test");
    n.handle_frame(now, c, dwr.finish());
    let (t, e) = drain(&mut n);
    assert!(t.is_empty());
    assert_eq!(e, vec![NodeEvent::Close { conn: c }]);
    // Later frames on the closed connection are ignored.
    n.handle_frame(now, c, cer("scscf.a.test", true, true));
    assert_eq!(drain(&mut n), (vec![], vec![]));

    for junk in [&b""[..], &b"\x01\x00"[..], &[0u8; 64][..]] {
        let c = ConnectionId(2);
        n.handle_accepted(now, c, addr());
        n.handle_frame(now, c, Bytes::copy_from_slice(junk));
        let (t, e) = drain(&mut n);
        assert!(t.is_empty());
        assert_eq!(e, vec![NodeEvent::Close { conn: c }]);
    }
}

#[test]
fn cer_without_host_ip_address_is_5005() {
    let (mut n, now) = server(false);
    let c = ConnectionId(1);
    n.handle_accepted(now, c, addr());
    n.handle_frame(now, c, cer("scscf.a.test", false, true));
    let (t, e) = drain(&mut n);
    assert_eq!(t.len(), 1);
    let a = Message::decode(t[0].clone()).unwrap();
    assert_eq!(a.require(&b::RESULT_CODE).unwrap(), 5005);
    let failed = a.require(&b::FAILED_AVP).unwrap();
    let inner = failed.avps().next().unwrap().unwrap();
    assert_eq!(inner.code(), b::HOST_IP_ADDRESS.code());
    assert_eq!(e, vec![NodeEvent::Close { conn: c }]);
    assert_eq!(n.peer_state(diameter_proto::PeerId(0)), PeerState::Closed);
}

#[test]
fn valid_cer_opens_and_unknown_host_is_3010() {
    let (mut n, now) = server(false);
    n.handle_accepted(now, ConnectionId(1), addr());
    n.handle_frame(now, ConnectionId(1), cer("SCSCF.a.test", true, true));
    let (t, e) = drain(&mut n);
    let a = Message::decode(t[0].clone()).unwrap();
    assert_eq!(a.require(&b::RESULT_CODE).unwrap(), 2001);
    assert!(matches!(e.as_slice(), [NodeEvent::PeerUp { .. }]));
    n.handle_accepted(now, ConnectionId(2), addr());
    n.handle_frame(now, ConnectionId(2), cer("intruder.test", true, true));
    let (t, e) = drain(&mut n);
    let a = Message::decode(t[0].clone()).unwrap();
    assert_eq!(a.require(&b::RESULT_CODE).unwrap(), 3010);
    assert_eq!(
        e,
        vec![NodeEvent::Close {
            conn: ConnectionId(2)
        }]
    );
    // A second CER from the open peer on a new connection is rejected (R-Reject).
    n.handle_accepted(now, ConnectionId(3), addr());
    n.handle_frame(now, ConnectionId(3), cer("scscf.a.test", true, true));
    let (t, e) = drain(&mut n);
    assert!(t.is_empty());
    assert_eq!(
        e,
        vec![NodeEvent::Close {
            conn: ConnectionId(3)
        }]
    );
}

#[test]
fn silent_connection_times_out_and_accepts_are_bounded() {
    let (mut n, now) = server(false);
    n.handle_accepted(now, ConnectionId(1), addr());
    assert_eq!(n.poll_timeout(), Some(now + Duration::from_secs(10)));
    n.handle_timeout(now + Duration::from_secs(10));
    assert_eq!(
        drain(&mut n).1,
        vec![NodeEvent::Close {
            conn: ConnectionId(1)
        }]
    );
    for i in 0..1100u64 {
        n.handle_accepted(now, ConnectionId(100 + i), addr());
    }
    let closes = drain(&mut n).1.len();
    assert_eq!(closes, 1100 - 1024);
}

#[test]
fn huge_cer_is_processed_in_bounded_memory() {
    let (mut n, now) = server(true);
    let mut m = MessageBuilder::request(&base::cmd::CER, 1, 2);
    m.put(&b::ORIGIN_HOST, "big.test")
        .put(&b::ORIGIN_REALM, "a.test")
        .put(
            &b::HOST_IP_ADDRESS,
            &diameter_codec::format::AddressValue::V4([10, 0, 0, 1].into()),
        )
        .put(&b::VENDOR_ID, &0)
        .put(&b::PRODUCT_NAME, "x");
    for i in 0..20_000u32 {
        m.put(&b::AUTH_APPLICATION_ID, &(1000 + i));
    }
    m.put(&b::AUTH_APPLICATION_ID, &CX);
    n.handle_accepted(now, ConnectionId(1), addr());
    n.handle_frame(now, ConnectionId(1), m.finish());
    let (t, e) = drain(&mut n);
    let a = Message::decode(t[0].clone()).unwrap();
    assert_eq!(a.require(&b::RESULT_CODE).unwrap(), 2001);
    let [NodeEvent::PeerUp { applications, .. }] = e.as_slice() else {
        panic!("{e:?}");
    };
    assert_eq!(
        applications,
        &vec![CX_APP],
        "only the local applications are kept"
    );
}

#[test]
fn unknown_hosts_cannot_grow_the_peer_table_without_bound() {
    let (mut n, now) = server(true);
    for i in 0..1100u64 {
        let conn = ConnectionId(i + 1);
        n.handle_accepted(now, conn, addr());
        n.handle_frame(now, conn, cer(&format!("h{i}.test"), true, true));
        drain(&mut n);
        n.handle_closed(now, conn);
        drain(&mut n);
    }
    let last = n.peer_by_host("h1099.test").unwrap();
    assert!(last.0 <= 1024, "recycled slot, got {last:?}");
    assert_eq!(n.peer_by_host("h0.test"), None, "closed entry recycled");
    assert_eq!(
        n.peer_by_host("scscf.a.test"),
        Some(diameter_proto::PeerId(0))
    );
    // With every dynamic entry open, a new unknown host is refused (3004).
    let (mut n, now) = server(true);
    for i in 0..1024u64 {
        let conn = ConnectionId(i + 1);
        n.handle_accepted(now, conn, addr());
        n.handle_frame(now, conn, cer(&format!("h{i}.test"), true, true));
        drain(&mut n);
    }
    n.handle_accepted(now, ConnectionId(5000), addr());
    n.handle_frame(now, ConnectionId(5000), cer("late.test", true, true));
    let (t, e) = drain(&mut n);
    let a = Message::decode(t[0].clone()).unwrap();
    assert_eq!(a.require(&b::RESULT_CODE).unwrap(), 3004);
    assert_eq!(
        e,
        vec![NodeEvent::Close {
            conn: ConnectionId(5000)
        }]
    );
}
