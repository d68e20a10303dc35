//! `imsctl diameter serve`: a Diameter server node (diameter-net) that answers Cx requests
//! with 2001, for testbeds and load tests. Runs until SIGINT/SIGTERM, then DPR to its peers.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Context};
use bytes::Bytes;
use diameter_codec::generated::base::{self, avp as b};
use diameter_codec::{AvpContainer, Message, MessageBuilder, WriteAvps};
use diameter_net::{DiameterNode, Handlers, Listen, NetConfig, Peer, TlsFiles, Transport};
use diameter_proto::{Application, LocalNode, PeerConfig};

/// Cx/Dx (3GPP TS 29.229 §6.1).
pub const CX_APP: u32 = 16_777_216;
/// 3GPP vendor id.
pub const VENDOR_3GPP: u32 = 10415;

/// Options of `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// TCP listen address (repeatable).
    #[arg(long, default_value = "127.0.0.1:3868")]
    pub listen: Vec<SocketAddr>,
    /// TLS listen address (repeatable; needs --cert --key --ca).
    #[arg(long)]
    pub tls_listen: Vec<SocketAddr>,
    /// Our Origin-Host.
    #[arg(long, default_value = "hss.ims.test")]
    pub origin_host: String,
    /// Our Origin-Realm.
    #[arg(long, default_value = "ims.test")]
    pub origin_realm: String,
    /// Host-IP-Address to advertise (default: the first listen address).
    #[arg(long)]
    pub host_ip: Option<IpAddr>,
    /// A known peer `HOST=REALM` (waits for it) or `HOST=REALM@ADDR` (connects to it).
    #[arg(long = "peer")]
    pub peers: Vec<String>,
    /// Accept CER from hosts that are not configured peers.
    #[arg(long)]
    pub accept_unknown: bool,
    /// Watchdog Tw in seconds.
    #[arg(long, default_value_t = 30)]
    pub tw: u64,
    /// Certificate chain (PEM).
    #[arg(long)]
    pub cert: Option<PathBuf>,
    /// Private key (PEM).
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// CA bundle (PEM).
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Require client certificates on TLS listeners.
    #[arg(long)]
    pub require_client_cert: bool,
}

fn parse_peer(spec: &str, tw: Duration) -> anyhow::Result<Peer> {
    let (host, rest) = spec
        .split_once('=')
        .ok_or_else(|| anyhow!("peer {spec:?}: want HOST=REALM[@ADDR]"))?;
    let (realm, addr) = match rest.split_once('@') {
        Some((r, a)) => (r, Some(a.parse::<SocketAddr>().context("peer address")?)),
        None => (rest, None),
    };
    let mut config = PeerConfig::new(host, realm, addr.is_some());
    config.tw = tw;
    config.tc = Duration::from_secs(5);
    Ok(Peer {
        config,
        address: addr,
        transport: Transport::Tcp,
        tls_name: None,
    })
}

/// The local node advertised by `serve` and `bench`: Cx as Vendor-Specific {10415, 16777216}
/// (Kamailio's cdp requires exactly that) plus Auth 4 (DCCA).
pub fn local_node(host: &str, realm: &str, ip: IpAddr) -> LocalNode {
    LocalNode {
        origin_host: host.to_owned(),
        origin_realm: realm.to_owned(),
        host_ip_addresses: vec![ip],
        vendor_id: 0,
        product_name: "ims-rs".to_owned(),
        firmware_revision: Some(1),
        origin_state_id: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1),
        applications: vec![
            Application::VendorAuth {
                vendor: VENDOR_3GPP,
                app: CX_APP,
            },
            Application::Auth(4),
        ],
        supported_vendor_ids: vec![VENDOR_3GPP],
    }
}

