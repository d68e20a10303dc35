//! OCS configuration: identity, grant policy and tariffs (TOML, strict).

use serde::Deserialize;

use crate::error::OcsError;
use crate::tariff::TariffTable;

/// Configuration of the credit-control server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcsConfig {
    /// Origin-Host of answers (RFC 6733 §6.3).
    pub origin_host: String,
    /// Origin-Realm of answers (RFC 6733 §6.4).
    pub origin_realm: String,
    /// ISO 4217 Currency-Code of accounts created without one (RFC 4006 §8.11); 978 = EUR.
    #[serde(default = "default_currency")]
    pub currency_code: u32,
    /// Validity-Time sent with each grant, seconds (RFC 4006 §8.33).
    #[serde(default = "default_validity")]
    pub validity_time: u32,
    /// Extra seconds after Validity-Time before a silent session's reservation is released
    /// by [`crate::Ocs::sweep`] (server-side Tcc, RFC 4006 §13).
    #[serde(default = "default_grace")]
    pub reservation_grace: u32,
    /// CC-Time granted when the request names no Requested-Service-Unit CC-Time, seconds.
    #[serde(default = "default_grant")]
    pub default_grant: u32,
    /// Largest CC-Time granted at once, seconds.
    #[serde(default = "default_max_grant")]
    pub max_grant: u32,
    /// How long stored answers are kept for duplicate detection, seconds.
    #[serde(default = "default_retention")]
    pub answer_retention: u32,
    /// The tariffs (`[[tariff]]`).
    #[serde(default, flatten)]
    pub tariffs: TariffTable,
}

const fn default_currency() -> u32 {
    978
}
const fn default_validity() -> u32 {
    600
}
const fn default_grace() -> u32 {
    60
}
const fn default_grant() -> u32 {
    300
}
const fn default_max_grant() -> u32 {
    3600
}
const fn default_retention() -> u32 {
    86_400
}

impl OcsConfig {
    /// A configuration with defaults and no tariffs.
    pub fn new(origin_host: impl Into<String>, origin_realm: impl Into<String>) -> Self {
        Self {
            origin_host: origin_host.into(),
            origin_realm: origin_realm.into(),
            currency_code: default_currency(),
            validity_time: default_validity(),
            reservation_grace: default_grace(),
            default_grant: default_grant(),
            max_grant: default_max_grant(),
            answer_retention: default_retention(),
            tariffs: TariffTable::default(),
        }
    }

    /// Parses and checks a TOML configuration.
    pub fn from_toml(text: &str) -> Result<Self, OcsError> {
        let cfg: Self = toml::from_str(text).map_err(|e| OcsError::Config(e.to_string()))?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Checks values: identities present, positive grants, valid tariffs.
    pub fn check(&self) -> Result<(), OcsError> {
        if self.origin_host.is_empty() || self.origin_realm.is_empty() {
            return Err(OcsError::Config(
                "origin_host and origin_realm must be set".into(),
            ));
        }
        if self.default_grant == 0 || self.max_grant == 0 || self.validity_time == 0 {
            return Err(OcsError::Config(
                "default_grant, max_grant and validity_time must be >= 1".into(),
            ));
        }
        self.tariffs.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_tariffs() {
        let cfg = OcsConfig::from_toml(
            r#"
            origin_host = "ocs.ims.test"
            origin_realm = "ims.test"
            validity_time = 120
            [[tariff]]
            name = "sms"
            kind = { event = { price = 1 } }
            "#,
        )
        .unwrap();
        assert_eq!(cfg.validity_time, 120);
        assert_eq!(cfg.currency_code, 978);
        assert_eq!(cfg.tariffs.tariffs.len(), 1);
        assert!(OcsConfig::from_toml("origin_host = \"a\"\norigin_realm = \"b\"\nx = 1").is_err());
    }

    #[test]
    fn example_file_is_valid() {
        let cfg = OcsConfig::from_toml(include_str!("../ocs.example.toml")).unwrap();
        assert_eq!(cfg.origin_host, "ocs.ims.test");
        let names: Vec<_> = cfg
            .tariffs
            .tariffs
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, ["voice", "voice-per-second", "message"]);
        assert_eq!(cfg.tariffs.tariffs[0].price(61), 1_200_000);
    }
}
