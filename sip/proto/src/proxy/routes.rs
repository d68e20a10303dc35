//! Static routes: match on the Request-URI user prefix and domain and on the method, then try
//! destinations in series (the edge proxy's routing table; Kamailio's `$du` + failure_route).

use sip_types::{Method, SipUri};

use super::locate::Target;

/// One route: every condition given must hold; none matches everything.
#[derive(Debug, Clone)]
pub struct StaticRoute {
    /// Name for logs and metrics.
    pub name: String,
    /// Method to match.
    pub method: Option<Method>,
    /// Prefix of the Request-URI user part (after unescaping).
    pub user_prefix: Option<String>,
    /// Request-URI host, case-insensitive.
    pub domain: Option<String>,
    /// Destinations tried in series on timeout, 503 or transport failure.
    pub destinations: Vec<Target>,
}

impl StaticRoute {
    /// True when the request matches.
    pub fn matches(&self, method: &Method, uri: &SipUri<'_>) -> bool {
        if self.method.as_ref().is_some_and(|m| m != method) {
            return false;
        }
        if let Some(d) = &self.domain {
            if !d.eq_ignore_ascii_case(uri.host_str) {
                return false;
            }
        }
        if let Some(prefix) = &self.user_prefix {
            let Some(user) = uri.user_unescaped() else {
                return prefix.is_empty();
            };
            if !user.starts_with(prefix.as_str()) {
                return false;
            }
        }
        true
    }
}

/// Routes in order; the first match wins.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<StaticRoute>,
}

impl RouteTable {
    /// A table of `routes`, tried in order.
    pub fn new(routes: Vec<StaticRoute>) -> Self {
        Self { routes }
    }

    /// The first route matching the request.
    pub fn find(&self, method: &Method, uri: &SipUri<'_>) -> Option<&StaticRoute> {
        self.routes.iter().find(|r| r.matches(method, uri))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Transport;

    fn route(
        name: &str,
        method: Option<Method>,
        prefix: Option<&str>,
        domain: Option<&str>,
    ) -> StaticRoute {
        StaticRoute {
            name: name.into(),
            method,
            user_prefix: prefix.map(Into::into),
            domain: domain.map(Into::into),
            destinations: vec![Target {
                transport: Transport::Udp,
                addr: "127.0.0.1:5090".parse().unwrap(),
            }],
        }
    }

    #[test]
    fn first_match_wins() {
        let table = RouteTable::new(vec![
            route("inv-1", Some(Method::INVITE), Some("1"), None),
            route("example", None, None, Some("example.com")),
            route("default", None, None, None),
        ]);
        let u = SipUri::parse("sip:1234@example.com").unwrap();
        assert_eq!(table.find(&Method::INVITE, &u).unwrap().name, "inv-1");
        assert_eq!(table.find(&Method::MESSAGE, &u).unwrap().name, "example");
        let u = SipUri::parse("sip:%31234@other.org").unwrap();
        assert_eq!(table.find(&Method::INVITE, &u).unwrap().name, "inv-1");
        let u = SipUri::parse("sip:alice@EXAMPLE.COM").unwrap();
        assert_eq!(table.find(&Method::INVITE, &u).unwrap().name, "example");
        let u = SipUri::parse("sip:other.org").unwrap();
        assert_eq!(table.find(&Method::OPTIONS, &u).unwrap().name, "default");
    }
}
