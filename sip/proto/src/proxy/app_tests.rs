//! Application mode on a virtual clock: a role decides each request (answer, or forward with
//! its own edits), sees the final responses it asked for, and sends requests of its own.

use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_types::{HeaderName, StatusCode};

use super::tests::{addr, answer, invite, proxy, sent, udp_from, UAC, UAS1, UAS2};
use super::*;
use crate::flow::Transport;

pub(super) fn target(s: &str) -> Target {
    Target {
        transport: Transport::Udp,
        addr: addr(s),
    }
}

pub(super) fn request_event(p: &mut Proxy) -> AppRequest {
    match p.poll_app_event() {
        Some(AppEvent::Request(r)) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

#[test]
fn role_answers_a_request_itself() {
    let mut p = proxy(Mode::Application);
    let now = Instant::now();
    let register = Bytes::from_static(
        b"REGISTER sip:ims.test SIP/2.0\r\n\
          Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-r1\r\n\
          Max-Forwards: 70\r\n\
          From: <sip:alice@ims.test>;tag=f1\r\n\
          To: <sip:alice@ims.test>\r\n\
          Call-ID: reg-1\r\n\
          CSeq: 1 REGISTER\r\n\
          Contact: <sip:alice@127.0.0.1:5070>\r\n\
          Content-Length: 0\r\n\r\n",
    );
    p.handle_message(now, register.clone(), udp_from(UAC));
    let req = request_event(&mut p);
    // The Request-URI is a domain the role serves: no targets, the role chooses.
    assert!(req.plan.by_request_uri);
    assert!(req.plan.targets.is_empty());
    assert!(sent(&mut p).is_empty(), "no 100 for a non-INVITE");
    assert_eq!(p.pending_decisions(), 1);
    // A retransmission while the role thinks is absorbed.
    p.handle_message(now, register, udp_from(UAC));
    assert!(p.poll_app_event().is_none());
    p.decide(
        now,
        req.id,
        Decision::Respond(LocalResponse::new(StatusCode::UNAUTHORIZED).header(
            "WWW-Authenticate",
            "Digest realm=\"ims.test\", nonce=\"abc\"",
        )),
    );
    let out = sent(&mut p);
    assert_eq!(out.len(), 1);
    let (flow, response) = &out[0];
    assert_eq!(flow.remote, addr(UAC));
    assert_eq!(response.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(response.to().unwrap().tag().is_some());
    assert!(response
        .header(HeaderName::WWW_AUTHENTICATE)
        .unwrap()
        .contains("nonce=\"abc\""));
    assert_eq!(p.pending_decisions(), 0);
    // A second decision for the same request does nothing.
    p.decide(
        now,
        req.id,
        Decision::Respond(LocalResponse::new(StatusCode::OK)),
    );
    assert!(sent(&mut p).is_empty());
}

#[test]
fn role_forwards_with_its_edits_and_observes_the_final() {
    let mut p = proxy(Mode::Application);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let out = sent(&mut p);
    assert_eq!(out[0].1.status(), Some(StatusCode::TRYING));
    let req = request_event(&mut p);
    let mut forward = Forward::from_plan(req.plan);
    forward
        .edits
        .replace_request_uri(&req.request, "sip:bob@127.0.0.1:5092");
    forward
        .edits
        .append_header(&req.request, "P-Asserted-Identity", "<sip:alice@ims.test>");
    forward.targets = vec![target(UAS1), target(UAS2)];
    forward.observe = true;
    forward.strip_from_responses = vec![HeaderName::P_CHARGING_VECTOR];
    p.decide(now, req.id, Decision::Forward(forward));
    let out = sent(&mut p);
    assert_eq!(out.len(), 1);
    let (flow, fwd) = &out[0];
    assert_eq!(flow.remote, addr(UAS1));
    assert_eq!(fwd.request_uri(), Some("sip:bob@127.0.0.1:5092"));
    assert_eq!(
        fwd.header(HeaderName::P_ASSERTED_IDENTITY),
        Some("<sip:alice@ims.test>")
    );
    assert_eq!(fwd.header_values(HeaderName::VIA).count(), 2);
    assert!(fwd.header(HeaderName::RECORD_ROUTE).is_some());
    assert_eq!(fwd.header(HeaderName::MAX_FORWARDS), Some("69"));
    // A 503 from the first target: serial failover to the second.
    p.handle_message(now, answer(fwd, 503, "u1", ""), udp_from(UAS1));
    let out = sent(&mut p);
    let second = out
        .iter()
        .find(|(f, m)| {
            f.remote == addr(UAS2) && m.is_request() && m.method() != Some(&sip_types::Method::ACK)
        })
        .map(|(_, m)| m.clone())
        .unwrap();
    assert!(p.poll_app_event().is_none());
    p.handle_message(
        now,
        answer(&second, 200, "u2", "P-Charging-Vector: icid-value=x\r\n"),
        udp_from(UAS2),
    );
    let out = sent(&mut p);
    let (flow, ok) = out
        .iter()
        .find(|(_, m)| m.status() == Some(StatusCode::OK))
        .unwrap();
    assert_eq!(flow.remote, addr(UAC));
    assert!(ok.header(HeaderName::P_CHARGING_VECTOR).is_none());
    match p.poll_app_event() {
        Some(AppEvent::Final {
            id,
            status,
            response,
            ..
        }) => {
            assert_eq!(id, req.id);
            assert_eq!(status, StatusCode::OK);
            assert!(response.is_some());
        }
        other => panic!("expected the final, got {other:?}"),
    }
}

#[test]
fn timeout_of_every_target_is_reported_as_408() {
    let mut p = proxy(Mode::Application);
    let start = Instant::now();
    p.handle_message(start, invite(70), udp_from(UAC));
    let _ = sent(&mut p);
    let req = request_event(&mut p);
    let mut forward = Forward::from_plan(req.plan);
    forward.targets = vec![target(UAS1)];
    forward.observe = true;
    p.decide(start, req.id, Decision::Forward(forward));
    let mut now = start;
    for _ in 0..200 {
        now += Duration::from_millis(500);
        p.handle_timeout(now);
        let _ = sent(&mut p);
    }
    match p.poll_app_event() {
        Some(AppEvent::Final {
            status, response, ..
        }) => {
            assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
            assert!(response.is_none());
        }
        other => panic!("expected a 408 final, got {other:?}"),
    }
}

#[test]
fn cancel_before_the_decision_answers_487_and_drops_it() {
    let mut p = proxy(Mode::Application);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let _ = sent(&mut p);
    let req = request_event(&mut p);
    let cancel = Bytes::from_static(
        b"CANCEL sip:service@127.0.0.1:5060 SIP/2.0\r\n\
          Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-uac-1;rport\r\n\
          Max-Forwards: 70\r\n\
          From: <sip:alice@127.0.0.1:5070>;tag=a1\r\n\
          To: <sip:service@127.0.0.1:5060>\r\n\
          Call-ID: call-1@127.0.0.1\r\n\
          CSeq: 1 CANCEL\r\n\
          Content-Length: 0\r\n\r\n",
    );
    p.handle_message(now, cancel, udp_from(UAC));
    let statuses: Vec<_> = sent(&mut p)
        .iter()
        .filter_map(|(_, m)| m.status())
        .collect();
    assert!(statuses.contains(&StatusCode::OK));
    assert!(statuses.contains(&StatusCode::REQUEST_TERMINATED));
    let mut forward = Forward::from_plan(req.plan);
    forward.targets = vec![target(UAS1)];
    p.decide(now, req.id, Decision::Forward(forward));
    assert!(sent(&mut p).iter().all(|(f, _)| f.remote != addr(UAS1)));
}

#[test]
fn hard_rejections_never_reach_the_role() {
    let mut p = proxy(Mode::Application);
    let now = Instant::now();
    p.handle_message(now, invite(0), udp_from(UAC));
    let out = sent(&mut p);
    assert_eq!(out[0].1.status(), Some(StatusCode::TOO_MANY_HOPS));
    assert!(p.poll_app_event().is_none());
}

#[test]
fn originated_request_reports_its_final_response() {
    let mut p = proxy(Mode::Application);
    let now = Instant::now();
    let notify =
        sip_types::RequestBuilder::new(sip_types::Method::NOTIFY, "sip:alice@127.0.0.1:5090")
            .header("Max-Forwards", "70")
            .header("From", "<sip:alice@ims.test>;tag=s1")
            .header("To", "<sip:alice@127.0.0.1:5090>;tag=u1")
            .header("Call-ID", "sub-1")
            .header("CSeq", "2 NOTIFY")
            .header("Event", "reg")
            .header("Subscription-State", "active;expires=600")
            .build();
    let id = p.originate(now, notify, target(UAS1)).unwrap();
    let out = sent(&mut p);
    assert_eq!(out.len(), 1);
    let (flow, sent_notify) = &out[0];
    assert_eq!(flow.remote, addr(UAS1));
    assert_eq!(sent_notify.header_values(HeaderName::VIA).count(), 1);
    p.handle_message(now, answer(sent_notify, 200, "u1", ""), udp_from(UAS1));
    match p.poll_app_event() {
        Some(AppEvent::Originated {
            id: got, status, ..
        }) => {
            assert_eq!(got, id);
            assert_eq!(status, StatusCode::OK);
        }
        other => panic!("expected the outcome, got {other:?}"),
    }
    // An unanswered one times out (Timer F) and is reported as 408.
    let bye = sip_types::RequestBuilder::new(sip_types::Method::BYE, "sip:bob@127.0.0.1:5092")
        .header("Max-Forwards", "70")
        .header("From", "<sip:alice@ims.test>;tag=s1")
        .header("To", "<sip:bob@ims.test>;tag=u1")
        .header("Call-ID", "call-9")
        .header("CSeq", "3 BYE")
        .build();
    p.originate(now, bye, target(UAS2)).unwrap();
    let mut t = now;
    for _ in 0..100 {
        t += Duration::from_secs(1);
        p.handle_timeout(t);
        let _ = sent(&mut p);
    }
    assert!(matches!(
        p.poll_app_event(),
        Some(AppEvent::Originated {
            status: StatusCode::REQUEST_TIMEOUT,
            response: None,
            ..
        })
    ));
}

#[test]
fn parallel_fork_sends_every_branch_and_cancels_the_rest_on_2xx() {
    let mut p = proxy(Mode::Application);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let _ = sent(&mut p);
    let req = request_event(&mut p);
    let branch = |uri: &str, to: &str| {
        let mut edits = req.plan.edits.clone();
        edits.replace_request_uri(&req.request, uri);
        ForkBranch::new(edits, target(to))
    };
    let fork = Fork {
        branches: vec![
            branch("sip:bob@127.0.0.1:5090", UAS1),
            branch("sip:bob@127.0.0.1:5092", UAS2),
        ],
        record_route: true,
        observe: true,
        strip_from_responses: Vec::new(),
    };
    p.decide(now, req.id, Decision::Fork(fork));
    let out = sent(&mut p);
    assert_eq!(out.len(), 2, "both branches at once");
    let first = out
        .iter()
        .find(|(f, _)| f.remote == addr(UAS1))
        .unwrap()
        .1
        .clone();
    let second = out
        .iter()
        .find(|(f, _)| f.remote == addr(UAS2))
        .unwrap()
        .1
        .clone();
    assert_eq!(first.request_uri(), Some("sip:bob@127.0.0.1:5090"));
    assert_eq!(second.request_uri(), Some("sip:bob@127.0.0.1:5092"));
    assert_ne!(
        first.top_via().unwrap().branch(),
        second.top_via().unwrap().branch()
    );
    // The first rings, the second answers: 200 upstream, CANCEL to the first.
    p.handle_message(now, answer(&first, 180, "u1", ""), udp_from(UAS1));
    let _ = sent(&mut p);
    p.handle_message(now, answer(&second, 200, "u2", ""), udp_from(UAS2));
    let out = sent(&mut p);
    assert!(out
        .iter()
        .any(|(f, m)| f.remote == addr(UAC) && m.status() == Some(StatusCode::OK)));
    assert!(out
        .iter()
        .any(|(f, m)| f.remote == addr(UAS1) && m.method() == Some(&sip_types::Method::CANCEL)));
    assert!(matches!(
        p.poll_app_event(),
        Some(AppEvent::Final {
            status: StatusCode::OK,
            ..
        })
    ));
}

#[test]
fn parallel_fork_picks_the_best_failure() {
    let mut p = proxy(Mode::Application);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let _ = sent(&mut p);
    let req = request_event(&mut p);
    let fork = Fork {
        branches: vec![
            ForkBranch::new(req.plan.edits.clone(), target(UAS1)),
            ForkBranch::new(req.plan.edits.clone(), target(UAS2)),
        ],
        record_route: false,
        observe: false,
        strip_from_responses: Vec::new(),
    };
    p.decide(now, req.id, Decision::Fork(fork));
    let out = sent(&mut p);
    let first = out
        .iter()
        .find(|(f, _)| f.remote == addr(UAS1))
        .unwrap()
        .1
        .clone();
    let second = out
        .iter()
        .find(|(f, _)| f.remote == addr(UAS2))
        .unwrap()
        .1
        .clone();
    p.handle_message(now, answer(&first, 486, "u1", ""), udp_from(UAS1));
    assert!(sent(&mut p)
        .iter()
        .all(|(f, m)| f.remote != addr(UAC) || m.status().is_none_or(|s| !s.is_final())));
    p.handle_message(now, answer(&second, 404, "u2", ""), udp_from(UAS2));
    let out = sent(&mut p);
    let upstream = out
        .iter()
        .find(|(f, m)| f.remote == addr(UAC) && m.status().is_some_and(|s| s.is_final()))
        .unwrap();
    // §16.7 step 6: the lowest class wins among 4xx; the first of a class.
    assert_eq!(upstream.1.status(), Some(StatusCode(486)));
}
