//! Listener and driver configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use sip_proto::Transport;

/// A PEM certificate chain and private key for a TLS listener (RFC 3261 §26.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM file with the certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// One socket to bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    /// UDP, TCP or TLS (others are refused at bind time).
    pub transport: Transport,
    /// Address to bind; port 0 picks an ephemeral port.
    pub addr: SocketAddr,
    /// Certificate and key, required for TLS.
    pub tls: Option<TlsFiles>,
}

/// Driver-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetConfig {
    /// Largest accepted message in bytes (datagram or framed); larger ones are dropped (UDP) or
    /// close the connection (TCP/TLS). Default 65 535.
    pub max_message_size: usize,
    /// A connection with no traffic either way for this long is closed. Default 300 s.
    pub tcp_idle_timeout: Duration,
    /// Limit on TCP connect plus TLS handshake, both directions. Default 5 s.
    pub connect_timeout: Duration,
    /// PEM CA bundle that outgoing TLS connections trust; `None` refuses outgoing TLS.
    pub tls_client_roots: Option<PathBuf>,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            max_message_size: 65_535,
            tcp_idle_timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(5),
            tls_client_roots: None,
        }
    }
}
