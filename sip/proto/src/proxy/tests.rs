//! Conversation tests of the proxy core on a virtual clock: a UAC at 127.0.0.1:5070, the
//! proxy at 127.0.0.1:5060, UASs at 127.0.0.1:5090 and :5092.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_types::{HeaderName, Message, Method};

use super::*;
use crate::flow::{Flow, Transport};

const PROXY: &str = "127.0.0.1:5060";
pub(super) const UAC: &str = "127.0.0.1:5070";
pub(super) const UAS1: &str = "127.0.0.1:5090";
pub(super) const UAS2: &str = "127.0.0.1:5092";

pub(super) fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub(super) fn udp_from(remote: &str) -> Flow {
    Flow {
        transport: Transport::Udp,
        remote: addr(remote),
        local: addr(PROXY),
        connection: None,
    }
}

pub(super) fn proxy(mode: Mode) -> Proxy {
    let route = StaticRoute {
        name: "uas".into(),
        method: None,
        user_prefix: None,
        domain: None,
        destinations: vec![
            Target {
                transport: Transport::Udp,
                addr: addr(UAS1),
            },
            Target {
                transport: Transport::Udp,
                addr: addr(UAS2),
            },
        ],
    };
    Proxy::new(ProxyConfig {
        mode,
        locals: LocalAddrs::new(
            vec![LocalAddr {
                transport: Transport::Udp,
                addr: addr(PROXY),
            }],
            vec![],
        ),
        record_route: true,
        routes: RouteTable::new(vec![route]),
        hosts: HostTable::new(),
        timers: TimerConfig::default(),
        seed: 42,
    })
}

pub(super) fn invite(max_forwards: u32) -> Bytes {
    Bytes::from(format!(
        "INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-uac-1;rport\r\n\
         Max-Forwards: {max_forwards}\r\n\
         From: <sip:alice@127.0.0.1:5070>;tag=a1\r\n\
         To: <sip:service@127.0.0.1:5060>\r\n\
         Call-ID: call-1@127.0.0.1\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:alice@127.0.0.1:5070>\r\n\
         Content-Length: 0\r\n\r\n"
    ))
}

/// Every message the proxy wants to send, parsed.
pub(super) fn sent(p: &mut Proxy) -> Vec<(Flow, Message)> {
    std::iter::from_fn(|| p.poll_transmit())
        .map(|t| (t.flow, Message::parse(t.bytes).unwrap()))
        .collect()
}

/// A response from the UAS to a forwarded request: copies its Vias, From, To (tag), Call-ID, CSeq.
pub(super) fn answer(request: &Message, status: u16, to_tag: &str, extra: &str) -> Bytes {
    let mut out = format!("SIP/2.0 {status} Whatever\r\n");
    for v in request.header_values(HeaderName::VIA) {
        out.push_str(&format!("Via: {}\r\n", v.text));
    }
    for rr in request.header_values(HeaderName::RECORD_ROUTE) {
        out.push_str(&format!("Record-Route: {}\r\n", rr.text));
    }
    out.push_str(&format!(
        "From: {}\r\n",
        request.header(HeaderName::FROM).unwrap()
    ));
    let to = request.header(HeaderName::TO).unwrap();
    if to.contains("tag=") || status == 100 {
        out.push_str(&format!("To: {to}\r\n"));
    } else {
        out.push_str(&format!("To: {to};tag={to_tag}\r\n"));
    }
    out.push_str(&format!("Call-ID: {}\r\n", request.call_id().unwrap()));
    out.push_str(&format!(
        "CSeq: {}\r\n",
        request.header(HeaderName::CSEQ).unwrap()
    ));
    out.push_str(extra);
    out.push_str("Content-Length: 0\r\n\r\n");
    Bytes::from(out)
}

