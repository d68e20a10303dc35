//! `ims-pcscf`: the P-CSCF (TS 24.229 §5.2), the UE's first hop into the IMS. It relays
//! REGISTER to the I-CSCF with its Path and learns from the 200 OK which contacts, flows,
//! Service-Routes and associated identities are registered; asserts the identity of
//! registered UEs (P-Asserted-Identity) and routes their requests along the Service-Route;
//! delivers terminating requests to the flow a UE registered from; keeps charging headers
//! away from UEs. The SIP rules of RFC 3261 §16 are the proxy core's (`sip_proto::proxy`, in
//! application mode); this crate decides each request.
#![warn(missing_docs)]

pub mod charging;
pub mod config;
pub mod headers;
mod node;
pub mod originating;
pub mod register;
pub mod registrations;
pub mod rules;

pub use config::{LogSection, PcscfConfig, PcscfSection, DEFAULTS, ENV_PREFIX};
pub use node::Pcscf;
pub use registrations::{Binding, Registrations};
pub use rules::Rules;
