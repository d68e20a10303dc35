//! SIP protocol core, sans-IO: stream framing, the RFC 3261 §17 transaction machines with
//! timers A–K, dialogs, proxy rules (§16) and digest authentication.
//!
//! Nothing here does I/O or reads a clock: callers pass bytes, events and the current time in,
//! and drain messages to send, events and the next timer deadline out (the quinn-proto contract).
#![warn(missing_docs)]

pub mod flow;

pub use flow::{ConnectionId, Flow, Transport};
pub mod dialog;
pub mod digest;
pub mod framing;
pub mod proxy;
pub mod transaction;
