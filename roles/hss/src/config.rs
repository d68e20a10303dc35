//! HSS configuration (serde, unknown fields rejected): Diameter identity, S-CSCF capability
//! sets (TS 29.228 §6.3.4, §6.7), roaming policy (§6.1.1.1), vector cap (§6.3.1) and the
//! charging function addresses of Charging-Information (TS 29.229 §6.3.19).

use serde::Deserialize;

use crate::error::HssError;

/// Top-level HSS configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HssConfig {
    /// Our Diameter Origin-Host (RFC 6733 §6.3).
    pub origin_host: String,
    /// Our Diameter Origin-Realm (RFC 6733 §6.4); also the home network identifier, always an
    /// allowed Visited-Network-Identifier.
    pub origin_realm: String,
    /// Visited-Network-Identifier values allowed to register users (TS 29.228 §6.1.1.1 step
    /// 3); `"*"` allows every network.
    #[serde(default)]
    pub allowed_visited_networks: Vec<String>,
    /// Upper bound of SIP-Auth-Data-Item per MAA (TS 29.228 §6.3.1: "up to" the requested
    /// SIP-Number-Auth-Items).
    #[serde(default = "default_max_vectors")]
    pub max_auth_vectors: u32,
    /// Number of IND bits of the SQN (TS 33.102 Annex C.1.1); the SEQ part is what each
    /// vector advances.
    #[serde(default = "default_ind_bits")]
    pub sqn_ind_bits: u8,
    /// Digest-QoP of SIP-Digest-Authenticate (TS 29.229 §6.3.34, RFC 2617).
    #[serde(default = "default_qop")]
    pub digest_qop: String,
    /// Capabilities the HSS asks of an S-CSCF for its users (Server-Capabilities of UAA/LIA).
    #[serde(default)]
    pub user_capabilities: CapabilitySet,
    /// Known S-CSCFs; those offering every mandatory capability are listed as Server-Name in
    /// Server-Capabilities (TS 29.229 §6.3.4), with those of the store.
    #[serde(default)]
    pub scscf: Vec<ScscfConfig>,
    /// Offline/online charging function addresses for Charging-Information of the SAA.
    #[serde(default)]
    pub charging: ChargingConfig,
    /// Diameter realm of the S-CSCFs, the Destination-Realm of RTR/PPR (default: ours).
    #[serde(default)]
    pub scscf_realm: Option<String>,
}

const fn default_max_vectors() -> u32 {
    5
}

const fn default_ind_bits() -> u8 {
    5
}

fn default_qop() -> String {
    "auth".to_owned()
}

/// Mandatory and optional capability values (TS 29.229 §6.3.5, §6.3.6).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilitySet {
    /// Mandatory-Capability values.
    #[serde(default)]
    pub mandatory: Vec<u32>,
    /// Optional-Capability values.
    #[serde(default)]
    pub optional: Vec<u32>,
}

/// One S-CSCF and the capabilities it offers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScscfConfig {
    /// Its SIP URI (Server-Name, TS 29.229 §6.3.3).
    pub name: String,
    /// Capabilities it offers.
    #[serde(default)]
    pub capabilities: Vec<u32>,
}

/// Charging function addresses (TS 29.229 §6.3.19..6.3.23), DiameterURIs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingConfig {
    /// Primary-Charging-Collection-Function-Name (CCF/CDF, offline).
    pub ccf_primary: Option<String>,
    /// Secondary-Charging-Collection-Function-Name.
    pub ccf_secondary: Option<String>,
    /// Primary-Event-Charging-Function-Name (ECF/OCS, online).
    pub ecf_primary: Option<String>,
    /// Secondary-Event-Charging-Function-Name.
    pub ecf_secondary: Option<String>,
}

impl ChargingConfig {
    /// Whether any address is configured (Charging-Information is sent only then).
    pub fn is_empty(&self) -> bool {
        self.ccf_primary.is_none()
            && self.ccf_secondary.is_none()
            && self.ecf_primary.is_none()
            && self.ecf_secondary.is_none()
    }
}

