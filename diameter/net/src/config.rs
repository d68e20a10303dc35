//! Configuration of a [`crate::DiameterNode`]: local identity, listeners, peers with their
//! transport address, realm routes and TLS material (RFC 6733 §2.1, §2.7, §13).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use diameter_proto::{LocalNode, NodeConfig, PeerConfig};

/// The transport of a peer connection (RFC 6733 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// TCP.
    Tcp,
    /// TLS over TCP, started at connect time (RFC 6733 §13).
    Tls,
    /// SCTP (only with the `sctp` feature).
    Sctp,
}

/// PEM files for TLS (RFC 6733 §13.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Our certificate chain.
    pub cert: PathBuf,
    /// Our private key.
    pub key: PathBuf,
    /// CA bundle used to verify the other side.
    pub ca: PathBuf,
    /// As a server: require and verify client certificates against `ca`.
    pub require_client_cert: bool,
}

/// A listening socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen {
    /// Address to bind.
    pub addr: SocketAddr,
    /// TCP or TLS.
    pub transport: Transport,
}

/// A configured peer: the sans-IO peer settings plus where to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Identity, realm, connect-or-accept and timers.
    pub config: PeerConfig,
    /// Where to connect (used when `config.connect`).
    pub address: Option<SocketAddr>,
    /// Transport to use when connecting.
    pub transport: Transport,
    /// TLS server name to verify (defaults to the peer's host).
    pub tls_name: Option<String>,
}

/// A realm route (RFC 6733 §2.7): `realm` + application (None = any) → peer by host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Destination-Realm.
    pub realm: String,
    /// Application-Id, or any.
    pub application: Option<u32>,
    /// The peer's host (as in [`Peer::config`]).
    pub peer_host: String,
    /// Lower first.
    pub metric: u32,
}

/// Everything a [`crate::DiameterNode`] needs.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// What we advertise in CER/CEA.
    pub local: LocalNode,
    /// Node-wide behaviour.
    pub node: NodeConfig,
    /// Listening sockets.
    pub listen: Vec<Listen>,
    /// Peers.
    pub peers: Vec<Peer>,
    /// Realm routes.
    pub routes: Vec<Route>,
    /// TLS material, needed when a listener or peer uses TLS.
    pub tls: Option<TlsFiles>,
    /// Cap on a received Message Length; a longer message closes the connection.
    pub max_message_len: usize,
    /// Timeout for establishing a transport connection (TCP and TLS handshake).
    pub connect_timeout: Duration,
}

impl NetConfig {
    /// A configuration with no listeners, peers or routes.
    pub fn new(local: LocalNode) -> Self {
        Self {
            local,
            node: NodeConfig::default(),
            listen: Vec::new(),
            peers: Vec::new(),
            routes: Vec::new(),
            tls: None,
            max_message_len: crate::framing::DEFAULT_MAX_MESSAGE_LEN,
            connect_timeout: Duration::from_secs(5),
        }
    }
}
