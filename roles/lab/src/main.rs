//! `ims-lab [--data-dir DIR] [--ip ADDR] [--check-config] [--log LEVEL]`: every IMS role in one
//! process on loopback, on the example configs in `roles/config/`. Demo users alice, bob and
//! carol are provisioned (see README).

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ims_lab::{Lab, LabConfig, LabOptions};

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "ims-lab",
    version,
    about = "The whole IMS core in one process on loopback"
)]
struct Args {
    /// Where the SQLite databases and the rendered role configs go.
    #[arg(long, default_value = "./ims-lab-data")]
    data_dir: PathBuf,
    /// Loopback address every role binds.
    #[arg(long, default_value = "127.0.0.1")]
    ip: IpAddr,
    /// Log level (error, warn, info, debug, trace, or an env-filter directive).
    #[arg(long, default_value = "info")]
    log: String,
    /// Render and check every role's config, then exit.
    #[arg(long)]
    check_config: bool,
    /// Worker threads of the runtime (default and minimum 2).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = LabOptions {
        ip: args.ip,
        data_dir: args.data_dir,
        log_level: Some(args.log.clone()),
    };
    let config = match LabConfig::prepare(&options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ims-lab: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    if args.check_config {
        println!(
            "ims-lab: configuration OK (files in {})",
            options.data_dir.join("config").display()
        );
        return ExitCode::SUCCESS;
    }
    role_kit::init_tracing(&args.log);
    let runtime = match role_kit::build_runtime(args.threads) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ims-lab: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: anyhow::Result<()> = runtime.block_on(async move {
        let lab = Lab::start(config).await?;
        println!("ims-lab running (Ctrl-C stops it)\n{}", lab.summary());
        role_kit::shutdown_signal().await;
        lab.stop().await;
        Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ims-lab: {e:#}");
            ExitCode::FAILURE
        }
    }
}
