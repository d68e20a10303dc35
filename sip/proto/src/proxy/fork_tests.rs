//! Serial groups of a fork (RFC 3261 §16.6 step 1, §16.7) and branches given up on
//! ([`Forward::give_up_after`]), on a virtual clock.

use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_types::{Message, Method, StatusCode};

use super::app_tests::{request_event, target};
use super::tests::{addr, answer, invite, proxy, sent, udp_from, UAC, UAS1, UAS2};
use super::*;
use crate::flow::Flow;

const UAS3: &str = "127.0.0.1:5094";

/// The request sent to `to` among `out`, if any (ACKs and CANCELs left out).
fn request_to(out: &[(Flow, Message)], to: &str) -> Option<Message> {
    out.iter()
        .find(|(f, m)| {
            f.remote == addr(to)
                && m.is_request()
                && m.method() != Some(&Method::ACK)
                && m.method() != Some(&Method::CANCEL)
        })
        .map(|(_, m)| m.clone())
}

/// The final statuses sent upstream among `out`.
fn finals_upstream(out: &[(Flow, Message)]) -> Vec<u16> {
    out.iter()
        .filter(|(f, _)| f.remote == addr(UAC))
        .filter_map(|(_, m)| m.status())
        .filter(|s| s.is_final())
        .map(|s| s.0)
        .collect()
}

fn cancel_sent_to(out: &[(Flow, Message)], to: &str) -> bool {
    out.iter()
        .any(|(f, m)| f.remote == addr(to) && m.method() == Some(&Method::CANCEL))
}

/// An INVITE decided as a fork of `(target, group)` branches; returns the proxy, the time and
/// what the decision sent.
fn forked(branches: &[(&str, u32)]) -> (Proxy, Instant, Vec<(Flow, Message)>) {
    let mut p = proxy(Mode::Application);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let _ = sent(&mut p);
    let req = request_event(&mut p);
    let branches = branches
        .iter()
        .map(|(to, group)| {
            let mut edits = req.plan.edits.clone();
            edits.replace_request_uri(&req.request, &format!("sip:bob@{to}"));
            ForkBranch {
                edits,
                target: target(to),
                group: *group,
            }
        })
        .collect();
    let fork = Fork {
        branches,
        record_route: true,
        observe: false,
        strip_from_responses: Vec::new(),
    };
    p.decide(now, req.id, Decision::Fork(fork));
    let out = sent(&mut p);
    (p, now, out)
}

#[test]
fn groups_go_in_series_equal_groups_in_parallel() {
    // Given out of order: the lower group goes first whatever the role's order.
    let (mut p, now, out) = forked(&[(UAS3, 1), (UAS1, 0), (UAS2, 0)]);
    let first = request_to(&out, UAS1).expect("group 0 at once");
    let second = request_to(&out, UAS2).expect("group 0 in parallel");
    assert!(request_to(&out, UAS3).is_none(), "group 1 waits");
    assert_eq!(first.request_uri(), Some("sip:bob@127.0.0.1:5090"));

    p.handle_message(now, answer(&first, 486, "u1", ""), udp_from(UAS1));
    let out = sent(&mut p);
    assert!(finals_upstream(&out).is_empty());
    assert!(
        request_to(&out, UAS3).is_none(),
        "a branch of group 0 is left"
    );

    p.handle_message(now, answer(&second, 480, "u2", ""), udp_from(UAS2));
    let out = sent(&mut p);
    assert!(finals_upstream(&out).is_empty());
    let third = request_to(&out, UAS3).expect("group 1 after group 0 failed");
    assert_eq!(third.request_uri(), Some("sip:bob@127.0.0.1:5094"));

    p.handle_message(now, answer(&third, 200, "u3", ""), udp_from(UAS3));
    assert_eq!(finals_upstream(&sent(&mut p)), vec![200]);
    assert_eq!(p.context_count(), 0);
}

#[test]
fn the_best_response_of_every_group_wins() {
    let (mut p, now, out) = forked(&[(UAS1, 0), (UAS2, 7)]);
    let first = request_to(&out, UAS1).unwrap();
    p.handle_message(now, answer(&first, 486, "u1", ""), udp_from(UAS1));
    let out = sent(&mut p);
    let second = request_to(&out, UAS2).expect("next group");
    p.handle_message(now, answer(&second, 503, "u2", ""), udp_from(UAS2));
    // §16.7 step 6: 486 (group 0) beats 503 (group 1).
    assert_eq!(finals_upstream(&sent(&mut p)), vec![486]);
}

