//! Helpers shared by the loopback tests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use sip_net::{Incoming, ListenerConfig, NetConfig, NetEvent, Network, Transport};
use tokio::sync::mpsc::Receiver;

/// Upper bound on any wait in these tests.
pub(crate) const WAIT: Duration = Duration::from_secs(5);

pub(crate) fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().expect("loopback address")
}

pub(crate) fn listener(transport: Transport) -> ListenerConfig {
    ListenerConfig {
        transport,
        addr: loopback(),
        tls: None,
    }
}

/// Binds a network with one listener per transport given.
pub(crate) async fn network(
    transports: &[Transport],
    config: NetConfig,
) -> (Network, Receiver<NetEvent>) {
    let listeners: Vec<_> = transports.iter().map(|t| listener(*t)).collect();
    Network::bind(&listeners, config).await.expect("bind")
}

/// A small request with a body, framed by Content-Length.
pub(crate) fn request(tag: &str, body: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK{tag}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:a@127.0.0.1>;tag={tag}\r\n\
         To: <sip:b@127.0.0.1>\r\n\
         Call-ID: {tag}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The next event, failing the test after [`WAIT`].
pub(crate) async fn next_event(rx: &mut Receiver<NetEvent>) -> NetEvent {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("no event in time")
        .expect("event channel closed")
}

/// The next received message.
pub(crate) async fn next_message(rx: &mut Receiver<NetEvent>) -> Incoming {
    match next_event(rx).await {
        NetEvent::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// Asserts that nothing arrives for a short while.
pub(crate) async fn assert_quiet(rx: &mut Receiver<NetEvent>) {
    let got = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await;
    assert!(got.is_err(), "unexpected event: {got:?}");
}

/// A fresh directory under the system temp dir for this test.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sip-net-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
