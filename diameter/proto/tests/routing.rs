//! Requests and answers (RFC 6733 §6): round trip, timeout, failover with the T flag
//! (§5.5.4), duplicate detection, relay with Route-Record (§6.1.8) and routing errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::*;
use diameter_codec::generated::base::avp as b;
use diameter_codec::{AvpContainer, CommandFlags, Header};
use diameter_proto::{NodeConfig, NodeEvent, PeerState, RequestRef, SendError};

const UAR: u32 = 300;

#[test]
fn request_answer_round_trip() {
    let (mut net, a, b_, _pa, _pb) = open_pair();
    net.take(a);
    net.take(b_);
    let req = uar("pcscf.a.test", "a.test", "b.test", None);
    net.nodes[a].send_request(net.now, req, 42).unwrap();
    assert_eq!(net.nodes[a].pending_requests(), 1);
    net.run();
    let got = requests(&net.take(b_));
    assert_eq!(got.len(), 1);
    let (r, from) = &got[0];
    assert_eq!(r.require(&b::USER_NAME).unwrap(), "alice@ims.test");
    assert_ne!(r.header().end_to_end, 0, "node allocated an End-to-End id");
    let ans = uaa(r, "hss.b.test", "b.test");
    net.nodes[b_].send_answer(net.now, *from, ans).unwrap();
    net.run();
    let evs = net.take(a);
    let [NodeEvent::Answer { token, answer }] = evs.as_slice() else {
        panic!("{evs:?}");
    };
    assert_eq!(*token, 42);
    assert_eq!(answer.require(&b::RESULT_CODE).unwrap(), 2001);
    assert_eq!(net.nodes[a].pending_requests(), 0);
    // Answering twice is refused.
    let again = uaa(r, "hss.b.test", "b.test");
    assert_eq!(
        net.nodes[b_].send_answer(net.now, *from, again),
        Err(SendError::UnknownRequest)
    );
}

#[test]
fn send_errors() {
    let (mut net, a, _b, _pa, _pb) = open_pair();
    let now = net.now;
    let nowhere = uar("pcscf.a.test", "a.test", "nowhere.test", None);
    assert_eq!(
        net.nodes[a].send_request(now, nowhere, 1),
        Err(SendError::NoRoute)
    );
    let garbage = bytes::Bytes::from_static(&[1, 0, 0, 8]);
    assert_eq!(
        net.nodes[a].send_request(now, garbage, 1),
        Err(SendError::Malformed)
    );
    let bogus = RequestRef {
        conn: diameter_proto::ConnectionId(999),
        hop_by_hop: 1,
    };
    let any = uar("x", "y", "z", None);
    assert_eq!(
        net.nodes[a].send_answer(now, bogus, any),
        Err(SendError::Malformed)
    );
}

#[test]
fn request_timeout() {
    let (mut net, a, b_, _pa, _pb) = open_pair();
    net.take(a);
    let req = uar("pcscf.a.test", "a.test", "b.test", None);
    net.nodes[a].send_request(net.now, req, 7).unwrap();
    net.advance(Duration::from_secs(9));
    assert_eq!(requests(&net.take(b_)).len(), 1);
    assert!(net.take(a).is_empty());
    net.advance(Duration::from_secs(2));
    assert_eq!(net.take(a), vec![NodeEvent::Timeout { token: 7 }]);
    assert_eq!(net.nodes[a].pending_requests(), 0);
}

#[test]
fn failover_to_alternate_peer_with_t_flag() {
    let mut net = Net::new();
    let a = net.add("pcscf.a.test", "a.test", vec![CX_APP], cfg());
    let h1 = net.add("hss1.b.test", "b.test", vec![CX_APP], cfg());
    let h2 = net.add("hss2.b.test", "b.test", vec![CX_APP], cfg());
    let p1 = net.peer(a, h1, "b.test", true);
    let p2 = net.peer(a, h2, "b.test", true);
    net.peer(h1, a, "a.test", false);
    net.peer(h2, a, "a.test", false);
    net.nodes[a].add_route("b.test", None, p2, 20);
    net.nodes[a].add_route("b.test", Some(CX), p1, 10);
    net.start();
    assert_eq!(net.nodes[a].peer_state(p1), PeerState::Open);
    assert_eq!(net.nodes[a].peer_state(p2), PeerState::Open);
    net.take(a);
    let req = uar("pcscf.a.test", "a.test", "b.test", None);
    net.nodes[a].send_request(net.now, req, 5).unwrap();
    net.run();
    let first = requests(&net.take(h1));
    assert_eq!(first.len(), 1, "metric 10 first");
    assert!(!first[0].0.header().flags.is_retransmit());
    net.cut(a, h1);
    assert_eq!(net.take(a), vec![NodeEvent::PeerDown { peer: p1 }]);
    let second = requests(&net.take(h2));
    assert_eq!(second.len(), 1);
    let (r, from) = &second[0];
    assert!(r.header().flags.is_retransmit(), "T flag on failover");
    assert_eq!(r.header().end_to_end, first[0].0.header().end_to_end);
    net.nodes[h2]
        .send_answer(net.now, *from, uaa(r, "hss2.b.test", "b.test"))
        .unwrap();
    net.run();
    assert!(matches!(
        net.take(a).as_slice(),
        [NodeEvent::Answer { token: 5, .. }]
    ));
}

