//! `ims-hss --config FILE [--check-config]`: the Cx server on Diameter (TCP/TLS) over a
//! subscriber store in SQL (SQLite by default, PostgreSQL by URL).

use std::process::ExitCode;
use std::sync::Arc;

use diameter_net::{DiameterNode, Handlers};
use diameter_proto::Application;
use ims_hss::{Hss, HssConfig, OsRandSource};
use ims_store::{SqlOptions, SqlPool, SqlSubscriberStore, SubscriberStore};
use serde::Deserialize;

/// Cx/Dx application (TS 29.229 §5.1), vendor 3GPP.
const CX: u32 = 16_777_216;

const DEFAULTS: &str = r#"
[store]
url = "sqlite:./ims-lab-data/hss.db"
demo_subscribers = false
[log]
level = "warn"
"#;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HssFile {
    /// The Cx behaviour (see roles/hss/config/hss.toml).
    hss: HssConfig,
    /// Identity, listeners, peers.
    diameter: role_kit::diameter::DiameterSection,
    store: StoreSection,
    log: LogSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreSection {
    /// `sqlite:PATH` or `postgres://...`.
    url: String,
    /// Insert alice, bob and carol (the README's demo users) at start if missing.
    demo_subscribers: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogSection {
    level: String,
}

fn main() -> ExitCode {
    role_kit::role_main(
        "ims-hss",
        DEFAULTS,
        "IMS_HSS",
        |file: &HssFile| {
            let applications = vec![Application::VendorAuth {
                vendor: 10415,
                app: CX,
            }];
            let net = file.diameter.net_config("ims-hss", applications)?;
            file.hss.check().map_err(|e| role_kit::ConfigError::Value {
                key: "hss".into(),
                message: e.to_string(),
            })?;
            Ok(net)
        },
        |file| file.log.level.clone(),
        run,
    )
}

async fn run(file: HssFile, net: diameter_net::NetConfig) -> anyhow::Result<()> {
    role_kit::ensure_sqlite_dir(&file.store.url)?;
    let pool = SqlPool::open(&SqlOptions::new(file.store.url.clone())).await?;
    let store: Arc<dyn SubscriberStore> = Arc::new(SqlSubscriberStore::new(pool));
    if file.store.demo_subscribers {
        ims_hss::seed_demo(store.as_ref()).await?;
    }
    let hss = Hss::new(file.hss, store, Arc::new(OsRandSource))?;
    let handlers = Handlers::new().with(CX, move |request| {
        let hss = hss.clone();
        async move { hss.handle(&request).await }
    });
    let node = DiameterNode::start(net, handlers).await?;
    tracing::info!(listening = ?node.local_addrs(), "ims-hss running");
    role_kit::shutdown_signal().await;
    node.shutdown().await;
    Ok(())
}
