//! Test lab for session routing: the real HSS (`ims_hss::Hss` over a demo-seeded in-memory
//! store, served by a `DiameterNode` on 127.0.0.1:0) and an S-CSCF started from a config built
//! here; UDP sockets play the P-CSCFs, the UEs' next hops and application servers.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use diameter_codec::generated::cx;
use diameter_codec::Message as DiameterMessage;
use diameter_net::{DiameterNode, Handlers, Listen, NetConfig, Peer, Route, Transport};
use diameter_proto::{Application, LocalNode, PeerConfig};
use ims_cx::{SarRequest, ServerAssignmentType};
use ims_hss::{CounterRandSource, Hss, HssConfig};
use ims_scscf::config::{LogSection, ScscfSection, StoreSection};
use ims_scscf::{Scscf, ScscfConfig};
use ims_store::{MemorySubscriberStore, SubscriberStore};
use role_kit::diameter::{DiameterSection, PeerSection, RouteSection, TransportName};
use role_kit::sip::{SipListen, SipSection, SipTimers};
use sip_proto::Transport as SipTransport;
use sip_types::{Edits, HeaderName, Message, Via};
use tokio::net::UdpSocket;

pub const HSS_HOST: &str = "hss.ims.test";
pub const SCSCF_HOST: &str = "scscf.ims.test";
pub const REALM: &str = "ims.test";
pub const SCSCF_NAME: &str = "sip:scscf.ims.test:5080";

/// CSeq of the registrations this process sends (each REGISTER a higher one).
static CSEQ: AtomicU32 = AtomicU32::new(1);

pub struct Lab {
    pub store: Arc<MemorySubscriberStore>,
    pub hss_node: DiameterNode,
    pub scscf: Scscf,
    /// The S-CSCF's UDP listener.
    pub addr: SocketAddr,
}

