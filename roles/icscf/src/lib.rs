//! The I-CSCF role (TS 24.229 §5.3): the home network's SIP entry. It asks the HSS over Cx
//! (TS 29.228/29.229, client side) which S-CSCF serves a user, with a UAR for a REGISTER and
//! an LIR for a terminating request, selects one by capabilities when the HSS names none, and
//! forwards the request there (never record-routing: it is not on the dialog path).
//!
//! - [`IcscfConfig`] is the file (`roles/config/icscf.toml`), [`Icscf`] the running node.
//! - The decisions are pure and tested beside the code: [`RegistrationQuery`] and
//!   [`location_identity`] read the query from the request, [`after_uaa`] / [`after_lia`]
//!   turn the answer into a [`Routing`], [`suitable_scscfs`] selects by capabilities.
#![warn(missing_docs)]

pub mod config;
mod node;
mod outcome;
mod query;
mod router;
mod selection;

pub use config::{IcscfConfig, IcscfSection, LogSection, ScscfEntry, DEFAULTS, ENV_PREFIX};
pub use node::Icscf;
pub use outcome::{after_lia, after_uaa, hss_unreachable, Refusal, Routing, BUSY_EVERYWHERE};
pub use query::{impi_from_impu, lir, location_identity, RegistrationQuery};
pub use router::{scscf_targets, targets_in_order};
pub use selection::suitable_scscfs;
