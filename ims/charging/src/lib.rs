//! The charging trigger of the S-CSCF (TS 32.260, TS 32.299): online charging over Ro
//! (Diameter Credit-Control, RFC 4006) and offline charging over Rf (Diameter base
//! accounting, RFC 6733 §9).
//!
//! - [`ImsInformation`] holds what a CSCF knows of a SIP session or event and writes it as
//!   Service-Information/IMS-Information (TS 32.299 §7.2.77).
//! - Ro: [`ccr`] builds CCR INITIAL/UPDATE/TERMINATION/EVENT, [`cca`] reads the answer,
//!   [`RoSession`] keeps the session state (all pure); [`RoClient`] sends over one or two
//!   `diameter_net::ClientHandle`s with the Tx timer and Credit-Control-Failure-Handling
//!   (RFC 4006 §5.7) and returns an [`RoOutcome`].
//! - Rf: [`acr`] builds ACR START/INTERIM/STOP/EVENT and reads the ACA (pure); [`RfClient`]
//!   writes each record to a SQLite [`spool`] before `submit` returns and a sender task
//!   delivers the spool in order, deleting a record only on its 2001 ACA (DESIGN.md
//!   §Principles 7).
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod acr;
pub mod cca;
pub mod ccr;
pub mod error;
pub mod identity;
pub mod ims_information;
mod retransmission;
pub mod rf_client;
pub mod ro_client;
pub mod ro_session;
pub mod spool;

pub use acr::{AccountingAnswer, RecordKind, RfRecord, RfSession};
pub use cca::{CreditAnswer, ServiceAnswer};
pub use ccr::{CreditRequest, SERVICE_CONTEXT_ID};
pub use error::{AnswerError, SpoolError};
pub use identity::ClientIdentity;
pub use ims_information::ImsInformation;
pub use rf_client::{RfClient, RfOptions};
pub use ro_client::{RoClient, RoOptions, RoOutcome};
pub use ro_session::RoSession;
pub use spool::Spool;