#[test]
fn failover_on_suspect_and_fail_when_no_alternate() {
    let (mut net, a, b_, _pa, _pb) = open_pair();
    net.take(a);
    let req = uar("pcscf.a.test", "a.test", "b.test", None);
    net.nodes[a].send_request(net.now, req, 9).unwrap();
    net.run();
    // The only peer's transport fails: no alternate, the request fails at once.
    net.cut(a, b_);
    let evs = net.take(a);
    assert!(evs.contains(&NodeEvent::Timeout { token: 9 }), "{evs:?}");
    assert_eq!(net.nodes[a].pending_requests(), 0);
}

#[test]
fn duplicate_request_answered_from_cache() {
    let (mut net, a, b_, _pa, _pb) = open_pair();
    net.take(b_);
    let req = uar("pcscf.a.test", "a.test", "b.test", None);
    net.nodes[a].send_request(net.now, req, 1).unwrap();
    net.run();
    let sent = net.frames(a, b_, UAR, true).pop().unwrap();
    let got = requests(&net.take(b_));
    let (r, from) = &got[0];
    net.nodes[b_]
        .send_answer(net.now, *from, uaa(r, "hss.b.test", "b.test"))
        .unwrap();
    net.run();
    let answers_before = net.frames(b_, a, UAR, false).len();
    // The same request again with the T flag and a new Hop-by-Hop id.
    let mut dup = sent.bytes.to_vec();
    dup[4] |= CommandFlags::RETRANSMIT;
    dup[12..16].copy_from_slice(&0x0bad_beefu32.to_be_bytes());
    net.inject(a, b_, dup.into());
    assert!(
        requests(&net.take(b_)).is_empty(),
        "no second Request event"
    );
    let answers = net.frames(b_, a, UAR, false);
    assert_eq!(answers.len(), answers_before + 1);
    let h = Header::decode(&answers.last().unwrap().bytes).unwrap();
    assert_eq!(h.hop_by_hop, 0x0bad_beef);
    assert_eq!(answers.last().unwrap().result_code(), Some(2001));
}

/// a (a.test) — r (relay, r.test) — h (b.test)
fn relay_net() -> (Net, usize, usize, usize) {
    let mut net = Net::new();
    let a = net.add("pcscf.a.test", "a.test", vec![CX_APP], cfg());
    let relay = NodeConfig {
        relay: true,
        ..cfg()
    };
    let r = net.add(
        "dra.r.test",
        "r.test",
        vec![diameter_proto::Application::Relay],
        relay,
    );
    let h = net.add("hss.b.test", "b.test", vec![CX_APP], cfg());
    let ar = net.peer(a, r, "r.test", true);
    net.nodes[a].add_route("b.test", None, ar, 1);
    net.nodes[a].add_route("nowhere.test", None, ar, 1);
    net.nodes[a].add_route("c.test", None, ar, 1);
    net.peer(r, a, "a.test", false);
    let rh = net.peer(r, h, "b.test", true);
    net.nodes[r].add_route("b.test", None, rh, 1);
    // A configured peer that never connects: 3002 for its realm.
    let rc = net.nodes[r].add_peer(diameter_proto::PeerConfig::new(
        "hss.c.test",
        "c.test",
        false,
    ));
    net.nodes[r].add_route("c.test", None, rc, 1);
    net.peer(h, r, "r.test", false);
    net.start();
    (net, a, r, h)
}

