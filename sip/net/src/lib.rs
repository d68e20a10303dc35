//! SIP transports on tokio (RFC 3261 §18): UDP, TCP and TLS listeners and connections, and
//! RFC 3263 resolution of SIP URIs to transport targets.
//!
//! [`Network::bind`] starts one task per listener and one per connection; received messages
//! arrive whole on the returned [`NetEvent`] channel, and [`Network::send`] queues a message
//! without blocking. Stream framing is `sip_proto::framing`; everything here is I/O.
#![warn(missing_docs)]

pub mod app;
pub mod config;
mod connection;
pub mod error;
pub mod event;
mod network;
pub mod resolve;
pub mod stats;
pub mod tls;
mod udp;
pub mod udp_blocking;

pub use app::{DriverStopped, Originated, SipApp, SipHandle};
pub use config::{ListenerConfig, NetConfig, TlsFiles};
pub use error::{NetError, ResolveError, SendError, TlsConfigError};
pub use event::{Incoming, NetEvent};
pub use network::{Network, EVENT_QUEUE};
pub use resolve::{ResolveConfig, Resolver, Target};
pub use sip_proto::{ConnectionId, Flow, Transport};
pub use stats::NetStats;
pub use udp_blocking::{BlockingUdp, Received};
