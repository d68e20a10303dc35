//! RFC 3263 §4 server location: a SIP URI to an ordered list of (transport, address) targets.
//!
//! Order of sources: a numeric host is used as is; then the static host table; then, only when
//! DNS is enabled, NAPTR → SRV → A/AAAA through hickory-resolver. Answers from DNS are cached
//! for a short TTL.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioAsyncResolver;
use sip_proto::Transport;
use sip_types::{Host, SipUri};
use tokio::time::Instant;

use crate::error::ResolveError;

/// Default port for UDP/TCP (RFC 3261 §19.1.2).
pub const SIP_PORT: u16 = 5060;
/// Default port for TLS (`sips:`, RFC 3261 §19.1.2).
pub const SIPS_PORT: u16 = 5061;

/// One place to send a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Transport to use.
    pub transport: Transport,
    /// Address and port.
    pub addr: SocketAddr,
    /// The domain the URI named, to verify a TLS certificate against (RFC 5922 §4.1); `None`
    /// for a numeric host.
    pub server_name: Option<String>,
}

/// Resolver settings.
#[derive(Debug, Clone, Default)]
pub struct ResolveConfig {
    /// Static host table: lower-case host name → targets, consulted before DNS.
    pub static_hosts: HashMap<String, Vec<(Transport, SocketAddr)>>,
    /// Use DNS (system configuration) for names not in the table.
    pub dns: bool,
    /// How long DNS answers are kept; zero means 30 s.
    pub cache_ttl: Duration,
}

/// What the URI asks for, before any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wanted {
    /// The transport fixed by `transport=` or `sips:`, if any.
    transport: Option<Transport>,
    port: Option<u16>,
    secure: bool,
}

impl Wanted {
    fn from_uri(uri: &SipUri<'_>) -> Result<Self, ResolveError> {
        let param = uri.transport();
        let transport = match param {
            Some(t) => Some(Transport::from_token(t).ok_or(ResolveError::UnknownTransport)?),
            None if uri.secure => Some(Transport::Tls),
            None => None,
        };
        // RFC 3263 §4.1 / RFC 5630: a sips URI with transport=tcp still means TLS.
        let transport = match transport {
            Some(Transport::Tcp) if uri.secure => Some(Transport::Tls),
            Some(Transport::Ws) if uri.secure => Some(Transport::Wss),
            t => t,
        };
        Ok(Self {
            transport,
            port: uri.port,
            secure: uri.secure,
        })
    }

    /// RFC 3263 §4.1: with an IP or an explicit port and no `transport=`, UDP (TLS for sips).
    fn default_transport(&self) -> Transport {
        self.transport.unwrap_or(if self.secure {
            Transport::Tls
        } else {
            Transport::Udp
        })
    }

    /// RFC 3263 §4.2: the transport's default port when none is given.
    fn port_for(&self, transport: Transport) -> u16 {
        self.port.unwrap_or(match transport {
            Transport::Tls | Transport::Wss => SIPS_PORT,
            _ => SIP_PORT,
        })
    }
}

type CacheKey = (String, Option<Transport>, Option<u16>, bool);

/// RFC 3263 resolver with a static host table and an optional DNS backend.
#[derive(Debug)]
pub struct Resolver {
    static_hosts: HashMap<String, Vec<(Transport, SocketAddr)>>,
    dns: Option<TokioAsyncResolver>,
    ttl: Duration,
    cache: Mutex<HashMap<CacheKey, (Instant, Vec<Target>)>>,
}

