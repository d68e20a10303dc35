//! TCP over loopback: framing across writes, limits, idle timeout, keep-alive, reuse, failures.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use sip_net::{Flow, NetConfig, NetEvent, SendError, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until EOF (or error) and returns what came; fails the test after [`WAIT`].
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut out))
        .await
        .expect("connection not closed in time");
    out
}

async fn wait_for(pred: impl Fn() -> bool) {
    for _ in 0..250 {
        if pred() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("condition not reached in time");
}

#[tokio::test]
async fn tcp_frames_several_per_write_and_split_messages() {
    let (b, mut b_rx) = network(&[Transport::Tcp], NetConfig::default()).await;
    let b_addr = b.local_addr(Transport::Tcp).expect("tcp");
    let mut client = TcpStream::connect(b_addr).await.expect("connect");
    let client_addr = client.local_addr().expect("addr");

    let msgs: Vec<Vec<u8>> = (0..3).map(|i| request(&format!("m{i}"), "body")).collect();
    client.write_all(&msgs.concat()).await.expect("write");
    let split = request("split", "a body split in two");
    let (head, tail) = split.split_at(40);
    client.write_all(head).await.expect("head");
    client.flush().await.expect("flush");
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.write_all(tail).await.expect("tail");

    let mut conn = None;
    for m in msgs.iter().chain(std::iter::once(&split)) {
        let got = next_message(&mut b_rx).await;
        assert_eq!(&got.data[..], &m[..]);
        assert_eq!(got.flow.transport, Transport::Tcp);
        assert_eq!(got.flow.remote, client_addr);
        assert_eq!(got.flow.local, b_addr);
        assert!(got.flow.connection.is_some());
        if let Some(c) = conn {
            assert_eq!(got.flow.connection, Some(c));
        }
        conn = got.flow.connection;
    }
    assert_eq!(b.stats().received, 4);
    assert_eq!(b.stats().connections_open, 1);
}

#[tokio::test]
async fn tcp_reply_goes_back_over_the_inbound_connection() {
    let (b, mut b_rx) = network(&[Transport::Tcp], NetConfig::default()).await;
    let b_addr = b.local_addr(Transport::Tcp).expect("tcp");
    let mut client = TcpStream::connect(b_addr).await.expect("connect");
    client.write_all(&request("r1", "")).await.expect("write");
    let got = next_message(&mut b_rx).await;

    let resp = Bytes::from_static(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    b.send(&got.flow, resp.clone())
        .expect("reply by connection");
    // Without the connection id: reuse by remote address.
    let by_addr = Flow {
        connection: None,
        ..got.flow
    };
    b.send(&by_addr, resp.clone()).expect("reply by address");

    let mut buf = vec![0u8; resp.len() * 2];
    tokio::time::timeout(WAIT, client.read_exact(&mut buf))
        .await
        .expect("reply in time")
        .expect("read");
    assert_eq!(&buf[..resp.len()], &resp[..]);
    assert_eq!(&buf[resp.len()..], &resp[..]);
    assert_eq!(b.stats().sent, 2);
    assert_eq!(b.stats().connections_open, 1);
}

#[tokio::test]
async fn tcp_between_two_networks_reuses_the_connection_both_ways() {
    let (a, mut a_rx) = network(&[Transport::Tcp], NetConfig::default()).await;
    let (b, mut b_rx) = network(&[Transport::Tcp], NetConfig::default()).await;
    let b_addr = b.local_addr(Transport::Tcp).expect("tcp");
    let flow = Flow {
        transport: Transport::Tcp,
        remote: b_addr,
        local: a.local_addr(Transport::Tcp).expect("tcp"),
        connection: None,
    };
    // Several messages queued before the connection is up: batched into one write.
    let reqs: Vec<Bytes> = (0..5)
        .map(|i| Bytes::from(request(&format!("q{i}"), "x")))
        .collect();
    for r in &reqs {
        a.send(&flow, r.clone()).expect("send");
    }
    let mut inbound = None;
    for r in &reqs {
        let got = next_message(&mut b_rx).await;
        assert_eq!(&got.data, r);
        inbound = Some(got.flow);
    }
    let inbound = inbound.expect("flow");
    let resp = Bytes::from_static(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    b.send(&inbound, resp.clone()).expect("reply");
    let back = next_message(&mut a_rx).await;
    assert_eq!(back.data, resp);
    assert_eq!(back.flow.remote, b_addr);
    // One connection each side: A's outgoing one carried the reply.
    assert_eq!(a.stats().connections_open, 1);
    assert_eq!(b.stats().connections_open, 1);
    assert_eq!(a.stats().sent, 5);
}

#[tokio::test]
async fn oversized_tcp_message_closes_the_connection() {
    let config = NetConfig {
        max_message_size: 2000,
        ..NetConfig::default()
    };
    let (b, mut b_rx) = network(&[Transport::Tcp], config).await;
    let mut client = TcpStream::connect(b.local_addr(Transport::Tcp).expect("tcp"))
        .await
        .expect("connect");
    client
        .write_all(&request("big", &"z".repeat(3000)))
        .await
        .expect("write");
    assert!(read_to_close(&mut client).await.is_empty());
    wait_for(|| b.stats().connections_closed == 1).await;
    assert_eq!(b.stats().oversized, 1);
    assert_eq!(b.stats().connections_open, 0);
    assert_quiet(&mut b_rx).await;
}

#[tokio::test]
async fn endless_header_closes_the_connection() {
    let config = NetConfig {
        max_message_size: 4096,
        ..NetConfig::default()
    };
    let (b, mut b_rx) = network(&[Transport::Tcp], config).await;
    let mut client = TcpStream::connect(b.local_addr(Transport::Tcp).expect("tcp"))
        .await
        .expect("connect");
    client
        .write_all(b"OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n")
        .await
        .expect("start line");
    let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    // Past the cap with no empty line; the server may close mid-way, so ignore write errors.
    for _ in 0..100 {
        if client.write_all(line).await.is_err() {
            break;
        }
    }
    assert!(read_to_close(&mut client).await.is_empty());
    wait_for(|| b.stats().connections_closed == 1).await;
    assert_eq!(b.stats().oversized + b.stats().framing_errors, 1);
    assert_quiet(&mut b_rx).await;
}

#[tokio::test]
async fn bad_content_length_is_a_framing_error() {
    let (b, _b_rx) = network(&[Transport::Tcp], NetConfig::default()).await;
    let mut client = TcpStream::connect(b.local_addr(Transport::Tcp).expect("tcp"))
        .await
        .expect("connect");
    client
        .write_all(b"OPTIONS sip:b@x SIP/2.0\r\nContent-Length: -5\r\n\r\n")
        .await
        .expect("write");
    assert!(read_to_close(&mut client).await.is_empty());
    wait_for(|| b.stats().connections_closed == 1).await;
    assert_eq!(b.stats().framing_errors, 1);
    assert_eq!(b.stats().oversized, 0);
}

#[tokio::test]
async fn idle_connection_is_closed() {
    let config = NetConfig {
        tcp_idle_timeout: Duration::from_millis(200),
        ..NetConfig::default()
    };
    let (b, _b_rx) = network(&[Transport::Tcp], config).await;
    let mut client = TcpStream::connect(b.local_addr(Transport::Tcp).expect("tcp"))
        .await
        .expect("connect");
    let started = std::time::Instant::now();
    assert!(read_to_close(&mut client).await.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(150));
    wait_for(|| b.stats().connections_closed == 1).await;
    assert_eq!(b.stats().connections_open, 0);
}

#[tokio::test]
async fn crlf_ping_gets_a_pong() {
    let (b, mut b_rx) = network(&[Transport::Tcp], NetConfig::default()).await;
    let mut client = TcpStream::connect(b.local_addr(Transport::Tcp).expect("tcp"))
        .await
        .expect("connect");
    client.write_all(b"\r\n\r\n").await.expect("ping");
    let mut pong = [0u8; 2];
    tokio::time::timeout(WAIT, client.read_exact(&mut pong))
        .await
        .expect("pong in time")
        .expect("read");
    assert_eq!(&pong, b"\r\n");
    // The connection still frames messages after the ping.
    let m = request("after-ping", "");
    client.write_all(&m).await.expect("write");
    assert_eq!(&next_message(&mut b_rx).await.data[..], &m[..]);
}

#[tokio::test]
async fn send_to_a_closed_port_reports_send_failed() {
    let (a, mut a_rx) = network(&[Transport::Tcp], NetConfig::default()).await;
    let closed = {
        let l = std::net::TcpListener::bind(loopback()).expect("probe");
        l.local_addr().expect("addr")
    };
    let flow = Flow {
        transport: Transport::Tcp,
        remote: closed,
        local: a.local_addr(Transport::Tcp).expect("tcp"),
        connection: None,
    };
    a.send(&flow, Bytes::from(request("nowhere", "")))
        .expect("queued");
    match next_event(&mut a_rx).await {
        NetEvent::SendFailed { flow: failed } => {
            assert_eq!(failed.remote, closed);
            assert_eq!(failed.transport, Transport::Tcp);
        }
        other => panic!("expected SendFailed, got {other:?}"),
    }
    assert_eq!(a.stats().send_failures, 1);
    assert_eq!(a.stats().connections_open, 0);
}

#[tokio::test]
async fn send_errors_are_typed() {
    let (a, _rx) = network(&[Transport::Tcp], NetConfig::default()).await;
    let remote = "127.0.0.1:5061".parse().expect("addr");
    let flow = |transport| Flow {
        transport,
        remote,
        local: loopback(),
        connection: None,
    };
    let data = Bytes::from_static(b"x");
    assert_eq!(
        a.send(&flow(Transport::Tls), data.clone()),
        Err(SendError::TlsNotConfigured)
    );
    assert_eq!(
        a.send(&flow(Transport::Udp), data.clone()),
        Err(SendError::NoTransport(Transport::Udp))
    );
    assert_eq!(
        a.send(&flow(Transport::Sctp), data.clone()),
        Err(SendError::NoTransport(Transport::Sctp))
    );
    let big = Bytes::from(vec![b'x'; 70_000]);
    assert_eq!(a.send(&flow(Transport::Tcp), big), Err(SendError::TooLarge));
    a.shutdown().await;
    assert_eq!(
        a.send(&flow(Transport::Tcp), data),
        Err(SendError::Shutdown)
    );
}

#[tokio::test]
async fn shutdown_closes_connections() {
    let (b, mut b_rx) = network(&[Transport::Tcp], NetConfig::default()).await;
    let b_addr = b.local_addr(Transport::Tcp).expect("tcp");
    let mut client = TcpStream::connect(b_addr).await.expect("connect");
    client.write_all(&request("s", "")).await.expect("write");
    let _ = next_message(&mut b_rx).await;
    b.shutdown().await;
    assert!(read_to_close(&mut client).await.is_empty());
}

#[tokio::test]
async fn bind_rejects_bad_listeners() {
    use sip_net::{NetError, Network};
    let tls = listener(Transport::Tls);
    assert!(matches!(
        Network::bind(&[tls], NetConfig::default()).await,
        Err(NetError::MissingCertificate(_))
    ));
    let sctp = listener(Transport::Sctp);
    assert!(matches!(
        Network::bind(&[sctp], NetConfig::default()).await,
        Err(NetError::UnsupportedTransport(Transport::Sctp))
    ));
    let (a, _rx) = network(
        &[Transport::Udp, Transport::Tcp, Transport::Udp],
        NetConfig::default(),
    )
    .await;
    let ls = a.listeners();
    assert_eq!(ls.len(), 3);
    assert_eq!(ls.iter().filter(|(t, _)| *t == Transport::Udp).count(), 2);
    assert_eq!(a.local_addr(Transport::Udp), Some(ls[0].1));
    assert_eq!(a.local_addr(Transport::Tls), None);
}
