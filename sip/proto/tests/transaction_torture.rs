//! The transaction layer on the RFC 4475 torture messages (copied into `tests/data/rfc4475/`):
//! each valid request makes one server transaction, its retransmission is absorbed and gets
//! the last response again, whatever the header spelling (compact forms, folding, odd LWS) or
//! the Via branch kind (RFC 3261 cookie or RFC 2543 matching).

use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_proto::transaction::{TimerConfig, TransactionEvent, TransactionLayer};
use sip_proto::{Flow, Transport};
use sip_types::{Message, ResponseBuilder, StatusCode};

fn data(name: &str) -> Bytes {
    let path = format!(
        "{}/tests/data/rfc4475/{name}.dat",
        env!("CARGO_MANIFEST_DIR")
    );
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}

fn udp() -> Flow {
    Flow {
        transport: Transport::Udp,
        remote: "192.0.2.1:5060".parse().expect("addr"),
        local: "192.0.2.2:5060".parse().expect("addr"),
        connection: None,
    }
}

fn parse(name: &str) -> Message {
    let msg = Message::parse(data(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    msg.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
    msg
}

#[test]
fn valid_torture_requests_make_one_transaction_each() {
    // (file, method)
    let cases = [
        ("wsinv", "INVITE"),
        ("esc01", "INVITE"),
        ("longreq", "INVITE"),
        ("mpart01", "MESSAGE"),
        ("intmeth", "!interesting-Method0123456789_*+`.%indeed'~"),
        ("semiuri", "OPTIONS"),
        ("regaut01", "REGISTER"),
        ("inv2543", "INVITE"),
    ];
    let t0 = Instant::now();
    for (name, method) in cases {
        let mut layer = TransactionLayer::new(TimerConfig::default());
        layer.handle_message(t0, parse(name), udp());
        let Some(TransactionEvent::Request { id, request, .. }) = layer.poll_event() else {
            panic!("{name}: no Request event");
        };
        assert_eq!(
            request.method().map(|m| m.as_str().to_owned()).as_deref(),
            Some(method),
            "{name}"
        );
        assert_eq!(layer.server_count(), 1, "{name}");
        let response = ResponseBuilder::new(&request, StatusCode(404))
            .to_tag("t1")
            .build();
        let response = Message::parse(response).expect("response");
        assert!(layer.send_response(t0, id, response), "{name}");
        let sent = layer.poll_transmit().expect("404 sent");
        assert!(sent.bytes.starts_with(b"SIP/2.0 404"), "{name}");

        // The retransmission is absorbed and answered with the same bytes.
        layer.handle_message(t0 + Duration::from_millis(100), parse(name), udp());
        assert!(layer.poll_event().is_none(), "{name}");
        assert_eq!(layer.poll_transmit().map(|t| t.bytes), Some(sent.bytes));
        assert_eq!(layer.server_count(), 1, "{name}");
    }
}

#[test]
fn a_torture_response_without_a_transaction_is_stray() {
    let mut layer = TransactionLayer::new(TimerConfig::default());
    layer.handle_message(Instant::now(), parse("noreason"), udp());
    assert!(matches!(
        layer.poll_event(),
        Some(TransactionEvent::StrayResponse { .. })
    ));
    assert_eq!(layer.server_count() + layer.client_count(), 0);
}
