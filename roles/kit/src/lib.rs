//! What every role binary shares: the command line, configuration loading (TOML file under
//! `IMS_*` environment overrides, strict), tracing set-up and graceful shutdown.
//!
//! A role's `main.rs` parses [`Cli`], loads its config type with [`load_config`], calls
//! [`init_tracing`] and runs until [`shutdown_signal`] resolves.
#![warn(missing_docs)]

mod cli;
mod config;
#[cfg(feature = "diameter")]
pub mod diameter;
mod shutdown;
mod tracing_setup;

pub use cli::Cli;
pub use config::{load_config, ConfigError};
pub use shutdown::shutdown_signal;
pub use tracing_setup::init_tracing;
