//! Two transaction layers talking over a simulated network with loss and a virtual clock
//! (the `Pair` harness): a whole INVITE/180/200/ACK and a MESSAGE exchange.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_proto::transaction::{
    ClientTransactionId, ServerTransactionId, TimerConfig, TransactionEvent, TransactionLayer,
};
use sip_proto::{Flow, Transport};
use sip_types::Message;

const LATENCY: Duration = Duration::from_millis(10);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Uac,
    Uas,
}

fn addr(side: Side) -> SocketAddr {
    match side {
        Side::Uac => "192.0.2.1:5060",
        Side::Uas => "192.0.2.2:5060",
    }
    .parse()
    .expect("address")
}

fn parse(bytes: Bytes) -> Message {
    let msg = Message::parse(bytes).expect("parse");
    msg.validate().expect("validate");
    msg
}

fn text(s: &str) -> Message {
    parse(Bytes::copy_from_slice(s.as_bytes()))
}

fn request(method: &str, branch: &str, cseq: u32, to_tag: &str) -> Message {
    text(&format!(
        "{method} sip:bob@192.0.2.2 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch={branch}\r\n\
Max-Forwards: 70\r\n\
From: <sip:alice@example.com>;tag=a1\r\n\
To: <sip:bob@example.com>{to_tag}\r\n\
Call-ID: pair@192.0.2.1\r\n\
CSeq: {cseq} {method}\r\n\
Content-Length: 0\r\n\r\n"
    ))
}

/// A response to `req`, copying its Via, From, Call-ID and CSeq as a UAS does (§8.2.6.2).
fn response(req: &Message, code: u16) -> Message {
    let via = req.header(sip_types::HeaderName::VIA).expect("Via");
    let cseq = req.header(sip_types::HeaderName::CSEQ).expect("CSeq");
    text(&format!(
        "SIP/2.0 {code} Some Reason\r\n\
Via: {via}\r\n\
From: <sip:alice@example.com>;tag=a1\r\n\
To: <sip:bob@example.com>;tag=b1\r\n\
Call-ID: pair@192.0.2.1\r\n\
CSeq: {cseq}\r\n\
Content-Length: 0\r\n\r\n"
    ))
}

struct Packet {
    at: Instant,
    to: Side,
    bytes: Bytes,
}

/// What each side saw, for the assertions.
#[derive(Default, Debug)]
struct Log {
    uac_responses: Vec<(ClientTransactionId, u16)>,
    uac_timeouts: usize,
    uas_requests: Vec<String>,
    uas_acks: usize,
    uas_terminated: usize,
    sent: Vec<(Side, String)>,
    dropped: Vec<(Side, String)>,
}

struct Pair {
    now: Instant,
    transport: Transport,
    uac: TransactionLayer,
    uas: TransactionLayer,
    net: VecDeque<Packet>,
    /// Drop the n-th packet (0-based) each side sends whose first line starts with the given
    /// text.
    loss: Vec<(Side, &'static str, usize)>,
    sent_count: Vec<(Side, String)>,
    log: Log,
    /// The UAS core retransmits its 2xx until the ACK comes (RFC 3261 §13.3.1.4).
    uas_2xx: Option<(ServerTransactionId, Message, Instant, Duration)>,
    ack_branch: u32,
}

impl Pair {
    fn new(transport: Transport) -> Self {
        Self {
            now: Instant::now(),
            transport,
            uac: TransactionLayer::new(TimerConfig::default()),
            uas: TransactionLayer::new(TimerConfig::default()),
            net: VecDeque::new(),
            loss: Vec::new(),
            sent_count: Vec::new(),
            log: Log::default(),
            uas_2xx: None,
            ack_branch: 0,
        }
    }

    fn flow(&self, from: Side) -> Flow {
        let to = match from {
            Side::Uac => Side::Uas,
            Side::Uas => Side::Uac,
        };
        Flow {
            transport: self.transport,
            remote: addr(to),
            local: addr(from),
            connection: None,
        }
    }

    fn layer(&mut self, side: Side) -> &mut TransactionLayer {
        match side {
            Side::Uac => &mut self.uac,
            Side::Uas => &mut self.uas,
        }
    }

