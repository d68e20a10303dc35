//! Hostile bytes on a server connection: framing faults close that connection only; the
//! node keeps serving its real peer (RFC 6733 §3: no resynchronisation after a bad length).

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use diameter_codec::Message;
use diameter_net::{DiameterNode, Handlers, Transport};
use diameter_proto::PeerState;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Each case: bytes sent on a fresh connection, which the server must close.
const CASES: &[(&str, &[u8])] = &[
    (
        "version 2",
        &[
            2, 0, 0, 20, 0x80, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1,
        ],
    ),
    (
        "length below 20",
        &[1, 0, 0, 16, 0x80, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1],
    ),
    ("length above the cap", &[1, 0x10, 0, 0, 0x80, 0, 1, 1]),
    ("length 0", &[1, 0, 0, 0]),
    ("text", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
];

async fn closed_within(s: &mut TcpStream, d: Duration) -> bool {
    let mut buf = [0u8; 512];
    let end = tokio::time::Instant::now() + d;
    loop {
        match tokio::time::timeout_at(end, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {} // an error answer may come first
        }
    }
}

#[tokio::test]
async fn framing_faults_close_only_that_connection() {
    let mut cfg = server_config(Transport::Tcp);
    cfg.max_message_len = 4096;
    let server = DiameterNode::start(
        cfg,
        Handlers::new().with(CX, |req: Message| {
            let a = uaa(&req);
            async move { a }
        }),
    )
    .await
    .unwrap();
    let addr = server.local_addrs()[0];
    let client = DiameterNode::start(client_config(addr, Transport::Tcp), Handlers::new())
        .await
        .unwrap();
    let h = client.handle();
    assert!(wait_state(&h, PeerState::Open, Duration::from_secs(3)).await);

    for (name, bytes) in CASES {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(bytes).await.unwrap();
        assert!(
            closed_within(&mut s, Duration::from_secs(3)).await,
            "{name}: connection not closed"
        );
    }
    // A request before any CER: not a peer, the connection goes.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&uar("early@ims.test")).await.unwrap();
    assert!(
        closed_within(&mut s, Duration::from_secs(3)).await,
        "request before CER"
    );

    // The real peer never noticed.
    assert_eq!(h.peers().await[0].state, PeerState::Open);
    let a = h.request(uar("alice@ims.test")).await.unwrap();
    assert_eq!(result_code(&a), Some(2001));
    client.shutdown().await;
    server.shutdown().await;
}
