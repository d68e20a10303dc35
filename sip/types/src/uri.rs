//! URIs: SIP/SIPS (RFC 3261 §19.1, RFC 5118 IPv6), tel (RFC 3966), and any other scheme kept
//! opaque (RFC 3261 §19.1.1 absoluteURI).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{ParseError, ParseErrorKind};
use crate::params::Params;
use crate::scan::is_token_char;

fn uri_err() -> ParseError {
    ParseError::new(ParseErrorKind::Uri, 0)
}

/// A host: domain name, IPv4 address or IPv6 reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// A domain name as written.
    Domain(&'a str),
    /// An IPv4 address.
    V4(Ipv4Addr),
    /// An IPv6 reference (written in brackets; RFC 5118 §4.10 tolerates `:::`).
    V6(Ipv6Addr),
}

/// A parsed `sip:` or `sips:` URI, borrowing from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipUri<'a> {
    /// True for `sips:`.
    pub secure: bool,
    /// User part as written (still %-escaped), if any.
    pub user: Option<&'a str>,
    /// Password as written, if any.
    pub password: Option<&'a str>,
    /// Host.
    pub host: Host<'a>,
    /// Host text as written (with brackets for IPv6).
    pub host_str: &'a str,
    /// Port, if given.
    pub port: Option<u16>,
    /// uri-parameters (`;transport=tcp;lr`...).
    pub params: Params<'a>,
    /// Headers after `?`, as written, if any.
    pub headers: Option<&'a str>,
}

/// Any URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uri<'a> {
    /// sip: / sips:
    Sip(SipUri<'a>),
    /// tel: (RFC 3966): the number and its parameters.
    Tel {
        /// The number as written (global `+...` or local).
        number: &'a str,
        /// Parameters.
        params: Params<'a>,
    },
    /// Any other scheme, kept opaque.
    Other {
        /// The scheme.
        scheme: &'a str,
        /// Everything after the colon.
        rest: &'a str,
    },
}

impl<'a> Uri<'a> {
    /// Parse a URI (no surrounding `<>`, no LWS).
    pub fn parse(text: &'a str) -> Result<Self, ParseError> {
        let (scheme, rest) = split_scheme(text)?;
        if scheme.eq_ignore_ascii_case("sip") {
            return SipUri::parse_rest(false, rest).map(Uri::Sip);
        }
        if scheme.eq_ignore_ascii_case("sips") {
            return SipUri::parse_rest(true, rest).map(Uri::Sip);
        }
        if scheme.eq_ignore_ascii_case("tel") {
            let (number, params) = match crate::scan::find_byte(rest, b';') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            let ok_number = !number.is_empty()
                && number.bytes().all(|b| {
                    b.is_ascii_hexdigit()
                        || matches!(
                            b,
                            b'+' | b'-' | b'.' | b'(' | b')' | b'*' | b'#' | b'p' | b'w'
                        )
                });
            let params = Params::new(params);
            if !ok_number || !params.is_well_formed() {
                return Err(uri_err());
            }
            return Ok(Uri::Tel { number, params });
        }
        Ok(Uri::Other { scheme, rest })
    }

    /// The SIP URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri<'a>> {
        match self {
            Uri::Sip(s) => Some(s),
            _ => None,
        }
    }
}

/// Split `scheme:rest` (RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), checking
/// the whole text holds no LWS, angle brackets or quotes and `rest` is not empty.
fn split_scheme(text: &str) -> Result<(&str, &str), ParseError> {
    let (scheme, rest) = crate::scan::split_once_byte(text, b':').ok_or_else(uri_err)?;
    let mut sb = scheme.bytes();
    let scheme_ok = sb.next().is_some_and(|b| b.is_ascii_alphabetic())
        && sb.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let text_ok = text
        .bytes()
        .all(|b| b > b' ' && b != 0x7f && !matches!(b, b'<' | b'>' | b'"'));
    if !scheme_ok || !text_ok || rest.is_empty() {
        return Err(uri_err());
    }
    Ok((scheme, rest))
}

