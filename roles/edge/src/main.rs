//! `ims-edge --config FILE [--check-config]`

use std::process::ExitCode;

use clap::Parser;
use ims_edge::config::{EdgeConfig, DEFAULTS, ENV_PREFIX};
use ims_edge::Edge;

fn main() -> ExitCode {
    let cli = role_kit::Cli::parse();
    let config: EdgeConfig =
        match role_kit::load_config(DEFAULTS, cli.config.as_deref(), ENV_PREFIX) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("ims-edge: configuration error: {e}");
                return ExitCode::from(2);
            }
        };
    role_kit::init_tracing(&config.log.level);
    // One thread: the proxy core is single-threaded and this avoids cross-thread wake-ups on
    // the hot path; scale out with more processes behind a dispatcher or SO_REUSEPORT.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ims-edge: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        if cli.check_config {
            // Everything but binding: listeners, timers and routes (destinations resolved).
            let checked = ims_edge::setup::listeners(&config)
                .and_then(|_| ims_edge::setup::timers(&config).map(|_| ()));
            let checked = match checked {
                Ok(()) => ims_edge::setup::routes(&config).await.map(|_| ()),
                Err(e) => Err(e),
            };
            return match checked {
                Ok(()) => {
                    println!("ims-edge: configuration OK");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("ims-edge: configuration error: {e}");
                    ExitCode::from(2)
                }
            };
        }
        let edge = match Edge::bind(&config).await {
            Ok(e) => e,
            Err(e) => {
                eprintln!("ims-edge: {e:#}");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(node = %config.node.name, listeners = ?edge.listeners(), "ims-edge running");
        let stats = edge.run(role_kit::shutdown_signal()).await;
        tracing::info!(?stats, "ims-edge stopped");
        ExitCode::SUCCESS
    })
}
