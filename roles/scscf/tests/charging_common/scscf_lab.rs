//! A whole S-CSCF with charging: the real HSS (demo-seeded, on a `DiameterNode`), the OCS and
//! CDF of the parent module, and `Scscf::start` with `[charging]` naming them; users are
//! registered as the registrar would (SAR REGISTRATION, profile, one binding behind a P-CSCF
//! played by a UDP socket).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use diameter_codec::generated::cx;
use diameter_codec::Message as DiameterMessage;
use diameter_net::{DiameterNode, Handlers, Listen, NetConfig, Peer, Transport};
use diameter_proto::{Application, LocalNode, PeerConfig, PeerState};
use ims_cx::{SarRequest, ServerAssignmentType};
use ims_hss::{CounterRandSource, Hss, HssConfig};
use ims_scscf::config::{LogSection, ScscfSection, StoreSection};
use ims_scscf::session::served::served_user_from_saa;
use ims_scscf::{Scscf, ScscfConfig};
use ims_store::{Binding, MemorySubscriberStore};
use role_kit::diameter::{PeerSection, RouteSection, TransportName};
use role_kit::sip::SipTimers;

use super::{
    charging_section, diameter_section, sip_section, CDF_HOST, OCS_HOST, REALM, SCSCF_HOST,
};

pub const HSS_HOST: &str = "hss.ims.test";
pub const SCSCF_NAME: &str = "sip:scscf.ims.test:5080";

/// The HSS and an S-CSCF charging through the OCS and CDF.
pub struct ScscfLab {
    pub hss_node: DiameterNode,
    pub scscf: Scscf,
    /// The S-CSCF's UDP listener.
    pub addr: SocketAddr,
}

fn hss_net() -> NetConfig {
    let mut server = NetConfig::new(LocalNode {
        origin_host: HSS_HOST.to_owned(),
        origin_realm: REALM.to_owned(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 0,
        product_name: "scscf-charging-test-hss".to_owned(),
        firmware_revision: None,
        origin_state_id: 1,
        applications: vec![Application::VendorAuth {
            vendor: ims_cx::VENDOR_3GPP,
            app: cx::APPLICATION_ID.0,
        }],
        supported_vendor_ids: vec![ims_cx::VENDOR_3GPP],
    });
    server.listen.push(Listen {
        addr: "127.0.0.1:0".parse().unwrap(),
        transport: Transport::Tcp,
    });
    server.peers.push(Peer {
        config: PeerConfig::new(SCSCF_HOST, REALM, false),
        address: None,
        transport: Transport::Tcp,
        tls_name: None,
    });
    server
}

/// The S-CSCF's configuration: UDP on 127.0.0.1:0, the HSS, OCS and CDF peers, `[charging]`.
pub fn config(hss: SocketAddr, ocs: SocketAddr, cdf: SocketAddr, spool: &Path) -> ScscfConfig {
    let mut diameter = diameter_section(Some(ocs), Some(cdf));
    diameter.peer.push(PeerSection {
        host: HSS_HOST.into(),
        realm: REALM.into(),
        address: Some(hss),
        transport: TransportName::Tcp,
        tw_s: 30,
        tc_s: 1,
        request_timeout_s: 3,
    });
    diameter.route.push(RouteSection {
        realm: REALM.into(),
        application: None,
        peer: HSS_HOST.into(),
        metric: 0,
    });
    let mut sip = sip_section();
    sip.hosts = BTreeMap::new();
    sip.timers = SipTimers {
        t1_ms: 100,
        t2_ms: 400,
        t4_ms: 500,
        ..SipTimers::default()
    };
    ScscfConfig {
        sip,
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
            icscf: None,
            breakout: None,
        },
        diameter,
        store: StoreSection {
            url: "memory".into(),
            cache: None,
        },
        log: LogSection {
            level: "warn".into(),
        },
        charging: Some(charging_section(spool)),
        isc: Default::default(),
    }
}

impl ScscfLab {
    /// Starts the HSS and the S-CSCF; returns when Cx, Ro and Rf are open.
    pub async fn start(ocs: SocketAddr, cdf: SocketAddr, spool: &Path) -> Self {
        let store = Arc::new(MemorySubscriberStore::new());
        ims_hss::seed_demo(store.as_ref()).await.unwrap();
        let mut cfg = HssConfig::new(HSS_HOST, REALM);
        cfg.scscf.push(ims_hss::ScscfConfig {
            name: SCSCF_NAME.into(),
            capabilities: vec![1],
        });
        let hss = Hss::new(cfg, store, Arc::new(CounterRandSource::new(1))).unwrap();
        let handlers = Handlers::new().with(cx::APPLICATION_ID.0, move |req: DiameterMessage| {
            let h = hss.clone();
            async move { h.handle(&req).await }
        });
        let hss_node = DiameterNode::start(hss_net(), handlers).await.unwrap();
        let config = config(hss_node.local_addrs()[0], ocs, cdf, spool);
        config.check().unwrap();
        let scscf = Scscf::start(config).await.unwrap();
        let addr = scscf.sip_listeners()[0].1;
        let handle = scscf.diameter_handle();
        for _ in 0..500 {
            let peers = handle.peers().await;
            let open = |h: &str| {
                peers
                    .iter()
                    .any(|p| p.host == h && p.state == PeerState::Open)
            };
            if open(HSS_HOST) && open(OCS_HOST) && open(CDF_HOST) {
                return Self {
                    hss_node,
                    scscf,
                    addr,
                };
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the S-CSCF's Diameter peers never opened");
    }

    /// Registers `name` as the registrar would: SAR REGISTRATION, its profile cached, one
    /// binding `sip:NAME@ue` behind the P-CSCF at `pcscf` (Path `<sip:term@pcscf;lr>`).
    pub async fn register(&self, name: &str, pcscf: SocketAddr, ue: SocketAddr) {
        let shared = self.scscf.shared();
        let impu = format!("sip:{name}@{REALM}");
        let impi = format!("{name}@{REALM}");
        let ids = [impu.as_str()];
        let saa = shared
            .cx
            .sar(&SarRequest {
                impi: Some(&impi),
                public_identities: &ids,
                server_name: SCSCF_NAME,
                assignment_type: ServerAssignmentType::Registration,
                user_data_already_available: false,
            })
            .await
            .unwrap();
        assert!(saa.result.is_success(), "SAA {:?}", saa.result);
        shared
            .profiles
            .insert(served_user_from_saa(&impu, &saa).unwrap());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        shared
            .registrations
            .upsert(&Binding {
                aor: impu,
                contact: format!("sip:{name}@{ue}"),
                expires_at: now + 600,
                q: 1000,
                instance: None,
                reg_id: None,
                path: vec![format!("<sip:term@{pcscf};lr>")],
                call_id: format!("reg-{name}"),
                cseq: 1,
                received: Some(ims_store::Flow {
                    transport: "udp".into(),
                    remote: pcscf.to_string(),
                    local: self.addr.to_string(),
                }),
                user_agent: None,
                pn: None,
                registered_at: now,
            })
            .await
            .unwrap();
    }

    pub async fn stop(self) {
        self.scscf.stop().await;
        self.hss_node.shutdown().await;
    }
}
