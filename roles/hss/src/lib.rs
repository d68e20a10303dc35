//! The HSS role (DESIGN.md: HSS for testbeds and small deployments): the Cx/Dx server of
//! 3GPP TS 29.228 (procedures) and TS 29.229 (messages, AVPs; application 16777216, vendor
//! 10415) over an ims-store [`SubscriberStore`](ims_store::SubscriberStore).
//!
//! - [`Hss::handle`] answers UAR, MAR, SAR and LIR; it owns no socket (principle 4).
//! - [`Hss::build_rtr`] / [`Hss::build_ppr`] build the HSS-initiated requests, and
//!   [`Hss::handle_rta`] / [`Hss::handle_ppa`] apply their answers.
//! - [`HssConfig`] is the configuration (`config/hss.toml` is an example).
//! - [`seed_demo`] provisions the lab's demo subscribers.
//! - [`admin`] holds the admin API's methods (provisioning, RTR/PPR on request), served when
//!   the file has an `[admin]` section.
#![warn(missing_docs)]

pub mod admin;
mod answer;
mod capabilities;
pub mod config;
mod error;
mod handler;
mod lir;
mod mar;
pub mod node;
mod push;
mod rand_source;
mod sar;
pub mod seed;
mod uar;
mod user_data;

pub use answer::{answer_result, Outcome, VENDOR_3GPP};
pub use config::{CapabilitySet, ChargingConfig, HssConfig, ScscfConfig};
pub use error::HssError;
pub use handler::{cx_codes, Hss};
pub use mar::{digest_ha1, wire_scheme_name};
pub use push::PushRequest;
pub use rand_source::{CounterRandSource, OsRandSource, RandSource};
pub use seed::seed_demo;
pub use user_data::{has_unregistered_services, parse_stored_profile};
