//! The RFC 3261 §17 transaction layer (with RFC 6026 updates): four machines, timers A–M.
//!
//! [`TransactionLayer`] owns every transaction of a node. It matches received messages to
//! transactions (RFC 3261 §17.1.3 and §17.2.3, with the RFC 2543 fallback for requests
//! without the `z9hG4bK` cookie), absorbs retransmissions, retransmits on unreliable
//! transports, builds the ACK for non-2xx finals, and reports to the transaction user (TU)
//! through [`TransactionEvent`]s. It does no I/O and reads no clock: time comes in as `now`.
//!
//! Not done here: the automatic 100 Trying of an INVITE server transaction after 200 ms
//! (§17.2.1) is left to the TU, which for a proxy sends it at once (§16.2).

mod ack;
mod client;
mod client_invite;
mod client_non_invite;
mod config;
mod event;
mod id;
mod key;
mod keyed_hash;
mod layer;
mod output;
mod server;
mod server_invite;
mod server_non_invite;
mod slab;
mod timer;

pub use client::ClientState;
pub use client_invite::ClientInviteState;
pub use client_non_invite::ClientNonInviteState;
pub use config::TimerConfig;
pub use event::{TransactionEvent, Transmit};
pub use id::{ClientTransactionId, ServerTransactionId};
pub use layer::TransactionLayer;
pub use server::ServerState;
pub use server_invite::ServerInviteState;
pub use server_non_invite::ServerNonInviteState;
pub use timer::Timer;

#[cfg(test)]
mod tests;