#[test]
fn stateful_invite_dialog_through_the_proxy() {
    let mut p = proxy(Mode::Stateful);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let out = sent(&mut p);
    assert_eq!(
        out.len(),
        2,
        "100 Trying upstream and the INVITE downstream"
    );
    let trying = out.iter().find(|(_, m)| m.status().is_some()).unwrap();
    assert_eq!(trying.1.status().unwrap().0, 100);
    assert_eq!(trying.0.remote, addr(UAC));
    let (flow, fwd) = out.iter().find(|(_, m)| m.is_request()).unwrap();
    assert_eq!(flow.remote, addr(UAS1));
    assert_eq!(fwd.max_forwards().unwrap(), Some(69));
    let vias: Vec<_> = fwd
        .header_values(HeaderName::VIA)
        .map(|v| v.text.to_owned())
        .collect();
    assert_eq!(vias.len(), 2);
    assert!(
        vias[0].starts_with("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK"),
        "{vias:?}"
    );
    assert!(
        vias[1].contains("received=127.0.0.1") && vias[1].contains("rport=5070"),
        "{vias:?}"
    );
    assert_eq!(
        fwd.header(HeaderName::RECORD_ROUTE),
        Some("<sip:127.0.0.1:5060;lr>")
    );
    assert_eq!(fwd.request_uri(), Some("sip:service@127.0.0.1:5060"));

    // 180 and 200 from the UAS go upstream without our Via.
    let contact = "Contact: <sip:uas@127.0.0.1:5090>\r\n";
    p.handle_message(now, answer(fwd, 180, "b1", contact), udp_from(UAS1));
    p.handle_message(now, answer(fwd, 200, "b1", contact), udp_from(UAS1));
    let out = sent(&mut p);
    let statuses: Vec<u16> = out.iter().map(|(_, m)| m.status().unwrap().0).collect();
    assert_eq!(statuses, vec![180, 200]);
    for (flow, m) in &out {
        assert_eq!(flow.remote, addr(UAC));
        assert_eq!(m.header_values(HeaderName::VIA).count(), 1);
        assert!(m.top_via().unwrap().branch() == Some("z9hG4bK-uac-1"));
    }

    // ACK for the 2xx follows the Route (our RR) to the UAS contact, statelessly.
    let ack = Bytes::from(
        "ACK sip:uas@127.0.0.1:5090 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-uac-2\r\n\
         Route: <sip:127.0.0.1:5060;lr>\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@127.0.0.1:5070>;tag=a1\r\n\
         To: <sip:service@127.0.0.1:5060>;tag=b1\r\n\
         Call-ID: call-1@127.0.0.1\r\n\
         CSeq: 1 ACK\r\n\
         Content-Length: 0\r\n\r\n",
    );
    p.handle_message(now, ack, udp_from(UAC));
    let out = sent(&mut p);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0.remote, addr(UAS1));
    assert_eq!(out[0].1.method(), Some(&Method::ACK));
    assert_eq!(
        out[0].1.header(HeaderName::ROUTE),
        None,
        "our Route is popped"
    );
    assert_eq!(out[0].1.header_values(HeaderName::VIA).count(), 2);
}

#[test]
fn serial_failover_on_timeout_then_408_when_all_fail() {
    let mut p = proxy(Mode::Stateful);
    let mut now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let first: Vec<_> = sent(&mut p);
    assert!(first
        .iter()
        .any(|(f, m)| m.is_request() && f.remote == addr(UAS1)));
    // Timer B (64*T1) with nobody answering: the next destination is tried.
    let mut tried_second = false;
    let mut final_status = None;
    for _ in 0..2000 {
        let Some(at) = p.poll_timeout() else { break };
        now = now.max(at);
        p.handle_timeout(now);
        for (flow, m) in sent(&mut p) {
            if m.is_request() && flow.remote == addr(UAS2) {
                tried_second = true;
            }
            if let Some(s) = m.status() {
                if s.is_final() && flow.remote == addr(UAC) {
                    final_status = Some(s.0);
                }
            }
        }
        if final_status.is_some() {
            break;
        }
        now += Duration::from_millis(1);
    }
    assert!(tried_second, "failover to the second destination");
    assert_eq!(final_status, Some(408));
}