/// A 2001 answer for a Cx request: Session-Id, Vendor-Specific-Application-Id,
/// Auth-Session-State NO_STATE_MAINTAINED, Origin-Host/Realm (TS 29.229 §6.1).
pub fn cx_answer(req: &Message, host: &str, realm: &str) -> Bytes {
    let mut a = MessageBuilder::answer(req.header());
    if let Ok(Some(sid)) = req.find(b::SESSION_ID.code()) {
        a.put_raw(&sid);
    }
    a.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
        g.put(&b::VENDOR_ID, &VENDOR_3GPP)
            .put(&b::AUTH_APPLICATION_ID, &CX_APP);
    })
    .put(&b::RESULT_CODE, &2001)
    .put(
        &b::AUTH_SESSION_STATE,
        &base::AuthSessionState::NO_STATE_MAINTAINED,
    )
    .put(&b::ORIGIN_HOST, host)
    .put(&b::ORIGIN_REALM, realm);
    a.finish()
}

/// Builds the node configuration from the options.
pub fn net_config(args: &ServeArgs) -> anyhow::Result<NetConfig> {
    let ip = args
        .host_ip
        .or_else(|| {
            args.listen
                .first()
                .or_else(|| args.tls_listen.first())
                .map(SocketAddr::ip)
        })
        .unwrap_or_else(|| IpAddr::from([127, 0, 0, 1]));
    let mut config = NetConfig::new(local_node(&args.origin_host, &args.origin_realm, ip));
    config.node.accept_unknown_peers = args.accept_unknown;
    let tw = Duration::from_secs(args.tw.max(6));
    for p in &args.peers {
        config.peers.push(parse_peer(p, tw)?);
    }
    for a in &args.listen {
        config.listen.push(Listen {
            addr: *a,
            transport: Transport::Tcp,
        });
    }
    for a in &args.tls_listen {
        config.listen.push(Listen {
            addr: *a,
            transport: Transport::Tls,
        });
    }
    if let (Some(cert), Some(key), Some(ca)) = (&args.cert, &args.key, &args.ca) {
        config.tls = Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
            ca: ca.clone(),
            require_client_cert: args.require_client_cert,
        });
    }
    Ok(config)
}

/// Runs the server until a signal.
pub async fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let config = net_config(args)?;
    let (host, realm) = (args.origin_host.clone(), args.origin_realm.clone());
    let handlers = Handlers::new().with(CX_APP, move |req: Message| {
        let a = cx_answer(&req, &host, &realm);
        async move { a }
    });
    let node = DiameterNode::start(config, handlers).await?;
    for a in node.local_addrs() {
        println!("listening on {a}");
    }
    let handle = node.handle();
    let status = tokio::spawn(async move {
        let mut last = String::new();
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let line = handle
                .peers()
                .await
                .iter()
                .map(|p| format!("{}={:?}", p.host, p.state))
                .collect::<Vec<_>>()
                .join(" ");
            if line != last {
                println!("peers: {line}");
                last = line;
            }
        }
    });
    role_kit::shutdown_signal().await;
    status.abort();
    node.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_specs() {
        let p = parse_peer("a.ims.test=ims.test@127.0.0.1:3868", Duration::from_secs(6)).unwrap();
        assert!(p.config.connect);
        assert_eq!(p.config.realm, "ims.test");
        assert_eq!(p.address, Some("127.0.0.1:3868".parse().unwrap()));
        let q = parse_peer("b=r", Duration::from_secs(6)).unwrap();
        assert!(!q.config.connect && q.address.is_none());
        assert!(parse_peer("nope", Duration::from_secs(6)).is_err());
    }

    #[test]
    fn cx_answer_is_valid_uaa() {
        use diameter_codec::generated::cx;
        let mut r = MessageBuilder::request(&cx::cmd::UAR, 9, 9);
        r.put(&b::SESSION_ID, "s;9");
        let req = Message::decode(r.finish()).unwrap();
        let a = Message::decode(cx_answer(&req, "h", "r")).unwrap();
        assert_eq!(a.header().hop_by_hop, 9);
        assert_eq!(a.get(&b::RESULT_CODE).unwrap(), Some(2001));
        diameter_codec::validate(&a, &cx::cmd::UAA).unwrap();
    }
}
