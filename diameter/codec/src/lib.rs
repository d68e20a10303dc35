//! Diameter (RFC 6733) codec: zero-copy decoding over [`bytes::Bytes`], an encoder with length
//! back-patching, every RFC 6733 §4.2/§4.3 data format, grammar validation that maps faults to
//! the Result-Code and Failed-AVP of the answer (§7.1), and the dictionaries (base, credit
//! control, Cx, Ro, Rf) generated from `diameter/dict/*.dia` by `diameter-dictgen`.
//!
//! This crate is pure: no I/O, no clock, no randomness. Time and counters are passed in.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod answer;
pub mod avp;
pub mod dict;
pub mod encode;
pub mod error;
pub mod format;
#[rustfmt::skip]
pub mod generated;
pub mod header;
pub mod message;
pub mod session_id;
pub mod validate;

pub use answer::{error_answer, error_answer_for};
pub use avp::{Avp, AvpCode, AvpFlags, AvpIter};
pub use dict::{AvpDef, AvpMeta, CommandDef, DataType, FlagRule, Grammar, Rule, Slot};
pub use encode::{GroupWriter, MessageBuilder, WriteAvps};
pub use error::Error;
pub use generated::base::ResultCode;
pub use header::{ApplicationId, CommandCode, CommandFlags, Header};
pub use message::{AvpContainer, GroupedAvps, Message};
pub use session_id::SessionIdGenerator;
pub use validate::validate;
