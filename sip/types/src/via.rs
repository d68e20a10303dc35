//! Via (RFC 3261 §20.42, §18.2.1 received, RFC 3581 rport, RFC 5118 IPv6).

use crate::error::{ParseError, ParseErrorKind};
use crate::header_name::HeaderName;
use crate::params::Params;
use crate::scan::{is_lws, is_token_char, trim_lws};
use crate::uri::{parse_hostport, Host};

fn err() -> ParseError {
    ParseError::new(ParseErrorKind::Invalid(HeaderName::VIA), 0)
}

/// Split a token off the front of `s` (after LWS); `None` when there is none.
fn token(s: &str) -> Option<(&str, &str)> {
    let s = trim_lws(s);
    let end = s.bytes().position(|b| !is_token_char(b)).unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    Some(s.split_at(end))
}

/// Expect `/` after optional LWS, return what follows.
fn slash(s: &str) -> Option<&str> {
    trim_lws(s).strip_prefix('/')
}

/// One Via value: `SIP / 2.0 / transport sent-by *(;param)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// Transport token as written (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, or any token).
    pub transport: &'a str,
    /// sent-by host.
    pub host: Host<'a>,
    /// sent-by host as written.
    pub host_str: &'a str,
    /// sent-by port.
    pub port: Option<u16>,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// Parse one Via value.
    ///
    /// LWS is allowed around the `/` of sent-protocol, before `;` and around `=`
    /// (RFC 4475 §3.1.1.1); every parameter must have a name (RFC 4475 §3.1.2.1).
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let (name, rest) = token(value).ok_or_else(err)?;
        let (version, rest) = token(slash(rest).ok_or_else(err)?).ok_or_else(err)?;
        let (transport, rest) = token(slash(rest).ok_or_else(err)?).ok_or_else(err)?;
        if !name.eq_ignore_ascii_case("SIP") || version != "2.0" {
            return Err(err());
        }
        if !rest.starts_with(|c: char| c.is_ascii() && is_lws(c as u8)) {
            return Err(err());
        }
        let rest = trim_lws(rest);
        let (sent_by, params) = match crate::scan::find_byte(rest, b';') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let sent_by = trim_lws(sent_by);
        if sent_by.bytes().any(is_lws) {
            return Err(err());
        }
        let (host, host_str, port) = parse_hostport(sent_by).ok_or_else(err)?;
        let params = Params::new(params);
        if !params.is_well_formed() {
            return Err(err());
        }
        Ok(Self {
            transport,
            host,
            host_str,
            port,
            params,
        })
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&'a str> {
        self.params.get("branch").flatten()
    }

    /// True if the branch starts with the RFC 3261 magic cookie `z9hG4bK` (§8.1.1.7).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.len() > 7 && b.starts_with("z9hG4bK"))
    }

    /// The received parameter (brackets around IPv6 tolerated, RFC 5118 §4.5).
    pub fn received(&self) -> Option<&'a str> {
        self.params.get("received").flatten()
    }

    /// `None` if absent, `Some(None)` for a bare `rport`, `Some(Some(port))` when filled.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|v| v.and_then(|p| p.parse().ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain() {
        let v = Via::parse("SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds ;rport").unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.host, Host::Domain("pc33.atlanta.com"));
        assert_eq!(v.port, None);
        assert_eq!(v.branch(), Some("z9hG4bK776asdhds"));
        assert!(v.has_rfc3261_branch());
        assert_eq!(v.rport(), Some(None));
        let v = Via::parse("SIP/2.0/TCP 192.0.2.1:5090;rport=5091;received=192.0.2.9").unwrap();
        assert_eq!(v.port, Some(5090));
        assert_eq!(v.rport(), Some(Some(5091)));
        assert_eq!(v.received(), Some("192.0.2.9"));
    }

    #[test]
    fn lws_everywhere() {
        let v = Via::parse("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.host_str, "192.0.2.2");
        assert!(!v.has_rfc3261_branch());
        let v = Via::parse(
            "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8",
        )
        .unwrap();
        assert_eq!(v.transport, "TCP");
        assert_eq!(v.branch(), Some("z9hG4bK9ikj8"));
    }

    #[test]
    fn ipv6() {
        let v = Via::parse(
            "SIP/2.0/UDP [2001:db8::9:1]:6050;received=[2001:db8::9:255];branch=z9hG4bKas3",
        )
        .unwrap();
        assert_eq!(v.port, Some(6050));
        assert_eq!(v.received(), Some("[2001:db8::9:255]"));
        assert!(matches!(v.host, Host::V6(_)));
    }

    #[test]
    fn malformed() {
        for bad in [
            "SIP/2.0/UDP 192.0.2.15;;",
            "SIP/2.0/UDP",
            "SIP/2.0 192.0.2.1",
            "SIP/3.0/UDP host",
            "SIP/2.0/UDPhost",
            "SIP/2.0/UDP ho st",
            "SIP/2.0/UDP host:70000",
            "",
            ";",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Via::parse("x").unwrap_err().kind,
            ParseErrorKind::Invalid(HeaderName::VIA)
        );
    }
}
