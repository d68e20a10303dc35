//! imsctl as a library: the Diameter operator tools (`ping`, `send`, `serve`, `bench`), so
//! that tests can drive them.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod diameter;
