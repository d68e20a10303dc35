//! `imsctl diameter ...`: ping, send, serve and bench.

pub mod bench;
pub mod client;
pub mod msgfile;
pub mod ping;
pub mod print;
pub mod send;
pub mod serve;
pub mod session;