#[test]
fn a_6xx_cancels_the_group_and_ends_the_search() {
    let (mut p, now, out) = forked(&[(UAS1, 0), (UAS2, 0), (UAS3, 1)]);
    let first = request_to(&out, UAS1).unwrap();
    let second = request_to(&out, UAS2).unwrap();
    p.handle_message(now, answer(&first, 180, "u1", ""), udp_from(UAS1));
    let _ = sent(&mut p);
    p.handle_message(now, answer(&second, 603, "u2", ""), udp_from(UAS2));
    let out = sent(&mut p);
    assert!(cancel_sent_to(&out, UAS1));
    assert!(
        finals_upstream(&out).is_empty(),
        "waits for the cancelled branch"
    );
    p.handle_message(now, answer(&first, 487, "u1", ""), udp_from(UAS1));
    let out = sent(&mut p);
    assert!(request_to(&out, UAS3).is_none(), "no group after a 6xx");
    assert_eq!(finals_upstream(&out), vec![603]);
}

#[test]
fn cancel_from_upstream_stops_further_groups() {
    let (mut p, now, out) = forked(&[(UAS1, 0), (UAS2, 1)]);
    let first = request_to(&out, UAS1).unwrap();
    p.handle_message(now, answer(&first, 180, "u1", ""), udp_from(UAS1));
    let _ = sent(&mut p);
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
    let out = sent(&mut p);
    assert!(cancel_sent_to(&out, UAS1));
    p.handle_message(now, answer(&first, 487, "u1", ""), udp_from(UAS1));
    let out = sent(&mut p);
    assert!(request_to(&out, UAS2).is_none(), "no group after CANCEL");
    assert_eq!(finals_upstream(&out), vec![487]);
}

#[test]
fn a_silent_group_times_out_then_the_next_goes() {
    let (mut p, start, out) = forked(&[(UAS1, 0), (UAS2, 1)]);
    assert!(request_to(&out, UAS1).is_some());
    let mut now = start;
    let mut second = None;
    // Timer B (64·T1 = 32 s) ends the silent branch; bounded loop of 100 s.
    for _ in 0..200 {
        now += Duration::from_millis(500);
        p.handle_timeout(now);
        if let Some(m) = request_to(&sent(&mut p), UAS2) {
            second = Some(m);
            break;
        }
    }
    let second = second.expect("group 1 after the timeout of group 0");
    assert!(now - start >= Duration::from_secs(32));
    p.handle_message(now, answer(&second, 404, "u2", ""), udp_from(UAS2));
    // The 408 of the silent branch is the best (§16.7: lowest class, the first of it).
    assert_eq!(finals_upstream(&sent(&mut p)), vec![408]);
}

/// An INVITE forwarded to `targets` with give-up timers; returns what the decision sent.
fn forwarded(
    targets: &[&str],
    give_up_after: Vec<Option<Duration>>,
    observe: bool,
) -> (Proxy, Instant, Vec<(Flow, Message)>) {
    let mut p = proxy(Mode::Application);
    let now = Instant::now();
    p.handle_message(now, invite(70), udp_from(UAC));
    let _ = sent(&mut p);
    let req = request_event(&mut p);
    let mut forward = Forward::from_plan(req.plan);
    forward.targets = targets.iter().map(|t| target(t)).collect();
    forward.give_up_after = give_up_after;
    forward.observe = observe;
    p.decide(now, req.id, Decision::Forward(forward));
    let out = sent(&mut p);
    (p, now, out)
}

#[test]
fn a_silent_target_is_given_up_after_its_timer() {
    let after = Duration::from_millis(300);
    let (mut p, start, out) = forwarded(&[UAS1, UAS2], vec![Some(after), None], false);
    let first = request_to(&out, UAS1).unwrap();
    assert!(p.poll_timeout().is_some_and(|t| t <= start + after));
    p.handle_timeout(start + Duration::from_millis(299));
    assert!(request_to(&sent(&mut p), UAS2).is_none(), "not yet");
    p.handle_timeout(start + after);
    let out = sent(&mut p);
    let second = request_to(&out, UAS2).expect("failover after the give-up timer");
    assert!(finals_upstream(&out).is_empty());
    // The first wakes up: its 180 is not passed on and it is cancelled (§9.1).
    let now = start + Duration::from_millis(400);
    p.handle_message(now, answer(&first, 180, "u1", ""), udp_from(UAS1));
    let out = sent(&mut p);
    assert!(cancel_sent_to(&out, UAS1));
    assert!(out.iter().all(|(f, _)| f.remote != addr(UAC)));
    // Its final is ignored; the second's answer goes up.
    p.handle_message(now, answer(&first, 487, "u1", ""), udp_from(UAS1));
    assert!(finals_upstream(&sent(&mut p)).is_empty());
    p.handle_message(now, answer(&second, 200, "u2", ""), udp_from(UAS2));
    assert_eq!(finals_upstream(&sent(&mut p)), vec![200]);
}

