//! RFC 6733 §5.6.4 election and the Wait-Conn-Ack/Elect and Wait-Returns states, driven
//! step by step on one node.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use common::*;
use diameter_codec::generated::base::{self, avp as b};
use diameter_codec::{AvpContainer, Message, MessageBuilder, WriteAvps};
use diameter_proto::{ConnectionId, Node, NodeEvent, PeerConfig, PeerId, PeerState};

fn cer_from(host: &str) -> Bytes {
    let mut m = MessageBuilder::request(&base::cmd::CER, 1, 2);
    m.put(&b::ORIGIN_HOST, host)
        .put(&b::ORIGIN_REALM, "test")
        .put(
            &b::HOST_IP_ADDRESS,
            &diameter_codec::format::AddressValue::V4([10, 0, 0, 1].into()),
        )
        .put(&b::VENDOR_ID, &0)
        .put(&b::PRODUCT_NAME, "peer")
        .put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
            g.put(&b::VENDOR_ID, &10415)
                .put(&b::AUTH_APPLICATION_ID, &CX);
        });
    m.finish()
}

fn cea_from(host: &str, cer: &Message) -> Bytes {
    let mut m = MessageBuilder::answer(cer.header());
    m.put(&b::RESULT_CODE, &2001)
        .put(&b::ORIGIN_HOST, host)
        .put(&b::ORIGIN_REALM, "test")
        .put(
            &b::HOST_IP_ADDRESS,
            &diameter_codec::format::AddressValue::V4([10, 0, 0, 1].into()),
        )
        .put(&b::VENDOR_ID, &0)
        .put(&b::PRODUCT_NAME, "peer")
        .put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
            g.put(&b::VENDOR_ID, &10415)
                .put(&b::AUTH_APPLICATION_ID, &CX);
        });
    m.finish()
}

fn drain(n: &mut Node) -> (Vec<(ConnectionId, Bytes)>, Vec<NodeEvent>) {
    let mut t = Vec::new();
    while let Some(x) = n.poll_transmit() {
        t.push(x);
    }
    let mut e = Vec::new();
    while let Some(ev) = n.poll_event() {
        e.push(ev);
    }
    (t, e)
}

/// A node `me` connecting to `peer`, its connect still pending, and the peer's CER arrived
/// on accepted connection 2: Wait-Conn-Ack/Elect.
fn elect_state(me: &str, peer: &str) -> (Node, PeerId, Instant) {
    let now = Instant::now();
    let mut n = Node::new(local(me, "test", vec![CX_APP]), cfg());
    let p = n.add_peer(PeerConfig::new(peer, "test", true));
    n.start(now);
    assert_eq!(drain(&mut n).1, vec![NodeEvent::Connect { peer: p }]);
    n.handle_accepted(now, ConnectionId(2), SocketAddr::from(([10, 0, 0, 1], 1)));
    n.handle_frame(now, ConnectionId(2), cer_from(peer));
    assert_eq!(n.peer_state(p), PeerState::WaitConnAckElect);
    assert_eq!(drain(&mut n), (vec![], vec![]));
    (n, p, now)
}

#[test]
fn conn_ack_in_elect_and_win() {
    let (mut n, p, now) = elect_state("zzz.test", "aaa.test");
    n.handle_connected(now, p, ConnectionId(3));
    let (t, e) = drain(&mut n);
    // Won: the initiator connection is dropped, CEA on the responder connection.
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].0, ConnectionId(2));
    let cea = Message::decode(t[0].1.clone()).unwrap();
    assert_eq!(cea.require(&b::RESULT_CODE).unwrap(), 2001);
    assert_eq!(
        e[0],
        NodeEvent::Close {
            conn: ConnectionId(3)
        }
    );
    assert!(matches!(e[1], NodeEvent::PeerUp { .. }));
    assert_eq!(n.peer_state(p), PeerState::Open);
}

#[test]
fn conn_ack_in_elect_and_lose_then_cea() {
    let (mut n, p, now) = elect_state("aaa.test", "zzz.test");
    n.handle_connected(now, p, ConnectionId(3));
    let (t, e) = drain(&mut n);
    assert!(e.is_empty());
    assert_eq!(t.len(), 1);
    assert_eq!(
        t[0].0,
        ConnectionId(3),
        "our CER on the initiator connection"
    );
    assert_eq!(n.peer_state(p), PeerState::WaitReturns);
    let cer = Message::decode(t[0].1.clone()).unwrap();
    // Wait-Returns / I-Rcv-CEA → R-Disc → I-Open
    n.handle_frame(now, ConnectionId(3), cea_from("zzz.test", &cer));
    let (t, e) = drain(&mut n);
    assert!(t.is_empty());
    assert_eq!(
        e[0],
        NodeEvent::Close {
            conn: ConnectionId(2)
        }
    );
    assert!(matches!(e[1], NodeEvent::PeerUp { .. }));
    assert_eq!(n.peer_state(p), PeerState::Open);
}

#[test]
fn wait_returns_initiator_lost_falls_back_to_responder() {
    let (mut n, p, now) = elect_state("aaa.test", "zzz.test");
    n.handle_connected(now, p, ConnectionId(3));
    drain(&mut n);
    // Wait-Returns / I-Peer-Disc → I-Disc, R-Snd-CEA → R-Open
    n.handle_closed(now, ConnectionId(3));
    let (t, e) = drain(&mut n);
    assert_eq!(t[0].0, ConnectionId(2));
    assert!(matches!(e.as_slice(), [NodeEvent::PeerUp { .. }]));
    assert_eq!(n.peer_state(p), PeerState::Open);
}

#[test]
fn conn_nack_in_elect_opens_the_responder() {
    let (mut n, p, now) = elect_state("aaa.test", "zzz.test");
    // Wait-Conn-Ack/Elect / I-Rcv-Conn-Nack → R-Snd-CEA → R-Open
    n.handle_connect_failed(now, p);
    let (t, e) = drain(&mut n);
    assert_eq!(t[0].0, ConnectionId(2));
    assert!(matches!(e.as_slice(), [NodeEvent::PeerUp { .. }]));
    assert_eq!(n.peer_state(p), PeerState::Open);
}

#[test]
fn responder_lost_in_elect_goes_back_to_wait_conn_ack() {
    let (mut n, p, now) = elect_state("aaa.test", "zzz.test");
    // Wait-Conn-Ack/Elect / R-Peer-Disc → R-Disc → Wait-Conn-Ack
    n.handle_closed(now, ConnectionId(2));
    assert_eq!(n.peer_state(p), PeerState::WaitConnAck);
    n.handle_connected(now, p, ConnectionId(3));
    assert_eq!(n.peer_state(p), PeerState::WaitICea);
}