impl Resolver {
    /// A resolver; with `config.dns` it reads the system DNS configuration (no query is sent).
    pub fn new(config: ResolveConfig) -> Result<Self, ResolveError> {
        let dns = if config.dns {
            Some(TokioAsyncResolver::tokio_from_system_conf().map_err(|_| ResolveError::Dns)?)
        } else {
            None
        };
        let static_hosts = config
            .static_hosts
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        let ttl = if config.cache_ttl.is_zero() {
            Duration::from_secs(30)
        } else {
            config.cache_ttl
        };
        Ok(Self {
            static_hosts,
            dns,
            ttl,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Resolves without DNS: a numeric host or a static entry. `Ok(None)` means DNS is needed.
    pub fn resolve_local(&self, uri: &SipUri<'_>) -> Result<Option<Vec<Target>>, ResolveError> {
        let wanted = Wanted::from_uri(uri)?;
        let domain = match (maddr(uri), uri.host) {
            (Some(m), _) => m,
            (None, Host::V4(ip)) => return Ok(Some(vec![numeric(&wanted, IpAddr::V4(ip))])),
            (None, Host::V6(ip)) => return Ok(Some(vec![numeric(&wanted, IpAddr::V6(ip))])),
            (None, Host::Domain(d)) => d,
        };
        // A domain (or maddr) may still be a literal IP.
        let literal = domain.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return Ok(Some(vec![numeric(&wanted, ip)]));
        }
        let name = domain.trim_end_matches('.').to_ascii_lowercase();
        let Some(entries) = self.static_hosts.get(&name) else {
            return Ok(None);
        };
        let targets: Vec<Target> = entries
            .iter()
            .filter(|(t, _)| wanted.transport.is_none_or(|w| w == *t))
            .map(|(t, addr)| Target {
                transport: *t,
                addr: SocketAddr::new(addr.ip(), wanted.port.unwrap_or_else(|| addr.port())),
                server_name: Some(name.clone()),
            })
            .collect();
        if targets.is_empty() {
            return Err(ResolveError::NotFound);
        }
        Ok(Some(targets))
    }

    /// Resolves a SIP URI to targets in preference order (RFC 3263 §4).
    pub async fn resolve(&self, uri: &SipUri<'_>) -> Result<Vec<Target>, ResolveError> {
        if let Some(targets) = self.resolve_local(uri)? {
            return Ok(targets);
        }
        let Some(dns) = &self.dns else {
            return Err(ResolveError::NotFound);
        };
        let wanted = Wanted::from_uri(uri)?;
        let host = maddr(uri).unwrap_or(uri.host_str);
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        let key = (name.clone(), wanted.transport, wanted.port, wanted.secure);
        let now = Instant::now();
        if let Some((expires, targets)) = self.cache_lock().get(&key) {
            if *expires > now {
                return Ok(targets.clone());
            }
        }
        let targets = lookup(dns, &name, &wanted).await?;
        let mut cache = self.cache_lock();
        cache.retain(|_, (expires, _)| *expires > now);
        cache.insert(key, (now + self.ttl, targets.clone()));
        Ok(targets)
    }

    fn cache_lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, (Instant, Vec<Target>)>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The `maddr` parameter, which overrides the host (RFC 3263 §4, RFC 3261 §19.1.1).
fn maddr<'a>(uri: &SipUri<'a>) -> Option<&'a str> {
    uri.params.get("maddr").flatten().filter(|m| !m.is_empty())
}

fn numeric(wanted: &Wanted, ip: IpAddr) -> Target {
    let transport = wanted.default_transport();
    Target {
        transport,
        addr: SocketAddr::new(ip, wanted.port_for(transport)),
        server_name: None,
    }
}

/// The NAPTR service field for a transport (RFC 3263 §4.1).
fn naptr_service(service: &[u8]) -> Option<Transport> {
    let s = std::str::from_utf8(service).ok()?;
    match s.to_ascii_uppercase().as_str() {
        "SIP+D2U" => Some(Transport::Udp),
        "SIP+D2T" => Some(Transport::Tcp),
        "SIPS+D2T" => Some(Transport::Tls),
        "SIP+D2S" => Some(Transport::Sctp),
        "SIP+D2W" => Some(Transport::Ws),
        "SIPS+D2W" => Some(Transport::Wss),
        _ => None,
    }
}

/// The SRV prefix for a transport (RFC 3263 §4.1).
fn srv_prefix(t: Transport) -> &'static str {
    match t {
        Transport::Udp => "_sip._udp.",
        Transport::Tcp => "_sip._tcp.",
        Transport::Tls => "_sips._tcp.",
        Transport::Sctp => "_sip._sctp.",
        Transport::Ws => "_sip._ws.",
        Transport::Wss => "_sips._ws.",
    }
}