#[test]
fn rejections_name_the_fault() {
    let mut p = proxy(Mode::Stateful);
    let now = Instant::now();
    p.handle_message(now, invite(0), udp_from(UAC));
    let out = sent(&mut p);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].1.status().unwrap().0, 483);

    let bad_cseq = Bytes::from(
        "OPTIONS sip:service@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-bad-1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@127.0.0.1>;tag=x\r\n\
         To: <sip:service@127.0.0.1>\r\n\
         Call-ID: bad-1\r\n\
         CSeq: abc OPTIONS\r\n\
         Content-Length: 0\r\n\r\n",
    );
    p.handle_message(now, bad_cseq, udp_from(UAC));
    let out = sent(&mut p);
    assert_eq!(out.len(), 1, "one 400");
    assert_eq!(out[0].1.status().unwrap().0, 400);
    assert!(
        out[0].1.reason().unwrap().contains("CSeq"),
        "{:?}",
        out[0].1.reason()
    );
    assert_eq!(p.stats().bad_requests, 1);

    // A malformed response is dropped and counted.
    p.handle_message(
        now,
        Bytes::from_static(b"SIP/2.0 200 OK\r\nVia: garbage\r\n\r\n"),
        udp_from(UAS1),
    );
    assert!(sent(&mut p).is_empty());
    assert_eq!(p.stats().bad_responses + p.stats().dropped, 1);
}

#[test]
fn loop_is_detected() {
    let mut p = proxy(Mode::Stateful);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let out = sent(&mut p);
    let (_, fwd) = out.iter().find(|(_, m)| m.is_request()).unwrap();
    // The same request comes back to us unchanged (apart from our Via).
    p.handle_message(now, fwd.as_bytes().clone(), udp_from(UAS1));
    let out = sent(&mut p);
    assert!(
        out.iter()
            .any(|(_, m)| m.status().map(|s| s.0) == Some(482)),
        "482 Loop Detected"
    );
}

#[test]
fn stateless_mode_forwards_with_a_stable_branch() {
    let mut p = proxy(Mode::Stateless);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let first = sent(&mut p);
    p.handle_message(now, invite(70), udp_from(UAC));
    let again = sent(&mut p);
    assert_eq!(first.len(), 1, "no 100 Trying when stateless");
    assert_eq!(first[0].0.remote, addr(UAS1));
    let b1 = first[0].1.top_via().unwrap().branch().unwrap().to_owned();
    let b2 = again[0].1.top_via().unwrap().branch().unwrap().to_owned();
    assert_eq!(b1, b2, "a retransmission leaves with the same branch");
    // The response goes back by the Via alone.
    p.handle_message(now, answer(&first[0].1, 486, "b", ""), udp_from(UAS1));
    let out = sent(&mut p);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0.remote, addr(UAC));
    assert_eq!(out[0].1.status().unwrap().0, 486);
    assert_eq!(out[0].1.header_values(HeaderName::VIA).count(), 1);
}

#[test]
fn cancel_is_answered_and_propagated() {
    let mut p = proxy(Mode::Stateful);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let out = sent(&mut p);
    let (_, fwd) = out.iter().find(|(_, m)| m.is_request()).unwrap().clone();
    p.handle_message(now, answer(&fwd, 180, "b1", ""), udp_from(UAS1));
    let _ = sent(&mut p);
    let cancel = Bytes::from(
        "CANCEL sip:service@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-uac-1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@127.0.0.1:5070>;tag=a1\r\n\
         To: <sip:service@127.0.0.1:5060>\r\n\
         Call-ID: call-1@127.0.0.1\r\n\
         CSeq: 1 CANCEL\r\n\
         Content-Length: 0\r\n\r\n",
    );
    p.handle_message(now, cancel, udp_from(UAC));
    let out = sent(&mut p);
    assert!(out
        .iter()
        .any(|(f, m)| f.remote == addr(UAC) && m.status().map(|s| s.0) == Some(200)));
    let (_, down) = out
        .iter()
        .find(|(f, m)| f.remote == addr(UAS1) && m.method() == Some(&Method::CANCEL))
        .expect("CANCEL sent downstream");
    assert_eq!(
        down.top_via().unwrap().branch(),
        fwd.top_via().unwrap().branch()
    );
    // The UAS answers 487 to the INVITE: it goes upstream.
    p.handle_message(now, answer(&fwd, 487, "b1", ""), udp_from(UAS1));
    let out = sent(&mut p);
    assert!(out
        .iter()
        .any(|(f, m)| f.remote == addr(UAC) && m.status().map(|s| s.0) == Some(487)));
}

/// The UAC's CANCEL for [`invite`].
pub(super) fn cancel() -> Bytes {
    Bytes::from(
        "CANCEL sip:service@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-uac-1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@127.0.0.1:5070>;tag=a1\r\n\
         To: <sip:service@127.0.0.1:5060>\r\n\
         Call-ID: call-1@127.0.0.1\r\n\
         CSeq: 1 CANCEL\r\n\
         Content-Length: 0\r\n\r\n",
    )
}

