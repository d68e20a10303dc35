//! Turning the file's sections into the proxy core's configuration, with errors that name the
//! key at fault.

use std::net::SocketAddr;
use std::time::Duration;

use role_kit::ConfigError;
use sip_net::{ListenerConfig, TlsFiles};
use sip_proto::proxy::{
    HostTable, LocalAddr, LocalAddrs, Mode, ProxyConfig, RouteTable, StaticRoute, Target,
};
use sip_proto::transaction::TimerConfig;
use sip_proto::Transport;
use sip_types::{Method, Uri};

use crate::config::{EdgeConfig, ModeName, TransportName};

fn value_error(key: String, message: impl Into<String>) -> ConfigError {
    ConfigError::Value {
        key,
        message: message.into(),
    }
}

/// The listeners to bind; UDP and TCP on 127.0.0.1:5060 when none is configured.
pub fn listeners(config: &EdgeConfig) -> Result<Vec<ListenerConfig>, ConfigError> {
    if config.listen.is_empty() {
        let addr: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 5060));
        return Ok(vec![
            ListenerConfig {
                transport: Transport::Udp,
                addr,
                tls: None,
            },
            ListenerConfig {
                transport: Transport::Tcp,
                addr,
                tls: None,
            },
        ]);
    }
    config
        .listen
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let transport = match l.transport {
                TransportName::Udp => Transport::Udp,
                TransportName::Tcp => Transport::Tcp,
                TransportName::Tls => Transport::Tls,
            };
            let tls = match (transport, &l.cert, &l.key) {
                (Transport::Tls, Some(cert), Some(key)) => Some(TlsFiles {
                    cert: cert.clone(),
                    key: key.clone(),
                }),
                (Transport::Tls, _, _) => {
                    return Err(value_error(
                        format!("listen[{i}].cert"),
                        "a tls listener needs cert and key",
                    ))
                }
                (_, None, None) => None,
                _ => {
                    return Err(value_error(
                        format!("listen[{i}].cert"),
                        "cert and key are only for tls listeners",
                    ))
                }
            };
            Ok(ListenerConfig {
                transport,
                addr: l.addr,
                tls,
            })
        })
        .collect()
}

/// RFC 3261 timers from `[timers]`.
pub fn timers(config: &EdgeConfig) -> Result<TimerConfig, ConfigError> {
    let t = &config.timers;
    if t.t1_ms == 0 || t.t2_ms < t.t1_ms || t.t4_ms == 0 || t.timer_c_ms == 0 {
        return Err(value_error(
            "timers".into(),
            "need t1_ms > 0, t2_ms >= t1_ms, t4_ms > 0 and timer_c_ms > 0",
        ));
    }
    Ok(TimerConfig {
        t1: Duration::from_millis(t.t1_ms),
        t2: Duration::from_millis(t.t2_ms),
        t4: Duration::from_millis(t.t4_ms),
        timer_c: Duration::from_millis(t.timer_c_ms),
    })
}

/// `[[route]]` sections with their destinations located: IP literals directly, host names
/// through the system resolver now (re-resolved on reload).
pub async fn routes(config: &EdgeConfig) -> Result<(RouteTable, HostTable), ConfigError> {
    let mut hosts = HostTable::new();
    let mut table = Vec::with_capacity(config.route.len());
    for (i, r) in config.route.iter().enumerate() {
        let method = match &r.method {
            Some(m)
                if m.is_empty()
                    || !m
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)) =>
            {
                return Err(value_error(
                    format!("route[{i}].method"),
                    format!("{m:?} is not a SIP method token"),
                ))
            }
            Some(m) => Some(Method::from_token(m.as_bytes())),
            None => None,
        };
        if r.destinations.is_empty() {
            return Err(value_error(
                format!("route[{i}].destinations"),
                "needs at least one SIP URI",
            ));
        }
        let mut destinations = Vec::new();
        for (j, d) in r.destinations.iter().enumerate() {
            let key = format!("route[{i}].destinations[{j}]");
            let Ok(Uri::Sip(uri)) = Uri::parse(d) else {
                return Err(value_error(
                    key,
                    format!("{d:?} is not a sip: or sips: URI"),
                ));
            };
            let mut found = hosts.locate(&uri);
            if found.is_empty() {
                let port = uri.port.unwrap_or(if uri.secure { 5061 } else { 5060 });
                let addrs: Vec<SocketAddr> = tokio::net::lookup_host((uri.host_str, port))
                    .await
                    .map_err(|e| {
                        value_error(key.clone(), format!("cannot resolve {}: {e}", uri.host_str))
                    })?
                    .collect();
                let transport =
                    uri.transport()
                        .and_then(Transport::from_token)
                        .unwrap_or(if uri.secure {
                            Transport::Tls
                        } else {
                            Transport::Udp
                        });
                let targets: Vec<Target> = addrs
                    .into_iter()
                    .map(|addr| Target { transport, addr })
                    .collect();
                hosts.insert(uri.host_str, targets);
                found = hosts.locate(&uri);
            }
            if found.is_empty() {
                return Err(value_error(
                    key,
                    format!("{} resolves to no address", uri.host_str),
                ));
            }
            destinations.extend(found);
        }
        table.push(StaticRoute {
            name: r.name.clone(),
            method,
            user_prefix: r.user_prefix.clone(),
            domain: r.domain.clone(),
            destinations,
        });
    }
    Ok((RouteTable::new(table), hosts))
}

/// Everything the proxy core needs, given the addresses the listeners actually bound.
pub async fn proxy_config(
    config: &EdgeConfig,
    bound: &[(Transport, SocketAddr)],
    seed: u64,
) -> Result<ProxyConfig, ConfigError> {
    let (routes, hosts) = routes(config).await?;
    let locals = LocalAddrs::new(
        bound
            .iter()
            .map(|&(transport, addr)| LocalAddr { transport, addr })
            .collect(),
        config.node.aliases.clone(),
    );
    Ok(ProxyConfig {
        mode: match config.node.mode {
            ModeName::Stateful => Mode::Stateful,
            ModeName::Stateless => Mode::Stateless,
        },
        locals,
        record_route: config.node.record_route,
        routes,
        hosts,
        timers: timers(config)?,
        seed,
    })
}
