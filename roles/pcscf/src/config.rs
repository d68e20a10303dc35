//! The P-CSCF's configuration file (TOML, strict: unknown keys are errors) and its checks,
//! whose errors name the key.

use role_kit::ConfigError;
use serde::Deserialize;
use sip_proto::proxy::Target;
use sip_types::Uri;

/// Environment variables `IMS_PCSCF__<SECTION>__<KEY>` override the file.
pub const ENV_PREFIX: &str = "IMS_PCSCF";

/// Built-in defaults, under the `--config` file and `IMS_PCSCF__*` variables.
pub const DEFAULTS: &str = r#"
[pcscf]
icscf = "sip:127.0.0.1:5070"
visited_network_id = "ims.test"
node_name = "pcscf.ims.test"

[log]
level = "warn"
"#;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PcscfConfig {
    /// `[sip]`: listeners, aliases, `[sip.hosts]` (where Service-Route names lead).
    pub sip: role_kit::sip::SipSection,
    /// `[pcscf]`
    pub pcscf: PcscfSection,
    /// `[log]`
    pub log: LogSection,
}

/// `[pcscf]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PcscfSection {
    /// The I-CSCF that REGISTER requests go to (TS 24.229 §5.2.2.1), e.g.
    /// `sip:127.0.0.1:5070` or a name from `[sip.hosts]`.
    pub icscf: String,
    /// P-Visited-Network-ID put in REGISTER (RFC 7315 §4.3; TS 24.229 §5.2.2.1), also the
    /// `orig-ioi` of the P-Charging-Vectors we create.
    pub visited_network_id: String,
    /// This node's name in generated ICIDs (TS 32.260 §5.2.4).
    pub node_name: String,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// A tracing filter (`warn`, `ims_pcscf=debug`...).
    pub level: String,
}

fn value_error(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Value {
        key: key.into(),
        message: message.into(),
    }
}

impl PcscfConfig {
    /// Check every section; the error names the bad key.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.sip.check()?;
        self.icscf_targets()?;
        if self.pcscf.visited_network_id.trim().is_empty() {
            return Err(value_error("pcscf.visited_network_id", "must not be empty"));
        }
        if self
            .pcscf
            .visited_network_id
            .contains(['"', '\\', '\r', '\n'])
        {
            return Err(value_error(
                "pcscf.visited_network_id",
                "must not contain quotes, backslashes or line breaks",
            ));
        }
        if self.pcscf.node_name.trim().is_empty() {
            return Err(value_error("pcscf.node_name", "must not be empty"));
        }
        Ok(())
    }

    /// Where REGISTER requests go: `pcscf.icscf` located by IP or `[sip.hosts]`.
    pub fn icscf_targets(&self) -> Result<Vec<Target>, ConfigError> {
        let key = "pcscf.icscf";
        let Ok(Uri::Sip(uri)) = Uri::parse(self.pcscf.icscf.trim()) else {
            return Err(value_error(
                key,
                format!("`{}` is not a SIP URI", self.pcscf.icscf),
            ));
        };
        let targets = self.sip.host_table()?.locate(&uri);
        if targets.is_empty() {
            return Err(value_error(
                key,
                format!(
                    "host `{}` is neither an IP address nor in [sip.hosts]",
                    uri.host_str
                ),
            ));
        }
        Ok(targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> PcscfConfig {
        let mut table: toml::Table = DEFAULTS.parse().unwrap();
        let extra: toml::Table = text.parse().unwrap();
        for (k, v) in extra {
            match (table.get_mut(&k), v) {
                (Some(toml::Value::Table(t)), toml::Value::Table(e)) => t.extend(e),
                (_, v) => {
                    table.insert(k, v);
                }
            }
        }
        toml::Value::Table(table).try_into().unwrap()
    }

    const SIP: &str = "[sip]\nlisten = [{ transport = \"udp\", addr = \"127.0.0.1:5060\" }]\n";

    #[test]
    fn example_file_passes_the_checks() {
        let text = include_str!("../../config/pcscf.toml");
        let cfg: PcscfConfig = toml::from_str(text).unwrap();
        cfg.check().unwrap();
        assert_eq!(cfg.pcscf.visited_network_id, "ims.test");
    }

    #[test]
    fn icscf_by_address_or_host_table() {
        let cfg = parse(SIP);
        cfg.check().unwrap();
        assert_eq!(
            cfg.icscf_targets().unwrap()[0].addr,
            "127.0.0.1:5070".parse().unwrap()
        );
        let cfg = parse(&format!(
            "{SIP}[sip.hosts]\n\"icscf.ims.test\" = [\"udp:127.0.0.1:5070\"]\n\
             [pcscf]\nicscf = \"sip:icscf.ims.test\"\n"
        ));
        cfg.check().unwrap();
        let cfg = parse(&format!("{SIP}[pcscf]\nicscf = \"sip:nowhere.test\"\n"));
        let err = cfg.check().unwrap_err().to_string();
        assert!(err.contains("pcscf.icscf"), "{err}");
        let cfg = parse(&format!("{SIP}[pcscf]\nicscf = \"tel:+1\"\n"));
        assert!(cfg.check().unwrap_err().to_string().contains("pcscf.icscf"));
    }

    #[test]
    fn bad_values_are_named() {
        let cfg = parse(&format!("{SIP}[pcscf]\nvisited_network_id = \" \"\n"));
        let err = cfg.check().unwrap_err().to_string();
        assert!(err.contains("pcscf.visited_network_id"), "{err}");
        let cfg = parse(&format!("{SIP}[pcscf]\nnode_name = \"\"\n"));
        assert!(cfg
            .check()
            .unwrap_err()
            .to_string()
            .contains("pcscf.node_name"));
    }
}