impl HssConfig {
    /// A minimal configuration with defaults for everything but the Diameter identity.
    pub fn new(origin_host: impl Into<String>, origin_realm: impl Into<String>) -> Self {
        Self {
            origin_host: origin_host.into(),
            origin_realm: origin_realm.into(),
            allowed_visited_networks: Vec::new(),
            max_auth_vectors: default_max_vectors(),
            sqn_ind_bits: default_ind_bits(),
            digest_qop: default_qop(),
            user_capabilities: CapabilitySet::default(),
            scscf: Vec::new(),
            charging: ChargingConfig::default(),
            scscf_realm: None,
        }
    }

    /// Parses and checks a TOML document.
    pub fn from_toml(text: &str) -> Result<Self, HssError> {
        let cfg: Self = toml::from_str(text).map_err(|e| HssError::Config(e.to_string()))?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Checks value ranges and URI forms.
    pub fn check(&self) -> Result<(), HssError> {
        if self.origin_host.is_empty() || !self.origin_host.is_ascii() {
            return Err(HssError::Config(
                "origin_host must be non-empty ASCII".into(),
            ));
        }
        if self.origin_realm.is_empty() || !self.origin_realm.is_ascii() {
            return Err(HssError::Config(
                "origin_realm must be non-empty ASCII".into(),
            ));
        }
        if self.max_auth_vectors == 0 || self.max_auth_vectors > 32 {
            return Err(HssError::Config(
                "max_auth_vectors must be in 1..=32".into(),
            ));
        }
        if self.sqn_ind_bits > 10 {
            return Err(HssError::Config("sqn_ind_bits must be at most 10".into()));
        }
        let c = &self.charging;
        for uri in [
            &c.ccf_primary,
            &c.ccf_secondary,
            &c.ecf_primary,
            &c.ecf_secondary,
        ]
        .into_iter()
        .flatten()
        {
            let l = uri.to_ascii_lowercase();
            if !(l.starts_with("aaa://") || l.starts_with("aaas://")) {
                return Err(HssError::Config(format!(
                    "charging address {uri:?} is not a DiameterURI (aaa:// or aaas://)"
                )));
            }
        }
        Ok(())
    }

    /// Whether `network` may register users here (TS 29.228 §6.1.1.1).
    pub fn visited_network_allowed(&self, network: &[u8]) -> bool {
        let Ok(n) = std::str::from_utf8(network) else {
            return false;
        };
        n.eq_ignore_ascii_case(&self.origin_realm)
            || self
                .allowed_visited_networks
                .iter()
                .any(|a| a == "*" || a.eq_ignore_ascii_case(n))
    }

    /// Destination-Realm of HSS-initiated requests.
    pub fn scscf_realm(&self) -> &str {
        self.scscf_realm.as_deref().unwrap_or(&self.origin_realm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses() {
        let cfg = HssConfig::from_toml(include_str!("../config/hss.toml")).unwrap();
        assert_eq!(cfg.origin_host, "hss.ims.test");
        assert_eq!(cfg.max_auth_vectors, 5);
        assert!(cfg.visited_network_allowed(b"ims.test"));
        assert!(cfg.visited_network_allowed(b"visited.test"));
        assert!(!cfg.visited_network_allowed(b"evil.test"));
        assert_eq!(
            cfg.charging.ccf_primary.as_deref(),
            Some("aaa://cdf.ims.test:3868")
        );
    }

    #[test]
    fn unknown_field_and_bad_uri_rejected() {
        let e = HssConfig::from_toml("origin_host='h'\norigin_realm='r'\nbogus=1").unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
        let e = HssConfig::from_toml(
            "origin_host='h'\norigin_realm='r'\n[charging]\nccf_primary='cdf.test'",
        )
        .unwrap_err();
        assert!(e.to_string().contains("DiameterURI"), "{e}");
        let e = HssConfig::from_toml("origin_host='h'\norigin_realm='r'\nmax_auth_vectors=0")
            .unwrap_err();
        assert!(e.to_string().contains("max_auth_vectors"), "{e}");
    }

    #[test]
    fn wildcard_allows_all() {
        let mut cfg = HssConfig::new("h", "r");
        assert!(!cfg.visited_network_allowed(b"x"));
        assert!(cfg.visited_network_allowed(b"R"));
        assert!(!cfg.visited_network_allowed(&[0xff]));
        cfg.allowed_visited_networks.push("*".into());
        assert!(cfg.visited_network_allowed(b"x"));
    }
}
