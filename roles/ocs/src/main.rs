//! `ims-ocs --config FILE [--check-config]`: the Ro online charging server (DCCA, RFC 4006)
//! on Diameter over an SQL ledger (SQLite by default, PostgreSQL by URL).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use diameter_net::{DiameterNode, Handlers};
use diameter_proto::Application;
use ims_ocs::{LedgerOptions, Ocs, OcsConfig};
use serde::Deserialize;

/// Diameter Credit-Control application (RFC 4006 §1.3), which Ro uses (TS 32.299 §6.1).
const CREDIT_CONTROL: u32 = 4;

/// How often reservations of silent sessions are released (Tcc, RFC 4006 §13).
const SWEEP_EVERY: Duration = Duration::from_secs(10);

const DEFAULTS: &str = r#"
[store]
url = "sqlite:./ims-lab-data/ocs.db"
demo_balance = 0
[log]
level = "warn"
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OcsFile {
    /// Charging behaviour and tariffs (see roles/ocs/ocs.example.toml).
    ocs: OcsConfig,
    diameter: role_kit::diameter::DiameterSection,
    store: StoreSection,
    log: LogSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreSection {
    /// `sqlite:PATH` or `postgres://...` (its own file or schema).
    url: String,
    /// When above 0, accounts alice, bob and carol (`sip:NAME@ims.test`) are created with this
    /// many micro-units if they do not exist yet.
    demo_balance: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogSection {
    level: String,
}

fn main() -> ExitCode {
    role_kit::role_main(
        "ims-ocs",
        DEFAULTS,
        "IMS_OCS",
        |file: &OcsFile| {
            file.diameter
                .net_config("ims-ocs", vec![Application::Auth(CREDIT_CONTROL)])
        },
        |file| file.log.level.clone(),
        run,
    )
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn run(file: OcsFile, net: diameter_net::NetConfig) -> anyhow::Result<()> {
    role_kit::ensure_sqlite_dir(&file.store.url)?;
    let currency = file.ocs.currency_code;
    let ocs = Arc::new(Ocs::open(file.ocs, &LedgerOptions::new(file.store.url.clone())).await?);
    if file.store.demo_balance > 0 {
        for name in ["alice", "bob", "carol"] {
            let uri = format!("sip:{name}@ims.test");
            if ocs.ledger().account_for(&uri).await?.is_none() {
                ocs.ledger()
                    .create_account(name, &[uri.as_str()], file.store.demo_balance, currency)
                    .await?;
            }
        }
    }
    let sweeper = {
        let ocs = Arc::clone(&ocs);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            loop {
                tick.tick().await;
                if let Err(e) = ocs.sweep(unix_now()).await {
                    tracing::warn!("reservation sweep failed: {e}");
                }
            }
        })
    };
    let handler_ocs = Arc::clone(&ocs);
    let handlers = Handlers::new().with(CREDIT_CONTROL, move |request| {
        let ocs = Arc::clone(&handler_ocs);
        async move { ocs.handle(&request).await }
    });
    let node = DiameterNode::start(net, handlers).await?;
    tracing::info!(listening = ?node.local_addrs(), "ims-ocs running");
    role_kit::shutdown_signal().await;
    sweeper.abort();
    node.shutdown().await;
    Ok(())
}