#[test]
fn a_provisional_disarms_the_give_up_timer_of_an_invite() {
    let after = Duration::from_millis(300);
    let (mut p, start, out) = forwarded(&[UAS1, UAS2], vec![Some(after), None], false);
    let first = request_to(&out, UAS1).unwrap();
    p.handle_message(start, answer(&first, 100, "", ""), udp_from(UAS1));
    let _ = sent(&mut p);
    p.handle_timeout(start + Duration::from_secs(5));
    let out = sent(&mut p);
    assert!(request_to(&out, UAS2).is_none(), "alive: not given up");
    // A 486 is an answer, not a failure to fail over on.
    p.handle_message(start, answer(&first, 486, "u1", ""), udp_from(UAS1));
    assert_eq!(finals_upstream(&sent(&mut p)), vec![486]);
}

#[test]
fn the_last_target_given_up_answers_408_and_reports_it() {
    let after = Duration::from_millis(300);
    let (mut p, start, out) = forwarded(&[UAS1], vec![Some(after)], true);
    let first = request_to(&out, UAS1).unwrap();
    p.handle_timeout(start + after);
    let out = sent(&mut p);
    let up: Vec<_> = out
        .iter()
        .filter(|(f, m)| f.remote == addr(UAC) && m.status().is_some_and(|s| s.is_final()))
        .collect();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].1.status(), Some(StatusCode::REQUEST_TIMEOUT));
    match p.poll_app_event() {
        Some(AppEvent::Final {
            status, response, ..
        }) => {
            assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
            assert!(response.is_none());
        }
        other => panic!("expected the 408 final, got {other:?}"),
    }
    assert_eq!(p.context_count(), 0);
    // The context is gone, but the given-up branch is still cancelled when it wakes up (§9.1)
    // and nothing more goes upstream.
    let now = start + Duration::from_secs(1);
    p.handle_message(now, answer(&first, 180, "u1", ""), udp_from(UAS1));
    let out = sent(&mut p);
    assert!(cancel_sent_to(&out, UAS1));
    assert!(out.iter().all(|(f, _)| f.remote != addr(UAC)));
    p.handle_message(now, answer(&first, 180, "u1", ""), udp_from(UAS1));
    assert!(!cancel_sent_to(&sent(&mut p), UAS1), "one CANCEL");
}

#[test]
fn a_non_invite_is_given_up_without_a_final_even_after_a_provisional() {
    let mut p = proxy(Mode::Application);
    let start = Instant::now();
    let message = Bytes::from_static(
        b"MESSAGE sip:bob@127.0.0.1:5060 SIP/2.0\r\n\
          Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-m1;rport\r\n\
          Max-Forwards: 70\r\n\
          From: <sip:alice@127.0.0.1:5070>;tag=a1\r\n\
          To: <sip:bob@127.0.0.1:5060>\r\n\
          Call-ID: msg-1@127.0.0.1\r\n\
          CSeq: 1 MESSAGE\r\n\
          Content-Length: 0\r\n\r\n",
    );
    p.handle_message(start, message, udp_from(UAC));
    let req = request_event(&mut p);
    let mut forward = Forward::from_plan(req.plan);
    forward.targets = vec![target(UAS1), target(UAS2)];
    forward.give_up_after = vec![Some(Duration::from_millis(300))];
    p.decide(start, req.id, Decision::Forward(forward));
    let first = request_to(&sent(&mut p), UAS1).unwrap();
    p.handle_message(start, answer(&first, 100, "", ""), udp_from(UAS1));
    let _ = sent(&mut p);
    p.handle_timeout(start + Duration::from_millis(300));
    let out = sent(&mut p);
    let second = request_to(&out, UAS2).expect("given up: no final within the timer");
    assert!(!cancel_sent_to(&out, UAS1), "no CANCEL for a non-INVITE");
    // The given-up request is not sent again (Timer E stopped); the new branch's is.
    p.handle_timeout(start + Duration::from_secs(3));
    let out = sent(&mut p);
    assert!(
        request_to(&out, UAS1).is_none(),
        "no retransmission to a given-up AS"
    );
    assert!(
        request_to(&out, UAS2).is_some(),
        "the live branch retransmits"
    );
    // A late final of the given-up branch is ignored; the second's goes up.
    p.handle_message(start, answer(&first, 200, "u1", ""), udp_from(UAS1));
    assert!(finals_upstream(&sent(&mut p)).is_empty());
    p.handle_message(start, answer(&second, 202, "u2", ""), udp_from(UAS2));
    assert_eq!(finals_upstream(&sent(&mut p)), vec![202]);
}

