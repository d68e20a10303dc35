//! Registrar test lab: the real HSS (`ims_hss::Hss` over the demo-seeded in-memory store,
//! served by a `DiameterNode` on 127.0.0.1:0), an S-CSCF connected to it, and a UE (or the
//! P-CSCF in front of it) played by a UDP socket with the demo USIM.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use diameter_codec::generated::cx;
use diameter_net::{DiameterNode, Handlers, Listen, NetConfig, Peer, Route, Transport};
use diameter_proto::{Application, LocalNode, PeerConfig, PeerState};
use ims_core::aka::{
    usim_authenticate, Autn, Key, Milenage, Op, Rand, SqnConfig, UsimFailure, UsimSqnState,
};
use ims_hss::{CounterRandSource, Hss, HssConfig};
use ims_scscf::{Scscf, ScscfConfig, ENV_PREFIX};
use ims_store::{MemorySubscriberStore, RegistrationState};
use sip_proto::digest::DigestClient;
use sip_types::auth::Challenge;
use sip_types::{HeaderName, Message};
use tokio::net::UdpSocket;

pub const HSS_HOST: &str = "hss.ims.test";
pub const SCSCF_HOST: &str = "scscf.ims.test";
pub const REALM: &str = "ims.test";
pub const SERVER_NAME: &str = "sip:scscf.ims.test:5080";
pub const PATH: &str = "<sip:term@127.0.0.1:5060;lr>";

pub struct Lab {
    pub hss: Hss,
    pub hss_node: DiameterNode,
    pub scscf: Scscf,
    pub scscf_addr: SocketAddr,
}

