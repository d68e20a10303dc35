//! Machine and layer tests on a virtual clock, with literal SIP messages.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_types::Message;

use super::*;
use crate::flow::{ConnectionId, Flow, Transport};

const T0_OFFSET: Duration = Duration::from_secs(1000);

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

fn udp() -> Flow {
    Flow {
        transport: Transport::Udp,
        remote: addr("192.0.2.1:5060"),
        local: addr("192.0.2.2:5060"),
        connection: None,
    }
}

fn tcp() -> Flow {
    Flow {
        transport: Transport::Tcp,
        remote: addr("192.0.2.1:5060"),
        local: addr("192.0.2.2:5060"),
        connection: Some(ConnectionId(9)),
    }
}

fn parse(text: &str) -> Message {
    let msg = Message::parse(Bytes::copy_from_slice(text.as_bytes())).expect("test message");
    msg.validate().expect("valid test message");
    msg
}

/// A request; `via_params` is what follows the sent-by (`;branch=z9hG4bK1`, or empty for an
/// RFC 2543 peer).
fn request(method: &str, via_params: &str, cseq: u32, to_tag: &str) -> Message {
    parse(&format!(
        "{method} sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060{via_params}\r\n\
Max-Forwards: 70\r\n\
Route: <sip:p1.example.com;lr>\r\n\
Route: <sip:p2.example.com;lr>\r\n\
From: <sip:alice@example.com>;tag=a1\r\n\
To: <sip:bob@example.com>{to_tag}\r\n\
Call-ID: c1@192.0.2.1\r\n\
CSeq: {cseq} {method}\r\n\
Content-Length: 0\r\n\r\n"
    ))
}

fn invite(branch: &str) -> Message {
    request("INVITE", &format!(";branch={branch}"), 1, "")
}

fn response(code: u16, method: &str, branch: &str) -> Message {
    parse(&format!(
        "SIP/2.0 {code} Whatever\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch={branch}\r\n\
From: <sip:alice@example.com>;tag=a1\r\n\
To: <sip:bob@example.com>;tag=b1\r\n\
Call-ID: c1@192.0.2.1\r\n\
CSeq: 1 {method}\r\n\
Content-Length: 0\r\n\r\n"
    ))
}

/// A layer on a virtual clock that records when each transmit left.
struct Clock {
    layer: TransactionLayer,
    t0: Instant,
    now: Instant,
    sent: Vec<(Duration, Transmit)>,
    events: Vec<TransactionEvent>,
}

impl Clock {
    fn new() -> Self {
        // Any fixed point works; the layer never reads the clock itself.
        let t0 = Instant::now() + T0_OFFSET;
        Self {
            layer: TransactionLayer::new(TimerConfig::default()),
            t0,
            now: t0,
            sent: Vec::new(),
            events: Vec::new(),
        }
    }

    fn drain(&mut self) {
        while let Some(t) = self.layer.poll_transmit() {
            self.sent.push((self.now - self.t0, t));
        }
        while let Some(e) = self.layer.poll_event() {
            self.events.push(e);
        }
    }

    /// Fire every timer up to `t0 + at`, stepping through each deadline.
    fn run_until(&mut self, at: Duration) {
        let end = self.t0 + at;
        while let Some(d) = self.layer.poll_timeout() {
            if d > end {
                break;
            }
            self.now = self.now.max(d);
            self.layer.handle_timeout(self.now);
            self.drain();
        }
        self.now = end;
    }

    fn receive(&mut self, msg: Message, flow: Flow) {
        self.layer.handle_message(self.now, msg, flow);
        self.drain();
    }

    fn send_request(&mut self, msg: Message, flow: Flow) -> Option<ClientTransactionId> {
        let id = self.layer.send_request(self.now, msg, flow);
        self.drain();
        id
    }

    fn respond(&mut self, id: ServerTransactionId, msg: Message) -> bool {
        let ok = self.layer.send_response(self.now, id, msg);
        self.drain();
        ok
    }

    fn times(&self) -> Vec<f64> {
        self.sent.iter().map(|(t, _)| t.as_secs_f64()).collect()
    }

