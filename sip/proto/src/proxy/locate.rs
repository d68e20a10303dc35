//! Next-hop location without I/O (RFC 3263 §4 for URIs that need no DNS): IP-literal URIs
//! and a static host table filled by the driver (from configuration or its own resolver).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use sip_types::{Host, SipUri};

use crate::flow::Transport;

/// Where to send: a transport and an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    /// Transport.
    pub transport: Transport,
    /// Address.
    pub addr: SocketAddr,
}

/// Names the driver has resolved, with their targets in preference order.
#[derive(Debug, Clone, Default)]
pub struct HostTable {
    names: HashMap<String, Vec<Target>>,
}

impl HostTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the targets of `name` (lower-cased).
    pub fn insert(&mut self, name: &str, targets: Vec<Target>) {
        self.names.insert(name.to_ascii_lowercase(), targets);
    }

    /// Targets for `uri`: its transport (`transport=` parameter, else TLS for `sips:`, else
    /// UDP), its port (else 5060, or 5061 for TLS); names come from the table, which may give
    /// transports and ports of its own when the URI names none (as SRV would).
    pub fn locate(&self, uri: &SipUri<'_>) -> Vec<Target> {
        let explicit = uri.transport().and_then(Transport::from_token);
        let transport = explicit.unwrap_or(if uri.secure {
            Transport::Tls
        } else {
            Transport::Udp
        });
        let default_port = if transport == Transport::Tls {
            5061
        } else {
            5060
        };
        let ip = match uri.host {
            Host::V4(a) => Some(IpAddr::V4(a)),
            Host::V6(a) => Some(IpAddr::V6(a)),
            Host::Domain(_) => None,
        };
        if let Some(ip) = ip {
            let addr = SocketAddr::new(ip, uri.port.unwrap_or(default_port));
            return vec![Target { transport, addr }];
        }
        let Some(found) = self.names.get(&uri.host_str.to_ascii_lowercase()) else {
            return Vec::new();
        };
        found
            .iter()
            .filter(|t| explicit.is_none_or(|e| e == t.transport))
            .map(|t| match uri.port {
                Some(p) => Target {
                    transport: t.transport,
                    addr: SocketAddr::new(t.addr.ip(), p),
                },
                None => *t,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_and_defaults() {
        let t = HostTable::new();
        let u = SipUri::parse("sip:127.0.0.1").unwrap();
        assert_eq!(
            t.locate(&u),
            vec![Target {
                transport: Transport::Udp,
                addr: "127.0.0.1:5060".parse().unwrap()
            }]
        );
        let u = SipUri::parse("sips:[::1]").unwrap();
        assert_eq!(
            t.locate(&u),
            vec![Target {
                transport: Transport::Tls,
                addr: "[::1]:5061".parse().unwrap()
            }]
        );
        let u = SipUri::parse("sip:10.0.0.1:5090;transport=TCP").unwrap();
        assert_eq!(
            t.locate(&u),
            vec![Target {
                transport: Transport::Tcp,
                addr: "10.0.0.1:5090".parse().unwrap()
            }]
        );
    }

    #[test]
    fn names_from_the_table() {
        let mut t = HostTable::new();
        t.insert(
            "Core.Example.NET",
            vec![
                Target {
                    transport: Transport::Tcp,
                    addr: "127.0.0.2:5080".parse().unwrap(),
                },
                Target {
                    transport: Transport::Udp,
                    addr: "127.0.0.3:5060".parse().unwrap(),
                },
            ],
        );
        let u = SipUri::parse("sip:core.example.net").unwrap();
        assert_eq!(t.locate(&u).len(), 2);
        let u = SipUri::parse("sip:core.example.net:7000;transport=udp").unwrap();
        assert_eq!(
            t.locate(&u),
            vec![Target {
                transport: Transport::Udp,
                addr: "127.0.0.3:7000".parse().unwrap()
            }]
        );
        assert!(t
            .locate(&SipUri::parse("sip:unknown.example").unwrap())
            .is_empty());
    }
}
