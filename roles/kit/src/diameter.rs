//! The `[diameter]` section every Diameter role's file has: our identity (RFC 6733 §5.3 CER
//! contents), listeners, peers and realm routes, turned into a `diameter_net::NetConfig`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use diameter_net::{Listen, NetConfig, Peer, Route, TlsFiles, Transport};
use diameter_proto::{Application, LocalNode, NodeConfig, PeerConfig};
use serde::Deserialize;

use crate::ConfigError;

/// `[diameter]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiameterSection {
    /// Origin-Host (a DiameterIdentity, e.g. `hss.ims.test`).
    pub origin_host: String,
    /// Origin-Realm.
    pub origin_realm: String,
    /// Host-IP-Address values for CER/CEA (freeDiameter refuses a CER without one).
    #[serde(default = "loopback")]
    pub host_ip_addresses: Vec<IpAddr>,
    /// Vendor-Id of this product (0 = none registered).
    #[serde(default)]
    pub vendor_id: u32,
    /// Accept peers that are not configured (else CEA 3010).
    #[serde(default)]
    pub accept_unknown_peers: bool,
    /// Listening sockets.
    #[serde(default)]
    pub listen: Vec<ListenSection>,
    /// Peers.
    #[serde(default)]
    pub peer: Vec<PeerSection>,
    /// Realm routes.
    #[serde(default)]
    pub route: Vec<RouteSection>,
    /// TLS material.
    pub tls: Option<TlsSection>,
}

fn loopback() -> Vec<IpAddr> {
    vec![IpAddr::from([127, 0, 0, 1])]
}

/// Transport names in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportName {
    /// TCP
    Tcp,
    /// TLS at connect (RFC 6733 §13)
    Tls,
    /// SCTP (where the kernel and the build allow)
    Sctp,
}

impl From<TransportName> for Transport {
    fn from(t: TransportName) -> Self {
        match t {
            TransportName::Tcp => Self::Tcp,
            TransportName::Tls => Self::Tls,
            TransportName::Sctp => Self::Sctp,
        }
    }
}

/// `[[diameter.listen]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenSection {
    /// Address and port.
    pub addr: SocketAddr,
    /// `tcp` (default), `tls` or `sctp`.
    #[serde(default = "tcp")]
    pub transport: TransportName,
}

fn tcp() -> TransportName {
    TransportName::Tcp
}

/// `[[diameter.peer]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerSection {
    /// The peer's Origin-Host.
    pub host: String,
    /// The peer's realm.
    pub realm: String,
    /// Where to connect; without it we wait for the peer to connect.
    pub address: Option<SocketAddr>,
    /// `tcp` (default), `tls` or `sctp`.
    #[serde(default = "tcp")]
    pub transport: TransportName,
    /// Watchdog interval Tw in seconds (RFC 3539; default 30).
    #[serde(default = "thirty")]
    pub tw_s: u64,
    /// Reconnect timer Tc in seconds (RFC 6733 §2.1; default 30).
    #[serde(default = "thirty")]
    pub tc_s: u64,
    /// Request timeout in seconds (default 10).
    #[serde(default = "ten")]
    pub request_timeout_s: u64,
}

fn thirty() -> u64 {
    30
}

fn ten() -> u64 {
    10
}

/// `[[diameter.route]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSection {
    /// Destination-Realm.
    pub realm: String,
    /// Application-Id; any when absent.
    pub application: Option<u32>,
    /// The peer's host.
    pub peer: String,
    /// Lower first (default 0).
    #[serde(default)]
    pub metric: u32,
}

/// `[diameter.tls]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
    /// CA bundle to verify peers (PEM).
    pub ca: PathBuf,
    /// Require client certificates from peers that connect to us.
    #[serde(default)]
    pub require_client_cert: bool,
}

impl DiameterSection {
    /// The node configuration for a role that serves `applications` (and supports vendor
    /// 10415, 3GPP, as every IMS interface needs). `product` is the Product-Name.
    pub fn net_config(
        &self,
        product: &str,
        applications: Vec<Application>,
    ) -> Result<NetConfig, ConfigError> {
        let bad = |key: String, message: &str| ConfigError::Value {
            key,
            message: message.to_owned(),
        };
        if self.origin_host.is_empty() || self.origin_realm.is_empty() {
            return Err(bad(
                "diameter.origin_host".into(),
                "origin_host and origin_realm are required",
            ));
        }
        let boot = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1);
        let local = LocalNode {
            origin_host: self.origin_host.clone(),
            origin_realm: self.origin_realm.clone(),
            host_ip_addresses: self.host_ip_addresses.clone(),
            vendor_id: self.vendor_id,
            product_name: product.to_owned(),
            firmware_revision: None,
            origin_state_id: boot,
            applications,
            supported_vendor_ids: vec![10415],
        };
        let mut config = NetConfig::new(local);
        config.node = NodeConfig {
            accept_unknown_peers: self.accept_unknown_peers,
            ..NodeConfig::default()
        };
        config.listen = self
            .listen
            .iter()
            .map(|l| Listen {
                addr: l.addr,
                transport: l.transport.into(),
            })
            .collect();
        for (i, p) in self.peer.iter().enumerate() {
            if p.tw_s < 6 {
                return Err(bad(
                    format!("diameter.peer[{i}].tw_s"),
                    "RFC 3539 §3.4.1 wants Tw of 6 s at least",
                ));
            }
            let mut pc = PeerConfig::new(p.host.clone(), p.realm.clone(), p.address.is_some());
            pc.tw = Duration::from_secs(p.tw_s);
            pc.tc = Duration::from_secs(p.tc_s.max(1));
            pc.request_timeout = Duration::from_secs(p.request_timeout_s.max(1));
            config.peers.push(Peer {
                config: pc,
                address: p.address,
                transport: p.transport.into(),
                tls_name: None,
            });
        }
        for (i, r) in self.route.iter().enumerate() {
            if !self.peer.iter().any(|p| p.host == r.peer) {
                return Err(bad(
                    format!("diameter.route[{i}].peer"),
                    "names no [[diameter.peer]]",
                ));
            }
            config.routes.push(Route {
                realm: r.realm.clone(),
                application: r.application,
                peer_host: r.peer.clone(),
                metric: r.metric,
            });
        }
        let uses_tls = self
            .listen
            .iter()
            .any(|l| l.transport == TransportName::Tls)
            || self.peer.iter().any(|p| p.transport == TransportName::Tls);
        config.tls = match &self.tls {
            Some(t) => Some(TlsFiles {
                cert: t.cert.clone(),
                key: t.key.clone(),
                ca: t.ca.clone(),
                require_client_cert: t.require_client_cert,
            }),
            None if uses_tls => {
                return Err(bad(
                    "diameter.tls".into(),
                    "a tls listener or peer needs [diameter.tls]",
                ))
            }
            None => None,
        };
        Ok(config)
    }
}
