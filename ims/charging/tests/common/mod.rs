//! Real servers on loopback for the charging clients: the ims-ocs and ims-cdf handlers
//! served by `diameter_net::DiameterNode` on 127.0.0.1 (SQLite in temp files), and client
//! nodes with one peer each.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diameter_codec::generated::{rf, ro};
use diameter_codec::Message;
use diameter_net::{
    ClientHandle, DiameterNode, Handlers, Listen, NetConfig, Peer, Route, Transport,
};
use diameter_proto::{Application, LocalNode, PeerConfig, PeerState};
use ims_cdf::{Cdf, CdrStore};
use ims_charging::ClientIdentity;
use ims_ocs::{Ledger, LedgerOptions, Ocs, OcsConfig};
use ims_store::SqlOptions;

pub const REALM: &str = "ims.test";
pub const CLIENT: &str = "scscf.ims.test";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh temp file path.
pub fn temp_file(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "ims_charging_{what}_{}_{}.db",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Removes an SQLite file and its WAL.
pub fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut f = path.as_os_str().to_owned();
        f.push(suffix);
        let _ = std::fs::remove_file(f);
    }
}

pub fn identity() -> ClientIdentity {
    ClientIdentity::new(CLIENT, REALM, REALM)
}

fn local(host: &str) -> LocalNode {
    LocalNode {
        origin_host: host.to_owned(),
        origin_realm: REALM.to_owned(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 10415,
        product_name: "ims-charging-test".to_owned(),
        firmware_revision: None,
        origin_state_id: 1,
        applications: vec![
            Application::Auth(ro::APPLICATION_ID.0),
            Application::Acct(rf::APPLICATION_ID.0),
        ],
        supported_vendor_ids: vec![10415],
    }
}

/// A server node named `host` listening on `addr` (port 0: any), accepting the client.
pub async fn server(host: &str, addr: SocketAddr, handlers: Handlers) -> DiameterNode {
    let mut c = NetConfig::new(local(host));
    c.listen.push(Listen {
        addr,
        transport: Transport::Tcp,
    });
    let mut p = PeerConfig::new(CLIENT, REALM, false);
    p.tw = Duration::from_secs(5);
    c.peers.push(Peer {
        config: p,
        address: None,
        transport: Transport::Tcp,
        tls_name: None,
    });
    // The port of a just stopped server may take a moment to be free again.
    for _ in 0..100 {
        match DiameterNode::start(c.clone(), handlers.clone()).await {
            Ok(n) => return n,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("cannot bind {addr}");
}

/// A client node with one peer `host` at `addr`, routed for the realm.
pub async fn client(host: &str, addr: SocketAddr) -> DiameterNode {
    let mut c = NetConfig::new(local(CLIENT));
    let mut p = PeerConfig::new(host, REALM, true);
    p.tc = Duration::from_millis(100);
    p.tw = Duration::from_secs(5);
    p.request_timeout = Duration::from_secs(2);
    c.peers.push(Peer {
        config: p,
        address: Some(addr),
        transport: Transport::Tcp,
        tls_name: None,
    });
    c.routes.push(Route {
        realm: REALM.to_owned(),
        application: None,
        peer_host: host.to_owned(),
        metric: 1,
    });
    c.connect_timeout = Duration::from_millis(500);
    DiameterNode::start(c, Handlers::new()).await.unwrap()
}

/// Waits until the client's peer is open.
pub async fn wait_open(h: &ClientHandle) {
    for _ in 0..200 {
        if h.peers().await.first().map(|p| p.state) == Some(PeerState::Open) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("peer never opened");
}

/// A loopback address nothing listens on.
pub fn dead_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// Tariffs: voice 0.60/min charged per started minute, SMS 0.10 per MESSAGE.
pub const OCS_CONFIG: &str = r#"
origin_host = "HOST"
origin_realm = "ims.test"
validity_time = 300
reservation_grace = 30
default_grant = 300

[[tariff]]
name = "voice"
match = { sip_method = ["INVITE"] }
kind = { time = { rate_per_minute = 600000, first_unit = 60, increment = 60 } }

[[tariff]]
name = "sms"
match = { sip_method = ["MESSAGE"] }
kind = { event = { price = 100000 } }
"#;

/// An OCS named `host` on its own SQLite ledger, served on loopback.
pub struct OcsServer {
    pub ocs: Ocs,
    pub node: DiameterNode,
    file: PathBuf,
}

impl OcsServer {
    /// Starts it; `delay` holds every answer back (to let the client's Tx expire).
    pub async fn start(host: &str, delay: Option<Duration>) -> Self {
        let config = OcsConfig::from_toml(&OCS_CONFIG.replace("HOST", host)).unwrap();
        let file = temp_file("ocs");
        let ledger = Ledger::open(&LedgerOptions::new(format!("sqlite://{}", file.display())))
            .await
            .unwrap();
        let ocs = Ocs::new(config, ledger);
        let served = ocs.clone();
        let handlers = Handlers::new().with(ro::APPLICATION_ID.0, move |req: Message| {
            let ocs = served.clone();
            async move {
                if let Some(d) = delay {
                    tokio::time::sleep(d).await;
                }
                ocs.handle(&req).await
            }
        });
        let node = server(host, "127.0.0.1:0".parse().unwrap(), handlers).await;
        Self { ocs, node, file }
    }

    pub fn addr(&self) -> SocketAddr {
        self.node.local_addrs()[0]
    }

    pub fn ledger(&self) -> &Ledger {
        self.ocs.ledger()
    }

    pub async fn stop(self) {
        self.node.shutdown().await;
        self.ocs.ledger().close().await;
        remove_db(&self.file);
    }
}

/// A CDF on its own SQLite store; `received` counts the ACRs its handler was given.
pub struct CdfServer {
    pub store: CdrStore,
    pub received: Arc<AtomicUsize>,
    pub file: PathBuf,
}

impl CdfServer {
    pub async fn new() -> Self {
        let file = temp_file("cdf");
        let store = CdrStore::open(&SqlOptions::new(format!("sqlite://{}", file.display())))
            .await
            .unwrap();
        Self {
            store,
            received: Arc::new(AtomicUsize::new(0)),
            file,
        }
    }

    /// Serves the store on `addr` (port 0: any).
    pub async fn serve(&self, addr: SocketAddr) -> DiameterNode {
        self.serve_slow(addr, None).await
    }

    /// As [`CdfServer::serve`], each answer held back by `delay`.
    pub async fn serve_slow(&self, addr: SocketAddr, delay: Option<Duration>) -> DiameterNode {
        let cdf = Cdf::new(
            self.store.clone(),
            "cdf.ims.test",
            REALM,
            ims_cdf::system_clock(),
        );
        let received = Arc::clone(&self.received);
        let handlers = Handlers::new().with(rf::APPLICATION_ID.0, move |req: Message| {
            let cdf = cdf.clone();
            received.fetch_add(1, Ordering::SeqCst);
            async move {
                if let Some(d) = delay {
                    tokio::time::sleep(d).await;
                }
                cdf.handle(&req).await
            }
        });
        server("cdf.ims.test", addr, handlers).await
    }

    pub async fn remove(self) {
        self.store.close().await;
        remove_db(&self.file);
    }
}
