//! Charging test lab: the real OCS (`ims_ocs::Ocs` on a SQLite ledger) and the real CDF
//! (`ims_cdf::Cdf` on a SQLite CDR store), each served by a `DiameterNode` on 127.0.0.1;
//! the S-CSCF's side (a Diameter node built from a `[diameter]` section with the charging
//! routes, a SIP driver) and two UEs played by UDP sockets.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

pub mod scscf_lab;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use diameter_codec::generated::{rf, ro};
use diameter_codec::Message as DiameterMessage;
use diameter_net::{DiameterNode, Handlers, Listen, NetConfig, Peer, Transport};
use diameter_proto::{Application, LocalNode, PeerConfig, PeerState};
use ims_cdf::{Cdf, CdrStore};
use ims_ocs::{Ledger, LedgerOptions, Ocs, OcsConfig};
use ims_scscf::charging::{ChargingLinks, ChargingSection, ChargingTrigger};
use ims_store::SqlOptions;
use role_kit::diameter::{DiameterSection, PeerSection, TransportName};
use role_kit::sip::{SipListen, SipSection, SipTimers};
use sip_net::SipApp;
use sip_types::{Message, Method, RequestBuilder, ResponseBuilder, StatusCode};
use tokio::net::UdpSocket;

pub const REALM: &str = "ims.test";
pub const SCSCF_HOST: &str = "scscf.ims.test";
pub const OCS_HOST: &str = "ocs.ims.test";
pub const CDF_HOST: &str = "cdf.ims.test";
pub const ALICE: &str = "sip:alice@ims.test";
pub const BOB: &str = "sip:bob@ims.test";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh temp file path.
pub fn temp_file(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "ims_scscf_charging_{what}_{}_{}.db",
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

/// A loopback port nothing listens on (for now).
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

fn server_node(host: &str, application: Application) -> NetConfig {
    let mut c = NetConfig::new(LocalNode {
        origin_host: host.to_owned(),
        origin_realm: REALM.to_owned(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 10415,
        product_name: "ims-scscf-charging-test".to_owned(),
        firmware_revision: None,
        origin_state_id: 1,
        applications: vec![application],
        supported_vendor_ids: vec![10415],
    });
    let mut p = PeerConfig::new(SCSCF_HOST, REALM, false);
    p.tw = Duration::from_secs(6);
    c.peers.push(Peer {
        config: p,
        address: None,
        transport: Transport::Tcp,
        tls_name: None,
    });
    c
}

async fn serve(mut c: NetConfig, addr: SocketAddr, handlers: Handlers) -> DiameterNode {
    c.listen.push(Listen {
        addr,
        transport: Transport::Tcp,
    });
    // A port just given up may take a moment to be free again.
    for _ in 0..100 {
        match DiameterNode::start(c.clone(), handlers.clone()).await {
            Ok(n) => return n,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("cannot bind {addr}");
}

/// Voice 0.60/min per started minute, voice per second (service 1001: not used by INVITE),
/// SMS 0.10 per MESSAGE. `MAX_GRANT` is replaced.
pub const OCS_MINUTES: &str = r#"
origin_host = "ocs.ims.test"
origin_realm = "ims.test"
validity_time = 300
reservation_grace = 30
default_grant = 300
max_grant = MAX_GRANT

[[tariff]]
name = "voice"
match = { sip_method = ["INVITE"] }
kind = { time = { rate_per_minute = 600000, first_unit = 60, increment = 60 } }

[[tariff]]
name = "sms"
match = { sip_method = ["MESSAGE"] }
kind = { event = { price = 100000 } }
"#;

/// Voice 0.01 per second, billed per second.
pub const OCS_SECONDS: &str = r#"
origin_host = "ocs.ims.test"
origin_realm = "ims.test"
validity_time = 300
reservation_grace = 30
default_grant = 300
max_grant = MAX_GRANT

[[tariff]]
name = "voice"
match = { sip_method = ["INVITE"] }
kind = { time = { rate_per_second = 10000, first_unit = 1, increment = 1 } }

[[tariff]]
name = "sms"
match = { sip_method = ["MESSAGE"] }
kind = { event = { price = 100000 } }
"#;

/// The OCS on its own SQLite ledger.
pub struct OcsServer {
    pub ocs: Ocs,
    pub node: DiameterNode,
    file: PathBuf,
}

impl OcsServer {
    /// Starts it with `tariffs` (one of the texts above) and `max_grant` seconds.
    pub async fn start(tariffs: &str, max_grant: u32) -> Self {
        Self::start_as(OCS_HOST, tariffs, max_grant).await
    }

    /// As [`OcsServer::start`], named `host`.
    pub async fn start_as(host: &str, tariffs: &str, max_grant: u32) -> Self {
        let text = tariffs
            .replace("MAX_GRANT", &max_grant.to_string())
            .replace(OCS_HOST, host);
        let config = OcsConfig::from_toml(&text).unwrap();
        let file = temp_file("ocs");
        let ledger = Ledger::open(&LedgerOptions::new(format!("sqlite://{}", file.display())))
            .await
            .unwrap();
        let ocs = Ocs::new(config, ledger);
        let served = ocs.clone();
        let handlers = Handlers::new().with(ro::APPLICATION_ID.0, move |req: DiameterMessage| {
            let ocs = served.clone();
            async move { ocs.handle(&req).await }
        });
        let node = serve(
            server_node(host, Application::Auth(ro::APPLICATION_ID.0)),
            "127.0.0.1:0".parse().unwrap(),
            handlers,
        )
        .await;
        Self { ocs, node, file }
    }

    pub fn addr(&self) -> SocketAddr {
        self.node.local_addrs()[0]
    }

    pub fn ledger(&self) -> &Ledger {
        self.ocs.ledger()
    }

    /// An account `id` for `identity` holding `balance` micro-units.
    pub async fn account(&self, id: &str, identity: &str, balance: i64) {
        self.ledger()
            .create_account(id, &[identity], balance, 978)
            .await
            .unwrap();
    }

    /// (balance, reserved) of account `id`.
    pub async fn balance(&self, id: &str) -> (i64, i64) {
        let a = self.ledger().balance(id).await.unwrap();
        (a.balance, a.reserved)
    }

    pub async fn stop(self) {
        self.node.shutdown().await;
        self.ocs.ledger().close().await;
        remove_db(&self.file);
    }
}

/// The CDF's SQLite CDR store; served on demand (so that it can be down).
pub struct CdfServer {
    pub store: CdrStore,
    pub received: std::sync::Arc<AtomicUsize>,
    file: PathBuf,
}

impl CdfServer {
    pub async fn new() -> Self {
        let file = temp_file("cdf");
        let store = CdrStore::open(&SqlOptions::new(format!("sqlite://{}", file.display())))
            .await
            .unwrap();
        Self {
            store,
            received: std::sync::Arc::new(AtomicUsize::new(0)),
            file,
        }
    }

    /// Serves the store on `addr`.
    pub async fn serve(&self, addr: SocketAddr) -> DiameterNode {
        let cdf = Cdf::new(self.store.clone(), CDF_HOST, REALM, ims_cdf::system_clock());
        let received = std::sync::Arc::clone(&self.received);
        let handlers = Handlers::new().with(rf::APPLICATION_ID.0, move |req: DiameterMessage| {
            let cdf = cdf.clone();
            received.fetch_add(1, Ordering::SeqCst);
            async move { cdf.handle(&req).await }
        });
        serve(
            server_node(CDF_HOST, Application::Acct(rf::APPLICATION_ID.0)),
            addr,
            handlers,
        )
        .await
    }

    /// Every stored record as (Session-Id, record type, number), checking none is there twice.
    pub async fn records(&self) -> Vec<ims_cdf::Cdr> {
        let rows = self.store.records(&ims_cdf::TimeRange::ALL).await.unwrap();
        let keys: std::collections::BTreeSet<_> = rows
            .iter()
            .map(|r| (r.record.session_id.clone(), r.record.record_number))
            .collect();
        assert_eq!(keys.len(), rows.len(), "a record stored twice");
        rows
    }

    pub async fn remove(self) {
        self.store.close().await;
        remove_db(&self.file);
    }
}

/// The S-CSCF's `[diameter]` section with the OCS at `ocs` and the CDF at `cdf`.
pub fn diameter_section(ocs: Option<SocketAddr>, cdf: Option<SocketAddr>) -> DiameterSection {
    let peer = |host: &str, addr: SocketAddr| PeerSection {
        host: host.into(),
        realm: REALM.into(),
        address: Some(addr),
        transport: TransportName::Tcp,
        tw_s: 6,
        tc_s: 1,
        request_timeout_s: 2,
    };
    DiameterSection {
        origin_host: SCSCF_HOST.into(),
        origin_realm: REALM.into(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 0,
        accept_unknown_peers: false,
        listen: vec![],
        peer: ocs
            .map(|a| peer(OCS_HOST, a))
            .into_iter()
            .chain(cdf.map(|a| peer(CDF_HOST, a)))
            .collect(),
        route: vec![],
        tls: None,
    }
}

/// Adds the peer `host` at `addr` to `section`.
pub fn add_peer(section: &mut DiameterSection, host: &str, addr: SocketAddr) {
    section.peer.push(PeerSection {
        host: host.into(),
        realm: REALM.into(),
        address: Some(addr),
        transport: TransportName::Tcp,
        tw_s: 6,
        tc_s: 1,
        request_timeout_s: 2,
    });
}

/// The S-CSCF's `[sip]` section: UDP on 127.0.0.1:0.
pub fn sip_section() -> SipSection {
    SipSection {
        listen: vec![SipListen {
            transport: "udp".into(),
            addr: "127.0.0.1:0".parse().unwrap(),
            cert: None,
            key: None,
        }],
        aliases: vec![SCSCF_HOST.into()],
        hosts: Default::default(),
        timers: SipTimers::default(),
        max_message_size: 65_535,
        tcp_idle_timeout_s: 300,
        tls_client_ca: None,
    }
}

/// `[charging]` for the tests: the OCS and CDF peers, a spool in a temp file, Tx 300 ms.
pub fn charging_section(spool: &Path) -> ChargingSection {
    ChargingSection {
        ocs: Some(OCS_HOST.into()),
        cdf: Some(CDF_HOST.into()),
        spool: spool.display().to_string(),
        tx_timeout_ms: 300,
        ..ChargingSection::default()
    }
}

/// The S-CSCF's side: its Diameter node (with the charging routes and applications), its
/// SIP driver and the trigger.
pub struct Side {
    pub node: DiameterNode,
    pub sip: SipApp,
    pub trigger: ChargingTrigger,
}

impl Side {
    pub async fn start(section: ChargingSection, diameter: DiameterSection) -> Self {
        let mut net = diameter.net_config("ims-scscf-test", Vec::new()).unwrap();
        ims_scscf::charging::add_diameter_routes(&section, &diameter, &mut net.routes);
        net.local.applications = ims_scscf::charging::applications();
        let node = DiameterNode::start(net, Handlers::new()).await.unwrap();
        let sip = sip_section().start().await.unwrap();
        let links = ChargingLinks {
            diameter: node.handle(),
            ro_identity: ims_charging::ClientIdentity::new(SCSCF_HOST, REALM, REALM),
            rf_identity: ims_charging::ClientIdentity::new(SCSCF_HOST, REALM, REALM),
            sip: sip.handle.clone(),
            hosts: Default::default(),
            aliases: vec![SCSCF_HOST.into()],
        };
        let trigger = ChargingTrigger::start(section, links).await.unwrap();
        Self { node, sip, trigger }
    }

    /// Waits until the peer `host` is open.
    pub async fn wait_open(&self, host: &str) {
        let h = self.node.handle();
        for _ in 0..500 {
            let peers = h.peers().await;
            if peers
                .iter()
                .any(|p| p.host == host && p.state == PeerState::Open)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("peer {host} never opened");
    }

    pub async fn stop(self) {
        self.trigger.shutdown().await;
        self.sip.stop().await;
        self.node.shutdown().await;
    }
}

/// A UE: a UDP socket on 127.0.0.1.
pub struct Ue {
    pub socket: UdpSocket,
    pub user: &'static str,
}

impl Ue {
    pub async fn new(user: &'static str) -> Self {
        Self {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            user,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    pub fn contact(&self) -> String {
        format!("<sip:{}@{}>", self.user, self.addr())
    }

    /// The next SIP message within `within`, or None.
    pub async fn recv(&self, within: Duration) -> Option<(Message, SocketAddr)> {
        let mut buf = vec![0u8; 65_535];
        let (n, from) = tokio::time::timeout(within, self.socket.recv_from(&mut buf))
            .await
            .ok()?
            .unwrap();
        Some((
            Message::parse(Bytes::copy_from_slice(&buf[..n])).unwrap(),
            from,
        ))
    }

    /// Waits for a BYE and answers it 200.
    pub async fn expect_bye(&self, within: Duration) -> Message {
        let (bye, from) = self.recv(within).await.expect("a BYE arrives");
        assert_eq!(bye.method(), Some(&Method::BYE), "{bye:?}");
        let ok = ResponseBuilder::new(&bye, StatusCode::OK).build();
        self.socket.send_to(&ok, from).await.unwrap();
        bye
    }
}

/// An initial INVITE from `caller` to `callee` as the S-CSCF receives it.
pub fn invite(call_id: &str, caller: &Ue, callee_aor: &str) -> Message {
    Message::parse(
        RequestBuilder::new(Method::INVITE, callee_aor)
            .header("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKinv1")
            .header("Max-Forwards", "69")
            .header(
                "From",
                format!("<sip:{}@ims.test>;tag=caller-tag", caller.user),
            )
            .header("To", format!("<{callee_aor}>"))
            .header("Call-ID", call_id)
            .header("CSeq", "1 INVITE")
            .header("Contact", caller.contact())
            .header(
                "P-Asserted-Identity",
                format!("<sip:{}@ims.test>", caller.user),
            )
            .header(
                "P-Charging-Vector",
                format!("icid-value=icid-{call_id};orig-ioi=ims.test"),
            )
            .build(),
    )
    .unwrap()
}

/// The callee's 200 OK to `invite`.
pub fn ok_from(invite: &Message, callee: &Ue) -> Message {
    Message::parse(
        ResponseBuilder::new(invite, StatusCode::OK)
            .to_tag("callee-tag")
            .header("Contact", callee.contact())
            .build(),
    )
    .unwrap()
}

/// A MESSAGE from `from` (a user name) to `to`.
pub fn message(call_id: &str, from: &str, to: &str) -> Message {
    Message::parse(
        RequestBuilder::new(Method::MESSAGE, to)
            .header("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKmsg1")
            .header("Max-Forwards", "69")
            .header("From", format!("<sip:{from}@ims.test>;tag=m1"))
            .header("To", format!("<{to}>"))
            .header("Call-ID", call_id)
            .header("CSeq", "1 MESSAGE")
            .header("P-Asserted-Identity", format!("<sip:{from}@ims.test>"))
            .body("text/plain", "hello")
            .build(),
    )
    .unwrap()
}

/// Polls `cond` every 20 ms for up to `within`.
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = tokio::time::Instant::now() + within;
    while !cond().await {
        assert!(tokio::time::Instant::now() < end, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The next message of call `call_id` on `sock` within 5 s (100 Trying and other calls'
/// retransmissions skipped).
pub async fn recv_call(sock: &UdpSocket, call_id: &str) -> (Message, SocketAddr) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, from) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
            .await
            .expect("a message in time")
            .unwrap();
        let m = Message::parse(Bytes::copy_from_slice(&buf[..n])).unwrap();
        if m.status() != Some(StatusCode::TRYING) && m.call_id().ok() == Some(call_id) {
            return (m, from);
        }
    }
}

/// The ACK of a non-2xx final `response` to `invite` (RFC 3261 §17.1.1.3), sent by the
/// P-CSCF at `from` to `to`.
pub async fn ack_failure(sock: &UdpSocket, invite: &Message, response: &Message, to: SocketAddr) {
    let ack = RequestBuilder::new(Method::ACK, invite.request_uri().unwrap())
        .header("Via", invite.header(sip_types::HeaderName::VIA).unwrap())
        .header("Max-Forwards", "70")
        .header("From", invite.header(sip_types::HeaderName::FROM).unwrap())
        .header("To", response.header(sip_types::HeaderName::TO).unwrap())
        .header("Call-ID", invite.call_id().unwrap())
        .header("CSeq", format!("{} ACK", invite.cseq().unwrap().seq))
        .build();
    sock.send_to(&ack, to).await.unwrap();
}
