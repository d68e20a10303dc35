//! SIP messages (RFC 3261 §7, §20, §25) over one received `Bytes` buffer.
//!
//! A [`Message`] is the buffer plus an index of where the start line, each header and the body
//! sit. Typed views (Via, CSeq, name-addr, URIs, auth parameters, the IMS P- headers) borrow from
//! that buffer and are parsed on demand. A proxy changes a message through an [`Edits`] list that
//! is applied once when the message is written out, so relayed bytes are spliced, not
//! re-serialised. This crate does no I/O and reads no clock.
#![warn(missing_docs)]

pub mod auth;
pub mod builder;
pub mod cseq;
pub mod decimal;
pub mod edit;
pub mod error;
pub mod header_name;
mod hot;
pub mod ims;
pub mod message;
pub mod method;
pub mod name_addr;
pub mod params;
mod scan;
pub mod status;
pub mod uri;
pub mod via;

pub use builder::{RequestBuilder, ResponseBuilder};
pub use cseq::CSeq;
pub use decimal::Decimal;
pub use edit::Edits;
pub use error::{ParseError, ParseErrorKind};
pub use header_name::HeaderName;
pub use message::{Header, HeaderValue, Message, StartLine};
pub use method::Method;
pub use name_addr::NameAddr;
pub use params::Params;
pub use status::StatusCode;
pub use uri::{Host, SipUri, Uri};
pub use via::Via;
