//! ims-edge with a TLS listener (rustls, certificate from PEM files): a UAC over TLS reaches a
//! UAS over UDP, and the answer comes back over the same TLS connection.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ims_edge::config::{EdgeConfig, DEFAULTS, ENV_PREFIX};
use ims_edge::Edge;
use sip_proto::Transport;
use sip_types::{HeaderName, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

#[tokio::test]
async fn options_over_tls_to_a_udp_uas() {
    let dir = std::env::temp_dir().join(format!("edge-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();

    let uas = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let text = format!(
        "[[listen]]\ntransport = \"udp\"\naddr = \"127.0.0.1:0\"\n\
         [[listen]]\ntransport = \"tls\"\naddr = \"127.0.0.1:0\"\ncert = \"{}\"\nkey = \"{}\"\n\
         [[route]]\nname = \"uas\"\ndestinations = [\"sip:{}\"]\n\
         [tls]\nclient_ca = \"{}\"\n",
        cert.display(),
        key.display(),
        uas.local_addr().unwrap(),
        cert.display()
    );
    let path = dir.join("edge.toml");
    std::fs::write(&path, text).unwrap();
    let cfg: EdgeConfig = role_kit::load_config(DEFAULTS, Some(&path), ENV_PREFIX).unwrap();
    let edge = Edge::bind(&cfg).await.unwrap();
    let tls_addr: SocketAddr = edge
        .listeners()
        .into_iter()
        .find(|(t, _)| *t == Transport::Tls)
        .unwrap()
        .1;
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(edge.run(async move {
        let _ = rx.await;
    }));

    // A TLS client that trusts the edge's self-signed certificate.
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&cert).unwrap();
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(c.unwrap()).unwrap();
    }
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = TcpStream::connect(tls_addr).await.unwrap();
    let me = tcp.local_addr().unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let req = format!(
        "OPTIONS sip:service@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/TLS {me};branch=z9hG4bK-tls1\r\n\
         Max-Forwards: 70\r\n\
         From: <sips:alice@example.com>;tag=a1\r\n\
         To: <sips:service@example.com>\r\n\
         Call-ID: tls1@test\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    );
    tls.write_all(req.as_bytes()).await.unwrap();

    let mut buf = vec![0u8; 65536];
    let (n, from) = tokio::time::timeout(Duration::from_secs(5), uas.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let fwd = Message::parse(bytes::Bytes::copy_from_slice(&buf[..n])).unwrap();
    assert_eq!(fwd.header_values(HeaderName::VIA).count(), 2);
    let mut answer = String::from("SIP/2.0 200 OK\r\n");
    for v in fwd.header_values(HeaderName::VIA) {
        answer.push_str(&format!("Via: {}\r\n", v.text));
    }
    for name in [
        HeaderName::FROM,
        HeaderName::TO,
        HeaderName::CALL_ID,
        HeaderName::CSEQ,
    ] {
        answer.push_str(&format!(
            "{}: {}\r\n",
            name.as_str(),
            fwd.header(name).unwrap()
        ));
    }
    answer.push_str("Content-Length: 0\r\n\r\n");
    uas.send_to(answer.as_bytes(), from).await.unwrap();

    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "TLS connection closed early");
        got.extend_from_slice(&buf[..n]);
    }
    let resp = Message::parse(bytes::Bytes::from(got)).unwrap();
    assert_eq!(resp.status().unwrap().0, 200);
    assert_eq!(resp.top_via().unwrap().branch(), Some("z9hG4bK-tls1"));
    let _ = stop.send(());
    task.await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