fn local(host: &str) -> LocalNode {
    LocalNode {
        origin_host: host.to_owned(),
        origin_realm: REALM.to_owned(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 0,
        product_name: "ims-hss-test".to_owned(),
        firmware_revision: None,
        origin_state_id: 1,
        applications: vec![Application::VendorAuth {
            vendor: ims_cx::VENDOR_3GPP,
            app: cx::APPLICATION_ID.0,
        }],
        supported_vendor_ids: vec![ims_cx::VENDOR_3GPP],
    }
}

/// The HSS node: TCP on 127.0.0.1:0, the S-CSCF as a known peer with a route for RTR/PPR.
fn hss_net() -> NetConfig {
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
    server.routes.push(Route {
        realm: REALM.to_owned(),
        application: None,
        peer_host: SCSCF_HOST.to_owned(),
        metric: 1,
    });
    server
}

/// The S-CSCF's configuration for the lab: UDP on 127.0.0.1:0, the HSS at `hss`, bindings
/// in memory (loaded as the binary loads its file, so defaults of new keys apply).
pub fn scscf_config(hss: SocketAddr) -> ScscfConfig {
    let text = format!(
        r#"
[sip]
aliases = ["{SCSCF_HOST}"]
[[sip.listen]]
transport = "udp"
addr = "127.0.0.1:0"
[scscf]
server_name = "{SERVER_NAME}"
home_domains = ["{REALM}"]
realm = "{REALM}"
default_auth_scheme = "AKAv1-MD5"
auth_vectors = 1
min_expires = 60
max_expires = 3600
default_expires = 600
[store]
url = "memory"
[diameter]
origin_host = "{SCSCF_HOST}"
origin_realm = "{REALM}"
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
    );
    let config: ScscfConfig = role_kit::load_config(&text, None, ENV_PREFIX).unwrap();
    config.check().unwrap();
    config
}

/// Starts the HSS and an S-CSCF configured by `tweak`, and waits for Cx to open.
pub async fn start(tweak: impl FnOnce(&mut ScscfConfig)) -> Lab {
    let store = Arc::new(MemorySubscriberStore::new());
    ims_hss::seed_demo(store.as_ref()).await.unwrap();
    let mut cfg = HssConfig::new(HSS_HOST, REALM);
    cfg.scscf.push(ims_hss::ScscfConfig {
        name: SERVER_NAME.into(),
        capabilities: vec![1],
    });
    let hss = Hss::new(cfg, store, Arc::new(CounterRandSource::new(1))).unwrap();
    let h = hss.clone();
    let handlers = Handlers::new().with(cx::APPLICATION_ID.0, move |req| {
        let h = h.clone();
        async move { h.handle(&req).await }
    });
    let hss_node = DiameterNode::start(hss_net(), handlers).await.unwrap();
    let mut config = scscf_config(hss_node.local_addrs()[0]);
    tweak(&mut config);
    let scscf = Scscf::start(config).await.unwrap();
    let scscf_addr = scscf.sip_listeners()[0].1;
    let handle = hss_node.handle();
    let end = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if handle.peers().await.first().map(|p| p.state) == Some(PeerState::Open) {
            break;
        }
        assert!(tokio::time::Instant::now() < end, "Cx connection opens");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Lab {
        hss,
        hss_node,
        scscf,
        scscf_addr,
    }
}

impl Lab {
    /// The HSS's registration state of `impu` and its S-CSCF name.
    pub async fn hss_state(&self, impu: &str) -> (RegistrationState, Option<String>) {
        let r = self.hss.store().registration(impu).await.unwrap();
        (r.state, r.scscf_name)
    }

    /// Waits up to `within` for `impu` to reach `state` at the HSS.
    pub async fn wait_hss_state(&self, impu: &str, state: RegistrationState, within: Duration) {
        let end = tokio::time::Instant::now() + within;
        while self.hss_state(impu).await.0 != state {
            assert!(
                tokio::time::Instant::now() < end,
                "{impu} reaches {state:?} at the HSS"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Live bindings of `aor` in the S-CSCF's location service.
    pub async fn bindings(&self, aor: &str) -> Vec<ims_store::Binding> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        self.scscf
            .shared()
            .registrations
            .lookup(aor, now)
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.scscf.stop().await;
        self.hss_node.shutdown().await;
    }
}

/// A UE with the demo USIM (K, OP as ASCII; the HSS's SQN scheme), on a UDP socket.
pub struct Ue {
    pub name: String,
    pub sock: UdpSocket,
    pub addr: SocketAddr,
    pub scscf: SocketAddr,
    pub call_id: String,
    pub cseq: u32,
    /// Requests sent (each gets its own branch).
    pub sent: u32,
    pub usim: UsimSqnState,
    pub milenage: Milenage,
}

/// The USIM's SQN scheme: the HSS's IND bits and Δ = 2^28.
pub fn sqn_config() -> SqnConfig {
    SqnConfig::new(HssConfig::new(HSS_HOST, REALM).sqn_ind_bits, 1 << 28).unwrap()
}

impl Ue {
    pub async fn new(name: &str, scscf: SocketAddr) -> Self {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = sock.local_addr().unwrap();
        Self {
            name: name.to_owned(),
            sock,
            addr,
            scscf,
            call_id: format!("reg-{name}-{}", addr.port()),
            cseq: 0,
            sent: 0,
            usim: UsimSqnState::new(sqn_config()),
            milenage: Milenage::with_op(
                &Key::new(ims_hss::seed::DEMO_K),
                &Op::new(ims_hss::seed::DEMO_OP),
            ),
        }
    }

    pub fn impi(&self) -> String {
        format!("{}@{REALM}", self.name)
    }

    pub fn impu(&self) -> String {
        format!("sip:{}@{REALM}", self.name)
    }

    pub fn contact_uri(&self) -> String {
        format!("sip:{}@{}", self.name, self.addr)
    }

    /// Sends a REGISTER with `contact` (a whole Contact value, or none), optional Expires
    /// and Authorization, and returns the final response.
    pub async fn register(
        &mut self,
        contact: Option<&str>,
        expires: Option<u32>,
        authorization: Option<&str>,
    ) -> Message {
        self.cseq += 1;
        self.sent += 1;
        let mut m = format!(
            "REGISTER sip:{REALM} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {addr};branch=z9hG4bK-{call}-{sent};rport\r\n\
             Max-Forwards: 70\r\nFrom: <{impu}>;tag=ue-{cseq}\r\nTo: <{impu}>\r\n\
             Call-ID: {call}\r\nCSeq: {cseq} REGISTER\r\nPath: {PATH}\r\n",
            addr = self.addr,
            call = self.call_id,
            cseq = self.cseq,
            sent = self.sent,
            impu = self.impu(),
        );
        if let Some(c) = contact {
            m.push_str(&format!("Contact: {c}\r\n"));
        }
        if let Some(e) = expires {
            m.push_str(&format!("Expires: {e}\r\n"));
        }
        if let Some(a) = authorization {
            m.push_str(&format!("Authorization: {a}\r\n"));
        }
        m.push_str("Content-Length: 0\r\n\r\n");
        self.sock.send_to(m.as_bytes(), self.scscf).await.unwrap();
        self.final_response().await
    }

    async fn final_response(&self) -> Message {
        let mut buf = vec![0u8; 65_535];
        loop {
            let (n, _) =
                tokio::time::timeout(Duration::from_secs(5), self.sock.recv_from(&mut buf))
                    .await
                    .expect("a response in time")
                    .unwrap();
            let m = Message::parse(Bytes::copy_from_slice(&buf[..n])).unwrap();
            if m.status().is_some_and(|s| s.0 >= 200) {
                return m;
            }
        }
    }

    /// The empty Authorization of an initial REGISTER naming `algorithm` (TS 24.229
    /// §5.1.1.2.1).
    pub fn initial_authorization(&self, algorithm: &str) -> String {
        format!(
            "Digest username=\"{}\", realm=\"{REALM}\", nonce=\"\", uri=\"sip:{REALM}\", \
             response=\"\", algorithm={algorithm}",
            self.impi()
        )
    }

    /// Runs the USIM on the AKA challenge of `r401`: the Authorization answering it, or the
    /// USIM's failure.
    pub fn answer_aka(&mut self, r401: &Message) -> Result<String, UsimFailure> {
        let value = r401.header(HeaderName::WWW_AUTHENTICATE).unwrap();
        let ch = Challenge::parse(value).unwrap();
        let (rand, autn) = sip_proto::digest::rand_autn(ch.nonce().unwrap()).unwrap();
        let r = usim_authenticate(
            &self.milenage,
            &mut self.usim,
            &Rand::new(rand),
            &Autn::new(autn),
        )?;
        Ok(DigestClient::new(&self.impi(), r.res.as_bytes())
            .authorization(&ch, "REGISTER", &format!("sip:{REALM}"), "0a4f113b", 1)
            .unwrap())
    }

    /// The Authorization answering the challenge of `r401` with `password`.
    pub fn answer_password(&self, r401: &Message, password: &[u8]) -> String {
        let value = r401.header(HeaderName::WWW_AUTHENTICATE).unwrap();
        let ch = Challenge::parse(value).unwrap();
        DigestClient::new(&self.impi(), password)
            .authorization(&ch, "REGISTER", &format!("sip:{REALM}"), "0a4f113b", 1)
            .unwrap()
    }

    /// A full AKA registration of `contact` with `expires`: 401, then the final response.
    pub async fn register_aka(&mut self, contact: &str, expires: Option<u32>) -> Message {
        let r = self
            .register(
                Some(contact),
                expires,
                Some(&self.initial_authorization("AKAv1-MD5")),
            )
            .await;
        assert_eq!(r.status().unwrap().0, 401, "challenged first");
        let auth = self.answer_aka(&r).expect("the USIM accepts the network");
        self.register(Some(contact), expires, Some(&auth)).await
    }
}
