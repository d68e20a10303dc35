//! The Cx client of the I-CSCF and S-CSCF (3GPP TS 29.228 procedures, TS 29.229 messages;
//! application 16777216, vendor 10415).
//!
//! - Pure request builders: [`UarRequest`], [`MarRequest`], [`SarRequest`], [`LirRequest`]
//!   encode the request for a [`CxIdentity`] and a Session-Id.
//! - Typed answers: [`UserAuthorizationAnswer`], [`MultimediaAuthAnswer`],
//!   [`ServerAssignmentAnswer`], [`LocationInfoAnswer`], each with its [`CxResult`].
//! - The S-CSCF side of HSS-initiated requests: [`RegistrationTermination`] (RTR) and
//!   [`PushProfile`] (PPR) parsed, [`push_answer`] builds the RTA/PPA.
//! - [`CxClient`]: the async client over a [`diameter_net::ClientHandle`].
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod answer;
mod capabilities;
mod charging;
mod client;
mod error;
mod identity;
mod lir;
mod mar;
mod push;
mod result;
mod sar;
mod uar;

pub use capabilities::ServerCapabilities;
pub use charging::ChargingInfo;
pub use client::CxClient;
pub use error::CxError;
pub use identity::{CxIdentity, VENDOR_3GPP};
pub use lir::{LirRequest, LocationInfoAnswer};
pub use mar::{scheme, AuthItem, MarRequest, MultimediaAuthAnswer};
pub use push::{
    push_answer, push_error_answer, DeregistrationReason, PushProfile, RegistrationTermination,
};
pub use result::{CxResult, ExperimentalCode};
pub use sar::{SarRequest, ServerAssignmentAnswer, ServerAssignmentType};
pub use uar::{AuthorizationType, UarRequest, UserAuthorizationAnswer};