async fn lookup(
    dns: &TokioAsyncResolver,
    name: &str,
    wanted: &Wanted,
) -> Result<Vec<Target>, ResolveError> {
    let server_name = Some(name.to_owned());
    // Explicit port: A/AAAA only (RFC 3263 §4.2).
    if wanted.port.is_some() {
        let transport = wanted.default_transport();
        return address_targets(
            dns,
            name,
            transport,
            wanted.port_for(transport),
            &server_name,
        )
        .await;
    }
    // SRV names to try, from NAPTR (§4.1) or, failing that, the transports' SRV names.
    let mut srv_names: Vec<(Transport, String)> = Vec::new();
    if wanted.transport.is_none() || wanted.secure {
        if let Ok(answer) = dns.lookup(name, RecordType::NAPTR).await {
            let mut naptrs: Vec<_> = answer
                .iter()
                .filter_map(|r| match r {
                    RData::NAPTR(n) => Some(n.clone()),
                    _ => None,
                })
                .collect();
            naptrs.sort_by_key(|n| (n.order(), n.preference()));
            for n in naptrs {
                let Some(t) = naptr_service(n.services()) else {
                    continue;
                };
                if wanted.transport.is_some_and(|w| w != t) || !n.flags().eq_ignore_ascii_case(b"s")
                {
                    continue;
                }
                srv_names.push((t, n.replacement().to_ascii()));
            }
        }
    }
    if srv_names.is_empty() {
        let candidates: &[Transport] = match wanted.transport {
            Some(t) => &[t][..],
            None if wanted.secure => &[Transport::Tls],
            None => &[Transport::Udp, Transport::Tcp, Transport::Tls],
        };
        srv_names = candidates
            .iter()
            .map(|t| (*t, format!("{}{}", srv_prefix(*t), name)))
            .collect();
    }
    let mut targets = Vec::new();
    for (transport, srv_name) in srv_names {
        let Ok(srv) = dns.srv_lookup(srv_name.as_str()).await else {
            continue;
        };
        let mut records: Vec<_> = srv.iter().cloned().collect();
        // Priority ascending, then weight descending (deterministic; RFC 2782 weights).
        records.sort_by_key(|r| (r.priority(), std::cmp::Reverse(r.weight())));
        for r in records {
            let host = r.target().to_ascii();
            if let Ok(mut more) =
                address_targets(dns, &host, transport, r.port(), &server_name).await
            {
                targets.append(&mut more);
            }
        }
    }
    if !targets.is_empty() {
        return Ok(targets);
    }
    // No NAPTR and no SRV: A/AAAA with the default transport (§4.2).
    let transport = wanted.default_transport();
    address_targets(
        dns,
        name,
        transport,
        wanted.port_for(transport),
        &server_name,
    )
    .await
}

async fn address_targets(
    dns: &TokioAsyncResolver,
    host: &str,
    transport: Transport,
    port: u16,
    server_name: &Option<String>,
) -> Result<Vec<Target>, ResolveError> {
    let ips = dns.lookup_ip(host).await.map_err(|_| ResolveError::Dns)?;
    let targets: Vec<Target> = ips
        .iter()
        .map(|ip| Target {
            transport,
            addr: SocketAddr::new(ip, port),
            server_name: server_name.clone(),
        })
        .collect();
    if targets.is_empty() {
        Err(ResolveError::NotFound)
    } else {
        Ok(targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naptr_services_map_to_transports() {
        assert_eq!(naptr_service(b"SIP+D2U"), Some(Transport::Udp));
        assert_eq!(naptr_service(b"sip+d2t"), Some(Transport::Tcp));
        assert_eq!(naptr_service(b"SIPS+D2T"), Some(Transport::Tls));
        assert_eq!(naptr_service(b"SIPS+D2W"), Some(Transport::Wss));
        assert_eq!(naptr_service(b"E2U+sip"), None);
        assert_eq!(naptr_service(&[0xff, 0xfe]), None);
    }

    #[test]
    fn srv_prefixes_follow_rfc_3263() {
        assert_eq!(srv_prefix(Transport::Udp), "_sip._udp.");
        assert_eq!(srv_prefix(Transport::Tcp), "_sip._tcp.");
        assert_eq!(srv_prefix(Transport::Tls), "_sips._tcp.");
    }

    #[test]
    fn defaults_for_transport_and_port() {
        let plain = Wanted {
            transport: None,
            port: None,
            secure: false,
        };
        assert_eq!(plain.default_transport(), Transport::Udp);
        assert_eq!(plain.port_for(Transport::Udp), SIP_PORT);
        assert_eq!(plain.port_for(Transport::Tls), SIPS_PORT);
        let secure = Wanted {
            secure: true,
            ..plain
        };
        assert_eq!(secure.default_transport(), Transport::Tls);
        let fixed = Wanted {
            transport: Some(Transport::Tcp),
            port: Some(6000),
            secure: false,
        };
        assert_eq!(fixed.default_transport(), Transport::Tcp);
        assert_eq!(fixed.port_for(Transport::Tcp), 6000);
    }

    #[tokio::test]
    async fn unknown_name_without_dns_is_not_found() {
        let r = Resolver::new(ResolveConfig::default()).expect("resolver");
        let uri = SipUri::parse("sip:nowhere.invalid").expect("uri");
        assert_eq!(r.resolve_local(&uri), Ok(None));
        assert_eq!(r.resolve(&uri).await, Err(ResolveError::NotFound));
        assert_eq!(r.ttl, Duration::from_secs(30));
    }
}
