//! The proxy's own addresses: recognising URIs and Via sent-by values that name this node, and
//! printing the Via and Record-Route values it inserts (RFC 3261 §16.6 steps 4 and 8).

use std::net::{IpAddr, SocketAddr};

use bytes::{BufMut, Bytes, BytesMut};
use sip_types::{Host, SipUri};

use crate::flow::Transport;

/// One listening address of the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAddr {
    /// Transport of the listener.
    pub transport: Transport,
    /// Bound address.
    pub addr: SocketAddr,
}

/// What the proxy prints for one listener, formatted once.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Printed {
    /// `SIP/2.0/UDP 127.0.0.1:5060;branch=`
    via_prefix: String,
    /// `<sip:127.0.0.1:5060;lr>`
    record_route: String,
    /// `Record-Route: <sip:127.0.0.1:5060;lr>\r\n`, the whole line an edit inserts.
    record_route_line: Bytes,
}

/// Every address and name this node answers to.
#[derive(Debug, Clone, Default)]
pub struct LocalAddrs {
    listeners: Vec<LocalAddr>,
    aliases: Vec<String>,
    /// `ip:port` and `[v6]:port` of every listener, for cheap text checks.
    sent_by: Vec<String>,
    /// Via prefix and Record-Route value of every listener, same order as `listeners`.
    printed: Vec<Printed>,
}

impl LocalAddrs {
    /// The node's listeners and extra host names (domains it is responsible for).
    pub fn new(listeners: Vec<LocalAddr>, aliases: Vec<String>) -> Self {
        let sent_by = listeners
            .iter()
            .map(|l| HostPort(l.addr).to_string())
            .collect();
        let printed = listeners
            .iter()
            .map(|l| {
                let record_route = Self::record_route_value(l);
                Printed {
                    via_prefix: format!(
                        "SIP/2.0/{} {};branch=",
                        l.transport.via_token(),
                        HostPort(l.addr)
                    ),
                    record_route_line: Bytes::from(format!("Record-Route: {record_route}\r\n")),
                    record_route,
                }
            })
            .collect();
        Self {
            listeners,
            aliases,
            sent_by,
            printed,
        }
    }

    /// True when `text` may name this node (contains a listener's `ip:port` or an alias): a
    /// cheap filter before parsing a header value to check properly.
    pub fn mentioned_in(&self, text: &str) -> bool {
        self.sent_by.iter().any(|s| text.contains(s.as_str()))
            || self.aliases.iter().any(|a| text.contains(a.as_str()))
    }

    /// Every listener.
    pub fn listeners(&self) -> &[LocalAddr] {
        &self.listeners
    }

    /// The first listener of `transport`.
    pub fn for_transport(&self, transport: Transport) -> Option<&LocalAddr> {
        self.listeners.iter().find(|l| l.transport == transport)
    }

    /// True when `host:port` names this node: one of its listener addresses (port 5060 or 5061
    /// when absent), or an alias (any port).
    pub fn is_ours(
        &self,
        host: &Host<'_>,
        host_str: &str,
        port: Option<u16>,
        secure: bool,
    ) -> bool {
        let ip = match host {
            Host::V4(a) => Some(IpAddr::V4(*a)),
            Host::V6(a) => Some(IpAddr::V6(*a)),
            Host::Domain(_) => None,
        };
        if let Some(ip) = ip {
            return self.listeners.iter().any(|l| {
                let default = if secure || l.transport == Transport::Tls {
                    5061
                } else {
                    5060
                };
                l.addr.ip() == ip && port.unwrap_or(default) == l.addr.port()
            });
        }
        self.aliases
            .iter()
            .any(|a| a.eq_ignore_ascii_case(host_str))
    }

    /// True when `uri` names this node.
    pub fn is_our_uri(&self, uri: &SipUri<'_>) -> bool {
        self.is_ours(&uri.host, uri.host_str, uri.port, uri.secure)
    }

    /// The Via value for `local` with `branch`, from the prefix printed at start when `local` is
    /// one of ours.
    pub fn via_for(&self, local: &LocalAddr, branch: &str) -> String {
        match self
            .listeners
            .iter()
            .position(|l| l == local)
            .and_then(|i| self.printed.get(i))
        {
            Some(p) => {
                let mut v = String::with_capacity(p.via_prefix.len() + branch.len());
                v.push_str(&p.via_prefix);
                v.push_str(branch);
                v
            }
            None => Self::via_value(local, branch),
        }
    }

    fn printed_for(&self, local: &LocalAddr) -> Option<&Printed> {
        self.listeners
            .iter()
            .position(|l| l == local)
            .and_then(|i| self.printed.get(i))
    }

