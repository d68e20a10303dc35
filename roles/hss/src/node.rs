//! The HSS as a running node: the configuration file's schema, and [`HssNode::start`], which
//! opens the subscriber store, seeds the demo users when asked and serves Cx on Diameter.
//! `ims-hss` and `ims-lab` both start it this way.

use std::net::SocketAddr;
use std::sync::Arc;

use diameter_net::{DiameterNode, Handlers};
use diameter_proto::Application;
use ims_store::{SqlOptions, SqlPool, SqlSubscriberStore, SubscriberStore};
use serde::Deserialize;

use crate::{Hss, HssConfig, OsRandSource};

/// Cx/Dx application (TS 29.229 §5.1), vendor 3GPP.
pub const CX_APPLICATION: u32 = 16_777_216;

/// Environment prefix for overrides.
pub const ENV_PREFIX: &str = "IMS_HSS";

/// Built-in defaults under the file.
pub const DEFAULTS: &str = r#"
[store]
url = "sqlite:./ims-lab-data/hss.db"
demo_subscribers = false
[log]
level = "warn"
"#;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HssFile {
    /// The Cx behaviour.
    pub hss: HssConfig,
    /// Identity, listeners, peers.
    pub diameter: role_kit::diameter::DiameterSection,
    /// The subscriber store.
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
    /// Insert alice, bob and carol (the README's demo users) at start if missing.
    pub demo_subscribers: bool,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// Level or env-filter directive.
    pub level: String,
}

impl HssFile {
    /// Check the file; returns the Diameter node configuration.
    pub fn prepare(&self) -> Result<diameter_net::NetConfig, role_kit::ConfigError> {
        let applications = vec![Application::VendorAuth {
            vendor: crate::VENDOR_3GPP,
            app: CX_APPLICATION,
        }];
        let net = self.diameter.net_config("ims-hss", applications)?;
        self.hss.check().map_err(|e| role_kit::ConfigError::Value {
            key: "hss".into(),
            message: e.to_string(),
        })?;
        Ok(net)
    }
}

/// A running HSS.
#[derive(Debug)]
pub struct HssNode {
    node: DiameterNode,
    hss: Hss,
}

impl HssNode {
    /// Open the store and serve Cx.
    pub async fn start(file: HssFile) -> anyhow::Result<Self> {
        let net = file.prepare()?;
        role_kit::ensure_sqlite_dir(&file.store.url)?;
        let pool = SqlPool::open(&SqlOptions::new(file.store.url.clone())).await?;
        let store: Arc<dyn SubscriberStore> = Arc::new(SqlSubscriberStore::new(pool));
        if file.store.demo_subscribers {
            crate::seed_demo(store.as_ref()).await?;
        }
        let hss = Hss::new(file.hss, store, Arc::new(OsRandSource))?;
        let handler_hss = hss.clone();
        let handlers = Handlers::new().with(CX_APPLICATION, move |request| {
            let hss = handler_hss.clone();
            async move { hss.handle(&request).await }
        });
        let node = DiameterNode::start(net, handlers).await?;
        Ok(Self { node, hss })
    }

    /// The Diameter listeners.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        self.node.local_addrs()
    }

    /// The Cx handler (its store, RTR/PPR builders).
    pub fn hss(&self) -> &Hss {
        &self.hss
    }

    /// A client handle on the node (to push RTR/PPR to connected S-CSCFs).
    pub fn handle(&self) -> diameter_net::ClientHandle {
        self.node.handle()
    }

    /// Close the listeners and peer connections.
    pub async fn stop(self) {
        self.node.shutdown().await;
    }
}
