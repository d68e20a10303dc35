//! Sans-IO Diameter node (RFC 6733): the peer state machine with election (§5.6), capabilities
//! exchange (§5.3), the RFC 3539 watchdog (DWR/DWA with SUSPECT/DOWN/REOPEN), disconnection
//! (§5.4), pending requests with timeouts and failover (§5.5.4), duplicate detection, realm
//! routing with local delivery or relay (§6.1), and error answers for bad requests (§7).
//!
//! The crate is pure: the driver (`diameter-net`) passes time (`Instant`) and frames in, and
//! polls frames, events and the next timer out. Nothing here reads a clock or does I/O.
//!
//! Driver contract (quinn's): after every input (`handle_*`, `send_*`, `start`, `shutdown`)
//! drain [`Node::poll_transmit`] first, then [`Node::poll_event`], then re-arm the timer from
//! [`Node::poll_timeout`]. Draining transmits first guarantees that an answer queued for a
//! connection (a CEA with an error, a DPA) is written before that connection's
//! [`NodeEvent::Close`]. Frames are whole messages: the driver frames the stream by Message
//! Length and bounds it.
//!
//! Layout: `fsm.rs` holds the RFC 6733 §5.6 peer state machine and election, `watchdog.rs`
//! the RFC 3539 watchdog, `dispatch.rs` delivery, relay, answers and failover,
//! `capabilities.rs` the CER/CEA negotiation, `wire.rs` the base messages, and `routing.rs`,
//! `pending.rs`, `dup.rs` the tables.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod capabilities;
mod config;
mod dispatch;
mod dup;
mod event;
mod fsm;
mod node;
mod peer;
mod pending;
mod routing;
mod watchdog;
mod wire;

pub use config::{
    Application, ConnectionId, LocalNode, NodeConfig, PeerConfig, PeerId, RequestRef,
};
pub use event::{NodeEvent, PeerState, SendError, WatchdogState};
pub use node::Node;
