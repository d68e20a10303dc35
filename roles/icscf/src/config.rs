//! The I-CSCF's configuration file (TOML, strict: unknown keys are errors) and its checks,
//! whose errors name the key.

use diameter_net::NetConfig;
use diameter_proto::Application;
use role_kit::ConfigError;
use serde::Deserialize;
use sip_types::Uri;

/// Environment variables `IMS_ICSCF__<SECTION>__<KEY>` override the file.
pub const ENV_PREFIX: &str = "IMS_ICSCF";

/// Built-in defaults, under the `--config` file and `IMS_ICSCF__*` variables.
pub const DEFAULTS: &str = r#"
[icscf]
home_domain = "ims.test"

[log]
level = "warn"
"#;

/// Cx application (TS 29.229 §5.1), vendor 3GPP.
const CX_APPLICATION: u32 = 16_777_216;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcscfConfig {
    /// `[sip]`: listeners, aliases, `[sip.hosts]` (where S-CSCF names lead).
    pub sip: role_kit::sip::SipSection,
    /// `[icscf]`
    pub icscf: IcscfSection,
    /// `[diameter]`: our Cx identity and the HSS as a peer.
    pub diameter: role_kit::diameter::DiameterSection,
    /// `[log]`
    pub log: LogSection,
}

/// `[icscf]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcscfSection {
    /// The home domain: the Visited-Network-Identifier of a UAR when the REGISTER has no
    /// P-Visited-Network-ID (TS 24.229 §5.3.1.2).
    pub home_domain: String,
    /// `[[icscf.scscf]]`: the S-CSCFs we may select by capabilities (TS 29.228 §6.7), in
    /// preference order.
    #[serde(default)]
    pub scscf: Vec<ScscfEntry>,
    /// Destination-Realm of Cx requests; the `[diameter]` origin realm when absent.
    #[serde(default)]
    pub hss_realm: Option<String>,
    /// Destination-Host of Cx requests (one given HSS); realm routing when absent.
    #[serde(default)]
    pub hss_host: Option<String>,
}

/// One `[[icscf.scscf]]`: an S-CSCF and the capabilities it offers (TS 29.229 §6.3.5–§6.3.6).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScscfEntry {
    /// Its SIP URI, as the HSS names it in Server-Name (e.g. `sip:scscf.ims.test:5080`).
    pub name: String,
    /// Capability values it offers.
    #[serde(default)]
    pub capabilities: Vec<u32>,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// A tracing filter (`warn`, `ims_icscf=debug`...).
    pub level: String,
}

fn value_error(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Value {
        key: key.into(),
        message: message.into(),
    }
}

impl IcscfConfig {
    /// Check every section; the error names the bad key.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.sip.check()?;
        self.diameter_net()?;
        if self.icscf.home_domain.trim().is_empty() {
            return Err(value_error("icscf.home_domain", "must not be empty"));
        }
        let hosts = self.sip.host_table()?;
        for (i, s) in self.icscf.scscf.iter().enumerate() {
            let key = format!("icscf.scscf[{i}].name");
            let Ok(Uri::Sip(uri)) = Uri::parse(&s.name) else {
                return Err(value_error(key, format!("`{}` is not a SIP URI", s.name)));
            };
            if hosts.locate(&uri).is_empty() {
                return Err(value_error(
                    key,
                    format!(
                        "host `{}` is neither an IP address nor in [sip.hosts]",
                        uri.host_str
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The Diameter node configuration: our identity, the HSS peer, routes; Cx as the one
    /// application.
    pub fn diameter_net(&self) -> Result<NetConfig, ConfigError> {
        self.diameter.net_config(
            "ims-icscf",
            vec![Application::VendorAuth {
                vendor: ims_cx::VENDOR_3GPP,
                app: CX_APPLICATION,
            }],
        )
    }

    /// Destination-Realm of our Cx requests.
    pub fn hss_realm(&self) -> &str {
        self.icscf
            .hss_realm
            .as_deref()
            .unwrap_or(&self.diameter.origin_realm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/icscf.toml");

    fn load(text: &str) -> IcscfConfig {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("icscf-{}-{n}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let c = role_kit::load_config(DEFAULTS, Some(&path), ENV_PREFIX);
        let _ = std::fs::remove_file(&path);
        c.unwrap()
    }

    fn example() -> String {
        std::fs::read_to_string(EXAMPLE).unwrap()
    }

    #[test]
    fn example_file_checks() {
        let c = load(&example());
        c.check().unwrap();
        assert_eq!(c.icscf.home_domain, "ims.test");
        assert_eq!(c.hss_realm(), "ims.test");
        assert_eq!(c.diameter.origin_host, "icscf.ims.test");
        assert_eq!(c.icscf.scscf[0].name, "sip:scscf.ims.test:5080");
    }

    #[test]
    fn errors_name_the_key() {
        let bad = example().replace(
            "name = \"sip:scscf.ims.test:5080\"",
            "name = \"sip:nowhere.ims.test\"",
        );
        let err = load(&bad).check().unwrap_err().to_string();
        assert!(err.starts_with("icscf.scscf[0].name"), "{err}");

        let bad = example().replace("name = \"sip:scscf.ims.test:5080\"", "name = \"mailto:x\"");
        let err = load(&bad).check().unwrap_err().to_string();
        assert!(err.contains("not a SIP URI"), "{err}");

        let bad = example().replace("home_domain = \"ims.test\"", "home_domain = \" \"");
        let err = load(&bad).check().unwrap_err().to_string();
        assert!(err.starts_with("icscf.home_domain"), "{err}");
    }
}
