//! ims-lab: the whole IMS core in one process — HSS, OCS, CDF, S-CSCF, I-CSCF and P-CSCF —
//! each on its own loopback sockets, configured by the example files in `roles/config/`
//! (compiled in), with the loopback address and the data directory substituted. It is the
//! README's quick start and the bed the end-to-end tests run on.
//!
//! Each role's file is read like the role's own binary reads it: built-in defaults, then the
//! file, then `IMS_<ROLE>__*` environment overrides.
#![warn(missing_docs)]

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use sip_proto::Transport;

/// The example configurations the lab runs, by role.
pub const TEMPLATES: [(&str, &str); 6] = [
    ("hss", include_str!("../../config/hss.toml")),
    ("ocs", include_str!("../../config/ocs.toml")),
    ("cdf", include_str!("../../config/cdf.toml")),
    ("scscf", include_str!("../../config/scscf.toml")),
    ("icscf", include_str!("../../config/icscf.toml")),
    ("pcscf", include_str!("../../config/pcscf.toml")),
];

/// The address the example files use.
const TEMPLATE_IP: &str = "127.0.0.1";
/// The data directory the example files use.
const TEMPLATE_DATA: &str = "./ims-lab-data";

/// How to run the lab.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// Loopback address every role binds (127.0.0.1 by default; tests use others of
    /// 127.0.0.0/8 so that several labs run at once).
    pub ip: IpAddr,
    /// Where the SQLite files live.
    pub data_dir: PathBuf,
    /// Log level for roles whose file does not set one (unused when tracing is already on).
    pub log_level: Option<String>,
}

impl Default for LabOptions {
    fn default() -> Self {
        Self {
            ip: IpAddr::from([127, 0, 0, 1]),
            data_dir: PathBuf::from(TEMPLATE_DATA),
            log_level: None,
        }
    }
}

/// One role's configuration text for `options`.
pub fn render(template: &str, options: &LabOptions) -> String {
    let data = options.data_dir.display().to_string();
    template
        .replace(TEMPLATE_IP, &options.ip.to_string())
        .replace(TEMPLATE_DATA, data.trim_end_matches('/'))
}

/// Write every role's file under `dir` (the lab reads them back, so what runs is what an
/// operator can read and edit) and return their paths by role.
pub fn write_configs(options: &LabOptions, dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    std::fs::create_dir_all(dir)?;
    TEMPLATES
        .iter()
        .map(|(role, template)| {
            let path = dir.join(format!("{role}.toml"));
            std::fs::write(&path, render(template, options))?;
            Ok(((*role).to_owned(), path))
        })
        .collect()
}

fn load<C: serde::de::DeserializeOwned>(
    defaults: &str,
    path: &Path,
    prefix: &str,
) -> anyhow::Result<C> {
    role_kit::load_config(defaults, Some(path), prefix)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Every role's parsed and checked configuration.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// HSS.
    pub hss: ims_hss::node::HssFile,
    /// OCS.
    pub ocs: ims_ocs::node::OcsFile,
    /// CDF.
    pub cdf: ims_cdf::node::CdfFile,
    /// S-CSCF.
    pub scscf: ims_scscf::ScscfConfig,
    /// I-CSCF.
    pub icscf: ims_icscf::IcscfConfig,
    /// P-CSCF.
    pub pcscf: ims_pcscf::PcscfConfig,
}

impl LabConfig {
    /// Render, write under `<data_dir>/config` and load every role's file.
    pub fn prepare(options: &LabOptions) -> anyhow::Result<Self> {
        let dir = options.data_dir.join("config");
        write_configs(options, &dir)?;
        let path = |role: &str| dir.join(format!("{role}.toml"));
        let config = Self {
            hss: load(
                ims_hss::node::DEFAULTS,
                &path("hss"),
                ims_hss::node::ENV_PREFIX,
            )?,
            ocs: load(
                ims_ocs::node::DEFAULTS,
                &path("ocs"),
                ims_ocs::node::ENV_PREFIX,
            )?,
            cdf: load(
                ims_cdf::node::DEFAULTS,
                &path("cdf"),
                ims_cdf::node::ENV_PREFIX,
            )?,
            scscf: load(ims_scscf::DEFAULTS, &path("scscf"), ims_scscf::ENV_PREFIX)?,
            icscf: load(ims_icscf::DEFAULTS, &path("icscf"), ims_icscf::ENV_PREFIX)?,
            pcscf: load(ims_pcscf::DEFAULTS, &path("pcscf"), ims_pcscf::ENV_PREFIX)?,
        };
        config.check()?;
        Ok(config)
    }

