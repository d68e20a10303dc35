//! Two DiameterNodes over loopback TCP: CER/CEA, request/answer, 3007 for an unregistered
//! application, the watchdog with a short Tw, and reconnection after a peer restart.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use diameter_codec::generated::cx;
use diameter_codec::{AvpContainer, Message};
use diameter_net::{DiameterNode, Handlers, RequestError, Transport};
use diameter_proto::PeerState;

fn cx_handlers() -> Handlers {
    Handlers::new().with(CX, |req: Message| {
        let a = uaa(&req);
        async move { a }
    })
}

#[tokio::test]
async fn capabilities_request_answer_and_watchdog() {
    let server = DiameterNode::start(server_config(Transport::Tcp), cx_handlers())
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    let client = DiameterNode::start(client_config(addr, Transport::Tcp), Handlers::new())
        .await
        .unwrap();
    let h = client.handle();
    assert!(wait_state(&h, PeerState::Open, Duration::from_secs(3)).await);
    let peers = h.peers().await;
    assert_eq!(peers[0].host, "hss.ims.test");
    assert!(peers[0].up);
    assert!(wait_state(&server.handle(), PeerState::Open, Duration::from_secs(1)).await);

    let ans = h.request(uar("alice@ims.test")).await.unwrap();
    assert_eq!(ans.header().code, cx::cmd::UAA.code);
    assert_eq!(result_code(&ans), Some(2001));
    assert_eq!(
        ans.get(&cx::avp::SERVER_NAME).unwrap().unwrap().as_str(),
        "sip:scscf-for-alice@ims.test"
    );

    // Many in flight at once, each answered with its own user.
    let mut joins = Vec::new();
    for i in 0..200 {
        let h = h.clone();
        joins.push(tokio::spawn(async move {
            let user = format!("u{i}@ims.test");
            let a = h.request(uar(&user)).await.unwrap();
            assert_eq!(
                a.get(&cx::avp::SERVER_NAME).unwrap().unwrap().as_str(),
                format!("sip:scscf-for-{user}")
            );
        }));
    }
    for j in joins {
        j.await.unwrap();
    }

    // Tw is 400 ms: several watchdog rounds pass with no traffic and the peer stays Open
    // (a lost DWA would take it down after 2 Tw, RFC 3539 §3.4.1).
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(h.peers().await[0].state, PeerState::Open);
    assert_eq!(
        result_code(&h.request(uar("bob@ims.test")).await.unwrap()),
        Some(2001)
    );

    client.shutdown().await;
    assert!(wait_state(&server.handle(), PeerState::Closed, Duration::from_secs(2)).await);
    server.shutdown().await;
}

#[tokio::test]
async fn unregistered_application_gets_3007() {
    let server = DiameterNode::start(server_config(Transport::Tcp), Handlers::new())
        .await
        .unwrap();
    let client = DiameterNode::start(
        client_config(server.local_addrs()[0], Transport::Tcp),
        Handlers::new(),
    )
    .await
    .unwrap();
    let h = client.handle();
    assert!(wait_state(&h, PeerState::Open, Duration::from_secs(3)).await);
    let ans = h.request(uar("alice@ims.test")).await.unwrap();
    assert_eq!(result_code(&ans), Some(3007));
    assert!(ans.header().flags.is_error());
    client.abort();
    server.abort();
}

#[tokio::test]
async fn no_route_is_reported() {
    let mut cfg = client_config("127.0.0.1:9".parse().unwrap(), Transport::Tcp);
    cfg.routes.clear();
    let client = DiameterNode::start(cfg, Handlers::new()).await.unwrap();
    let r = client.handle().request(uar("x@ims.test")).await;
    assert!(
        matches!(r, Err(RequestError::NoRoute | RequestError::NotOpen)),
        "{r:?}"
    );
    client.abort();
}

#[tokio::test]
async fn reconnects_after_server_restart() {
    let server = DiameterNode::start(server_config(Transport::Tcp), cx_handlers())
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    let client = DiameterNode::start(client_config(addr, Transport::Tcp), Handlers::new())
        .await
        .unwrap();
    let h = client.handle();
    assert!(wait_state(&h, PeerState::Open, Duration::from_secs(3)).await);

    server.abort(); // a crash: no DPR
    assert!(
        wait_state(&h, PeerState::Closed, Duration::from_secs(3)).await || !h.peers().await[0].up
    );

    let mut cfg = server_config(Transport::Tcp);
    cfg.listen[0].addr = addr;
    let mut server2 = None;
    for _ in 0..50 {
        match DiameterNode::start(cfg.clone(), cx_handlers()).await {
            Ok(s) => {
                server2 = Some(s);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let server2 = server2.expect("rebind");
    // Tc is 300 ms: the client dials again and the capabilities exchange completes.
    assert!(wait_state(&h, PeerState::Open, Duration::from_secs(5)).await);
    // RFC 3539 §3.4.1 REOPEN: the connection is used again after 3 DWAs (about 3 Tw).
    let mut answered = None;
    for _ in 0..50 {
        match h.request(uar("carol@ims.test")).await {
            Ok(a) => {
                answered = Some(a);
                break;
            }
            Err(e) => {
                assert_eq!(e, RequestError::NotOpen);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert_eq!(
        result_code(&answered.expect("answer after reopen")),
        Some(2001)
    );
    client.shutdown().await;
    server2.shutdown().await;
}
