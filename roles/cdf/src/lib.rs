//! The CDF: a Diameter Rf accounting server (RFC 6733 §9, TS 32.299 §6.2, base accounting
//! application 3) that writes every ACR START/INTERIM/STOP/EVENT with its IMS-Information
//! (TS 32.260 IMS CDR fields) to SQL and answers only after the commit.
//!
//! * [`Cdf::handle`] takes a decoded ACR and returns the encoded ACA; it never fails and
//!   never panics: bad input gets the RFC 6733 error answer, a storage failure an error
//!   Result-Code (never a success).
//! * [`CdrStore`] holds the rows (SQLite or PostgreSQL, migrations embedded), stores a
//!   retransmitted record once, and correlates START…STOP into [`CallDetail`]s.
//! * [`export`] writes records or call details as CSV (RFC 4180) or JSON lines.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod call_detail;
mod error;
pub mod export;
mod group_commit;
pub mod handler;
mod migrations;
pub mod node;
pub mod record;
pub mod store;

pub use call_detail::{correlate, CallDetail};
pub use error::CdfError;
pub use export::{export_call_details, export_records, ExportFormat};
pub use handler::{system_clock, Cdf, Clock};
pub use record::{AccountingRecord, RecordType};
pub use store::{Cdr, CdrStore, InsertOutcome, TimeRange};
