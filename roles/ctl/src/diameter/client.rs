//! `imsctl diameter client`: a diameter-net client node (peer state machine, watchdog,
//! routing) that connects to one peer, sends a request from a TOML file through
//! `ClientHandle::request`, prints the answer and disconnects with DPR.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use diameter_net::{DiameterNode, Handlers, NetConfig, Peer, Route, Transport};
use diameter_proto::{PeerConfig, PeerState};

use super::session::result_code;

/// Options of `client`.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// The peer as `HOST=REALM@ADDR`.
    #[arg(long)]
    pub peer: String,
    /// The request (see `send`).
    #[arg(long)]
    pub file: PathBuf,
    /// Our Origin-Host.
    #[arg(long, default_value = "icscf.ims.test")]
    pub origin_host: String,
    /// Our Origin-Realm.
    #[arg(long, default_value = "ims.test")]
    pub origin_realm: String,
    /// Times to send the request.
    #[arg(long, default_value_t = 1)]
    pub count: u32,
    /// Result-Code the answers must carry (default: any answer is success).
    #[arg(long)]
    pub expect: Option<u32>,
    /// Seconds to wait for the peer to open.
    #[arg(long, default_value_t = 10)]
    pub open_timeout: u64,
}

/// Runs the client.
pub async fn run(args: &ClientArgs) -> anyhow::Result<()> {
    let (host, rest) = args
        .peer
        .split_once('=')
        .ok_or_else(|| anyhow!("--peer wants HOST=REALM@ADDR"))?;
    let (realm, addr) = rest
        .split_once('@')
        .ok_or_else(|| anyhow!("--peer wants HOST=REALM@ADDR"))?;
    let addr: SocketAddr = addr.parse().context("peer address")?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let local_ip = if addr.ip().is_loopback() {
        addr.ip()
    } else {
        // The address we will reach the peer from: a connected UDP socket gets the kernel's
        // route choice without sending anything (a TCP probe would open a connection the
        // peer sees and logs as broken).
        let any: SocketAddr = if addr.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let probe = std::net::UdpSocket::bind(any)?;
        probe.connect(addr)?;
        probe.local_addr()?.ip()
    };
    let mut config = NetConfig::new(super::serve::local_node(
        &args.origin_host,
        &args.origin_realm,
        local_ip,
    ));
    let mut pc = PeerConfig::new(host, realm, true);
    pc.tc = Duration::from_secs(2);
    config.peers.push(Peer {
        config: pc,
        address: Some(addr),
        transport: Transport::Tcp,
        tls_name: None,
    });
    config.routes.push(Route {
        realm: realm.to_owned(),
        application: None,
        peer_host: host.to_owned(),
        metric: 1,
    });
    let node = DiameterNode::start(config, Handlers::new()).await?;
    let h = node.handle();
    let end = tokio::time::Instant::now() + Duration::from_secs(args.open_timeout);
    loop {
        let p = h.peers().await;
        if p.first().map(|p| p.state) == Some(PeerState::Open) {
            println!("peer {host} open: applications {:?}", p[0].applications);
            break;
        }
        if tokio::time::Instant::now() > end {
            node.abort();
            bail!("peer {host} did not open");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut failures = 0;
    for i in 0..args.count {
        let req = super::msgfile::encode(&text, 0, &args.origin_host, &args.origin_realm)?;
        match h.request(req).await {
            Ok(a) => {
                let rc = result_code(&a);
                if i == 0 {
                    print!("{}", super::print::render(&a));
                }
                if args.expect.is_some() && rc != args.expect {
                    failures += 1;
                }
            }
            Err(e) => {
                eprintln!("request {i}: {e}");
                failures += 1;
            }
        }
    }
    node.shutdown().await;
    if failures > 0 {
        bail!("{failures} of {} requests failed", args.count);
    }
    println!("{} answers", args.count);
    Ok(())
}
