//! `ims-cdf --config FILE [--check-config]`: the Rf accounting server (ACR/ACA) on Diameter,
//! CDRs in SQL (SQLite by default, PostgreSQL by URL), each committed before its ACA.

use std::process::ExitCode;
use std::sync::Arc;

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
    role_kit::role_main(
        "ims-cdf",
        DEFAULTS,
        "IMS_CDF",
        |file: &CdfFile| {
            file.diameter
                .net_config("ims-cdf", vec![Application::Acct(ACCOUNTING)])
        },
        |file| file.log.level.clone(),
        run,
    )
}

async fn run(file: CdfFile, net: diameter_net::NetConfig) -> anyhow::Result<()> {
    role_kit::ensure_sqlite_dir(&file.store.url)?;
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
