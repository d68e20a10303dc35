//! Error types of the driver.

use std::net::SocketAddr;

use sip_proto::Transport;

/// Failure to start the network ([`crate::Network::bind`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// `bind` was not called inside a tokio runtime.
    #[error("no tokio runtime")]
    NoRuntime,
    /// A socket could not be created or bound.
    #[error("cannot bind {transport:?} on {addr}")]
    Bind {
        /// Transport of the listener.
        transport: Transport,
        /// Requested address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The transport has no listener implementation here.
    #[error("transport {0:?} is not supported")]
    UnsupportedTransport(Transport),
    /// A TLS listener was configured without certificate files.
    #[error("TLS listener on {0} has no certificate")]
    MissingCertificate(SocketAddr),
    /// Certificates or keys could not be loaded.
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
}

/// Failure to build a rustls configuration from PEM files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// A PEM file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file holds no certificate.
    #[error("no certificate in {0}")]
    NoCertificate(String),
    /// The file holds no private key.
    #[error("no private key in {0}")]
    NoPrivateKey(String),
    /// rustls refused the configuration.
    #[error("TLS configuration rejected")]
    Rustls(#[from] rustls::Error),
}

/// Failure to queue a message ([`crate::Network::send`]). Failures after queueing are reported
/// as [`crate::NetEvent::SendFailed`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// No socket of that transport is bound (UDP) or the transport is not implemented.
    #[error("no {0:?} transport available")]
    NoTransport(Transport),
    /// Outgoing TLS needs `tls_client_roots`.
    #[error("outgoing TLS is not configured")]
    TlsNotConfigured,
    /// The server name is not a valid DNS name or IP address.
    #[error("invalid TLS server name")]
    InvalidServerName,
    /// The connection's write queue is full.
    #[error("write queue full")]
    QueueFull,
    /// The connection closed while the message was being queued; sending again opens a new one.
    #[error("connection closed")]
    ConnectionClosed,
    /// The message is larger than `max_message_size`.
    #[error("message too large")]
    TooLarge,
    /// The socket refused the datagram.
    #[error("send failed: {0:?}")]
    Io(std::io::ErrorKind),
    /// The network was shut down.
    #[error("network shut down")]
    Shutdown,
}

/// Failure to resolve a SIP URI to targets (RFC 3263).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResolveError {
    /// The `transport=` parameter names no known transport.
    #[error("unknown transport parameter")]
    UnknownTransport,
    /// The name is neither an IP, nor a static host, and DNS is disabled.
    #[error("host not found")]
    NotFound,
    /// The DNS lookup failed.
    #[error("DNS lookup failed")]
    Dns,
}