#[test]
fn after_a_non_2xx_final_only_the_ack_and_the_final_are_kept() {
    let mut p = proxy(Mode::Stateful);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let out = sent(&mut p);
    let (_, fwd) = out.iter().find(|(_, m)| m.is_request()).unwrap().clone();
    let busy = answer(&fwd, 486, "b1", "");
    p.handle_message(now, busy.clone(), udp_from(UAS1));
    let out = sent(&mut p);
    let ack = out
        .iter()
        .find(|(f, m)| f.remote == addr(UAS1) && m.method() == Some(&Method::ACK))
        .expect("the client transaction ACKs the 486")
        .1
        .clone();
    let up = out
        .iter()
        .find(|(f, m)| f.remote == addr(UAC) && m.status().map(|s| s.0) == Some(486))
        .expect("486 upstream")
        .1
        .clone();
    assert_eq!(
        p.context_count(),
        0,
        "the response context ends with the final"
    );
    assert_eq!(
        p.transactions.held_bytes(),
        ack.as_bytes().len() + up.as_bytes().len(),
        "client: its ACK; server: the 486 for Timer G and retransmitted INVITEs"
    );

    // The UAS retransmits its 486: ACKed again with the same ACK, not forwarded.
    p.handle_message(now, busy, udp_from(UAS1));
    let out = sent(&mut p);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].0.remote, addr(UAS1));
    assert_eq!(out[0].1.as_bytes(), ack.as_bytes());

    // The UAC retransmits its INVITE: the stored 486 goes back.
    p.handle_message(now, invite(70), udp_from(UAC));
    let out = sent(&mut p);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].1.as_bytes(), up.as_bytes());

    // A CANCEL after the final is answered; nothing is cancelled downstream (§9.1).
    p.handle_message(now, cancel(), udp_from(UAC));
    let out = sent(&mut p);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].0.remote, addr(UAC));
    assert!(out[0].1.status().is_some_and(|s| s.is_final()));
    let cancel_answer = out[0].1.as_bytes().len();

    // The UAC's ACK confirms the server transaction, which then drops the 486.
    let uac_ack = Bytes::from(
        "ACK sip:service@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-uac-1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@127.0.0.1:5070>;tag=a1\r\n\
         To: <sip:service@127.0.0.1:5060>;tag=b1\r\n\
         Call-ID: call-1@127.0.0.1\r\n\
         CSeq: 1 ACK\r\n\
         Content-Length: 0\r\n\r\n",
    );
    p.handle_message(now, uac_ack, udp_from(UAC));
    assert!(
        sent(&mut p).is_empty(),
        "the ACK for a non-2xx is hop by hop"
    );
    assert_eq!(
        p.transactions.held_bytes(),
        ack.as_bytes().len() + cancel_answer
    );
}

#[test]
fn after_a_2xx_nothing_is_kept_and_retransmissions_still_flow() {
    let mut p = proxy(Mode::Stateful);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let out = sent(&mut p);
    let (_, fwd) = out.iter().find(|(_, m)| m.is_request()).unwrap().clone();
    let ok = answer(&fwd, 200, "b1", "Contact: <sip:uas@127.0.0.1:5090>\r\n");
    p.handle_message(now, ok.clone(), udp_from(UAS1));
    let out = sent(&mut p);
    assert_eq!(out.len(), 1);
    let up = out[0].1.as_bytes().clone();
    assert_eq!(p.context_count(), 0);
    assert_eq!(
        p.transactions.held_bytes(),
        0,
        "both in Accepted (RFC 6026)"
    );

    // A retransmitted 2xx still goes upstream (§16.7 step 5); a retransmitted INVITE is
    // absorbed; a CANCEL is answered and goes nowhere else.
    p.handle_message(now, ok, udp_from(UAS1));
    let out = sent(&mut p);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!((out[0].0.remote, out[0].1.as_bytes()), (addr(UAC), &up));
    p.handle_message(now, invite(70), udp_from(UAC));
    assert!(sent(&mut p).is_empty());
    p.handle_message(now, cancel(), udp_from(UAC));
    let out = sent(&mut p);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].0.remote, addr(UAC));
}
