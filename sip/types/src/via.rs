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
        Self::parse_with_branch(value).map(|(via, _)| via)
    }

    /// [`Via::parse`] and [`Via::branch`] together: the branch is picked up in the pass that
    /// checks the parameters.
    pub(crate) fn parse_with_branch(value: &'a str) -> Result<(Self, Option<&'a str>), ParseError> {
        if let Some(v) = Self::parse_plain(value) {
            return v;
        }
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
        let branch = params.well_formed_get("branch").ok_or_else(err)?;
        Ok((
            Self {
                transport,
                host,
                host_str,
                port,
                params,
            },
            branch.flatten(),
        ))
    }

    /// The common shape `SIP/2.0/TRANSPORT SP sent-by[;params]` with no other LWS, in one
    /// pass; `None` (undecided) for anything else, which the general path then parses. Gives
    /// exactly what the general path would for the inputs it accepts.
    fn parse_plain(value: &'a str) -> Option<Result<(Self, Option<&'a str>), ParseError>> {
        let b = value.as_bytes();
        let after = b.strip_prefix(b"SIP/2.0/")?;
        if b.last().is_none_or(|&c| is_lws(c)) {
            return None;
        }
        let t_len = after
            .iter()
            .position(|&c| !is_token_char(c))
            .unwrap_or(after.len());
        // Exactly one SP after the transport, then the sent-by.
        if t_len == 0 || after.get(t_len) != Some(&b' ') {
            return None;
        }
        let sb_start = 8 + t_len + 1;
        let sent_by_rest = b.get(sb_start..)?;
        let mut sb_len = sent_by_rest.len();
        for (i, &c) in sent_by_rest.iter().enumerate() {
            if c == b';' {
                sb_len = i;
                break;
            }
            if is_lws(c) {
                return None;
            }
        }
        if sb_len == 0 {
            return None;
        }
        let transport = value.get(8..8 + t_len)?;
        let sent_by = value.get(sb_start..sb_start + sb_len)?;
        let params = value.get(sb_start + sb_len..)?;
        let Some((host, host_str, port)) = parse_hostport(sent_by) else {
            return Some(Err(err()));
        };
        let params = Params::new(params);
        let Some(branch) = params.well_formed_get("branch") else {
            return Some(Err(err()));
        };
        Some(Ok((
            Self {
                transport,
                host,
                host_str,
                port,
                params,
            },
            branch.flatten(),
        )))
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
    fn branch_found_in_the_checking_pass() {
        for t in [
            "SIP/2.0/UDP h;branch=z9hG4bK1;rport",
            "SIP/2.0/UDP h;rport;BRANCH=z9hG4bK2;branch=z9hG4bK3",
            "SIP/2.0/UDP h;branch",
            "SIP/2.0/UDP h;branch=\"q\"",
            "SIP/2.0/UDP h",
            "SIP  / 2.0  / TCP  h ;\r\n  branch  =   z9hG4bK9",
            "SIP/2.0/UDP h;;branch=x",
            "SIP/2.0/UDP h;branch=",
        ] {
            let both = Via::parse_with_branch(t);
            let one = Via::parse(t);
            assert_eq!(both.map(|(v, _)| v), one, "{t:?}");
            if let (Ok((_, branch)), Ok(v)) = (both, one) {
                assert_eq!(branch, v.branch(), "{t:?}");
            }
        }
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
    fn fast_path_matches_general_path() {
        for v in [
            "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1-0",
            "SIP/2.0/UDP 127.0.0.1:5060",
            "SIP/2.0/TCP [::1]:5060;rport;branch=z9hG4bKx",
            "SIP/2.0/UDP host;;",
            "SIP/2.0/UDP host:99999;branch=x",
            "SIP/2.0/UDP ;branch=x",
            "SIP/2.0/UDP host ;branch=x",
            "SIP/2.0/UDP  host",
            "SIP/2.0/UDP host;branch=x ",
            "SIP/2.0/ host",
            "SIP/2.0/UDP",
            "SIP/2.0/UDP ",
            "SIP/2.0/UDP\thost",
            "SIP/2.0/U\u{e9}P host",
        ] {
            let general = (|| {
                let (name, rest) = token(v).ok_or_else(err)?;
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
                Ok(Via {
                    transport,
                    host,
                    host_str,
                    port,
                    params,
                })
            })();
            assert_eq!(Via::parse(v), general, "{v:?}");
        }
        assert!(Via::parse_plain("SIP/2.0/UDP h;branch=1").is_some());
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
