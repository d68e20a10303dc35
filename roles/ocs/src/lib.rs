//! Online Charging System: a Diameter Credit-Control server (RFC 4006; TS 32.299 Ro,
//! application 4) over an SQL ledger (sqlx: SQLite by default, PostgreSQL by URL).
//!
//! - [`Ocs::handle`] takes a decoded CCR and returns the encoded CCA: session charging
//!   (CCR-INITIAL/UPDATE/TERMINATION reserve, debit and release CC-Time per the
//!   [`tariff`]), event charging (CCR-EVENT: direct debiting, refund, price enquiry, balance
//!   check), Final-Unit-Indication, 4012/5030/5031, Multiple-Services-Credit-Control.
//! - Every balance or reservation change, its journal rows and the stored answer are one
//!   database transaction, so a repeated CCR is answered again without charging twice.
//! - [`Ocs::sweep`] releases reservations of silent sessions (server-side Tcc).
//! - [`Ledger`] holds the administration API (accounts, top-ups, balances, reservations).
//!
//! A role is a handler, not a server: no socket here, and time is an input.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod answer;
pub mod clock;
pub mod config;
pub mod error;
mod handler;
pub mod identity;
pub mod ledger;
pub mod node;
mod request;
pub mod tariff;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::OcsConfig;
pub use error::OcsError;
pub use handler::Ocs;
pub use ledger::{Account, Debit, Ledger, LedgerOptions, Reservation};
pub use tariff::{Tariff, TariffKind, TariffMatch, TariffTable};
