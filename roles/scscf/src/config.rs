//! The S-CSCF's configuration file (TOML), checked strictly: unknown keys are errors and every
//! error names its key.

use std::time::Duration;

use serde::Deserialize;

/// Environment prefix for overrides (`IMS_SCSCF__SCSCF__SERVER_NAME=...`).
pub const ENV_PREFIX: &str = "IMS_SCSCF";

/// Built-in defaults under the file.
pub const DEFAULTS: &str = r#"
[scscf]
server_name = "sip:scscf.ims.test:5080"
home_domains = ["ims.test"]
realm = "ims.test"
default_auth_scheme = "AKAv1-MD5"
auth_vectors = 1
min_expires = 60
max_expires = 3600
default_expires = 600
[store]
url = "memory"
[log]
level = "warn"
"#;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScscfConfig {
    /// Listeners, aliases, static hosts, timers.
    pub sip: role_kit::sip::SipSection,
    /// The S-CSCF's behaviour.
    pub scscf: ScscfSection,
    /// Identity, listeners and the HSS peer.
    pub diameter: role_kit::diameter::DiameterSection,
    /// Where registrations live.
    pub store: StoreSection,
    /// Logging.
    pub log: LogSection,
    /// Online (Ro) and offline (Rf) charging; absent: none.
    #[serde(default)]
    pub charging: Option<crate::charging::ChargingSection>,
    /// The ISC interface towards application servers; absent: defaults.
    #[serde(default)]
    pub isc: IscSection,
}

/// `[isc]`: requests to application servers (TS 24.229 §5.4.3.2 step 4, §5.4.3.3 step 4).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IscSection {
    /// Give up on an application server that has not answered within this many milliseconds
    /// (an INVITE: no response at all, 100 Trying included; other methods: no final response)
    /// and apply the iFC's default handling as for a 408 (TS 23.218 §6.4: the value is the
    /// operator's; Kamailio's per-route `fr_timer`). 0: only Timer B/F (64·T1).
    #[serde(default = "default_isc_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_isc_timeout_ms() -> u64 {
    4000
}

impl Default for IscSection {
    fn default() -> Self {
        Self {
            timeout_ms: default_isc_timeout_ms(),
        }
    }
}

impl IscSection {
    /// The ISC timer; `None` when disabled.
    pub fn timeout(&self) -> Option<Duration> {
        (self.timeout_ms > 0).then(|| Duration::from_millis(self.timeout_ms))
    }
}

/// `[scscf]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScscfSection {
    /// Our SIP URI as the HSS knows it (Server-Name in MAR/SAR, TS 29.229 §6.3.4); its host
    /// and port also form the Service-Route we hand to UEs.
    pub server_name: String,
    /// Domains whose users this S-CSCF serves; requests to other domains leave the network.
    pub home_domains: Vec<String>,
    /// Digest realm of the challenges.
    pub realm: String,
    /// Scheme asked of the HSS when the UE names none (`AKAv1-MD5`, `AKAv2-MD5`, `MD5`,
    /// `SIP Digest`, `Unknown`).
    pub default_auth_scheme: String,
    /// SIP-Number-Auth-Items per MAR.
    pub auth_vectors: u32,
    /// Shortest registration accepted (423 Interval Too Brief below), seconds.
    pub min_expires: u32,
    /// Longest registration granted, seconds.
    pub max_expires: u32,
    /// When the REGISTER gives none, seconds.
    pub default_expires: u32,
    /// How long a 401 challenge stays answerable, seconds (Kamailio ims_auth's
    /// `auth_vector_timeout`); one left unanswered for a user not registered is reported to
    /// the HSS (SAR AUTHENTICATION_TIMEOUT). Default 30.
    #[serde(default = "default_auth_vector_timeout")]
    pub auth_vector_timeout_s: u32,
    /// Where terminating requests for home users served by another S-CSCF go (the I-CSCF,
    /// which asks the HSS with LIR), e.g. `sip:127.0.0.1:5070`. None: answer 404.
    #[serde(default)]
    pub icscf: Option<String>,
    /// Where requests to other domains and tel: URIs that match no home user go (a BGCF or
    /// breakout gateway). None: answer 404/604.
    #[serde(default)]
    pub breakout: Option<String>,
}

