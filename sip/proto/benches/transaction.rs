//! Per-transaction cost of the transaction layer (matching, state machine, timers), with
//! message parsing kept out of the measured part.
//!
//! Run: `cargo bench -p sip-proto --bench transaction`

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use sip_proto::transaction::{TimerConfig, TransactionEvent, TransactionLayer};
use sip_proto::{ConnectionId, Flow, Transport};
use sip_types::Message;

fn flow(transport: Transport) -> Flow {
    Flow {
        transport,
        remote: "192.0.2.1:5060".parse().expect("addr"),
        local: "192.0.2.2:5060".parse().expect("addr"),
        connection: (transport != Transport::Udp).then_some(ConnectionId(1)),
    }
}

fn parse(s: &str) -> Message {
    Message::parse(Bytes::copy_from_slice(s.as_bytes())).expect("parse")
}

fn register(branch: u64) -> Message {
    parse(&format!(
        "REGISTER sip:example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{branch:016x}\r\n\
Max-Forwards: 70\r\n\
From: <sip:alice@example.com>;tag=a1\r\n\
To: <sip:alice@example.com>\r\n\
Call-ID: bench@192.0.2.1\r\n\
CSeq: 1 REGISTER\r\n\
Contact: <sip:alice@192.0.2.1>\r\n\
Content-Length: 0\r\n\r\n"
    ))
}

fn ok(branch: u64) -> Message {
    parse(&format!(
        "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{branch:016x}\r\n\
From: <sip:alice@example.com>;tag=a1\r\n\
To: <sip:alice@example.com>;tag=b1\r\n\
Call-ID: bench@192.0.2.1\r\n\
CSeq: 1 REGISTER\r\n\
Content-Length: 0\r\n\r\n"
    ))
}

fn invite(branch: u64) -> (Message, Message, Message, Message) {
    let req = |method: &str, b: String, to_tag: &str| {
        parse(&format!(
            "{method} sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{b}\r\n\
Max-Forwards: 70\r\n\
From: <sip:alice@example.com>;tag=a1\r\n\
To: <sip:bob@example.com>{to_tag}\r\n\
Call-ID: {branch}@192.0.2.1\r\n\
CSeq: 1 {method}\r\n\
Contact: <sip:alice@192.0.2.1>\r\n\
Content-Length: 0\r\n\r\n"
        ))
    };
    let resp = |code: &str| {
        parse(&format!(
            "SIP/2.0 {code}\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{branch:016x}\r\n\
From: <sip:alice@example.com>;tag=a1\r\n\
To: <sip:bob@example.com>;tag=b1\r\n\
Call-ID: {branch}@192.0.2.1\r\n\
CSeq: 1 INVITE\r\n\
Content-Length: 0\r\n\r\n"
        ))
    };
    (
        req("INVITE", format!("{branch:016x}"), ""),
        resp("100 Trying"),
        resp("200 OK"),
        req("ACK", format!("ack{branch:016x}"), ";tag=b1"),
    )
}

fn drain(layer: &mut TransactionLayer) -> Option<sip_proto::transaction::ServerTransactionId> {
    let mut id = None;
    while let Some(t) = layer.poll_transmit() {
        black_box(t);
    }
    while let Some(e) = layer.poll_event() {
        if let TransactionEvent::Request { id: i, .. } = e {
            id = Some(i);
        }
    }
    id
}

fn bench(c: &mut Criterion) {
    let now = Instant::now();
    for transport in [Transport::Tcp, Transport::Udp] {
        let f = flow(transport);
        // Server side: request in, TU event out, 200 through the transaction.
        let mut layer = TransactionLayer::new(TimerConfig::default());
        let mut n = 0u64;
        let mut t = now;
        c.bench_function(&format!("server non-INVITE {transport:?}"), |b| {
            b.iter_batched(
                || {
                    n += 1;
                    (register(n), ok(n))
                },
                |(req, resp)| {
                    t += Duration::from_millis(1);
                    layer.handle_message(t, req, f);
                    let id = drain(&mut layer).expect("Request event");
                    layer.send_response(t, id, resp);
                    drain(&mut layer);
                    // Let Timer J reap old transactions as a driver would.
                    layer.handle_timeout(t);
                },
                BatchSize::SmallInput,
            )
        });
        // Client side: request out, 200 in, event to the TU.
        let mut layer = TransactionLayer::new(TimerConfig::default());
        let mut n = 0u64;
        let mut t = now;
        c.bench_function(&format!("client non-INVITE {transport:?}"), |b| {
            b.iter_batched(
                || {
                    n += 1;
                    (register(n), ok(n))
                },
                |(req, resp)| {
                    t += Duration::from_millis(1);
                    layer.send_request(t, req, f);
                    layer.handle_message(t, resp, f);
                    drain(&mut layer);
                    layer.handle_timeout(t);
                },
                BatchSize::SmallInput,
            )
        });
    }
}

/// A whole INVITE server transaction: INVITE in, 100 and 200 out, ACK passed up.
fn bench_invite(c: &mut Criterion) {
    let f = flow(Transport::Udp);
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let mut n = 0u64;
    let mut t = Instant::now();
    c.bench_function("server INVITE Udp (INVITE, 100, 200, ACK)", |b| {
        b.iter_batched(
            || {
                n += 1;
                invite(n)
            },
            |(inv, trying, ok, ack)| {
                t += Duration::from_millis(1);
                layer.handle_message(t, inv, f);
                let id = drain(&mut layer).expect("Request event");
                layer.send_response(t, id, trying);
                layer.send_response(t, id, ok);
                layer.handle_message(t, ack, f);
                drain(&mut layer);
                layer.handle_timeout(t);
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench, bench_invite);
criterion_main!(benches);