fn hss_net() -> NetConfig {
    let local = LocalNode {
        origin_host: HSS_HOST.to_owned(),
        origin_realm: REALM.to_owned(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 0,
        product_name: "scscf-session-test-hss".to_owned(),
        firmware_revision: None,
        origin_state_id: 1,
        applications: vec![Application::VendorAuth {
            vendor: ims_cx::VENDOR_3GPP,
            app: cx::APPLICATION_ID.0,
        }],
        supported_vendor_ids: vec![ims_cx::VENDOR_3GPP],
    };
    let mut server = NetConfig::new(local);
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

/// The S-CSCF's configuration: UDP on 127.0.0.1:0, the HSS at `hss`.
pub fn scscf_config(hss: SocketAddr, icscf: Option<String>) -> ScscfConfig {
    ScscfConfig {
        sip: SipSection {
            listen: vec![SipListen {
                transport: "udp".into(),
                addr: "127.0.0.1:0".parse().unwrap(),
                cert: None,
                key: None,
            }],
            aliases: vec![SCSCF_HOST.into()],
            hosts: BTreeMap::new(),
            timers: SipTimers {
                t1_ms: 100,
                t2_ms: 400,
                t4_ms: 500,
                ..SipTimers::default()
            },
            max_message_size: 65_535,
            tcp_idle_timeout_s: 300,
            tls_client_ca: None,
        },
        scscf: ScscfSection {
            server_name: SCSCF_NAME.into(),
            home_domains: vec![REALM.into()],
            realm: REALM.into(),
            default_auth_scheme: "AKAv1-MD5".into(),
            auth_vectors: 1,
            min_expires: 60,
            max_expires: 3600,
            default_expires: 600,
            auth_vector_timeout_s: 30,
            icscf,
            breakout: None,
        },
        diameter: DiameterSection {
            origin_host: SCSCF_HOST.into(),
            origin_realm: REALM.into(),
            host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
            vendor_id: 0,
            accept_unknown_peers: false,
            listen: vec![],
            peer: vec![PeerSection {
                host: HSS_HOST.into(),
                realm: REALM.into(),
                address: Some(hss),
                transport: TransportName::Tcp,
                tw_s: 30,
                tc_s: 1,
                request_timeout_s: 3,
            }],
            route: vec![RouteSection {
                realm: REALM.into(),
                application: None,
                peer: HSS_HOST.into(),
                metric: 0,
            }],
            tls: None,
        },
        store: StoreSection {
            url: "memory".into(),
            cache: None,
        },
        log: LogSection {
            level: "warn".into(),
        },
        charging: None,
        isc: Default::default(),
    }
}

/// Start the HSS and the S-CSCF, and wait until Cx works.
pub async fn start(icscf: Option<String>) -> Lab {
    if std::env::var("SESSION_TEST_LOG").is_ok() {
        role_kit::init_tracing("debug");
    }
    let store = Arc::new(MemorySubscriberStore::new());
    ims_hss::seed_demo(store.as_ref()).await.unwrap();
    let mut cfg = HssConfig::new(HSS_HOST, REALM);
    cfg.scscf.push(ims_hss::ScscfConfig {
        name: SCSCF_NAME.into(),
        capabilities: vec![1],
    });
    let hss = Hss::new(cfg, store.clone(), Arc::new(CounterRandSource::new(1))).unwrap();
    let handlers = Handlers::new().with(cx::APPLICATION_ID.0, move |req: DiameterMessage| {
        let h = hss.clone();
        async move { h.handle(&req).await }
    });
    let hss_node = DiameterNode::start(hss_net(), handlers).await.unwrap();
    let hss_addr = hss_node.local_addrs()[0];
    let scscf = Scscf::start(scscf_config(hss_addr, icscf)).await.unwrap();
    let addr = scscf
        .sip_listeners()
        .iter()
        .find(|(t, _)| *t == SipTransport::Udp)
        .map(|(_, a)| *a)
        .unwrap();
    let lab = Lab {
        store,
        hss_node,
        scscf,
        addr,
    };
    lab.wait_for_cx().await;
    lab
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl Lab {
    async fn wait_for_cx(&self) {
        let shared = self.scscf.shared();
        let ids = ["sip:nobody@ims.test"];
        for _ in 0..200 {
            let r = shared
                .cx
                .sar(&SarRequest {
                    impi: None,
                    public_identities: &ids,
                    server_name: SCSCF_NAME,
                    assignment_type: ServerAssignmentType::NoAssignment,
                    user_data_already_available: true,
                })
                .await;
            if r.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the Cx connection to the HSS never opened");
    }

    /// Register `name` through the S-CSCF's registrar (SIP Digest MD5, password
    /// `NAME-secret`), the REGISTER sent by the P-CSCF socket `pcscf` with its Path
    /// `<sip:term@pcscf;lr>` and Contact `sip:NAME@ue`.
    pub async fn register(&self, name: &str, pcscf: &UdpSocket, ue: SocketAddr) {
        let pcscf_addr = pcscf.local_addr().unwrap();
        let impu = format!("sip:{name}@{REALM}");
        let impi = format!("{name}@{REALM}");
        let send = |cseq: u32, authorization: String| {
            format!(
                "REGISTER sip:{REALM} SIP/2.0\r\n\
                 Via: SIP/2.0/UDP {pcscf_addr};branch=z9hG4bK-reg-{name}-{cseq}\r\n\
                 Max-Forwards: 70\r\nFrom: <{impu}>;tag=reg-{name}\r\nTo: <{impu}>\r\n\
                 Call-ID: reg-{name}-{pcscf_addr}\r\nCSeq: {cseq} REGISTER\r\n\
                 Path: <sip:term@{pcscf_addr};lr>\r\nSupported: path\r\n\
                 Contact: <sip:{name}@{ue}>;expires=600\r\nAuthorization: {authorization}\r\n\
                 Content-Length: 0\r\n\r\n"
            )
        };
        let initial = format!(
            "Digest username=\"{impi}\", realm=\"{REALM}\", nonce=\"\", uri=\"sip:{REALM}\", \
             response=\"\", algorithm=MD5"
        );
        let cseq = CSEQ.fetch_add(2, Ordering::Relaxed);
        pcscf
            .send_to(send(cseq, initial).as_bytes(), self.addr)
            .await
            .unwrap();
        let (r401, _) = recv(pcscf).await;
        assert_eq!(r401.status().map(|s| s.0), Some(401), "{:?}", r401.reason());
        let challenge =
            sip_types::auth::Challenge::parse(r401.header(HeaderName::WWW_AUTHENTICATE).unwrap())
                .unwrap();
        let password = format!("{name}-secret");
        let authorization = sip_proto::digest::DigestClient::new(&impi, password.as_bytes())
            .authorization(
                &challenge,
                "REGISTER",
                &format!("sip:{REALM}"),
                "0a4f113b",
                1,
            )
            .unwrap();
        pcscf
            .send_to(send(cseq + 1, authorization).as_bytes(), self.addr)
            .await
            .unwrap();
        let (ok, _) = recv(pcscf).await;
        assert_eq!(ok.status().map(|s| s.0), Some(200), "{:?}", ok.reason());
        assert_eq!(
            ok.header(HeaderName::SERVICE_ROUTE),
            Some(format!("<sip:orig@{};lr>", self.addr).as_str())
        );
    }

    /// Give `name` a service profile `id` holding `ifc_xml` (one or more
    /// `<InitialFilterCriteria>`).
    pub async fn provision_ifcs(&self, name: &str, id: &str, ifc_xml: &str) {
        self.store
            .put_service_profile(&ims_store::ServiceProfile {
                id: id.into(),
                ifc_xml: format!("<ServiceProfile>{ifc_xml}</ServiceProfile>"),
            })
            .await
            .unwrap();
        let mut public = ims_hss::seed::demo_public(name);
        public.service_profile = id.into();
        self.store.put_public(&public).await.unwrap();
    }

    pub async fn stop(self) {
        self.scscf.stop().await;
        self.hss_node.shutdown().await;
    }
}

/// An iFC sending requests of `method` in session case `case` to `server`.
pub fn ifc(priority: i32, method: &str, case: u8, server: &str, default_handling: u8) -> String {
    format!(
        "<InitialFilterCriteria><Priority>{priority}</Priority><TriggerPoint>\
         <ConditionTypeCNF>0</ConditionTypeCNF>\
         <SPT><ConditionNegated>0</ConditionNegated><Group>0</Group><Method>{method}</Method></SPT>\
         <SPT><ConditionNegated>0</ConditionNegated><Group>0</Group><SessionCase>{case}</SessionCase></SPT>\
         </TriggerPoint><ApplicationServer><ServerName>{server}</ServerName>\
         <DefaultHandling>{default_handling}</DefaultHandling></ApplicationServer>\
         </InitialFilterCriteria>"
    )
}

pub async fn udp() -> (UdpSocket, SocketAddr) {
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let a = s.local_addr().unwrap();
    (s, a)
}

/// The next message on `sock` (100 Trying skipped when `skip_trying`).
pub async fn recv(sock: &UdpSocket) -> (Message, SocketAddr) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, from) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
            .await
            .expect("a message in time")
            .unwrap();
        let m = Message::parse(Bytes::copy_from_slice(&buf[..n])).unwrap();
        if m.status().map(|s| s.0) == Some(100) {
            continue;
        }
        return (m, from);
    }
}

/// No request `method` of call `call_id` arrives on `sock` within `ms` (other traffic, such
/// as the ACK of an earlier call, is ignored).
pub async fn quiet(sock: &UdpSocket, method: &str, call_id: &str, ms: u64) -> bool {
    let until = tokio::time::Instant::now() + Duration::from_millis(ms);
    loop {
        let Ok((m, _)) = tokio::time::timeout_at(until, recv(sock)).await else {
            return true;
        };
        if m.method().map(|x| x.as_str()) == Some(method) && m.call_id().ok() == Some(call_id) {
            return false;
        }
    }
}

/// An initial request as the originating P-CSCF at `pcscf` sends it: its Via, the
/// Service-Route `orig` Route when `orig`, and P-Asserted-Identity `from`.
pub fn request(
    method: &str,
    ruri: &str,
    from: &str,
    pcscf: SocketAddr,
    scscf: SocketAddr,
    call: &str,
    orig: bool,
) -> String {
    let route = if orig {
        format!("Route: <sip:orig@{scscf};lr>\r\n")
    } else {
        String::new()
    };
    let (body, ctype) = if method == "MESSAGE" {
        ("hello", "Content-Type: text/plain\r\n")
    } else {
        ("", "")
    };
    format!(
        "{method} {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {pcscf};branch=z9hG4bK-{call}\r\n{route}\
         Max-Forwards: 70\r\nFrom: <{from}>;tag=f-{call}\r\nTo: <{ruri}>\r\nCall-ID: {call}\r\n\
         CSeq: 1 {method}\r\nContact: <sip:caller@{pcscf}>\r\nP-Asserted-Identity: <{from}>\r\n\
         {ctype}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Route values of `m`.
pub fn routes(m: &Message) -> Vec<String> {
    m.header_values(HeaderName::ROUTE)
        .map(|v| v.text.trim().to_owned())
        .collect()
}

/// Record-Route values of `m`.
pub fn record_routes(m: &Message) -> Vec<String> {
    m.header_values(HeaderName::RECORD_ROUTE)
        .map(|v| v.text.trim().to_owned())
        .collect()
}

/// A response to `req` (Vias copied), with To tag `tag` and, for dialogs, Contact and the
/// Record-Route of the request.
pub fn response(req: &Message, status: u16, tag: &str, contact: Option<&str>) -> Bytes {
    let mut b = sip_types::ResponseBuilder::new(req, sip_types::StatusCode(status)).to_tag(tag);
    let rr: Vec<String> = record_routes(req);
    if !rr.is_empty() {
        b = b.header("Record-Route", rr.join(", "));
    }
    if let Some(c) = contact {
        b = b.header("Contact", format!("<{c}>"));
    }
    b.build()
}

/// As a stateless proxy: pop our top Via from `response` and send it where the next Via says.
pub async fn relay_response(sock: &UdpSocket, response: &Message) {
    let mut vias = response.header_values(HeaderName::VIA);
    let top = vias.next().unwrap();
    let next = Via::parse(vias.next().unwrap().text).unwrap();
    let to: SocketAddr = format!("{}:{}", next.host_str, next.port.unwrap_or(5060))
        .parse()
        .unwrap();
    let mut edits = Edits::new();
    edits.remove_value(response, &top);
    sock.send_to(&edits.apply(response), to).await.unwrap();
}

/// As a proxy AS at `me`: pop our own Route value, add our Via and send to the next Route.
pub async fn proxy_on(sock: &UdpSocket, me: SocketAddr, req: &Message, to: SocketAddr) {
    let mut edits = Edits::new();
    let top = req.header_values(HeaderName::ROUTE).next().unwrap();
    edits.remove_value(req, &top);
    edits.prepend_header(
        req,
        HeaderName::VIA,
        &format!(
            "SIP/2.0/UDP {me};branch=z9hG4bK-as-{}",
            req.call_id().unwrap()
        ),
    );
    sock.send_to(&edits.apply(req), to).await.unwrap();
}