fn default_auth_vector_timeout() -> u32 {
    30
}

impl ScscfSection {
    /// How long a challenge stays answerable.
    pub fn auth_vector_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.auth_vector_timeout_s))
    }
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// `memory`, `sqlite:PATH`, `postgres://...` or `redis://...`: where contact bindings
    /// live (persistent stores keep registrations across restarts).
    pub url: String,
    /// Keep every binding in memory too and read from there, writing through to `url`
    /// (Kamailio usrloc `db_mode` 1). Only right when no other S-CSCF writes the same
    /// store. Default: on for `sqlite:`, off for the shared PostgreSQL and Redis stores.
    #[serde(default)]
    pub cache: Option<bool>,
}

impl StoreSection {
    /// Whether the write-through cache is on (`cache`, or the default for the URL).
    pub fn cached(&self) -> bool {
        self.cache
            .unwrap_or_else(|| self.url.starts_with("sqlite:"))
            && self.url != "memory"
    }
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// `error`, `warn`, `info`, `debug`, `trace` or an env-filter directive.
    pub level: String,
}

impl ScscfConfig {
    /// Check what serde cannot; the error names the key.
    pub fn check(&self) -> Result<(), role_kit::ConfigError> {
        let bad = |key: &str, message: String| role_kit::ConfigError::Value {
            key: key.into(),
            message,
        };
        self.sip.check()?;
        if sip_types::Uri::parse(&self.scscf.server_name).is_err() {
            return Err(bad(
                "scscf.server_name",
                format!("`{}` is not a SIP URI", self.scscf.server_name),
            ));
        }
        if self.scscf.home_domains.is_empty() {
            return Err(bad("scscf.home_domains", "at least one domain".into()));
        }
        if self.scscf.min_expires > self.scscf.max_expires
            || self.scscf.default_expires < self.scscf.min_expires
            || self.scscf.default_expires > self.scscf.max_expires
        {
            return Err(bad(
                "scscf.default_expires",
                "need min_expires <= default_expires <= max_expires".into(),
            ));
        }
        if self.scscf.auth_vector_timeout_s == 0 {
            return Err(bad(
                "scscf.auth_vector_timeout_s",
                "a challenge must stay answerable at least a second".into(),
            ));
        }
        for (key, uri) in [
            ("scscf.icscf", &self.scscf.icscf),
            ("scscf.breakout", &self.scscf.breakout),
        ] {
            if let Some(uri) = uri {
                if sip_types::Uri::parse(uri).is_err() {
                    return Err(bad(key, format!("`{uri}` is not a SIP URI")));
                }
            }
        }
        if let Some(charging) = &self.charging {
            let peers: Vec<&str> = self.diameter.peer.iter().map(|p| p.host.as_str()).collect();
            charging.check(&peers)?;
        }
        let url = &self.store.url;
        let known = url == "memory"
            || url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://")
            || url.starts_with("redis://");
        if !known {
            return Err(bad(
                "store.url",
                format!("`{url}` is not memory, sqlite:, postgres:// or redis://"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod store_tests {
    use super::StoreSection;

    fn store(url: &str, cache: Option<bool>) -> StoreSection {
        StoreSection {
            url: url.into(),
            cache,
        }
    }

    #[test]
    fn cache_defaults_to_on_for_sqlite_only() {
        assert!(store("sqlite:./x.db", None).cached());
        assert!(!store("postgres://h/db", None).cached());
        assert!(!store("redis://h/0", None).cached());
        assert!(!store("memory", Some(true)).cached(), "nothing to cache");
        assert!(store("redis://h/0", Some(true)).cached());
        assert!(!store("sqlite:./x.db", Some(false)).cached());
    }
}
