//! RFC 6733 §5.3/§5.4/§5.6 and RFC 3539 behaviour of two nodes on a virtual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::*;
use diameter_codec::generated::base;
use diameter_codec::generated::base::{avp as b, DisconnectCause};
use diameter_codec::{AvpContainer, MessageBuilder, WriteAvps};
use diameter_proto::{Application, NodeConfig, NodeEvent, PeerState, WatchdogState};

const CER: u32 = 257;
const DW: u32 = 280;
const DP: u32 = 282;

#[test]
fn cer_cea_success() {
    let (mut net, a, b_, pa, pb) = open_pair();
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Open);
    assert_eq!(net.nodes[b_].peer_state(pb), PeerState::Open);
    assert_eq!(net.nodes[a].watchdog_state(pa), WatchdogState::Okay);
    let cea = net.frames(b_, a, CER, false);
    assert_eq!(cea.len(), 1);
    assert_eq!(cea[0].result_code(), Some(2001));
    assert_eq!(net.frames(a, b_, CER, true).len(), 1);
    let up = net.take(a);
    assert_eq!(
        up,
        vec![NodeEvent::PeerUp {
            peer: pa,
            host: "hss.b.test".into(),
            applications: vec![CX_APP],
        }]
    );
    assert!(matches!(
        net.take(b_).as_slice(),
        [NodeEvent::PeerUp { .. }]
    ));
}

#[test]
fn no_common_application_is_5010() {
    let mut net = Net::new();
    let a = net.add("a.test", "test", vec![CX_APP], cfg());
    let b_ = net.add("b.test", "test", vec![Application::Auth(4)], cfg());
    let pa = net.peer(a, b_, "test", true);
    net.peer(b_, a, "test", false);
    net.start();
    let cea = net.frames(b_, a, CER, false);
    assert_eq!(cea.len(), 1);
    assert_eq!(cea[0].result_code(), Some(5010));
    assert!(!cea[0].msg().header().flags.is_error());
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Closed);
    assert_eq!(net.link_count(a, b_), 0);
    assert!(net.take(a).is_empty());
    // Reconnect after Tc (30 s), then after 2 Tc (backoff).
    net.advance(Duration::from_secs(29));
    assert_eq!(net.frames(a, b_, CER, true).len(), 1);
    net.advance(Duration::from_secs(2));
    assert_eq!(net.frames(a, b_, CER, true).len(), 2);
    net.advance(Duration::from_secs(58));
    assert_eq!(net.frames(a, b_, CER, true).len(), 2);
    net.advance(Duration::from_secs(2));
    assert_eq!(net.frames(a, b_, CER, true).len(), 3);
}

#[test]
fn unknown_peer_is_3010_unless_accepted() {
    let mut net = Net::new();
    let a = net.add("a.test", "test", vec![CX_APP], cfg());
    let b_ = net.add("b.test", "test", vec![CX_APP], cfg());
    let pa = net.peer(a, b_, "test", true);
    net.start();
    let cea = net.frames(b_, a, CER, false);
    assert_eq!(cea[0].result_code(), Some(3010));
    assert!(cea[0].msg().header().flags.is_error());
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Closed);

    let mut net = Net::new();
    let a = net.add("a.test", "test", vec![CX_APP], cfg());
    let accept = NodeConfig {
        accept_unknown_peers: true,
        ..cfg()
    };
    let b_ = net.add("b.test", "test", vec![CX_APP], accept);
    let pa = net.peer(a, b_, "test", true);
    net.start();
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Open);
    let pb = net.nodes[b_].peer_by_host("A.TEST").unwrap();
    assert_eq!(net.nodes[b_].peer_state(pb), PeerState::Open);
    assert_eq!(net.nodes[b_].peer_host(pb), "a.test");
}