/// Parse `host [":" port]` (RFC 3261 §25.1 hostport; IPv6 references per RFC 5118).
/// Returns the host, the host text as written and the port.
pub(crate) fn parse_hostport(s: &str) -> Option<(Host<'_>, &str, Option<u16>)> {
    let (host_str, port) = if s.starts_with('[') {
        let close = crate::scan::find_byte(s, b']')?;
        let (h, after) = s.split_at(close + 1);
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (h, port)
    } else {
        match crate::scan::split_once_byte(s, b':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(p.parse::<u16>().ok()?)
        }
    };
    Some((parse_host(host_str)?, host_str, port))
}

/// Parse a host: `[IPv6]`, dotted IPv4, or a domain name (alphanum, `-`, `.`, `_` tolerated).
pub(crate) fn parse_host(h: &str) -> Option<Host<'_>> {
    if let Some(inner) = h.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        return parse_v6(inner).map(Host::V6);
    }
    let b = h.as_bytes();
    if b.is_empty()
        || !b
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'))
    {
        return None;
    }
    if b.iter().all(|&c| c.is_ascii_digit() || c == b'.') {
        return h.parse::<Ipv4Addr>().ok().map(Host::V4);
    }
    if b.first() == Some(&b'.') || b.first() == Some(&b'-') {
        return None;
    }
    Some(Host::Domain(h))
}

/// An IPv6 address, tolerating the `:::` before an embedded IPv4 tail (RFC 5118 §4.10).
pub(crate) fn parse_v6(s: &str) -> Option<Ipv6Addr> {
    if let Ok(a) = s.parse::<Ipv6Addr>() {
        return Some(a);
    }
    if s.len() <= 64 && s.contains(":::") && s.contains('.') {
        return s.replacen(":::", "::", 1).parse().ok();
    }
    None
}

impl<'a> SipUri<'a> {
    /// Parse a `sip:`/`sips:` URI.
    pub fn parse(text: &'a str) -> Result<Self, ParseError> {
        let (scheme, rest) = split_scheme(text)?;
        let secure = if scheme.eq_ignore_ascii_case("sips") {
            true
        } else if scheme.eq_ignore_ascii_case("sip") {
            false
        } else {
            return Err(uri_err());
        };
        Self::parse_rest(secure, rest)
    }

    /// Parse what follows `sip:` / `sips:` (already checked by [`split_scheme`]).
    fn parse_rest(secure: bool, rest: &'a str) -> Result<Self, ParseError> {
        // '@' cannot appear in uri-parameters or headers unescaped, so the first one ends the
        // userinfo; ';' and '?' before it belong to the user part (RFC 4475 §3.1.1.9).
        let (userinfo, hostpart) = match crate::scan::find_byte(rest, b'@') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(ui) => {
                let (u, p) = match crate::scan::split_once_byte(ui, b':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (ui, None),
                };
                if u.is_empty() || !u.bytes().all(is_user_char) {
                    return Err(uri_err());
                }
                if p.is_some_and(|p| !p.bytes().all(is_user_char)) {
                    return Err(uri_err());
                }
                (Some(u), p)
            }
        };
        let (before_headers, headers) = match crate::scan::split_once_byte(hostpart, b'?') {
            Some((a, h)) => (a, Some(h)),
            None => (hostpart, None),
        };
        let (hostport, params) = match crate::scan::find_byte(before_headers, b';') {
            Some(i) => before_headers.split_at(i),
            None => (before_headers, ""),
        };
        let (host, host_str, port) = parse_hostport(hostport).ok_or_else(uri_err)?;
        let params = Params::new(params);
        if !params.is_well_formed() || headers.is_some_and(|h| h.is_empty() || h.contains('?')) {
            return Err(uri_err());
        }
        Ok(Self {
            secure,
            user,
            password,
            host,
            host_str,
            port,
            params,
            headers,
        })
    }

    /// The `transport` parameter, if any.
    pub fn transport(&self) -> Option<&'a str> {
        self.params.get("transport").flatten()
    }

    /// True if the `lr` parameter is present (RFC 3261 §19.1.1 loose routing).
    pub fn is_loose_route(&self) -> bool {
        self.params.contains("lr")
    }

    /// The user part with %HH escapes decoded once (RFC 4475 §3.1.1.3).
    pub fn user_unescaped(&self) -> Option<String> {
        self.user.map(unescape)
    }
}

