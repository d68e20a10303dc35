//! The edge proxy's configuration file (TOML), checked strictly: unknown keys are errors and
//! every error names its key.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// Environment variables `IMS_EDGE__<SECTION>__<KEY>` override the file.
pub const ENV_PREFIX: &str = "IMS_EDGE";

/// Built-in defaults, under the `--config` file and `IMS_*` variables.
pub const DEFAULTS: &str = r#"
[node]
name = "edge"
mode = "stateful"
record_route = true
"#;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeConfig {
    /// `[node]`
    pub node: NodeSection,
    /// `[[listen]]`; none means UDP and TCP on 127.0.0.1:5060.
    #[serde(default)]
    pub listen: Vec<ListenSection>,
    /// `[timers]`
    #[serde(default)]
    pub timers: TimersSection,
    /// `[limits]`
    #[serde(default)]
    pub limits: LimitsSection,
    /// `[[route]]`, first match wins.
    #[serde(default)]
    pub route: Vec<RouteSection>,
    /// `[log]`
    #[serde(default)]
    pub log: LogSection,
    /// `[tls]`: what outgoing TLS connections trust.
    #[serde(default)]
    pub tls: TlsSection,
}

/// `[tls]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// PEM CA bundle that outgoing TLS connections verify the next hop against; without it the
    /// edge refuses to send over TLS (listeners take their certificate in `[[listen]]`).
    pub client_ca: Option<PathBuf>,
}

/// Stateful or stateless proxying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModeName {
    /// RFC 3261 §16.2 transaction-stateful.
    Stateful,
    /// RFC 3261 §16.11 stateless.
    Stateless,
}

/// `[node]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    /// Name in logs.
    pub name: String,
    /// `stateful` or `stateless`.
    pub mode: ModeName,
    /// Insert Record-Route in dialog-forming requests.
    pub record_route: bool,
    /// Host names (domains) that mean this node in Request-URIs and Route headers.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Transport names in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportName {
    /// UDP
    Udp,
    /// TCP
    Tcp,
    /// TLS over TCP
    Tls,
}

/// `[[listen]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenSection {
    /// `udp`, `tcp` or `tls`.
    pub transport: TransportName,
    /// Address and port.
    pub addr: SocketAddr,
    /// TLS certificate chain (PEM).
    pub cert: Option<PathBuf>,
    /// TLS private key (PEM).
    pub key: Option<PathBuf>,
}

/// `[timers]`: RFC 3261 §17 T1, T2, T4 and the proxy's Timer C (§16.6 step 11).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimersSection {
    /// T1, RTT estimate (default 500 ms).
    pub t1_ms: u64,
    /// T2, maximum non-INVITE retransmit interval (default 4 s).
    pub t2_ms: u64,
    /// T4, maximum time a message stays in the network (default 5 s).
    pub t4_ms: u64,
    /// Timer C: a proxied INVITE without a provisional for this long is cancelled (default
    /// 181 s; Kamailio's `fr_inv_timer`).
    pub timer_c_ms: u64,
}

impl Default for TimersSection {
    fn default() -> Self {
        Self {
            t1_ms: 500,
            t2_ms: 4000,
            t4_ms: 5000,
            timer_c_ms: 181_000,
        }
    }
}

/// `[limits]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Largest message accepted, bytes.
    pub max_message_size: usize,
    /// Idle TCP/TLS connections are closed after this many seconds.
    pub tcp_idle_timeout_s: u64,
}

impl Default for LimitsSection {
    fn default() -> Self {
        Self {
            max_message_size: 65_535,
            tcp_idle_timeout_s: 300,
        }
    }
}

/// `[[route]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSection {
    /// Name for logs.
    pub name: String,
    /// Method to match.
    pub method: Option<String>,
    /// Request-URI user prefix to match.
    pub user_prefix: Option<String>,
    /// Request-URI host to match.
    pub domain: Option<String>,
    /// SIP URIs tried in series.
    pub destinations: Vec<String>,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// A tracing filter (`warn`, `ims_edge=debug`...).
    pub level: String,
}

impl Default for LogSection {
    fn default() -> Self {
        Self {
            level: "warn".into(),
        }
    }
}
