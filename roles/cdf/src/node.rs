//! The CDF as a running node: the configuration file's schema, and [`CdfNode::start`], which
//! opens the CDR store and serves Rf accounting on Diameter (each CDR committed before its
//! ACA). `ims-cdf` and `ims-lab` both start it this way.

use std::net::SocketAddr;
use std::sync::Arc;

use diameter_net::{DiameterNode, Handlers};
use diameter_proto::Application;
use ims_store::SqlOptions;
use serde::Deserialize;

use crate::{system_clock, Cdf, CdrStore};

/// Diameter base accounting application (RFC 6733 §2.4).
pub const ACCOUNTING_APPLICATION: u32 = 3;

/// Environment prefix for overrides.
pub const ENV_PREFIX: &str = "IMS_CDF";

/// Built-in defaults under the file.
pub const DEFAULTS: &str = r#"
[store]
url = "sqlite:./ims-lab-data/cdf.db"
[log]
level = "warn"
"#;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdfFile {
    /// Identity, listeners, peers.
    pub diameter: role_kit::diameter::DiameterSection,
    /// The CDR store.
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
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// Level or env-filter directive.
    pub level: String,
}

impl CdfFile {
    /// Check the file; returns the Diameter node configuration.
    pub fn prepare(&self) -> Result<diameter_net::NetConfig, role_kit::ConfigError> {
        self.diameter
            .net_config("ims-cdf", vec![Application::Acct(ACCOUNTING_APPLICATION)])
    }
}

/// A running CDF.
#[derive(Debug)]
pub struct CdfNode {
    node: DiameterNode,
    cdf: Arc<Cdf>,
}

impl CdfNode {
    /// Open the store and serve Rf.
    pub async fn start(file: CdfFile) -> anyhow::Result<Self> {
        let net = file.prepare()?;
        role_kit::ensure_sqlite_dir(&file.store.url)?;
        let store = CdrStore::open(&SqlOptions::new(file.store.url.clone())).await?;
        let cdf = Arc::new(Cdf::new(
            store,
            file.diameter.origin_host.clone(),
            file.diameter.origin_realm.clone(),
            system_clock(),
        ));
        let handler_cdf = Arc::clone(&cdf);
        let handlers = Handlers::new().with(ACCOUNTING_APPLICATION, move |request| {
            let cdf = Arc::clone(&handler_cdf);
            async move { cdf.handle(&request).await }
        });
        let node = DiameterNode::start(net, handlers).await?;
        Ok(Self { node, cdf })
    }

    /// The Diameter listeners.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        self.node.local_addrs()
    }

    /// The accounting server (its CDR store).
    pub fn cdf(&self) -> &Arc<Cdf> {
        &self.cdf
    }

    /// Close the listeners and peer connections.
    pub async fn stop(self) {
        self.node.shutdown().await;
    }
}
