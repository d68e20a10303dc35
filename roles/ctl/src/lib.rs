//! imsctl as a library: the Diameter operator tools (`ping`, `send`, `serve`, `bench`) and the
//! admin API client, so that tests can drive them.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod admin_client;
pub mod diameter;
