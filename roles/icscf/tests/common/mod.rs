//! Test lab: the real HSS (`ims_hss::Hss` over a demo-seeded in-memory store, served by a
//! `DiameterNode` on 127.0.0.1:0), the I-CSCF started from a TOML file whose `[sip.hosts]`
//! lead the S-CSCF names to test UDP sockets, and a UDP socket playing the P-CSCF.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use diameter_codec::Message as DiameterMessage;
use diameter_net::{DiameterNode, Handlers, Listen, NetConfig, Peer, Route, Transport};
use diameter_proto::{Application, LocalNode, PeerConfig, PeerState};
use ims_cx::{CxClient, CxIdentity, SarRequest, ServerAssignmentType};
use ims_hss::{CounterRandSource, Hss, HssConfig, ScscfConfig};
use ims_icscf::{Icscf, IcscfConfig, DEFAULTS, ENV_PREFIX};
use ims_store::MemorySubscriberStore;
use sip_types::{Message, StatusCode};
use tokio::net::UdpSocket;

pub const REALM: &str = "ims.test";
pub const HSS_HOST: &str = "hss.ims.test";
/// The capability every demo user needs (mandatory in the HSS's Server-Capabilities).
pub const MANDATORY: u32 = 1;
const CX: u32 = 16_777_216;

pub struct Scscf {
    pub name: String,
    pub socket: UdpSocket,
}

pub struct Lab {
    pub icscf: Icscf,
    pub icscf_addr: SocketAddr,
    pub hss_node: Option<DiameterNode>,
    pub hss_addr: SocketAddr,
    /// S-CSCF sockets; the HSS knows only the first, the I-CSCF's list has all of them.
    pub scscfs: Vec<Scscf>,
    /// The P-CSCF side.
    pub pcscf: UdpSocket,
}

