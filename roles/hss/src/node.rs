//! The HSS as a running node: the configuration file's schema, and [`HssNode::start`], which
//! opens the subscriber store, seeds the demo users when asked, serves Cx on Diameter and, with
//! an `[admin]` section, the admin API (docs/admin-api.md).
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
    /// The admin API (JSON-RPC over HTTP); absent: not served.
    #[serde(default)]
    pub admin: Option<role_kit::admin::AdminSection>,
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
        if let Some(admin) = &self.admin {
            admin.resolve()?;
        }
        Ok(net)
    }
}

/// A running HSS.
#[derive(Debug)]
pub struct HssNode {
    node: DiameterNode,
    hss: Hss,
    admin: Option<role_kit::admin::AdminServer>,
}

impl HssNode {
    /// Open the store, serve Cx, and the admin API when configured.
    pub async fn start(file: HssFile) -> anyhow::Result<Self> {
        let net = file.prepare()?;
        let admin_config = file.admin.as_ref().map(|a| a.resolve()).transpose()?;
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
        let admin = match admin_config {
            Some(config) => {
                let methods = crate::admin::methods(hss.clone(), node.handle());
                match role_kit::admin::AdminServer::start(config, methods).await {
                    Ok(server) => Some(server),
                    Err(e) => {
                        node.shutdown().await;
                        return Err(anyhow::anyhow!("admin listener: {e}"));
                    }
                }
            }
            None => None,
        };
        Ok(Self { node, hss, admin })
    }

    /// Where the admin API listens, when configured.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin
            .as_ref()
            .map(role_kit::admin::AdminServer::local_addr)
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

    /// Close the admin API, then the Diameter listeners and peer connections.
    pub async fn stop(self) {
        if let Some(admin) = self.admin {
            admin.stop().await;
        }
        self.node.shutdown().await;
    }
}
