//! `ims-cdf --config FILE [--check-config]`: the Rf accounting server (ACR/ACA) on Diameter,
//! CDRs in SQL (SQLite by default, PostgreSQL by URL), each committed before its ACA.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use diameter_net::{DiameterNode, Handlers};
use diameter_proto::Application;
use ims_cdf::{system_clock, Cdf, CdrStore};
use ims_store::SqlOptions;
use serde::Deserialize;

/// Base accounting application (RFC 6733 §2.4), which Rf uses (TS 32.299 §6.1).
const ACCOUNTING: u32 = 3;

const DEFAULTS: &str = r#"
[store]
url = "sqlite:./ims-lab-data/cdf.db"
[log]
level = "warn"
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CdfFile {
    diameter: role_kit::diameter::DiameterSection,
    store: StoreSection,
    log: LogSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreSection {
    /// `sqlite:PATH` or `postgres://...` (its own file or schema: see ims-cdf's migrations).
    url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogSection {
    level: String,
}

fn main() -> ExitCode {
    let cli = role_kit::Cli::parse();
    let file: CdfFile = match role_kit::load_config(DEFAULTS, cli.config.as_deref(), "IMS_CDF") {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ims-cdf: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let net = match file
        .diameter
        .net_config("ims-cdf", vec![Application::Acct(ACCOUNTING)])
    {
        Ok(n) => n,
        Err(e) => {
            eprintln!("ims-cdf: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.check_config {
        println!("ims-cdf: configuration OK");
        return ExitCode::SUCCESS;
    }
    role_kit::init_tracing(&file.log.level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ims-cdf: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(file, net)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ims-cdf: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(file: CdfFile, net: diameter_net::NetConfig) -> anyhow::Result<()> {
    if let Some(path) = file.store.url.strip_prefix("sqlite:") {
        let path = path.trim_start_matches("//");
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)?;
        }
    }
    let store = CdrStore::open(&SqlOptions::new(file.store.url.clone())).await?;
    let cdf = Arc::new(Cdf::new(
        store,
        file.diameter.origin_host.clone(),
        file.diameter.origin_realm.clone(),
        system_clock(),
    ));
    let handlers = Handlers::new().with(ACCOUNTING, move |request| {
        let cdf = Arc::clone(&cdf);
        async move { cdf.handle(&request).await }
    });
    let node = DiameterNode::start(net, handlers).await?;
    tracing::info!(listening = ?node.local_addrs(), "ims-cdf running");
    role_kit::shutdown_signal().await;
    node.shutdown().await;
    Ok(())
}
