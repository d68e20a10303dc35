//! Diameter on tokio (RFC 6733): framing, TCP/TLS (and SCTP behind the `sctp` feature)
//! transports, and the driver task around the sans-IO [`diameter_proto::Node`].
//!
//! Start a [`DiameterNode`] with a [`NetConfig`] and per-application [`Handler`]s; send
//! requests with [`ClientHandle::request`].
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod api;
pub mod config;
mod driver;
pub mod framing;
pub mod handler;
#[cfg(feature = "sctp")]
pub mod sctp;
pub mod tls;
pub mod transport;

pub use api::{ClientHandle, DiameterNode, Handlers, PeerStatus, RequestError, StartError};
pub use config::{Listen, NetConfig, Peer, Route, TlsFiles, Transport};
pub use handler::{BoxFuture, Handler};
