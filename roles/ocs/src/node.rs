//! The OCS as a running node: the configuration file's schema, and [`OcsNode::start`], which
//! opens the ledger, gives the demo users a balance when asked, sweeps silent reservations and
//! serves Ro (DCCA) on Diameter. `ims-ocs` and `ims-lab` both start it this way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use diameter_net::{DiameterNode, Handlers};
use diameter_proto::Application;
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::{LedgerOptions, Ocs, OcsConfig};

/// Diameter Credit-Control application (RFC 4006 §12).
pub const CREDIT_CONTROL_APPLICATION: u32 = 4;

/// How often expired reservations are released (Tcc, RFC 4006 §5.1).
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Environment prefix for overrides.
pub const ENV_PREFIX: &str = "IMS_OCS";

/// Built-in defaults under the file.
pub const DEFAULTS: &str = r#"
[store]
url = "sqlite:./ims-lab-data/ocs.db"
demo_balance = 0
[log]
level = "warn"
"#;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcsFile {
    /// Rating and reservation behaviour.
    pub ocs: OcsConfig,
    /// Identity, listeners, peers.
    pub diameter: role_kit::diameter::DiameterSection,
    /// The ledger.
    pub store: StoreSection,
    /// Logging.
    pub log: LogSection,
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// `sqlite:PATH` or `postgres://...`.
    pub url: String,
    /// Balance given to the demo users alice, bob and carol at start when they have no
    /// account (0: none).
    pub demo_balance: i64,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// Level or env-filter directive.
    pub level: String,
}

impl OcsFile {
    /// Check the file; returns the Diameter node configuration.
    pub fn prepare(&self) -> Result<diameter_net::NetConfig, role_kit::ConfigError> {
        self.diameter.net_config(
            "ims-ocs",
            vec![Application::Auth(CREDIT_CONTROL_APPLICATION)],
        )
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A running OCS.
#[derive(Debug)]
pub struct OcsNode {
    node: DiameterNode,
    ocs: Arc<Ocs>,
    sweeper: JoinHandle<()>,
}

impl OcsNode {
    /// Open the ledger and serve Ro.
    pub async fn start(file: OcsFile) -> anyhow::Result<Self> {
        let net = file.prepare()?;
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
        let handlers = Handlers::new().with(CREDIT_CONTROL_APPLICATION, move |request| {
            let ocs = Arc::clone(&handler_ocs);
            async move { ocs.handle(&request).await }
        });
        let node = DiameterNode::start(net, handlers).await?;
        Ok(Self { node, ocs, sweeper })
    }

    /// The Diameter listeners.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        self.node.local_addrs()
    }

    /// The charging server (its ledger).
    pub fn ocs(&self) -> &Arc<Ocs> {
        &self.ocs
    }

    /// Stop sweeping and close the listeners and peer connections.
    pub async fn stop(self) {
        self.sweeper.abort();
        self.node.shutdown().await;
    }
}