    fn take_events(&mut self) -> Vec<TransactionEvent> {
        std::mem::take(&mut self.events)
    }

    fn server_id(&self) -> ServerTransactionId {
        self.events
            .iter()
            .find_map(|e| match e {
                TransactionEvent::Request { id, .. } => Some(*id),
                _ => None,
            })
            .expect("a Request event")
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn statuses(events: &[TransactionEvent]) -> Vec<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            TransactionEvent::Response { response, .. } => response.status().map(|s| s.0),
            _ => None,
        })
        .collect()
}

#[test]
fn timer_a_doubles_until_timer_b() {
    let mut c = Clock::new();
    let id = c.send_request(invite("z9hG4bKa"), udp()).expect("id");
    c.run_until(secs(31.9));
    assert_eq!(c.times(), vec![0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]);
    assert!(c.events.is_empty());
    c.run_until(secs(32.0));
    assert!(matches!(c.events.as_slice(), [TransactionEvent::Timeout { id: t }] if *t == id));
    assert_eq!(c.layer.client_count(), 0);
}

#[test]
fn reliable_invite_client_never_retransmits() {
    let mut c = Clock::new();
    c.send_request(invite("z9hG4bKa"), tcp());
    c.run_until(secs(31.9));
    assert_eq!(c.times(), vec![0.0]);
    c.run_until(secs(32.0));
    assert!(matches!(
        c.events.as_slice(),
        [TransactionEvent::Timeout { .. }]
    ));
}

#[test]
fn provisional_stops_timers_a_and_b() {
    let mut c = Clock::new();
    let id = c.send_request(invite("z9hG4bKa"), udp()).expect("id");
    c.run_until(secs(0.7));
    c.receive(response(180, "INVITE", "z9hG4bKa"), udp());
    assert_eq!(
        c.layer.client_state(id),
        Some(ClientState::Invite(ClientInviteState::Proceeding))
    );
    c.run_until(secs(100.0));
    assert_eq!(c.times(), vec![0.0, 0.5]);
    assert_eq!(statuses(&c.events), vec![180]);
    assert_eq!(
        c.layer.client_count(),
        1,
        "Proceeding waits for the TU's Timer C"
    );
}

#[test]
fn non_2xx_final_is_acked_and_absorbed_until_timer_d() {
    let mut c = Clock::new();
    let id = c.send_request(invite("z9hG4bKa"), udp()).expect("id");
    c.receive(response(486, "INVITE", "z9hG4bKa"), udp());
    c.receive(response(486, "INVITE", "z9hG4bKa"), udp());
    assert_eq!(statuses(&c.events), vec![486], "retransmission absorbed");
    assert_eq!(c.sent.len(), 3, "INVITE, ACK, ACK again");
    let ack = String::from_utf8_lossy(&c.sent[1].1.bytes).into_owned();
    assert!(
        ack.starts_with("ACK sip:bob@example.com SIP/2.0\r\n"),
        "{ack}"
    );
    assert!(ack.contains("branch=z9hG4bKa"), "{ack}");
    assert!(ack.contains(";tag=b1"), "To from the response: {ack}");
    assert!(ack.contains("CSeq: 1 ACK"), "{ack}");
    assert!(ack.contains("Route: <sip:p1.example.com;lr>\r\nRoute: <sip:p2.example.com;lr>"));
    let parsed = parse(&ack);
    assert_eq!(parsed.call_id().ok(), Some("c1@192.0.2.1"));
    assert_eq!(
        c.layer.client_state(id),
        Some(ClientState::Invite(ClientInviteState::Completed))
    );
    c.run_until(secs(31.9));
    assert_eq!(c.layer.client_count(), 1);
    c.run_until(secs(32.0));
    assert_eq!(c.layer.client_count(), 0, "Timer D");
    assert_eq!(c.sent.len(), 3, "no retransmission in Completed");
}

#[test]
fn reliable_non_2xx_final_terminates_at_once() {
    let mut c = Clock::new();
    c.send_request(invite("z9hG4bKa"), tcp());
    c.receive(response(603, "INVITE", "z9hG4bKa"), tcp());
    assert_eq!(c.layer.client_count(), 0, "Timer D is zero on TCP");
    assert_eq!(c.sent.len(), 2);
}

