//! `ims-edge`: the operator's front door, a stateful (or stateless) SIP proxy with static
//! routes, record-routing and bad-input policing. The proxy rules are `sip_proto::proxy`; this
//! crate binds the sockets, loads the configuration and drives the core.
#![warn(missing_docs)]

pub mod config;
mod driver;
pub mod setup;

pub use driver::Edge;
