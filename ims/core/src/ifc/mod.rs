//! Initial filter criteria (TS 29.228 Annex B, C and E; TS 23.218 §6.4; TS 24.229 §5.4.3.2).
//!
//! - [`model`]: the service profile of the IMSSubscription document (Annex B.2).
//! - [`parse_ims_subscription`] / [`print_ims_subscription`]: the XML of the Cx User-Data AVP
//!   (Annex E schema), with typed errors and size/depth limits.
//! - [`EvalContext`] and [`ServiceProfile::matching_ifcs`]: trigger-point evaluation over a SIP
//!   request (Annex C), in priority order.

mod error;
mod eval;
pub mod model;
mod pattern;
mod xml_dom;
mod xml_parse;
mod xml_print;

pub use error::IfcError;
pub use eval::{EvalContext, RegistrationState};
pub use model::{
    ApplicationServer, DefaultHandling, IdentityType, ImsSubscription, InitialFilterCriteria,
    ProfilePartIndicator, PublicIdentity, RegistrationType, ServiceProfile, SessionCase, Spt,
    SptKind, TriggerPoint,
};
pub use pattern::Pattern;
pub use xml_parse::{parse_ims_subscription, parse_ims_subscription_bytes};
pub use xml_print::print_ims_subscription;
