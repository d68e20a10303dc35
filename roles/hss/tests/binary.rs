//! The `ims-hss` binary end to end: started from a config file with the demo subscribers, it
//! answers a UAR and an AKA MAR over a real Diameter connection, and stops cleanly on SIGTERM.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::process::{Child, Command};
use std::time::Duration;

use common::{base, exp, mar, result, uar, SCSCF_HOST};

const CX: u32 = 16_777_216;
use diameter_codec::generated::cx::{avp as x, UserAuthorizationType};
use diameter_codec::{AvpContainer, GroupedAvps};
use diameter_net::{DiameterNode, Handlers, NetConfig, Peer, Route, Transport};
use diameter_proto::{Application, LocalNode, PeerConfig};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Hss(Child);

impl Drop for Hss {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_hss(port: u16, dir: &std::path::Path) -> Hss {
    let config = dir.join("hss.toml");
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../config/hss.toml"))
        .unwrap()
        .replace("127.0.0.1:3868", &format!("127.0.0.1:{port}"))
        // The admin API on a free port too (9100 may be another HSS's).
        .replace("127.0.0.1:9100", &format!("127.0.0.1:{}", free_port()))
        .replace(
            "sqlite:./ims-lab-data/hss.db",
            &format!("sqlite:{}/hss.db", dir.display()),
        );
    std::fs::write(&config, text).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ims-hss"))
        .args(["--config", config.to_str().unwrap()])
        .spawn()
        .unwrap();
    Hss(child)
}

fn client(hss: SocketAddr) -> NetConfig {
    let mut c = NetConfig::new(LocalNode {
        origin_host: SCSCF_HOST.to_owned(),
        origin_realm: "ims.test".to_owned(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 0,
        product_name: "hss-binary-test".to_owned(),
        firmware_revision: None,
        origin_state_id: 1,
        applications: vec![Application::VendorAuth {
            vendor: 10415,
            app: CX,
        }],
        supported_vendor_ids: vec![10415],
    });
    let mut peer = PeerConfig::new("hss.ims.test", "ims.test", true);
    peer.tc = Duration::from_millis(300);
    c.peers.push(Peer {
        config: peer,
        address: Some(hss),
        transport: Transport::Tcp,
        tls_name: None,
    });
    c.routes.push(Route {
        realm: "ims.test".to_owned(),
        application: None,
        peer_host: "hss.ims.test".to_owned(),
        metric: 1,
    });
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_subscriber_gets_answers_over_diameter() {
    let dir = std::env::temp_dir().join(format!("ims-hss-binary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let mut hss = start_hss(port, &dir);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();

    // Wait until the binary listens.
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let node = DiameterNode::start(client(addr), Handlers::new())
        .await
        .unwrap();
    let handle = node.handle();
    // The peer comes up once the binary listens and CER/CEA is done.
    let mut answer = None;
    for _ in 0..100 {
        let req = uar(
            "alice@ims.test",
            "sip:alice@ims.test",
            "ims.test",
            Some(UserAuthorizationType::REGISTRATION),
        );
        match handle.request(req).await {
            Ok(a) => {
                answer = Some(a);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let uaa = answer.expect("the HSS answers a UAR within 10 s");
    // First registration of a seeded demo user: 2001 DIAMETER_FIRST_REGISTRATION.
    assert_eq!(result(&uaa), exp(2001));

    let maa = handle
        .request(mar(
            "alice@ims.test",
            "sip:alice@ims.test",
            "Digest-AKAv1-MD5",
            1,
            None,
        ))
        .await
        .unwrap();
    assert_eq!(result(&maa), base(2001));
    let item: GroupedAvps = maa.get(&x::SIP_AUTH_DATA_ITEM).unwrap().unwrap();
    let rand_autn: bytes::Bytes = item.get(&x::SIP_AUTHENTICATE).unwrap().unwrap();
    assert_eq!(rand_autn.len(), 32, "RAND ‖ AUTN");

    node.shutdown().await;
    // SIGTERM: the binary says DPR to its peers and exits 0.
    let pid = hss.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = hss.0.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(status
        .expect("ims-hss exits within 10 s of SIGTERM")
        .success());
    let _ = std::fs::remove_dir_all(&dir);
}
