//! `[charging]`: where the OCS and the CDF are and which requests are charged (TS 32.260
//! §5.2, §6.1). Absent from the file: no charging.

use std::path::PathBuf;
use std::time::Duration;

use diameter_codec::generated::cc::CreditControlFailureHandling;
use serde::Deserialize;

/// `[charging]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingSection {
    /// Origin-Host of the primary OCS (a `[[diameter.peer]]`); needed for online charging.
    #[serde(default)]
    pub ocs: Option<String>,
    /// Origin-Host of the alternative OCS (RFC 4006 §5.7 failover), a `[[diameter.peer]]`.
    #[serde(default)]
    pub ocs_secondary: Option<String>,
    /// Origin-Host of the CDF (a `[[diameter.peer]]`); needed for offline charging.
    #[serde(default)]
    pub cdf: Option<String>,
    /// The Rf spool: `sqlite:PATH` or a plain path (created when missing).
    #[serde(default = "default_spool")]
    pub spool: String,
    /// Online charging (Ro) of INVITE sessions and MESSAGEs of originating users.
    #[serde(default = "yes")]
    pub online_originating: bool,
    /// Online charging (Ro) of INVITE sessions and MESSAGEs of terminating users.
    #[serde(default)]
    pub online_terminating: bool,
    /// Offline charging (Rf): ACR START/INTERIM/STOP for sessions, EVENT for MESSAGE and
    /// REGISTER.
    #[serde(default = "yes")]
    pub offline: bool,
    /// ACR INTERIM every this many seconds of an answered session (0: none).
    #[serde(default)]
    pub interim_interval_s: u64,
    /// Credit-Control-Failure-Handling until the OCS sets one: `terminate`, `continue` or
    /// `retry_and_terminate` (RFC 4006 §8.14).
    #[serde(default = "default_failure_handling")]
    pub failure_handling: String,
    /// Tx: how long to wait for a CCA, milliseconds (RFC 4006 §13).
    #[serde(default = "default_tx")]
    pub tx_timeout_ms: u64,
    /// CC-Time asked for in each CCR-INITIAL and CCR-UPDATE, seconds.
    #[serde(default = "default_requested")]
    pub requested_time_s: u32,
}

impl Default for ChargingSection {
    /// The serde defaults, with no peers.
    fn default() -> Self {
        Self {
            ocs: None,
            ocs_secondary: None,
            cdf: None,
            spool: default_spool(),
            online_originating: true,
            online_terminating: false,
            offline: true,
            interim_interval_s: 0,
            failure_handling: default_failure_handling(),
            tx_timeout_ms: default_tx(),
            requested_time_s: default_requested(),
        }
    }
}

fn default_spool() -> String {
    "sqlite:./ims-lab-data/scscf-spool.db".into()
}

fn yes() -> bool {
    true
}

fn default_failure_handling() -> String {
    "terminate".into()
}

fn default_tx() -> u64 {
    2000
}

fn default_requested() -> u32 {
    300
}

impl ChargingSection {
    /// The failure handling named by `failure_handling`, if it names one.
    pub fn failure_handling(&self) -> Option<CreditControlFailureHandling> {
        match self.failure_handling.to_ascii_lowercase().as_str() {
            "terminate" => Some(CreditControlFailureHandling::TERMINATE),
            "continue" => Some(CreditControlFailureHandling::CONTINUE),
            "retry_and_terminate" => Some(CreditControlFailureHandling::RETRY_AND_TERMINATE),
            _ => None,
        }
    }

    /// Tx.
    pub fn tx(&self) -> Duration {
        Duration::from_millis(self.tx_timeout_ms.max(1))
    }

    /// Whether any online charging is asked for.
    pub fn online(&self) -> bool {
        self.online_originating || self.online_terminating
    }

    /// The spool file path (`sqlite:` prefixes stripped).
    pub fn spool_path(&self) -> PathBuf {
        let p = self.spool.as_str();
        let p = p
            .strip_prefix("sqlite://")
            .or_else(|| p.strip_prefix("sqlite:"))
            .unwrap_or(p);
        PathBuf::from(p)
    }

    /// Check against the Diameter peers configured (`peers`: their Origin-Hosts); the error
    /// names the key.
    pub fn check(&self, peers: &[&str]) -> Result<(), role_kit::ConfigError> {
        let bad = |key: &str, message: String| role_kit::ConfigError::Value {
            key: key.into(),
            message,
        };
        if self.failure_handling().is_none() {
            return Err(bad(
                "charging.failure_handling",
                format!(
                    "`{}` is not terminate, continue or retry_and_terminate",
                    self.failure_handling
                ),
            ));
        }
        if self.online() && self.ocs.is_none() {
            return Err(bad(
                "charging.ocs",
                "online charging needs the OCS peer".into(),
            ));
        }
        if self.offline && self.cdf.is_none() {
            return Err(bad(
                "charging.cdf",
                "offline charging needs the CDF peer (or offline = false)".into(),
            ));
        }
        for (key, host) in [
            ("charging.ocs", &self.ocs),
            ("charging.ocs_secondary", &self.ocs_secondary),
            ("charging.cdf", &self.cdf),
        ] {
            if let Some(host) = host {
                if !peers.iter().any(|p| p.eq_ignore_ascii_case(host)) {
                    return Err(bad(key, format!("`{host}` is no [[diameter.peer]] host")));
                }
            }
        }
        if self.offline && self.spool_path().as_os_str().is_empty() {
            return Err(bad("charging.spool", "an empty path".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section() -> ChargingSection {
        ChargingSection {
            ocs: Some("ocs.ims.test".into()),
            cdf: Some("cdf.ims.test".into()),
            ..ChargingSection::default()
        }
    }

    #[test]
    fn defaults_and_checks_name_the_key() {
        let s = section();
        assert!(s.online_originating && !s.online_terminating && s.offline);
        assert_eq!(
            s.failure_handling(),
            Some(CreditControlFailureHandling::TERMINATE)
        );
        assert_eq!(
            s.spool_path(),
            PathBuf::from("./ims-lab-data/scscf-spool.db")
        );
        s.check(&["ocs.ims.test", "cdf.ims.test"]).unwrap();
        let err = s.check(&["cdf.ims.test"]).unwrap_err().to_string();
        assert!(err.contains("charging.ocs"), "{err}");
        let s = ChargingSection {
            online_originating: false,
            failure_handling: "maybe".into(),
            ..section()
        };
        let err = s
            .check(&["ocs.ims.test", "cdf.ims.test"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("charging.failure_handling"), "{err}");
        let s = ChargingSection {
            cdf: None,
            offline: false,
            spool: "/tmp/x.db".into(),
            ..section()
        };
        s.check(&["ocs.ims.test"]).unwrap();
        assert_eq!(s.spool_path(), PathBuf::from("/tmp/x.db"));
        let err = ChargingSection::default()
            .check(&[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("charging.ocs"), "{err}");
    }
}