    /// Move transmits into the network (or drop them) and run each TU on its events.
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            for side in [Side::Uac, Side::Uas] {
                while let Some(t) = self.layer(side).poll_transmit() {
                    progressed = true;
                    let first = String::from_utf8_lossy(&t.bytes)
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let n = self
                        .sent_count
                        .iter()
                        .filter(|(s, l)| *s == side && *l == first)
                        .count();
                    self.sent_count.push((side, first.clone()));
                    let drop = self
                        .loss
                        .iter()
                        .any(|(s, prefix, k)| *s == side && first.starts_with(prefix) && *k == n);
                    let to = match side {
                        Side::Uac => Side::Uas,
                        Side::Uas => Side::Uac,
                    };
                    if drop {
                        self.log.dropped.push((side, first));
                    } else {
                        self.log.sent.push((side, first));
                        self.net.push_back(Packet {
                            at: self.now + LATENCY,
                            to,
                            bytes: t.bytes,
                        });
                    }
                }
                while let Some(e) = self.layer(side).poll_event() {
                    progressed = true;
                    self.tu(side, e);
                }
            }
            if !progressed {
                return;
            }
        }
    }

    fn tu(&mut self, side: Side, event: TransactionEvent) {
        let now = self.now;
        match (side, event) {
            (Side::Uas, TransactionEvent::Request { id, request, .. }) => {
                let method = request.method().map(|m| m.as_str().to_owned());
                let method = method.unwrap_or_default();
                self.log.uas_requests.push(method.clone());
                if method == "INVITE" {
                    self.uas.send_response(now, id, response(&request, 180));
                    let ok = response(&request, 200);
                    self.uas.send_response(now, id, ok.clone());
                    let t1 = self.uas.config().t1;
                    self.uas_2xx = Some((id, ok, now + t1, t1));
                } else {
                    self.uas.send_response(now, id, response(&request, 200));
                }
            }
            (Side::Uas, TransactionEvent::Ack { .. }) => {
                self.log.uas_acks += 1;
                self.uas_2xx = None;
            }
            (Side::Uas, TransactionEvent::ServerTerminated { .. }) => {
                self.log.uas_terminated += 1;
            }
            (Side::Uac, TransactionEvent::Response { id, response }) => {
                let status = response.status().map(|s| s.0).unwrap_or_default();
                self.log.uac_responses.push((id, status));
                let is_invite = response.cseq().map(|c| c.method.as_str() == "INVITE");
                if status == 200 && is_invite == Ok(true) {
                    // The UAC core ACKs every 2xx with a new branch (§13.2.2.4).
                    self.ack_branch += 1;
                    let ack = request(
                        "ACK",
                        &format!("z9hG4bKack{}", self.ack_branch),
                        1,
                        ";tag=b1",
                    );
                    let flow = self.flow(Side::Uac);
                    assert_eq!(self.uac.send_request(now, ack, flow), None);
                }
            }
            (Side::Uac, TransactionEvent::Timeout { .. }) => self.log.uac_timeouts += 1,
            (side, e) => panic!("unexpected event at {side:?}: {e:?}"),
        }
    }

    /// Run until nothing is pending or `limit` of virtual time has passed.
    fn run(&mut self, limit: Duration) {
        let end = self.now + limit;
        self.pump();
        loop {
            let next_packet = self.net.iter().map(|p| p.at).min();
            let next = [
                next_packet,
                self.uac.poll_timeout(),
                self.uas.poll_timeout(),
                self.uas_2xx.as_ref().map(|(_, _, at, _)| *at),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else { return };
            if next > end {
                self.now = end;
                return;
            }
            self.now = self.now.max(next);
            let now = self.now;
            while let Some(pos) = self.net.iter().position(|p| p.at <= now) {
                let Some(p) = self.net.remove(pos) else { break };
                let from = match p.to {
                    Side::Uac => Side::Uas,
                    Side::Uas => Side::Uac,
                };
                let flow = self.flow(from);
                let flow = Flow {
                    remote: flow.local,
                    local: flow.remote,
                    ..flow
                };
                let msg = parse(p.bytes);
                self.layer(p.to).handle_message(now, msg, flow);
            }
            self.uac.handle_timeout(now);
            self.uas.handle_timeout(now);
            if let Some((id, ok, at, interval)) = self.uas_2xx.take() {
                if at <= now {
                    self.uas.send_response(now, id, ok.clone());
                    let interval = (interval * 2).min(self.uas.config().t2);
                    self.uas_2xx = Some((id, ok, now + interval, interval));
                } else {
                    self.uas_2xx = Some((id, ok, at, interval));
                }
            }
            self.pump();
        }
    }

    fn start(&mut self, msg: Message) -> ClientTransactionId {
        let flow = self.flow(Side::Uac);
        let id = self.uac.send_request(self.now, msg, flow).expect("id");
        self.pump();
        id
    }
}

