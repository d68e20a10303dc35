//! 3GPP AKA for IMS (TS 33.102 §6.3, TS 33.203 §6.1): Milenage (TS 35.206), authentication
//! vectors, SQN management (TS 33.102 Annex C) and resynchronisation (TS 33.102 §6.3.5).
//!
//! The network side (HSS) generates [`AuthVector`]s with [`generate_vector`] and recovers the
//! USIM's SQN from an AUTS with [`resync`]. The USIM side ([`usim_authenticate`]) exists for
//! tests and test UEs. Key material types redact themselves in `Debug`.

mod error;
mod keys;
mod milenage;
mod sqn;
mod usim;
mod vector;

pub use error::AkaError;
pub use keys::{Ak, Amf, Autn, Auts, Ck, Ik, Key, Mac, Op, Opc, Rand, Res};
pub use milenage::Milenage;
pub use sqn::{Sqn, SqnConfig, UsimSqnState};
pub use usim::{usim_authenticate, UsimFailure, UsimResponse};
pub use vector::{
    generate_vector, generate_vectors, resync, resync_continue, AuthVector, ResyncRequest,
};