fn local(host: &str) -> LocalNode {
    LocalNode {
        origin_host: host.to_owned(),
        origin_realm: REALM.to_owned(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 0,
        product_name: "ims-icscf-test".to_owned(),
        firmware_revision: None,
        origin_state_id: 1,
        applications: vec![Application::VendorAuth {
            vendor: ims_cx::VENDOR_3GPP,
            app: CX,
        }],
        supported_vendor_ids: vec![ims_cx::VENDOR_3GPP],
    }
}

async fn start_hss(scscf: &str) -> DiameterNode {
    let store = Arc::new(MemorySubscriberStore::new());
    ims_hss::seed_demo(store.as_ref()).await.unwrap();
    let mut cfg = HssConfig::new(HSS_HOST, REALM);
    cfg.user_capabilities.mandatory = vec![MANDATORY];
    cfg.scscf.push(ScscfConfig {
        name: scscf.to_owned(),
        capabilities: vec![MANDATORY],
    });
    let hss = Hss::new(cfg, store, Arc::new(CounterRandSource::new(1))).unwrap();
    let mut net = NetConfig::new(local(HSS_HOST));
    net.node.accept_unknown_peers = true;
    net.listen.push(Listen {
        addr: "127.0.0.1:0".parse().unwrap(),
        transport: Transport::Tcp,
    });
    let handlers = Handlers::new().with(CX, move |req: DiameterMessage| {
        let hss = hss.clone();
        async move { hss.handle(&req).await }
    });
    DiameterNode::start(net, handlers).await.unwrap()
}

/// The I-CSCF's file for this lab: listeners on port 0, the HSS as peer, the S-CSCFs with
/// capability 1 (the last one with `last_caps`).
pub fn icscf_toml(hss: SocketAddr, scscfs: &[(String, SocketAddr)], last_caps: &str) -> String {
    let mut hosts = String::new();
    let mut list = String::new();
    for (i, (name, addr)) in scscfs.iter().enumerate() {
        let host = format!("scscf{i}.ims.test");
        hosts.push_str(&format!("\"{host}\" = [\"udp:{addr}\"]\n"));
        let caps = if i + 1 == scscfs.len() {
            last_caps
        } else {
            "[1]"
        };
        list.push_str(&format!(
            "[[icscf.scscf]]\nname = \"{name}\"\ncapabilities = {caps}\n"
        ));
    }
    format!(
        r#"
[sip]
aliases = ["icscf.ims.test"]
[[sip.listen]]
transport = "udp"
addr = "127.0.0.1:0"
[sip.hosts]
{hosts}
[icscf]
home_domain = "ims.test"
{list}
[diameter]
origin_host = "icscf.ims.test"
origin_realm = "ims.test"
[[diameter.peer]]
host = "{HSS_HOST}"
realm = "{REALM}"
address = "{hss}"
tc_s = 1
request_timeout_s = 3
[[diameter.route]]
realm = "{REALM}"
peer = "{HSS_HOST}"
[log]
level = "warn"
"#
    )
}

/// Loads `text` the way the binary does (defaults, file, environment).
pub fn load(text: &str) -> IcscfConfig {
    let dir = std::env::temp_dir().join(format!(
        "ims-icscf-test-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("icscf.toml");
    std::fs::write(&path, text).unwrap();
    let config = role_kit::load_config(DEFAULTS, Some(&path), ENV_PREFIX).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    config
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The HSS, `n` S-CSCF sockets (the HSS knows the first), the I-CSCF and a P-CSCF socket.
/// The last S-CSCF of the I-CSCF's list offers `last_caps`.
pub async fn start_with(n: usize, last_caps: &str) -> Lab {
    let mut scscfs = Vec::new();
    for i in 0..n {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = socket.local_addr().unwrap().port();
        scscfs.push(Scscf {
            name: format!("sip:scscf{i}.ims.test:{port}"),
            socket,
        });
    }
    let hss_node = start_hss(&scscfs[0].name).await;
    let hss_addr = hss_node.local_addrs()[0];
    let named: Vec<(String, SocketAddr)> = scscfs
        .iter()
        .map(|s| (s.name.clone(), s.socket.local_addr().unwrap()))
        .collect();
    let config = load(&icscf_toml(hss_addr, &named, last_caps));
    let icscf = Icscf::start(config).await.unwrap();
    assert!(
        icscf.wait_hss_open(Duration::from_secs(5)).await,
        "Cx connection to the HSS opens"
    );
    let icscf_addr = icscf
        .sip_listeners()
        .iter()
        .find(|(t, _)| *t == sip_proto::Transport::Udp)
        .map(|(_, a)| *a)
        .unwrap();
    Lab {
        icscf,
        icscf_addr,
        hss_node: Some(hss_node),
        hss_addr,
        scscfs,
        pcscf: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
    }
}

/// One S-CSCF, capability 1.
pub async fn start() -> Lab {
    start_with(1, "[1]").await
}

impl Lab {
    pub async fn stop(mut self) {
        self.icscf.stop().await;
        if let Some(hss) = self.hss_node.take() {
            hss.shutdown().await;
        }
    }

    /// Sends `text` from the P-CSCF socket to the I-CSCF.
    pub async fn send(&self, text: &str) {
        self.pcscf
            .send_to(text.as_bytes(), self.icscf_addr)
            .await
            .unwrap();
    }

    /// The next final response at the P-CSCF (provisional ones skipped).
    pub async fn final_response(&self) -> Message {
        loop {
            let m = recv(&self.pcscf).await;
            if m.status().is_some_and(|s| s.0 >= 200) {
                return m;
            }
        }
    }

    /// A REGISTER from the P-CSCF.
    pub fn register(&self, user: &str, call: &str, extra: &str) -> String {
        let from = self.pcscf.local_addr().unwrap();
        format!(
            "REGISTER sip:ims.test SIP/2.0\r\n\
             Via: SIP/2.0/UDP {from};branch=z9hG4bK-{call};rport\r\n\
             Max-Forwards: 69\r\nFrom: <sip:{user}@ims.test>;tag=r{call}\r\n\
             To: <sip:{user}@ims.test>\r\nCall-ID: {call}\r\nCSeq: 1 REGISTER\r\n\
             Contact: <sip:{user}@10.1.1.1:5060>;expires=600\r\n\
             Path: <sip:term@pcscf.ims.test;lr>\r\n{extra}Content-Length: 0\r\n\r\n"
        )
    }

    /// An INVITE for `ruri` from an originating S-CSCF (here the P-CSCF socket).
    pub fn invite(&self, ruri: &str, call: &str, extra: &str) -> String {
        let from = self.pcscf.local_addr().unwrap();
        format!(
            "INVITE {ruri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {from};branch=z9hG4bK-{call};rport\r\n\
             Max-Forwards: 65\r\nFrom: <sip:alice@ims.test>;tag=i{call}\r\n\
             To: <{ruri}>\r\nCall-ID: {call}\r\nCSeq: 1 INVITE\r\n\
             Contact: <sip:alice@10.1.1.1:5060>\r\n{extra}Content-Length: 0\r\n\r\n"
        )
    }

    /// Registers `impu` at the HSS as served by `server_name`, as an S-CSCF would (SAR
    /// REGISTRATION over its own Diameter connection).
    pub async fn register_at_hss(&self, impi: &str, impu: &str, server_name: &str) {
        let mut net = NetConfig::new(local("scscf.ims.test"));
        let mut p = PeerConfig::new(HSS_HOST, REALM, true);
        p.tc = Duration::from_millis(300);
        net.peers.push(Peer {
            config: p,
            address: Some(self.hss_addr),
            transport: Transport::Tcp,
            tls_name: None,
        });
        net.routes.push(Route {
            realm: REALM.to_owned(),
            application: None,
            peer_host: HSS_HOST.to_owned(),
            metric: 1,
        });
        let node = DiameterNode::start(net, Handlers::new()).await.unwrap();
        let handle = node.handle();
        let end = tokio::time::Instant::now() + Duration::from_secs(5);
        while handle.peers().await.first().map(|p| p.state) != Some(PeerState::Open) {
            assert!(
                tokio::time::Instant::now() < end,
                "S-CSCF Cx connection opens"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let client = CxClient::new(handle, CxIdentity::new("scscf.ims.test", REALM, REALM));
        let saa = client
            .sar(&SarRequest {
                impi: Some(impi),
                public_identities: &[impu],
                server_name,
                assignment_type: ServerAssignmentType::Registration,
                user_data_already_available: false,
            })
            .await
            .unwrap();
        assert!(saa.result.is_success(), "SAR: {}", saa.result);
        node.shutdown().await;
    }
}

/// The next SIP message on `sock` (5 s at most).
pub async fn recv(sock: &UdpSocket) -> Message {
    recv_from(sock).await.0
}

/// The next SIP message on `sock` and its source.
pub async fn recv_from(sock: &UdpSocket) -> (Message, SocketAddr) {
    let mut buf = vec![0u8; 65_535];
    let (n, from) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
        .await
        .expect("a message in time")
        .unwrap();
    (
        Message::parse(Bytes::copy_from_slice(&buf[..n])).unwrap(),
        from,
    )
}

/// Nothing arrives on `sock` within `within`.
pub async fn silent(sock: &UdpSocket, within: Duration) -> bool {
    let mut buf = vec![0u8; 65_535];
    tokio::time::timeout(within, sock.recv_from(&mut buf))
        .await
        .is_err()
}

/// Answers `request` (received from `from`) with `status`.
pub async fn answer(sock: &UdpSocket, request: &Message, status: StatusCode, from: SocketAddr) {
    let reply = sip_types::ResponseBuilder::new(request, status)
        .to_tag("s")
        .build();
    sock.send_to(&reply, from).await.unwrap();
}
