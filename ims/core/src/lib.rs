//! Pure IMS rules shared by the HSS and the S-CSCF.
//!
//! - [`aka`]: 3GPP AKA with Milenage (TS 33.102, TS 35.205/35.206): authentication vectors,
//!   the SQN scheme of TS 33.102 Annex C, resynchronisation from AUTS, and the USIM side.
//! - [`ifc`]: initial filter criteria (TS 29.228 Annex B/C/E): the service profile model, the
//!   IMSSubscription XML of the Cx User-Data AVP, and trigger-point evaluation over a SIP request.
//! - [`charging`]: ICID generation and P-Charging-Vector / P-Charging-Function-Addresses
//!   values (TS 24.229 §7.2A.5, RFC 7315).
//!
//! The crate does no I/O, reads no clock and draws no randomness: RAND, SQN and time are inputs.
#![warn(missing_docs)]

pub mod aka;
pub mod charging;
pub mod ifc;
