//! imsctl's Diameter tools against an in-process diameter-net server node.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::PathBuf;

use diameter_codec::Message;
use diameter_net::{DiameterNode, Handlers};
use imsctl::diameter::bench::{self, BenchArgs};
use imsctl::diameter::serve::{self, ServeArgs};
use imsctl::diameter::session::{Identity, Session};
use imsctl::diameter::{ping, send};

fn args() -> ServeArgs {
    ServeArgs {
        listen: vec!["127.0.0.1:0".parse().unwrap()],
        tls_listen: vec![],
        origin_host: "hss.ims.test".into(),
        origin_realm: "ims.test".into(),
        host_ip: None,
        peers: vec![],
        accept_unknown: true,
        tw: 30,
        cert: None,
        key: None,
        ca: None,
        require_client_cert: false,
    }
}

fn id() -> Identity {
    Identity {
        origin_host: "imsctl.ims.test".into(),
        origin_realm: "ims.test".into(),
        tls: None,
        tls_name: None,
        auth_apps: vec![],
        timeout: 3,
    }
}

async fn server(handlers: Handlers) -> (DiameterNode, SocketAddr) {
    let node = DiameterNode::start(serve::net_config(&args()).unwrap(), handlers)
        .await
        .unwrap();
    let a = node.local_addrs()[0];
    (node, a)
}

fn cx() -> Handlers {
    Handlers::new().with(serve::CX_APP, |req: Message| {
        let a = serve::cx_answer(&req, "hss.ims.test", "ims.test");
        async move { a }
    })
}

#[tokio::test]
async fn ping_send_and_bench_against_our_node() {
    let (node, addr) = server(cx()).await;
    ping::run(addr, &id()).await.unwrap();
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/uar.toml");
    send::run(addr, &file, &id()).await.unwrap();
    let b = BenchArgs {
        requests: 500,
        inflight: 32,
        destination_realm: "ims.test".into(),
        server_pid: Some(std::process::id()),
        label: "test".into(),
        max_secs: 20,
    };
    bench::run(addr, &id(), &b).await.unwrap();
    node.shutdown().await;
}

#[tokio::test]
async fn cea_reports_peer_identity_and_dwr_is_answered() {
    let (node, addr) = server(cx()).await;
    let mut s = Session::connect(addr, &id()).await.unwrap();
    let (cea, _) = s.handshake().await.unwrap();
    let apps = ping::applications(&cea);
    assert!(
        apps.contains(&"vendor-auth:10415/16777216".to_owned()),
        "{apps:?}"
    );
    let dwr = s.dwr();
    let (dwa, _) = s.exchange(dwr).await.unwrap();
    assert_eq!(imsctl::diameter::session::result_code(&dwa), Some(2001));
    node.shutdown().await;
}

#[tokio::test]
async fn send_fails_on_3007() {
    let (node, addr) = server(Handlers::new()).await;
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/uar.toml");
    assert!(send::run(addr, &file, &id()).await.is_err());
    node.shutdown().await;
}

#[tokio::test]
async fn ping_over_tls() {
    let dir = std::env::temp_dir().join(format!("imsctl-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["hss.ims.test".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_p, key_p) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_p, cert.pem()).unwrap();
    std::fs::write(&key_p, key.serialize_pem()).unwrap();
    let mut a = args();
    a.listen.clear();
    a.tls_listen = vec!["127.0.0.1:0".parse().unwrap()];
    a.cert = Some(cert_p.clone());
    a.key = Some(key_p);
    a.ca = Some(cert_p.clone());
    let node = DiameterNode::start(serve::net_config(&a).unwrap(), cx())
        .await
        .unwrap();
    let addr = node.local_addrs()[0];
    let mut i = id();
    i.tls = Some(cert_p);
    i.tls_name = Some("hss.ims.test".into());
    ping::run(addr, &i).await.unwrap();
    // Without TLS the same port does not answer a CER.
    assert!(ping::run(addr, &id()).await.is_err());
    node.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