#[test]
fn election_when_both_connect() {
    let mut net = Net::new();
    let a = net.add("aaa.test", "test", vec![CX_APP], cfg());
    let z = net.add("zzz.test", "test", vec![CX_APP], cfg());
    let pa = net.peer(a, z, "test", true);
    let pz = net.peer(z, a, "test", true);
    net.start();
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Open);
    assert_eq!(net.nodes[z].peer_state(pz), PeerState::Open);
    assert_eq!(net.link_count(a, z), 1, "exactly one connection survives");
    // Both CERs were sent; zzz (higher Origin-Host) won and answered on its responder side.
    assert_eq!(net.frames(a, z, CER, true).len(), 1);
    assert_eq!(net.frames(z, a, CER, true).len(), 1);
    assert_eq!(net.frames(z, a, CER, false).len(), 1);
    assert!(net.frames(a, z, CER, false).is_empty());
    assert_eq!(net.take(a).len(), 1);
    assert_eq!(net.take(z).len(), 1);
    // The surviving connection works: watchdog traffic flows without failure.
    net.advance(Duration::from_secs(100));
    assert_eq!(net.nodes[a].watchdog_state(pa), WatchdogState::Okay);
    assert_eq!(net.nodes[z].watchdog_state(pz), WatchdogState::Okay);
}

#[test]
fn dwr_every_tw() {
    let (mut net, a, b_, _pa, _pb) = open_pair();
    net.advance(Duration::from_secs(125));
    let dwr: Vec<_> = net.frames(a, b_, DW, true);
    assert!((3..=5).contains(&dwr.len()), "{} DWRs", dwr.len());
    for w in dwr.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(
            gap >= Duration::from_secs(28) && gap <= Duration::from_secs(32),
            "{gap:?}"
        );
    }
    assert_eq!(net.frames(b_, a, DW, false).len(), dwr.len());
    for f in net.frames(b_, a, DW, false) {
        assert_eq!(f.result_code(), Some(2001));
    }
}

#[test]
fn suspect_down_then_reconnect_after_tc_and_reopen_needs_three_dwas() {
    let (mut net, a, b_, pa, _pb) = open_pair();
    net.take(a);
    net.mute.insert(b_); // b stops answering
    net.advance(Duration::from_secs(33)); // first DWR, pending
    assert_eq!(net.nodes[a].watchdog_state(pa), WatchdogState::Okay);
    net.advance(Duration::from_secs(30)); // no DWA → SUSPECT
    assert_eq!(net.nodes[a].watchdog_state(pa), WatchdogState::Suspect);
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Open);
    // → DOWN, connection closed one Tw later.
    let mut steps = 0;
    while net.nodes[a].peer_state(pa) == PeerState::Open {
        net.advance(Duration::from_secs(1));
        steps += 1;
        assert!(steps < 40, "never went DOWN");
    }
    assert_eq!(net.nodes[a].watchdog_state(pa), WatchdogState::Down);
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Closed);
    assert_eq!(net.take(a), vec![NodeEvent::PeerDown { peer: pa }]);
    assert_eq!(net.link_count(a, b_), 0);
    let down_at = net.now;
    net.mute.clear();
    net.advance(Duration::from_secs(28));
    assert_eq!(
        net.frames(a, b_, CER, true).len(),
        1,
        "no reconnect before Tc"
    );
    net.advance(Duration::from_secs(3));
    let cers = net.frames(a, b_, CER, true);
    assert_eq!(cers.len(), 2);
    assert!(cers[1].at - down_at <= Duration::from_secs(31));
    // REOPEN: open but not usable until three DWAs.
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Open);
    assert_eq!(net.nodes[a].watchdog_state(pa), WatchdogState::Reopen);
    assert!(net.take(a).is_empty(), "no PeerUp in REOPEN");
    let req = uar("pcscf.a.test", "a.test", "b.test", None);
    assert!(net.nodes[a].send_request(net.now, req.clone(), 1).is_err());
    net.advance(Duration::from_secs(35));
    assert_eq!(net.nodes[a].watchdog_state(pa), WatchdogState::Reopen);
    net.advance(Duration::from_secs(30));
    assert_eq!(net.nodes[a].watchdog_state(pa), WatchdogState::Okay);
    let reopened_at = cers[1].at;
    let dwas = net.frames(b_, a, DW, false);
    assert_eq!(dwas.iter().filter(|f| f.at >= reopened_at).count(), 3);
    assert!(matches!(net.take(a).as_slice(), [NodeEvent::PeerUp { .. }]));
    assert!(net.nodes[a].send_request(net.now, req, 1).is_ok());
}