#[test]
fn every_2xx_passes_up_in_accepted_until_timer_m() {
    let mut c = Clock::new();
    let id = c.send_request(invite("z9hG4bKa"), udp()).expect("id");
    c.receive(response(200, "INVITE", "z9hG4bKa"), udp());
    c.receive(response(200, "INVITE", "z9hG4bKa"), udp());
    c.receive(response(180, "INVITE", "z9hG4bKa"), udp());
    assert_eq!(statuses(&c.events), vec![200, 200]);
    assert_eq!(c.sent.len(), 1, "the TU ACKs a 2xx, not the transaction");
    assert_eq!(
        c.layer.client_state(id),
        Some(ClientState::Invite(ClientInviteState::Accepted))
    );
    c.run_until(secs(31.9));
    assert_eq!(c.layer.client_count(), 1);
    c.run_until(secs(32.0));
    assert_eq!(c.layer.client_count(), 0, "Timer M");
    c.receive(response(200, "INVITE", "z9hG4bKa"), udp());
    assert!(matches!(
        c.events.last(),
        Some(TransactionEvent::StrayResponse { .. })
    ));
}

#[test]
fn timer_e_caps_at_t2_until_timer_f() {
    let mut c = Clock::new();
    let id = c
        .send_request(request("OPTIONS", ";branch=z9hG4bKo", 1, ""), udp())
        .expect("id");
    c.run_until(secs(31.9));
    assert_eq!(
        c.times(),
        vec![0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    );
    c.run_until(secs(32.0));
    assert!(matches!(c.events.as_slice(), [TransactionEvent::Timeout { id: t }] if *t == id));
}

#[test]
fn timer_e_is_t2_in_proceeding_then_k_after_final() {
    let mut c = Clock::new();
    let id = c
        .send_request(request("OPTIONS", ";branch=z9hG4bKo", 1, ""), udp())
        .expect("id");
    c.run_until(secs(0.7));
    c.receive(response(100, "OPTIONS", "z9hG4bKo"), udp());
    c.run_until(secs(10.0));
    assert_eq!(c.times(), vec![0.0, 0.5, 1.5, 5.5, 9.5]);
    c.receive(response(200, "OPTIONS", "z9hG4bKo"), udp());
    c.receive(response(200, "OPTIONS", "z9hG4bKo"), udp());
    assert_eq!(statuses(&c.events), vec![100, 200]);
    assert_eq!(
        c.layer.client_state(id),
        Some(ClientState::NonInvite(ClientNonInviteState::Completed))
    );
    c.run_until(secs(14.9));
    assert_eq!(c.layer.client_count(), 1);
    c.run_until(secs(15.0));
    assert_eq!(c.layer.client_count(), 0, "Timer K = T4");
    assert_eq!(c.sent.len(), 5);
}

#[test]
fn reliable_non_invite_client_has_no_e_and_no_k() {
    let mut c = Clock::new();
    c.send_request(request("MESSAGE", ";branch=z9hG4bKm", 1, ""), tcp());
    c.run_until(secs(10.0));
    assert_eq!(c.times(), vec![0.0]);
    c.receive(response(202, "MESSAGE", "z9hG4bKm"), tcp());
    assert_eq!(c.layer.client_count(), 0);
}

#[test]
fn server_invite_resends_last_response_and_timer_g_caps_at_t2_until_h() {
    let mut c = Clock::new();
    c.receive(invite("z9hG4bKs"), udp());
    let id = c.server_id();
    c.receive(invite("z9hG4bKs"), udp());
    assert!(c.sent.is_empty(), "nothing to resend yet");
    assert!(c.respond(id, response(100, "INVITE", "z9hG4bKs")));
    c.receive(invite("z9hG4bKs"), udp());
    assert_eq!(c.sent.len(), 2, "100 resent on retransmission");
    assert!(c.respond(id, response(486, "INVITE", "z9hG4bKs")));
    assert!(
        !c.respond(id, response(500, "INVITE", "z9hG4bKs")),
        "one final"
    );
    c.receive(invite("z9hG4bKs"), udp());
    assert_eq!(c.sent.len(), 4, "486 resent on retransmission");
    let requests = c
        .events
        .iter()
        .filter(|e| matches!(e, TransactionEvent::Request { .. }))
        .count();
    assert_eq!(requests, 1, "retransmissions absorbed");
    c.sent.clear();
    c.run_until(secs(31.9));
    assert_eq!(
        c.times(),
        vec![0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    );
    c.run_until(secs(32.0));
    assert!(matches!(
        c.events.last(),
        Some(TransactionEvent::ServerTerminated { id: t }) if *t == id
    ));
    assert_eq!(c.layer.server_count(), 0, "Timer H");
}

#[test]
fn ack_confirms_and_is_absorbed_until_timer_i() {
    let mut c = Clock::new();
    c.receive(invite("z9hG4bKs"), udp());
    let id = c.server_id();
    c.respond(id, response(404, "INVITE", "z9hG4bKs"));
    c.run_until(secs(1.0));
    let ack = request("ACK", ";branch=z9hG4bKs", 1, ";tag=b1");
    c.receive(ack.clone(), udp());
    c.receive(ack, udp());
    assert_eq!(
        c.layer.server_state(id),
        Some(ServerState::Invite(ServerInviteState::Confirmed))
    );
    assert!(
        !c.events
            .iter()
            .any(|e| matches!(e, TransactionEvent::Ack { .. })),
        "an ACK for a non-2xx stays in the transaction"
    );
    c.run_until(secs(5.9));
    assert_eq!(c.times(), vec![0.0, 0.5], "G stopped by the ACK");
    c.run_until(secs(6.0));
    assert_eq!(c.layer.server_count(), 0, "Timer I = T4 after the ACK");
}

#[test]
fn reliable_server_invite_has_no_g_and_zero_i() {
    let mut c = Clock::new();
    c.receive(invite("z9hG4bKs"), tcp());
    let id = c.server_id();
    c.respond(id, response(404, "INVITE", "z9hG4bKs"));
    c.run_until(secs(10.0));
    assert_eq!(c.sent.len(), 1);
    c.receive(request("ACK", ";branch=z9hG4bKs", 1, ";tag=b1"), tcp());
    assert_eq!(c.layer.server_count(), 0);
}

#[test]
fn accepted_passes_acks_and_2xx_retransmissions_until_timer_l() {
    let mut c = Clock::new();
    c.receive(invite("z9hG4bKs"), udp());
    let id = c.server_id();
    assert!(c.respond(id, response(200, "INVITE", "z9hG4bKs")));
    c.receive(invite("z9hG4bKs"), udp());
    assert_eq!(
        c.sent.len(),
        1,
        "INVITE retransmission absorbed in Accepted"
    );
    assert!(c.respond(id, response(200, "INVITE", "z9hG4bKs")));
    assert!(!c.respond(id, response(486, "INVITE", "z9hG4bKs")));
    assert_eq!(c.sent.len(), 2, "the TU's 2xx retransmission goes out");
    // The ACK for a 2xx is a new transaction (new branch): for the TU.
    c.receive(request("ACK", ";branch=z9hG4bKnew", 1, ";tag=b1"), udp());
    assert!(matches!(
        c.events.last(),
        Some(TransactionEvent::Ack { .. })
    ));
    assert_eq!(
        c.layer.server_state(id),
        Some(ServerState::Invite(ServerInviteState::Accepted))
    );
    c.run_until(secs(31.9));
    assert_eq!(c.layer.server_count(), 1);
    c.run_until(secs(32.0));
    assert_eq!(c.layer.server_count(), 0, "Timer L");
}

#[test]
fn non_invite_server_timer_j_and_retransmissions() {
    let mut c = Clock::new();
    let reg = request("REGISTER", ";branch=z9hG4bKr", 1, "");
    c.receive(reg.clone(), udp());
    let id = c.server_id();
    c.receive(reg.clone(), udp());
    assert!(c.sent.is_empty(), "Trying absorbs silently");
    c.respond(id, response(100, "REGISTER", "z9hG4bKr"));
    c.receive(reg.clone(), udp());
    assert_eq!(c.sent.len(), 2);
    c.respond(id, response(200, "REGISTER", "z9hG4bKr"));
    c.receive(reg.clone(), udp());
    assert_eq!(c.sent.len(), 4);
    assert!(String::from_utf8_lossy(&c.sent[3].1.bytes).starts_with("SIP/2.0 200"));
    assert_eq!(
        c.layer.server_state(id),
        Some(ServerState::NonInvite(ServerNonInviteState::Completed))
    );
    c.run_until(secs(31.9));
    assert_eq!(c.layer.server_count(), 1);
    c.run_until(secs(32.0));
    assert_eq!(c.layer.server_count(), 0, "Timer J");
    assert_eq!(
        c.sent.len(),
        4,
        "no retransmission timer on the server side"
    );

    let mut c = Clock::new();
    c.receive(reg, tcp());
    let id = c.server_id();
    c.respond(id, response(200, "REGISTER", "z9hG4bKr"));
    assert_eq!(c.layer.server_count(), 0, "Timer J is zero on TCP");
}

#[test]
fn cancel_matches_its_invite_and_is_its_own_transaction() {
    let mut c = Clock::new();
    c.receive(invite("z9hG4bKs"), udp());
    let invite_id = c.server_id();
    c.take_events();
    let cancel = request("CANCEL", ";branch=z9hG4bKs", 1, "");
    c.receive(cancel.clone(), udp());
    let events = c.take_events();
    let [TransactionEvent::Request {
        id,
        cancels: Some(target),
        ..
    }] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(*target, invite_id);
    assert_ne!(*id, invite_id);
    assert_eq!(c.layer.server_count(), 2);
    c.receive(cancel, udp());
    assert!(c.events.is_empty(), "CANCEL retransmission absorbed");
    // A CANCEL for nothing we know.
    c.receive(request("CANCEL", ";branch=z9hG4bKzz", 1, ""), udp());
    assert!(matches!(
        c.events.as_slice(),
        [TransactionEvent::Request { cancels: None, .. }]
    ));
}

#[test]
fn sent_by_is_part_of_the_server_key() {
    let mut c = Clock::new();
    c.receive(invite("z9hG4bKs"), udp());
    let other = invite("z9hG4bKs");
    let text = String::from_utf8_lossy(other.as_bytes()).replace("192.0.2.1:5060;", "192.0.2.9;");
    c.receive(parse(&text), udp());
    assert_eq!(c.layer.server_count(), 2);
}

#[test]
fn rfc2543_requests_match_without_a_branch() {
    let mut c = Clock::new();
    c.receive(request("INVITE", "", 5, ""), udp());
    let id = c.server_id();
    c.receive(request("INVITE", "", 5, ""), udp());
    assert_eq!(c.layer.server_count(), 1, "retransmission matched");
    c.receive(request("INVITE", "", 6, ""), udp());
    assert_eq!(
        c.layer.server_count(),
        2,
        "another CSeq is another transaction"
    );
    c.take_events();
    c.receive(request("CANCEL", "", 5, ""), udp());
    assert!(matches!(
        c.events.as_slice(),
        [TransactionEvent::Request { cancels: Some(t), .. }] if *t == id
    ));
    c.respond(id, response(487, "INVITE", "x"));
    c.receive(request("ACK", "", 5, ";tag=b1"), udp());
    assert_eq!(
        c.layer.server_state(id),
        Some(ServerState::Invite(ServerInviteState::Confirmed))
    );
    // A bad cookie (a branch without z9hG4bK) also goes the RFC 2543 way.
    c.receive(request("OPTIONS", ";branch=abc", 1, ""), udp());
    c.receive(request("OPTIONS", ";branch=abc", 1, ""), udp());
    assert_eq!(c.layer.server_count(), 4);
}

#[test]
fn transport_errors_end_transactions_on_that_flow_only() {
    let mut c = Clock::new();
    let a = c.send_request(invite("z9hG4bKa"), tcp()).expect("id");
    let b = c
        .send_request(request("OPTIONS", ";branch=z9hG4bKb", 1, ""), tcp())
        .expect("id");
    let other = c.send_request(invite("z9hG4bKc"), udp()).expect("id");
    c.receive(request("MESSAGE", ";branch=z9hG4bKs", 1, ""), tcp());
    let s = c.server_id();
    c.take_events();
    c.layer.handle_transport_error(c.now, &tcp());
    c.drain();
    let events = c.take_events();
    assert!(matches!(
        events.as_slice(),
        [
            TransactionEvent::TransportError { id: x },
            TransactionEvent::TransportError { id: y },
            TransactionEvent::ServerTerminated { id: z },
        ] if *x == a && *y == b && *z == s
    ));
    assert_eq!(c.layer.client_count(), 1);
    assert!(c.layer.client_state(other).is_some());
    assert_eq!(c.layer.server_count(), 0);
}

#[test]
fn stray_responses_and_acks_go_to_the_tu() {
    let mut c = Clock::new();
    c.receive(response(200, "INVITE", "z9hG4bKunknown"), udp());
    c.receive(request("ACK", ";branch=z9hG4bKack", 1, ";tag=b1"), udp());
    assert!(matches!(
        c.events.as_slice(),
        [
            TransactionEvent::StrayResponse { .. },
            TransactionEvent::Ack { .. }
        ]
    ));
    assert_eq!(c.layer.server_count(), 0);
}

#[test]
fn ack_for_2xx_is_sent_without_a_transaction() {
    let mut c = Clock::new();
    let ack = request("ACK", ";branch=z9hG4bKack", 1, ";tag=b1");
    assert_eq!(c.send_request(ack, udp()), None);
    assert_eq!(c.sent.len(), 1);
    assert_eq!(c.layer.client_count(), 0);
    assert_eq!(c.layer.poll_timeout(), None);
}

#[test]
fn duplicate_client_branch_is_refused() {
    let mut c = Clock::new();
    assert!(c.send_request(invite("z9hG4bKa"), udp()).is_some());
    assert!(c.send_request(invite("z9hG4bKa"), udp()).is_none());
    assert_eq!(c.sent.len(), 1);
    let cancel = request("CANCEL", ";branch=z9hG4bKa", 1, "");
    assert!(
        c.send_request(cancel, udp()).is_some(),
        "CANCEL has its own key"
    );
    c.receive(response(200, "CANCEL", "z9hG4bKa"), udp());
    c.receive(response(487, "INVITE", "z9hG4bKa"), udp());
    assert_eq!(statuses(&c.events), vec![200, 487]);
}

#[test]
fn stale_timer_entries_are_swept() {
    let mut c = Clock::new();
    for n in 0..8_000u32 {
        let branch = format!(";branch=z9hG4bK{n}");
        c.send_request(request("OPTIONS", &branch, 1, ""), tcp());
        c.receive(response(200, "OPTIONS", &format!("z9hG4bK{n}")), tcp());
    }
    assert_eq!(c.layer.client_count(), 0);
    assert!(
        c.layer.timer_entries() <= 4096,
        "{} stale Timer F entries kept",
        c.layer.timer_entries()
    );
    // A live transaction's timers survive a sweep.
    let id = c
        .send_request(request("OPTIONS", ";branch=z9hG4bKlive", 1, ""), tcp())
        .expect("id");
    for n in 0..2_000u32 {
        let branch = format!(";branch=z9hG4bKx{n}");
        c.send_request(request("OPTIONS", &branch, 1, ""), tcp());
        c.receive(response(200, "OPTIONS", &format!("z9hG4bKx{n}")), tcp());
    }
    c.events.clear();
    c.run_until(secs(32.0));
    assert!(matches!(c.events.as_slice(), [TransactionEvent::Timeout { id: t }] if *t == id));
}

#[test]
fn a_failed_new_connection_fails_the_request_sent_without_one() {
    let mut c = Clock::new();
    // Sent before any connection exists: the driver opens one (and may pick the listener's
    // local address), so the failure names a connection the transaction never saw.
    let unconnected = Flow {
        connection: None,
        ..tcp()
    };
    let a = c
        .send_request(invite("z9hG4bKnew"), unconnected)
        .expect("id");
    let b = c
        .send_request(request("OPTIONS", ";branch=z9hG4bKother", 1, ""), udp())
        .expect("id");
    c.take_events();
    let failed = Flow {
        connection: Some(ConnectionId(42)),
        local: addr("192.0.2.2:40000"),
        ..tcp()
    };
    c.layer.handle_transport_error(c.now, &failed);
    c.drain();
    let events = c.take_events();
    assert!(matches!(
        events.as_slice(),
        [TransactionEvent::TransportError { id }] if *id == a
    ));
    assert!(c.layer.client_state(b).is_some());
}

// What each state keeps once it only waits (RFC 3261 §17: Timers D, I, J, K; RFC 6026: L, M),
// and that what it keeps still does the job.

#[test]
fn client_invite_keeps_only_the_ack_in_completed_and_resends_it() {
    let mut c = Clock::new();
    let inv = invite("z9hG4bKa");
    let id = c.send_request(inv.clone(), udp()).expect("id");
    assert_eq!(c.layer.client_held_bytes(id), Some(inv.as_bytes().len()));
    c.run_until(secs(0.6));
    assert_eq!(c.sent.len(), 2, "Timer A still has the INVITE");
    c.receive(response(486, "INVITE", "z9hG4bKa"), udp());
    let ack = c.sent[2].1.bytes.clone();
    assert!(ack.starts_with(b"ACK "));
    assert_eq!(
        c.layer.client_held_bytes(id),
        Some(ack.len()),
        "the INVITE is dropped, its ACK kept"
    );
    c.run_until(secs(20.0));
    c.receive(response(486, "INVITE", "z9hG4bKa"), udp());
    c.receive(response(486, "INVITE", "z9hG4bKa"), udp());
    assert_eq!(statuses(&c.events), vec![486], "retransmissions absorbed");
    assert_eq!(c.sent.len(), 5, "one ACK per retransmitted final");
    assert_eq!(c.sent[3].1.bytes, ack, "the same ACK");
    assert_eq!(c.sent[4].1.bytes, ack);
    c.run_until(secs(33.0));
    assert_eq!(c.layer.client_count(), 0, "Timer D");
}

#[test]
fn client_invite_keeps_nothing_in_accepted() {
    let mut c = Clock::new();
    let id = c.send_request(invite("z9hG4bKa"), udp()).expect("id");
    c.receive(response(180, "INVITE", "z9hG4bKa"), udp());
    assert!(c.layer.client_held_bytes(id) > Some(0), "Proceeding");
    c.receive(response(200, "INVITE", "z9hG4bKa"), udp());
    assert_eq!(c.layer.client_held_bytes(id), Some(0));
    c.run_until(secs(10.0));
    c.receive(response(200, "INVITE", "z9hG4bKa"), udp());
    assert_eq!(
        statuses(&c.events),
        vec![180, 200, 200],
        "2xx still passed up"
    );
    assert_eq!(
        c.sent.len(),
        1,
        "nothing sent by the transaction in Accepted"
    );
}

#[test]
fn client_non_invite_keeps_nothing_in_completed() {
    let mut c = Clock::new();
    let bye = request("BYE", ";branch=z9hG4bKb", 2, ";tag=b1");
    let id = c.send_request(bye.clone(), udp()).expect("id");
    assert_eq!(c.layer.client_held_bytes(id), Some(bye.as_bytes().len()));
    c.receive(response(200, "BYE", "z9hG4bKb"), udp());
    assert_eq!(c.layer.client_held_bytes(id), Some(0));
    c.run_until(secs(4.0));
    c.receive(response(200, "BYE", "z9hG4bKb"), udp());
    assert_eq!(statuses(&c.events), vec![200], "retransmission absorbed");
    assert_eq!(c.sent.len(), 1, "no Timer E after the final");
    assert_eq!(
        c.layer.client_state(id),
        Some(ClientState::NonInvite(ClientNonInviteState::Completed))
    );
    c.run_until(secs(5.0));
    assert_eq!(c.layer.client_count(), 0, "Timer K");
}

#[test]
fn server_non_invite_keeps_its_final_for_retransmissions() {
    let mut c = Clock::new();
    let bye = request("BYE", ";branch=z9hG4bKb", 2, ";tag=b1");
    c.receive(bye.clone(), udp());
    let id = c.server_id();
    let ok = response(200, "BYE", "z9hG4bKb");
    assert!(c.respond(id, ok.clone()));
    assert_eq!(c.layer.server_held_bytes(id), Some(ok.as_bytes().len()));
    c.run_until(secs(31.0));
    c.receive(bye, udp());
    assert_eq!(c.sent.len(), 2);
    assert_eq!(
        &c.sent[1].1.bytes,
        ok.as_bytes(),
        "the stored final, resent"
    );
}

#[test]
fn server_invite_drops_its_response_when_confirmed_or_accepted() {
    // 486: kept for Timer G and retransmitted INVITEs until the ACK, then dropped.
    let mut c = Clock::new();
    let inv = invite("z9hG4bKs");
    c.receive(inv.clone(), udp());
    let id = c.server_id();
    let busy = response(486, "INVITE", "z9hG4bKs");
    c.respond(id, busy.clone());
    assert_eq!(c.layer.server_held_bytes(id), Some(busy.as_bytes().len()));
    c.receive(inv.clone(), udp());
    c.run_until(secs(0.5));
    assert_eq!(
        c.sent.len(),
        3,
        "486, again for the INVITE, again for Timer G"
    );
    assert!(c.sent.iter().all(|(_, t)| t.bytes == busy.as_bytes()));
    c.receive(request("ACK", ";branch=z9hG4bKs", 1, ";tag=b1"), udp());
    assert_eq!(
        c.layer.server_state(id),
        Some(ServerState::Invite(ServerInviteState::Confirmed))
    );
    assert_eq!(c.layer.server_held_bytes(id), Some(0));
    c.receive(inv, udp());
    c.run_until(secs(3.0));
    assert_eq!(c.sent.len(), 3, "Confirmed sends nothing");

    // 2xx: Accepted never resends it; the TU's retransmissions go out.
    let mut c = Clock::new();
    let inv = invite("z9hG4bKs");
    c.receive(inv.clone(), udp());
    let id = c.server_id();
    c.respond(id, response(180, "INVITE", "z9hG4bKs"));
    assert!(
        c.layer.server_held_bytes(id) > Some(0),
        "Proceeding keeps the 180"
    );
    c.receive(inv.clone(), udp());
    assert_eq!(c.sent.len(), 2, "180 resent for the retransmitted INVITE");
    let ok = response(200, "INVITE", "z9hG4bKs");
    c.respond(id, ok.clone());
    assert_eq!(c.layer.server_held_bytes(id), Some(0));
    c.receive(inv, udp());
    assert_eq!(
        c.sent.len(),
        3,
        "INVITE retransmission absorbed in Accepted"
    );
    assert!(c.respond(id, ok.clone()));
    assert_eq!(
        &c.sent[3].1.bytes,
        ok.as_bytes(),
        "the TU's 2xx retransmission"
    );
}

#[test]
fn cancel_after_the_final_still_finds_its_invite() {
    for code in [486, 200] {
        let mut c = Clock::new();
        c.receive(invite("z9hG4bKs"), udp());
        let invite_id = c.server_id();
        c.respond(invite_id, response(code, "INVITE", "z9hG4bKs"));
        c.take_events();
        c.receive(request("CANCEL", ";branch=z9hG4bKs", 1, ""), udp());
        let events = c.take_events();
        assert!(
            matches!(
                events.as_slice(),
                [TransactionEvent::Request { cancels: Some(t), .. }] if *t == invite_id
            ),
            "{code}: {events:?}"
        );
    }
}

#[test]
fn a_transaction_stays_small() {
    // Every live transaction costs its slot for up to 32 s (Timers J, L, M): a guard against
    // growing it by accident (it was ~330 bytes with `Bytes` keys and `Instant` deadlines).
    assert!(size_of::<server::ServerTransaction>() <= 176);
    assert!(size_of::<client::ClientTransaction>() <= 184);
    assert!(size_of::<timer::Entry>() <= 32);
}