    /// Every role's own checks.
    pub fn check(&self) -> anyhow::Result<()> {
        self.hss
            .prepare()
            .map_err(|e| anyhow::anyhow!("hss: {e}"))?;
        self.ocs
            .prepare()
            .map_err(|e| anyhow::anyhow!("ocs: {e}"))?;
        self.cdf
            .prepare()
            .map_err(|e| anyhow::anyhow!("cdf: {e}"))?;
        self.scscf
            .check()
            .map_err(|e| anyhow::anyhow!("scscf: {e}"))?;
        self.icscf
            .check()
            .map_err(|e| anyhow::anyhow!("icscf: {e}"))?;
        self.pcscf
            .check()
            .map_err(|e| anyhow::anyhow!("pcscf: {e}"))?;
        Ok(())
    }
}

/// The running lab.
#[derive(Debug)]
pub struct Lab {
    /// HSS (Cx server).
    pub hss: ims_hss::node::HssNode,
    /// OCS (Ro server).
    pub ocs: ims_ocs::node::OcsNode,
    /// CDF (Rf server).
    pub cdf: ims_cdf::node::CdfNode,
    /// S-CSCF.
    pub scscf: ims_scscf::Scscf,
    /// I-CSCF.
    pub icscf: ims_icscf::Icscf,
    /// P-CSCF.
    pub pcscf: ims_pcscf::Pcscf,
}

impl Lab {
    /// Start every role of `config`: the Diameter servers first, then the S-, I- and P-CSCF.
    pub async fn start(config: LabConfig) -> anyhow::Result<Self> {
        let hss = ims_hss::node::HssNode::start(config.hss).await?;
        let ocs = ims_ocs::node::OcsNode::start(config.ocs).await?;
        let cdf = ims_cdf::node::CdfNode::start(config.cdf).await?;
        let scscf = ims_scscf::Scscf::start(config.scscf).await?;
        let icscf = ims_icscf::Icscf::start(config.icscf).await?;
        let pcscf = ims_pcscf::Pcscf::start(config.pcscf).await?;
        let lab = Self {
            hss,
            ocs,
            cdf,
            scscf,
            icscf,
            pcscf,
        };
        Ok(lab)
    }

    /// Wait until every Diameter client (S-CSCF, I-CSCF) has its peers open, so that the first
    /// REGISTER does not race the capabilities exchange.
    pub async fn wait_ready(&self, within: std::time::Duration) -> anyhow::Result<()> {
        let end = tokio::time::Instant::now() + within;
        for (name, handle) in [
            ("S-CSCF", self.scscf.diameter_handle()),
            ("I-CSCF", self.icscf.diameter_handle()),
        ] {
            loop {
                let peers = handle.peers().await;
                let open = !peers.is_empty()
                    && peers
                        .iter()
                        .filter(|p| p.address.is_some())
                        .all(|p| p.state == diameter_proto::PeerState::Open);
                if open {
                    break;
                }
                if tokio::time::Instant::now() >= end {
                    anyhow::bail!("{name}: Diameter peers not open within {within:?}: {peers:?}");
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        Ok(())
    }

    /// The P-CSCF's UDP address: where UEs send.
    pub fn pcscf_udp(&self) -> Option<SocketAddr> {
        self.pcscf
            .sip_listeners()
            .into_iter()
            .find(|(t, _)| *t == Transport::Udp)
            .map(|(_, a)| a)
    }

    /// A summary of what listens where, for the log and the terminal.
    pub fn summary(&self) -> String {
        let sip = |name: &str, l: Vec<(Transport, SocketAddr)>| {
            let list: Vec<String> = l
                .iter()
                .map(|(t, a)| format!("{}:{a}", t.param()))
                .collect();
            format!("{name:<7} SIP      {}\n", list.join(" "))
        };
        let dia = |name: &str, l: &[SocketAddr]| {
            let list: Vec<String> = l.iter().map(|a| a.to_string()).collect();
            format!("{name:<7} Diameter {}\n", list.join(" "))
        };
        let mut out = String::new();
        out.push_str(&sip("P-CSCF", self.pcscf.sip_listeners()));
        out.push_str(&sip("I-CSCF", self.icscf.sip_listeners()));
        out.push_str(&sip("S-CSCF", self.scscf.sip_listeners()));
        out.push_str(&dia("HSS", self.hss.local_addrs()));
        out.push_str(&dia("OCS", self.ocs.local_addrs()));
        out.push_str(&dia("CDF", self.cdf.local_addrs()));
        if let Some(admin) = self.hss.admin_addr() {
            out.push_str(&format!(
                "HSS     admin    http://{admin}/ (docs/admin-api.md)\n"
            ));
        }
        out
    }

    /// Stop every role, the CSCFs first.
    pub async fn stop(self) {
        self.pcscf.stop().await;
        self.icscf.stop().await;
        self.scscf.stop().await;
        self.cdf.stop().await;
        self.ocs.stop().await;
        self.hss.stop().await;
    }
}
