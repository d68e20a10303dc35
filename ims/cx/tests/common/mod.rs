//! Test lab: the real HSS (`ims_hss::Hss` over a demo-seeded in-memory store) served by a
//! `DiameterNode` on 127.0.0.1:0, and an S-CSCF node connected to it whose Cx handler
//! answers RTR/PPR with this crate and reports what it parsed.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use diameter_codec::generated::cx;
use diameter_codec::Message;
use diameter_net::{DiameterNode, Handlers, Listen, NetConfig, Peer, Route, Transport};
use diameter_proto::{Application, LocalNode, PeerConfig, PeerState};
use ims_cx::{
    push_answer, push_error_answer, CxClient, CxIdentity, CxResult, PushProfile,
    RegistrationTermination,
};
use ims_hss::{CounterRandSource, Hss, HssConfig, ScscfConfig};
use ims_store::MemorySubscriberStore;
use tokio::sync::mpsc;

pub const HSS_HOST: &str = "hss.ims.test";
pub const SCSCF_HOST: &str = "scscf.ims.test";
pub const REALM: &str = "ims.test";
pub const SCSCF: &str = "sip:scscf.ims.test:6060";
pub const CCF: &str = "aaa://cdf.ims.test:3868";
pub const ECF: &str = "aaa://ocs.ims.test:3868";
/// Capabilities the demo users need (mandatory) and may use (optional).
pub const MANDATORY: u32 = 1;
pub const OPTIONAL: u32 = 7;

/// What the S-CSCF's Cx handler received from the HSS.
#[derive(Debug)]
pub enum Pushed {
    Rtr(RegistrationTermination),
    Ppr(PushProfile),
}

pub struct Lab {
    pub hss: Hss,
    pub hss_node: DiameterNode,
    pub scscf_node: DiameterNode,
    pub client: CxClient,
    pub pushed: mpsc::UnboundedReceiver<Pushed>,
}

fn local(host: &str) -> LocalNode {
    LocalNode {
        origin_host: host.to_owned(),
        origin_realm: REALM.to_owned(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 0,
        product_name: "ims-cx-test".to_owned(),
        firmware_revision: None,
        origin_state_id: 1,
        applications: vec![Application::VendorAuth {
            vendor: ims_cx::VENDOR_3GPP,
            app: cx::APPLICATION_ID.0,
        }],
        supported_vendor_ids: vec![ims_cx::VENDOR_3GPP],
    }
}

fn route(peer_host: &str) -> Route {
    Route {
        realm: REALM.to_owned(),
        application: None,
        peer_host: peer_host.to_owned(),
        metric: 1,
    }
}

pub fn hss_config() -> HssConfig {
    let mut cfg = HssConfig::new(HSS_HOST, REALM);
    cfg.user_capabilities.mandatory = vec![MANDATORY];
    cfg.user_capabilities.optional = vec![OPTIONAL];
    cfg.scscf.push(ScscfConfig {
        name: SCSCF.into(),
        capabilities: vec![MANDATORY, OPTIONAL],
    });
    cfg.scscf.push(ScscfConfig {
        name: "sip:scscf-small.ims.test".into(),
        capabilities: vec![OPTIONAL],
    });
    cfg.charging.ccf_primary = Some(CCF.into());
    cfg.charging.ecf_primary = Some(ECF.into());
    cfg
}

/// The client's NetConfig: one peer, the HSS at `hss`, realm route to it.
pub fn client_config(hss: SocketAddr) -> NetConfig {
    let mut c = NetConfig::new(local(SCSCF_HOST));
    let mut p = PeerConfig::new(HSS_HOST, REALM, true);
    p.tc = Duration::from_millis(300);
    p.request_timeout = Duration::from_secs(3);
    c.peers.push(Peer {
        config: p,
        address: Some(hss),
        transport: Transport::Tcp,
        tls_name: None,
    });
    c.routes.push(route(HSS_HOST));
    c
}

pub fn scscf_identity() -> CxIdentity {
    CxIdentity::new(SCSCF_HOST, REALM, REALM)
}

/// The HSS node's NetConfig: a TCP listener on 127.0.0.1:0, the S-CSCF as an accepted peer
/// and the route to it for RTR/PPR.
pub fn server_config() -> NetConfig {
    let mut server = NetConfig::new(local(HSS_HOST));
    server.listen.push(Listen {
        addr: "127.0.0.1:0".parse().unwrap(),
        transport: Transport::Tcp,
    });
    let mut p = PeerConfig::new(SCSCF_HOST, REALM, false);
    p.request_timeout = Duration::from_secs(3);
    server.peers.push(Peer {
        config: p,
        address: None,
        transport: Transport::Tcp,
        tls_name: None,
    });
    server.routes.push(route(SCSCF_HOST));
    server
}

/// Starts the HSS and the S-CSCF nodes and waits until the Diameter connection is open.
pub async fn start() -> Lab {
    let store = Arc::new(MemorySubscriberStore::new());
    ims_hss::seed_demo(store.as_ref()).await.unwrap();
    let hss = Hss::new(hss_config(), store, Arc::new(CounterRandSource::new(1))).unwrap();

    let server = server_config();
    let h = hss.clone();
    let handlers = Handlers::new().with(cx::APPLICATION_ID.0, move |req: Message| {
        let h = h.clone();
        async move { h.handle(&req).await }
    });
    let hss_node = DiameterNode::start(server, handlers).await.unwrap();
    let addr = hss_node.local_addrs()[0];

    let (tx, pushed) = mpsc::unbounded_channel();
    let handlers = Handlers::new().with(cx::APPLICATION_ID.0, move |req: Message| {
        let tx = tx.clone();
        async move { scscf_push_handler(&req, &tx) }
    });
    let scscf_node = DiameterNode::start(client_config(addr), handlers)
        .await
        .unwrap();
    let handle = scscf_node.handle();
    assert!(
        wait_open(&handle, Duration::from_secs(5)).await,
        "Cx connection to the HSS opens"
    );
    let client = CxClient::new(handle, scscf_identity());
    Lab {
        hss,
        hss_node,
        scscf_node,
        client,
        pushed,
    }
}

/// The S-CSCF's answer to HSS-initiated requests, as a role would write it.
fn scscf_push_handler(req: &Message, tx: &mpsc::UnboundedSender<Pushed>) -> bytes::Bytes {
    let id = scscf_identity();
    let parsed = if req.header().code == cx::cmd::RTR.code {
        RegistrationTermination::parse(req).map(Pushed::Rtr)
    } else {
        PushProfile::parse(req).map(Pushed::Ppr)
    };
    match parsed {
        Ok(p) => {
            let _ = tx.send(p);
            push_answer(req, &id, CxResult::SUCCESS)
        }
        Err(e) => push_error_answer(req, &id, &e),
    }
}

pub async fn wait_open(h: &diameter_net::ClientHandle, within: Duration) -> bool {
    let end = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < end {
        if h.peers().await.first().map(|p| p.state) == Some(PeerState::Open) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

impl Lab {
    pub async fn stop(self) {
        self.scscf_node.shutdown().await;
        self.hss_node.shutdown().await;
    }
}