/// User-part characters (unreserved / escaped / user-unreserved, plus `:` for passwords).
fn is_user_char(b: u8) -> bool {
    is_token_char(b)
        || matches!(
            b,
            b'&' | b'=' | b'$' | b',' | b';' | b'?' | b'/' | b'(' | b')' | b'#'
        )
}

/// Decode `%HH` escapes once (a `%` not followed by two hex digits is kept as is).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            if let (Some(h), Some(l)) = (b.get(i + 1).and_then(hex), b.get(i + 2).and_then(hex)) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: &u8) -> Option<u8> {
    char::from(*b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

impl std::fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a) => write!(f, "[{a}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(t: &str) -> SipUri<'_> {
        match Uri::parse(t) {
            Ok(Uri::Sip(s)) => s,
            other => panic!("{t}: {other:?}"),
        }
    }

    #[test]
    fn sip_uris() {
        let u = sip("sips:alice:pw@atlanta.com:5061;transport=tcp;lr?subject=project");
        assert!(u.secure);
        assert_eq!(u.user, Some("alice"));
        assert_eq!(u.password, Some("pw"));
        assert_eq!(u.host, Host::Domain("atlanta.com"));
        assert_eq!(u.port, Some(5061));
        assert_eq!(u.transport(), Some("tcp"));
        assert!(u.is_loose_route());
        assert_eq!(u.headers, Some("subject=project"));
        let u = sip("sip:192.0.2.4");
        assert_eq!(u.host, Host::V4(Ipv4Addr::new(192, 0, 2, 4)));
        assert_eq!(u.user, None);
    }

    #[test]
    fn semicolon_in_user_part() {
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user, Some("user;par=u%40example.net"));
        assert_eq!(u.host_str, "example.com");
        assert!(u.params.as_str().is_empty());
        assert_eq!(
            u.user_unescaped().as_deref(),
            Some("user;par=u@example.net")
        );
    }

    #[test]
    fn unescape_once() {
        let u = sip("sip:sips%3Auser%40example.com@example.net");
        assert_eq!(u.user_unescaped().as_deref(), Some("sips:user@example.com"));
        assert_eq!(unescape("value%25%34%31"), "value%41");
        assert_eq!(unescape("null-%00-null"), "null-\0-null");
        assert_eq!(unescape("50%"), "50%");
    }

    #[test]
    fn ipv6_rfc5118() {
        let u = sip("sip:[2001:db8::10]:5070");
        assert_eq!(u.host, Host::V6("2001:db8::10".parse().unwrap()));
        assert_eq!(u.port, Some(5070));
        let u = sip("sip:user@[2001:db8::10:5070]");
        assert_eq!(u.host_str, "[2001:db8::10:5070]");
        assert_eq!(u.port, None);
        let u = sip("sip:[2001:db8:::192.0.2.1]");
        assert_eq!(u.host, Host::V6("2001:db8::192.0.2.1".parse().unwrap()));
        assert!(Uri::parse("sip:2001:db8::10").is_err());
        assert!(Uri::parse("sip:[2001:db8::10").is_err());
        assert_eq!(Host::V6("::1".parse().unwrap()).to_string(), "[::1]");
    }

    #[test]
    fn tel_and_other() {
        match Uri::parse("tel:+1-201-555-0123;phone-context=example.com") {
            Ok(Uri::Tel { number, params }) => {
                assert_eq!(number, "+1-201-555-0123");
                assert_eq!(params.get("phone-context"), Some(Some("example.com")));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Uri::parse("soap.beep://192.0.2.103:3002"),
            Ok(Uri::Other {
                scheme: "soap.beep",
                rest: "//192.0.2.103:3002"
            })
        );
        assert!(matches!(
            Uri::parse("isbn:2983792873"),
            Ok(Uri::Other { .. })
        ));
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "sip:",
            "sip:user@",
            "sip:@host",
            "<sip:a@b>",
            "sip:a@b; lr",
            "sip:host:99999",
            "sip:host:",
            "1x:foo",
            "sip:a@b;;x",
            "tel:",
            "sip:a b@c",
            "sip:host?",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad:?}");
        }
    }
}
