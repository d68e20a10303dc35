//! TLS at connect time (RFC 6733 §13) with rcgen certificates: mutual authentication on, and a
//! client without a trusted certificate is refused.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use diameter_codec::Message;
use diameter_net::{DiameterNode, Handlers, TlsFiles, Transport};
use diameter_proto::PeerState;

struct Pki {
    ca: std::path::PathBuf,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
}

fn pki(dir: &Path, tag: &str) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    std::fs::create_dir_all(dir).unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let p = Pki {
        ca: dir.join(format!("{tag}-ca.pem")),
        cert: dir.join(format!("{tag}-cert.pem")),
        key: dir.join(format!("{tag}-key.pem")),
    };
    std::fs::write(&p.ca, ca.pem()).unwrap();
    std::fs::write(&p.cert, cert.pem()).unwrap();
    std::fs::write(&p.key, key.serialize_pem()).unwrap();
    p
}

fn files(p: &Pki, ca: &Path) -> TlsFiles {
    TlsFiles {
        cert: p.cert.clone(),
        key: p.key.clone(),
        ca: ca.to_path_buf(),
        require_client_cert: true,
    }
}

#[tokio::test]
async fn mutual_tls_request_answer() {
    let dir = std::env::temp_dir().join(format!("dnet-tls-it-{}", std::process::id()));
    let good = pki(&dir, "good");
    let rogue = pki(&dir, "rogue");

    let mut scfg = server_config(Transport::Tls);
    scfg.tls = Some(files(&good, &good.ca));
    let server = DiameterNode::start(
        scfg,
        Handlers::new().with(CX, |req: Message| {
            let a = uaa(&req);
            async move { a }
        }),
    )
    .await
    .unwrap();
    let addr = server.local_addrs()[0];

    let mut ccfg = client_config(addr, Transport::Tls);
    ccfg.tls = Some(files(&good, &good.ca));
    let client = DiameterNode::start(ccfg, Handlers::new()).await.unwrap();
    let h = client.handle();
    assert!(wait_state(&h, PeerState::Open, Duration::from_secs(5)).await);
    let ans = h.request(uar("alice@ims.test")).await.unwrap();
    assert_eq!(result_code(&ans), Some(2001));
    client.shutdown().await;

    // A client certificate from another CA: the handshake fails, the peer never opens.
    let mut bad = client_config(addr, Transport::Tls);
    bad.tls = Some(files(&rogue, &good.ca));
    let intruder = DiameterNode::start(bad, Handlers::new()).await.unwrap();
    assert!(
        !wait_state(
            &intruder.handle(),
            PeerState::Open,
            Duration::from_millis(1500)
        )
        .await
    );
    intruder.abort();
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
