//! What the end-to-end tests share: a SIP user agent over UDP that registers with IMS AKA
//! (its own USIM: Milenage with the subscriber's K and OP, TS 33.102 §6.3.3) or digest, and
//! places, answers and ends calls. It is a test UE, not a product: one socket, no
//! retransmissions (loopback does not lose datagrams), requests and responses built by hand.
#![warn(missing_docs)]

mod ue;

pub use ue::{Credentials, Ue, UeError, WAIT};