#[test]
fn relay_adds_route_record_and_maps_hop_by_hop() {
    let (mut net, a, r, h) = relay_net();
    net.take(a);
    net.take(h);
    let req = uar("pcscf.a.test", "a.test", "b.test", None);
    net.nodes[a].send_request(net.now, req, 3).unwrap();
    net.run();
    let got = requests(&net.take(h));
    assert_eq!(got.len(), 1);
    let (rq, from) = &got[0];
    let rr = rq.get_all(&b::ROUTE_RECORD).unwrap();
    assert_eq!(rr.len(), 1);
    assert_eq!(rr[0], "pcscf.a.test");
    let a_hbh = net.frames(a, r, UAR, true)[0].msg().header().hop_by_hop;
    assert_ne!(
        rq.header().hop_by_hop,
        a_hbh,
        "relay uses its own Hop-by-Hop"
    );
    assert!(
        requests(&net.take(r)).is_empty(),
        "relay does not deliver locally"
    );
    net.nodes[h]
        .send_answer(net.now, *from, uaa(rq, "hss.b.test", "b.test"))
        .unwrap();
    net.run();
    let back = net.frames(r, a, UAR, false);
    assert_eq!(back[0].msg().header().hop_by_hop, a_hbh);
    assert!(matches!(
        net.take(a).as_slice(),
        [NodeEvent::Answer { token: 3, .. }]
    ));
}

#[test]
fn relay_loop_is_3005() {
    let (mut net, a, r, _h) = relay_net();
    let looped = uar_with("pcscf.a.test", "a.test", "b.test", None, |m| {
        use diameter_codec::WriteAvps;
        m.put(&b::ROUTE_RECORD, "DRA.r.test");
    });
    net.nodes[a].send_request(net.now, looped, 4).unwrap();
    net.run();
    let ans = net.frames(r, a, UAR, false);
    assert_eq!(ans.len(), 1);
    assert_eq!(ans[0].result_code(), Some(3005));
    assert!(ans[0].msg().header().flags.is_error());
    assert_eq!(
        ans[0].msg().require(&b::SESSION_ID).unwrap(),
        "pcscf.a.test;1;2"
    );
}

#[test]
fn relay_routing_errors_3003_and_3002() {
    let (mut net, a, r, _h) = relay_net();
    let req = uar("pcscf.a.test", "a.test", "nowhere.test", None);
    net.nodes[a].send_request(net.now, req, 1).unwrap();
    net.run();
    let req = uar("pcscf.a.test", "a.test", "c.test", None);
    net.nodes[a].send_request(net.now, req, 2).unwrap();
    net.run();
    let codes: Vec<_> = net
        .frames(r, a, UAR, false)
        .iter()
        .map(|f| f.result_code())
        .collect();
    assert_eq!(codes, vec![Some(3003), Some(3002)]);
    let evs = net.take(a);
    let tokens: Vec<u64> = evs
        .iter()
        .filter_map(|e| match e {
            NodeEvent::Answer { token, .. } => Some(*token),
            _ => None,
        })
        .collect();
    assert_eq!(tokens, vec![1, 2]);
}

#[test]
fn non_relay_answers_3003_for_foreign_realm() {
    let (mut net, a, b_, _pa, _pb) = open_pair();
    let foreign = uar("pcscf.a.test", "a.test", "elsewhere.test", None);
    let mut f = foreign.to_vec();
    f[12..16].copy_from_slice(&5u32.to_be_bytes());
    net.inject(a, b_, f.into());
    let ans = net.frames(b_, a, UAR, false);
    assert_eq!(ans[0].result_code(), Some(3003));
    assert!(requests(&net.take(b_)).is_empty());
}

#[test]
fn duplicate_in_progress_gets_the_answer_too() {
    let (mut net, a, b_, _pa, _pb) = open_pair();
    net.take(b_);
    let req = uar("pcscf.a.test", "a.test", "b.test", None);
    net.nodes[a].send_request(net.now, req, 1).unwrap();
    net.run();
    let sent = net.frames(a, b_, UAR, true).pop().unwrap();
    let got = requests(&net.take(b_));
    let mut dup = sent.bytes.to_vec();
    dup[4] |= CommandFlags::RETRANSMIT;
    dup[12..16].copy_from_slice(&0x0000_0abcu32.to_be_bytes());
    net.inject(a, b_, dup.into());
    assert!(requests(&net.take(b_)).is_empty());
    assert!(net.frames(b_, a, UAR, false).is_empty());
    let (r, from) = &got[0];
    net.nodes[b_]
        .send_answer(net.now, *from, uaa(r, "hss.b.test", "b.test"))
        .unwrap();
    net.run();
    let hbhs: Vec<u32> = net
        .frames(b_, a, UAR, false)
        .iter()
        .map(|f| f.msg().header().hop_by_hop)
        .collect();
    assert_eq!(hbhs, vec![sent.msg().header().hop_by_hop, 0xabc]);
}