fn dpr(cause: DisconnectCause) -> bytes::Bytes {
    let mut m = MessageBuilder::request(&base::cmd::DPR, 77, 78);
    m.put(&b::ORIGIN_HOST, "hss.b.test")
        .put(&b::ORIGIN_REALM, "b.test")
        .put(&b::DISCONNECT_CAUSE, &cause);
    m.finish()
}

#[test]
fn dpr_do_not_want_to_talk_means_no_reconnect() {
    let (mut net, a, b_, pa, _pb) = open_pair();
    net.take(a);
    net.inject(b_, a, dpr(DisconnectCause::DO_NOT_WANT_TO_TALK_TO_YOU));
    let dpa = net.frames(a, b_, DP, false);
    assert_eq!(dpa.len(), 1);
    assert_eq!(dpa[0].result_code(), Some(2001));
    assert_eq!(dpa[0].msg().header().hop_by_hop, 77);
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Closed);
    assert_eq!(net.take(a), vec![NodeEvent::PeerDown { peer: pa }]);
    net.advance(Duration::from_secs(600));
    assert_eq!(net.frames(a, b_, CER, true).len(), 1, "never reconnects");
    assert_eq!(net.nodes[a].poll_timeout(), None);
}

#[test]
fn dpr_rebooting_reconnects_after_tc_without_reopen() {
    let (mut net, a, b_, pa, _pb) = open_pair();
    net.inject(b_, a, dpr(DisconnectCause::REBOOTING));
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Closed);
    net.advance(Duration::from_secs(31));
    assert_eq!(net.frames(a, b_, CER, true).len(), 2);
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Open);
    assert_eq!(net.nodes[a].watchdog_state(pa), WatchdogState::Okay);
}

#[test]
fn shutdown_sends_dpr_and_closes_on_dpa() {
    let (mut net, a, b_, pa, pb) = open_pair();
    net.take(a);
    net.take(b_);
    net.nodes[a].shutdown(net.now);
    net.run();
    let dpr = net.frames(a, b_, DP, true);
    assert_eq!(dpr.len(), 1);
    assert_eq!(
        dpr[0].msg().get(&b::DISCONNECT_CAUSE).unwrap(),
        Some(DisconnectCause::REBOOTING)
    );
    assert_eq!(net.frames(b_, a, DP, false).len(), 1);
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Closed);
    assert_eq!(net.nodes[b_].peer_state(pb), PeerState::Closed);
    assert_eq!(net.link_count(a, b_), 0);
    assert_eq!(net.take(a), vec![NodeEvent::PeerDown { peer: pa }]);
    assert_eq!(net.take(b_), vec![NodeEvent::PeerDown { peer: pb }]);
    net.advance(Duration::from_secs(120));
    assert_eq!(net.frames(a, b_, CER, true).len(), 1);
}

#[test]
fn connect_failure_retries_with_backoff() {
    let mut net = Net::new();
    let a = net.add("a.test", "test", vec![CX_APP], cfg());
    let b_ = net.add("b.test", "test", vec![CX_APP], cfg());
    let pa = net.peer(a, b_, "test", true);
    net.peer(b_, a, "test", false);
    net.unreachable.insert(b_);
    net.start();
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Closed);
    net.advance(Duration::from_secs(200));
    net.unreachable.clear();
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Closed);
    // Attempts at 30, 90, 210 s (Tc, 2 Tc, 4 Tc).
    net.advance(Duration::from_secs(11));
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Open);
}

#[test]
fn dpr_busy_waits_two_tc() {
    let (mut net, a, b_, pa, _pb) = open_pair();
    net.inject(b_, a, dpr(DisconnectCause::BUSY));
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Closed);
    net.advance(Duration::from_secs(59));
    assert_eq!(net.frames(a, b_, CER, true).len(), 1);
    net.advance(Duration::from_secs(2));
    assert_eq!(net.frames(a, b_, CER, true).len(), 2);
    assert_eq!(net.nodes[a].peer_state(pa), PeerState::Open);
}
