//! What every role binary shares: the command line, configuration loading (TOML file under
//! `IMS_*` environment overrides, strict), tracing set-up and graceful shutdown.
//!
//! A role's `main.rs` parses [`Cli`], loads its config type with [`load_config`], calls
//! [`init_tracing`] and runs until [`shutdown_signal`] resolves.
#![warn(missing_docs)]

#[cfg(feature = "admin")]
pub mod admin;
mod cli;
mod config;
#[cfg(feature = "diameter")]
pub mod diameter;
mod runtime;
mod shutdown;
#[cfg(feature = "sip")]
pub mod sip;
mod tracing_setup;

pub use cli::Cli;
pub use config::{load_config, ConfigError};
pub use runtime::build_runtime;
pub use shutdown::shutdown_signal;
pub use tracing_setup::init_tracing;

/// The body of a role binary's `main`: parse the command line, load `C` (built-in `defaults`,
/// the `--config` file, `<env_prefix>__*` variables), `prepare` it (the checks
/// `--check-config` runs, and whatever `run` needs), then start tracing at `log_level(&C)` and
/// run `run` on the runtime ([`build_runtime`], `--threads`) until it returns. Exit status 2 on a configuration
/// error (the message names the key), 1 on a runtime error, 0 otherwise.
pub fn role_main<C, P, Fut>(
    name: &str,
    defaults: &str,
    env_prefix: &str,
    prepare: impl FnOnce(&C) -> Result<P, ConfigError>,
    log_level: impl FnOnce(&C) -> String,
    run: impl FnOnce(C, P) -> Fut,
) -> std::process::ExitCode
where
    C: serde::de::DeserializeOwned,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    use clap::Parser;
    use std::process::ExitCode;

    let cli = Cli::parse();
    let config: C = match load_config(defaults, cli.config.as_deref(), env_prefix) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{name}: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let prepared = match prepare(&config) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{name}: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.check_config {
        println!("{name}: configuration OK");
        return ExitCode::SUCCESS;
    }
    init_tracing(&log_level(&config));
    let runtime = match build_runtime(cli.threads) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{name}: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config, prepared)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// For a `sqlite:PATH` URL, create PATH's directory so that a first start on a fresh machine
/// works (the embedded default is `./ims-lab-data/…`). Other URLs are left alone.
pub fn ensure_sqlite_dir(url: &str) -> std::io::Result<()> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.trim_start_matches("//");
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)?;
        }
    }
    Ok(())
}