#[test]
fn invite_180_200_ack_with_loss() {
    let mut p = Pair::new(Transport::Udp);
    p.loss = vec![
        (Side::Uac, "INVITE", 0),
        (Side::Uas, "SIP/2.0 200", 0),
        (Side::Uac, "ACK", 0),
    ];
    let id = p.start(request("INVITE", "z9hG4bKinv1", 1, ""));
    p.run(Duration::from_secs(100));

    assert_eq!(
        p.log.uas_requests,
        vec!["INVITE"],
        "retransmission absorbed"
    );
    let statuses: Vec<u16> = p.log.uac_responses.iter().map(|(_, s)| *s).collect();
    // The first 200 was lost; the UAS core resends it, and the second 200's ACK is lost too,
    // so a third 200 comes: every 2xx reaches the UAC core (RFC 6026).
    assert_eq!(statuses, vec![180, 200, 200], "{:?}", p.log);
    assert!(p.log.uac_responses.iter().all(|(i, _)| *i == id));
    assert_eq!(p.log.uas_acks, 1);
    assert_eq!(
        p.log.dropped,
        vec![
            (Side::Uac, "INVITE sip:bob@192.0.2.2 SIP/2.0".to_owned()),
            (Side::Uas, "SIP/2.0 200 Some Reason".to_owned()),
            (Side::Uac, "ACK sip:bob@192.0.2.2 SIP/2.0".to_owned()),
        ]
    );
    let invites = p
        .log
        .sent
        .iter()
        .filter(|(_, l)| l.starts_with("INVITE"))
        .count();
    assert_eq!(
        invites, 1,
        "Timer A resent it once, then the 180 stopped it"
    );
    assert_eq!(p.uac.client_count(), 0, "Timer M ended it");
    assert_eq!(p.uas.server_count(), 0, "Timer L ended it");
    assert_eq!(p.log.uas_terminated, 1);
    assert_eq!(p.log.uac_timeouts, 0);
}

#[test]
fn non_invite_with_lost_request_and_response() {
    let mut p = Pair::new(Transport::Udp);
    p.loss = vec![(Side::Uac, "MESSAGE", 0), (Side::Uas, "SIP/2.0 200", 0)];
    let id = p.start(request("MESSAGE", "z9hG4bKmsg1", 7, ""));
    p.run(Duration::from_secs(100));

    assert_eq!(p.log.uas_requests, vec!["MESSAGE"]);
    assert_eq!(p.log.uac_responses, vec![(id, 200)]);
    let sent: Vec<&str> = p.log.sent.iter().map(|(_, l)| l.as_str()).collect();
    // Timer E resends at 0.5 s (answered by the lost 200), the UAS resends its 200 on the
    // retransmission at 1.5 s.
    assert_eq!(
        sent,
        vec![
            "MESSAGE sip:bob@192.0.2.2 SIP/2.0",
            "MESSAGE sip:bob@192.0.2.2 SIP/2.0",
            "SIP/2.0 200 Some Reason"
        ]
    );
    assert_eq!(p.uac.client_count(), 0);
    assert_eq!(p.uas.server_count(), 0);
}

#[test]
fn reliable_transport_sends_each_message_once() {
    let mut p = Pair::new(Transport::Tcp);
    p.start(request("INVITE", "z9hG4bKinv2", 1, ""));
    p.run(Duration::from_secs(100));
    let sent: Vec<&str> = p.log.sent.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(
        sent,
        vec![
            "INVITE sip:bob@192.0.2.2 SIP/2.0",
            "SIP/2.0 180 Some Reason",
            "SIP/2.0 200 Some Reason",
            "ACK sip:bob@192.0.2.2 SIP/2.0",
        ]
    );
    assert_eq!(p.uac.client_count(), 0);
    assert_eq!(p.uas.server_count(), 0);
}

#[test]
fn unanswered_request_times_out() {
    let mut p = Pair::new(Transport::Udp);
    p.loss = (0..20).map(|k| (Side::Uac, "OPTIONS", k)).collect();
    p.start(request("OPTIONS", "z9hG4bKopt", 1, ""));
    p.run(Duration::from_secs(100));
    assert_eq!(p.log.uac_timeouts, 1);
    assert_eq!(
        p.log.dropped.len(),
        11,
        "initial send + 10 Timer E retransmissions"
    );
    assert_eq!(p.uac.client_count(), 0);
}