    /// Write the header line `Via: <our Via for local>;branch=` into `out`, then the branch
    /// `write_branch` writes, then CRLF; returns the branch's range in `out` (RFC 3261 §16.6
    /// step 8). One buffer, no intermediate strings.
    pub(super) fn write_via_line(
        &self,
        local: &LocalAddr,
        out: &mut BytesMut,
        write_branch: impl FnOnce(&mut BytesMut),
    ) -> std::ops::Range<usize> {
        out.put_slice(b"Via: ");
        match self.printed_for(local) {
            Some(p) => out.put_slice(p.via_prefix.as_bytes()),
            None => out.put_slice(Self::via_value(local, "").as_bytes()),
        }
        let start = out.len();
        write_branch(out);
        let end = out.len();
        out.put_slice(b"\r\n");
        start..end
    }

    /// The whole `Record-Route: value\r\n` line for `local` (shared bytes, printed at start
    /// when `local` is one of ours).
    pub(super) fn record_route_line(&self, local: &LocalAddr) -> Bytes {
        match self.printed_for(local) {
            Some(p) => p.record_route_line.clone(),
            None => Bytes::from(format!(
                "Record-Route: {}\r\n",
                Self::record_route_value(local)
            )),
        }
    }

    /// The Record-Route value for `local`, printed at start when `local` is one of ours.
    pub fn record_route_for(&self, local: &LocalAddr) -> std::borrow::Cow<'_, str> {
        match self
            .listeners
            .iter()
            .position(|l| l == local)
            .and_then(|i| self.printed.get(i))
        {
            Some(p) => std::borrow::Cow::Borrowed(p.record_route.as_str()),
            None => std::borrow::Cow::Owned(Self::record_route_value(local)),
        }
    }

    /// The Via value this node inserts when sending over `local`.
    pub fn via_value(local: &LocalAddr, branch: &str) -> String {
        format!(
            "SIP/2.0/{} {};branch={}",
            local.transport.via_token(),
            HostPort(local.addr),
            branch
        )
    }

    /// The Record-Route value for `local` (`<sip:ip:port;transport=x;lr>`).
    pub fn record_route_value(local: &LocalAddr) -> String {
        match local.transport {
            Transport::Udp => format!("<sip:{};lr>", HostPort(local.addr)),
            Transport::Tls => format!("<sips:{};lr>", HostPort(local.addr)),
            t => format!("<sip:{};transport={};lr>", HostPort(local.addr), t.param()),
        }
    }
}

/// Prints `ip:port` with IPv6 addresses in brackets.
#[derive(Debug, Clone, Copy)]
pub struct HostPort(pub SocketAddr);

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            SocketAddr::V4(a) => write!(f, "{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) => write!(f, "[{}]:{}", a.ip(), a.port()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locals() -> LocalAddrs {
        LocalAddrs::new(
            vec![
                LocalAddr {
                    transport: Transport::Udp,
                    addr: "127.0.0.1:5060".parse().unwrap(),
                },
                LocalAddr {
                    transport: Transport::Tcp,
                    addr: "127.0.0.1:5070".parse().unwrap(),
                },
            ],
            vec!["edge.example.net".into()],
        )
    }

    #[test]
    fn ours_by_address_port_and_alias() {
        let l = locals();
        let h = Host::V4("127.0.0.1".parse().unwrap());
        assert!(l.is_ours(&h, "127.0.0.1", None, false));
        assert!(l.is_ours(&h, "127.0.0.1", Some(5070), false));
        assert!(!l.is_ours(&h, "127.0.0.1", Some(5080), false));
        assert!(l.is_ours(
            &Host::Domain("EDGE.example.net"),
            "EDGE.example.net",
            Some(9),
            false
        ));
        assert!(!l.is_ours(&Host::Domain("other.net"), "other.net", None, false));
    }

    #[test]
    fn printed_values() {
        let l = locals();
        let tcp = l.for_transport(Transport::Tcp).unwrap();
        assert_eq!(
            l.via_for(tcp, "z9hG4bKx"),
            LocalAddrs::via_value(tcp, "z9hG4bKx")
        );
        assert_eq!(l.record_route_for(tcp), LocalAddrs::record_route_value(tcp));
        assert_eq!(
            LocalAddrs::via_value(tcp, "z9hG4bKx"),
            "SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKx"
        );
        assert_eq!(
            LocalAddrs::record_route_value(tcp),
            "<sip:127.0.0.1:5070;transport=tcp;lr>"
        );
        let v6 = LocalAddr {
            transport: Transport::Udp,
            addr: "[::1]:5060".parse().unwrap(),
        };
        assert_eq!(LocalAddrs::record_route_value(&v6), "<sip:[::1]:5060;lr>");
    }
}
