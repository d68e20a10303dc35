//! UDP over loopback: round trip, oversized datagrams, CRLF keep-alives.

mod common;

use bytes::Bytes;
use common::*;
use sip_net::{Flow, NetConfig, Transport};

#[tokio::test]
async fn udp_round_trip() {
    let (a, mut a_rx) = network(&[Transport::Udp], NetConfig::default()).await;
    let (b, mut b_rx) = network(&[Transport::Udp], NetConfig::default()).await;
    let a_addr = a.local_addr(Transport::Udp).expect("a udp");
    let b_addr = b.local_addr(Transport::Udp).expect("b udp");
    assert_ne!(a_addr.port(), 0);

    let req = Bytes::from(request("udp1", "hello"));
    let flow = Flow {
        transport: Transport::Udp,
        remote: b_addr,
        local: a_addr,
        connection: None,
    };
    a.send(&flow, req.clone()).expect("send");
    let got = next_message(&mut b_rx).await;
    assert_eq!(got.data, req);
    assert_eq!(got.flow.remote, a_addr);
    assert_eq!(got.flow.local, b_addr);
    assert_eq!(got.flow.transport, Transport::Udp);
    assert_eq!(got.flow.connection, None);

    // Reply along the received flow.
    let resp = Bytes::from_static(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    b.send(&got.flow, resp.clone()).expect("reply");
    let back = next_message(&mut a_rx).await;
    assert_eq!(back.data, resp);
    assert_eq!(back.flow.remote, b_addr);

    assert_eq!(a.stats().sent, 1);
    assert_eq!(a.stats().received, 1);
    assert_eq!(b.stats().received, 1);
    assert_eq!(b.stats().sent, 1);
}

#[tokio::test]
async fn udp_drops_oversized_and_ignores_keepalives() {
    let config = NetConfig {
        max_message_size: 1000,
        ..NetConfig::default()
    };
    let (b, mut b_rx) = network(&[Transport::Udp], config).await;
    let b_addr = b.local_addr(Transport::Udp).expect("udp");
    let raw = tokio::net::UdpSocket::bind(loopback()).await.expect("raw");
    raw.send_to(b"\r\n\r\n", b_addr).await.expect("keepalive");
    raw.send_to(&vec![b'x'; 1001], b_addr).await.expect("big");
    let exact = (0..1000)
        .map(|n| request("exact", &"y".repeat(n)))
        .find(|m| m.len() == 1000)
        .expect("a 1000-byte request");
    assert_eq!(exact.len(), 1000);
    raw.send_to(&exact, b_addr).await.expect("exact");
    let got = next_message(&mut b_rx).await;
    assert_eq!(&got.data[..], &exact[..]);
    assert_quiet(&mut b_rx).await;
    assert_eq!(b.stats().oversized, 1);
    assert_eq!(b.stats().received, 1);
}

#[tokio::test]
async fn udp_burst_is_drained_in_order() {
    let (b, mut b_rx) = network(&[Transport::Udp], NetConfig::default()).await;
    let b_addr = b.local_addr(Transport::Udp).expect("udp");
    let raw = tokio::net::UdpSocket::bind(loopback()).await.expect("raw");
    for i in 0..200 {
        raw.send_to(&request(&format!("burst{i}"), ""), b_addr)
            .await
            .expect("send");
    }
    for i in 0..200 {
        let got = next_message(&mut b_rx).await;
        assert_eq!(&got.data[..], &request(&format!("burst{i}"), "")[..]);
    }
    assert_eq!(b.stats().received, 200);
}