#[test]
fn timer_c_cancels_a_branch_that_rings_too_long_and_answers_408() {
    let c = TimerConfig::default().timer_c();
    let (mut p, start, out) = forwarded(&[UAS1], vec![None], false);
    let first = request_to(&out, UAS1).unwrap();
    // A 180 one second in pushes Timer C back (§16.7 step 2); a 100 would not.
    let ringing = start + Duration::from_secs(1);
    p.handle_message(ringing, answer(&first, 180, "u1", ""), udp_from(UAS1));
    let _ = sent(&mut p);
    p.handle_timeout(start + c);
    let out = sent(&mut p);
    assert!(!cancel_sent_to(&out, UAS1) && finals_upstream(&out).is_empty());
    assert!(p.poll_timeout().is_some_and(|t| t <= ringing + c));
    p.handle_timeout(ringing + c);
    let out = sent(&mut p);
    assert!(
        cancel_sent_to(&out, UAS1),
        "§16.8: Timer C cancels a ringing branch"
    );
    assert_eq!(finals_upstream(&out), vec![408]);
    assert_eq!(p.context_count(), 0);
    // The callee answers neither the CANCEL nor the INVITE: 64·T1 later the INVITE client
    // transaction is destroyed (§9.1), not kept for ever.
    let later = ringing + c + Duration::from_secs(20);
    p.handle_timeout(later);
    let _ = sent(&mut p);
    assert!(
        p.transactions.client_count() >= 1,
        "still waiting for the 487"
    );
    p.handle_timeout(ringing + c + TimerConfig::default().t1_x64());
    assert!(
        finals_upstream(&sent(&mut p)).iter().all(|s| *s == 408),
        "only the 408's retransmissions (Timer G: the test caller never ACKs)"
    );
    assert_eq!(p.transactions.client_count(), 0);
}

#[test]
fn a_cancelled_branch_without_a_487_ends_after_64_t1() {
    let mut p = proxy(Mode::Stateful);
    let start = Instant::now();
    p.handle_message(start, invite(70), udp_from(UAC));
    let fwd = request_to(&sent(&mut p), UAS1).expect("forwarded");
    p.handle_message(start, answer(&fwd, 180, "b1", ""), udp_from(UAS1));
    let _ = sent(&mut p);
    p.handle_message(start, tests::cancel(), udp_from(UAC));
    assert!(cancel_sent_to(&sent(&mut p), UAS1));
    p.handle_timeout(start + Duration::from_secs(31));
    assert!(
        finals_upstream(&sent(&mut p)).is_empty(),
        "waits for the 487"
    );
    p.handle_timeout(start + TimerConfig::default().t1_x64());
    assert_eq!(finals_upstream(&sent(&mut p)), vec![408]);
    assert_eq!(p.context_count(), 0);
    assert_eq!(p.transactions.client_count(), 0);
    // A 487 that turns up after all is not a second final for the caller's transaction.
    let later = start + Duration::from_secs(40);
    p.handle_message(later, answer(&fwd, 487, "b1", ""), udp_from(UAS1));
    let _ = sent(&mut p);
    assert_eq!(p.context_count(), 0);
}

#[test]
fn a_branch_answered_in_time_leaves_no_timer_c_behind() {
    let c = TimerConfig::default().timer_c();
    let (mut p, start, out) = forwarded(&[UAS1], vec![None], false);
    let first = request_to(&out, UAS1).unwrap();
    p.handle_message(start, answer(&first, 180, "u1", ""), udp_from(UAS1));
    p.handle_message(start, answer(&first, 200, "u1", ""), udp_from(UAS1));
    assert_eq!(finals_upstream(&sent(&mut p)), vec![200]);
    p.handle_timeout(start + c + Duration::from_secs(1));
    let out = sent(&mut p);
    assert!(!cancel_sent_to(&out, UAS1) && finals_upstream(&out).is_empty());
    assert!(p.give_ups.is_empty() && p.cancelled.is_empty());
}
