//! The `[sip]` section shared by the SIP roles (P-CSCF, I-CSCF, S-CSCF): listeners, the
//! names this node answers to, static host entries for next hops, timers and limits; and
//! [`SipSection::start`], which binds them and starts a proxy core in application mode.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use sip_net::{ListenerConfig, NetConfig, SipApp, TlsFiles};
use sip_proto::proxy::{HostTable, LocalAddr, LocalAddrs, Mode, ProxyConfig, RouteTable, Target};
use sip_proto::transaction::TimerConfig;
use sip_proto::Transport;

use crate::ConfigError;

/// `[sip]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipSection {
    /// `[[sip.listen]]`: at least one.
    pub listen: Vec<SipListen>,
    /// Host names that mean this node in Route and Request-URI (besides the listener
    /// addresses), e.g. `pcscf.ims.test`. Not the home domain: that is routed, not ours.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `[sip.hosts]`: name → `["udp:127.0.0.1:5080", ...]`, used for next hops given by name
    /// (Route values, S-CSCF names from the HSS) before any DNS.
    #[serde(default)]
    pub hosts: std::collections::BTreeMap<String, Vec<String>>,
    /// RFC 3261 timers.
    #[serde(default)]
    pub timers: SipTimers,
    /// Largest message accepted, bytes.
    #[serde(default = "default_max_message")]
    pub max_message_size: usize,
    /// Idle TCP/TLS connections are closed after this many seconds.
    #[serde(default = "default_idle")]
    pub tcp_idle_timeout_s: u64,
    /// PEM CA bundle trusted for outgoing TLS.
    #[serde(default)]
    pub tls_client_ca: Option<PathBuf>,
}

/// `[[sip.listen]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipListen {
    /// `udp`, `tcp` or `tls`.
    pub transport: String,
    /// Address to bind (port 0: any free port).
    pub addr: SocketAddr,
    /// TLS certificate chain (PEM).
    pub cert: Option<PathBuf>,
    /// TLS key (PEM).
    pub key: Option<PathBuf>,
}

/// `[sip.timers]` (RFC 3261 §17.1.1.1, Timer C §16.6 step 11).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SipTimers {
    /// T1, ms.
    pub t1_ms: u64,
    /// T2, ms.
    pub t2_ms: u64,
    /// T4, ms.
    pub t4_ms: u64,
    /// Timer C, ms: a proxied INVITE without a provisional for this long is cancelled
    /// (Kamailio's `fr_inv_timer`; the RFC wants over 3 minutes).
    pub timer_c_ms: u64,
}

impl Default for SipTimers {
    fn default() -> Self {
        Self {
            t1_ms: 500,
            t2_ms: 4000,
            t4_ms: 5000,
            timer_c_ms: 181_000,
        }
    }
}

fn default_max_message() -> usize {
    65_535
}

fn default_idle() -> u64 {
    300
}

fn value_error(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Value {
        key: key.into(),
        message: message.into(),
    }
}

/// Parse `udp:127.0.0.1:5060` (transport defaults to UDP when absent).
pub fn parse_target(text: &str) -> Option<Target> {
    let (transport, addr) = match text.split_once(':') {
        Some((t, rest)) if Transport::from_token(t).is_some() => (Transport::from_token(t)?, rest),
        _ => (Transport::Udp, text),
    };
    Some(Target {
        transport,
        addr: addr.parse().ok()?,
    })
}

impl SipSection {
    /// Check the section; the error names the key.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.listeners().map(|_| ())?;
        self.host_table().map(|_| ())
    }

    /// The listeners to bind.
    pub fn listeners(&self) -> Result<Vec<ListenerConfig>, ConfigError> {
        if self.listen.is_empty() {
            return Err(value_error("sip.listen", "at least one listener is needed"));
        }
        self.listen
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let key = format!("sip.listen[{i}]");
                let transport = match l.transport.to_ascii_lowercase().as_str() {
                    "udp" => Transport::Udp,
                    "tcp" => Transport::Tcp,
                    "tls" => Transport::Tls,
                    other => {
                        return Err(value_error(
                            format!("{key}.transport"),
                            format!("`{other}` is not udp, tcp or tls"),
                        ))
                    }
                };
                let tls = match (transport, &l.cert, &l.key) {
                    (Transport::Tls, Some(cert), Some(key)) => Some(TlsFiles {
                        cert: cert.clone(),
                        key: key.clone(),
                    }),
                    (Transport::Tls, _, _) => {
                        return Err(value_error(
                            format!("{key}.cert"),
                            "a TLS listener needs cert and key",
                        ))
                    }
                    _ => None,
                };
                Ok(ListenerConfig {
                    transport,
                    addr: l.addr,
                    tls,
                })
            })
            .collect()
    }

    /// The static host table.
    pub fn host_table(&self) -> Result<HostTable, ConfigError> {
        let mut table = HostTable::new();
        for (name, targets) in &self.hosts {
            let parsed = targets
                .iter()
                .map(|t| {
                    parse_target(t).ok_or_else(|| {
                        value_error(
                            format!("sip.hosts.{name}"),
                            format!("`{t}` is not TRANSPORT:IP:PORT"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            table.insert(name, parsed);
        }
        Ok(table)
    }

    /// Bind the listeners and start a proxy core in application mode.
    pub async fn start(&self) -> anyhow::Result<SipApp> {
        let listeners = self.listeners()?;
        let hosts = self.host_table()?;
        let net = NetConfig {
            max_message_size: self.max_message_size,
            tcp_idle_timeout: Duration::from_secs(self.tcp_idle_timeout_s),
            tls_client_roots: self.tls_client_ca.clone(),
            ..NetConfig::default()
        };
        let timers = TimerConfig {
            t1: Duration::from_millis(self.timers.t1_ms),
            t2: Duration::from_millis(self.timers.t2_ms),
            t4: Duration::from_millis(self.timers.t4_ms),
            timer_c: Duration::from_millis(self.timers.timer_c_ms),
        };
        let aliases = self.aliases.clone();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ u64::from(std::process::id()).rotate_left(32);
        let app = SipApp::start(&listeners, net, move |bound| ProxyConfig {
            mode: Mode::Application,
            locals: LocalAddrs::new(
                bound
                    .iter()
                    .map(|(transport, addr)| LocalAddr {
                        transport: *transport,
                        addr: *addr,
                    })
                    .collect(),
                aliases,
            ),
            record_route: false,
            routes: RouteTable::new(Vec::new()),
            hosts,
            timers,
            seed,
        })
        .await?;
        Ok(app)
    }
}
