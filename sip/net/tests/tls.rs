//! TLS over loopback with an rcgen self-signed certificate trusted through `tls_client_roots`.

mod common;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use common::*;
use sip_net::{Flow, ListenerConfig, NetConfig, NetEvent, Network, TlsFiles, Transport};

/// Writes a self-signed certificate for `localhost` and 127.0.0.1; returns (cert, key) paths.
fn write_cert(name: &str) -> (PathBuf, PathBuf) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("certificate");
    let dir = temp_dir(name);
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).expect("write cert");
    std::fs::write(&key, ck.key_pair.serialize_pem()).expect("write key");
    (cert, key)
}

async fn tls_server(cert: &Path, key: &Path) -> (Network, tokio::sync::mpsc::Receiver<NetEvent>) {
    let l = ListenerConfig {
        transport: Transport::Tls,
        addr: loopback(),
        tls: Some(TlsFiles {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
        }),
    };
    Network::bind(&[l], NetConfig::default())
        .await
        .expect("bind tls")
}

#[tokio::test]
async fn tls_round_trip_with_server_name_and_ip() {
    let (cert, key) = write_cert("tls-rt");
    let (b, mut b_rx) = tls_server(&cert, &key).await;
    let b_addr = b.local_addr(Transport::Tls).expect("tls");
    let config = NetConfig {
        tls_client_roots: Some(cert.clone()),
        ..NetConfig::default()
    };
    let (a, mut a_rx) = Network::bind(&[], config).await.expect("client");
    let flow = Flow {
        transport: Transport::Tls,
        remote: b_addr,
        local: loopback(),
        connection: None,
    };
    let req = Bytes::from(request("tls1", "secret"));
    a.send_to_name(&flow, Some("localhost"), req.clone())
        .expect("send");
    let got = next_message(&mut b_rx).await;
    assert_eq!(got.data, req);
    assert_eq!(got.flow.transport, Transport::Tls);

    let resp = Bytes::from_static(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    b.send(&got.flow, resp.clone()).expect("reply");
    let back = next_message(&mut a_rx).await;
    assert_eq!(back.data, resp);
    assert_eq!(back.flow.transport, Transport::Tls);
    assert_eq!(back.flow.remote, b_addr);

    // A second network verifying the IP address SAN instead of a name.
    let config = NetConfig {
        tls_client_roots: Some(cert.clone()),
        ..NetConfig::default()
    };
    let (c, _c_rx) = Network::bind(&[], config).await.expect("client 2");
    c.send(&flow, req.clone()).expect("send by ip");
    assert_eq!(next_message(&mut b_rx).await.data, req);
    assert_eq!(b.stats().connections_open, 2);
}

#[tokio::test]
async fn tls_with_wrong_name_fails_the_send() {
    let (cert, key) = write_cert("tls-bad-name");
    let (b, mut b_rx) = tls_server(&cert, &key).await;
    let config = NetConfig {
        tls_client_roots: Some(cert.clone()),
        ..NetConfig::default()
    };
    let (a, mut a_rx) = Network::bind(&[], config).await.expect("client");
    let flow = Flow {
        transport: Transport::Tls,
        remote: b.local_addr(Transport::Tls).expect("tls"),
        local: loopback(),
        connection: None,
    };
    a.send_to_name(
        &flow,
        Some("other.example"),
        Bytes::from(request("bad", "")),
    )
    .expect("queued");
    assert!(matches!(
        next_event(&mut a_rx).await,
        NetEvent::SendFailed { flow: f } if f.remote == flow.remote
    ));
    assert_eq!(a.stats().send_failures, 1);
    assert_quiet(&mut b_rx).await;
}

#[tokio::test]
async fn tls_listener_with_missing_files_fails_to_bind() {
    let l = ListenerConfig {
        transport: Transport::Tls,
        addr: loopback(),
        tls: Some(TlsFiles {
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
        }),
    };
    assert!(matches!(
        Network::bind(&[l], NetConfig::default()).await,
        Err(sip_net::NetError::Tls(_))
    ));
}
