//! URIs: SIP/SIPS (RFC 3261 §19.1, RFC 5118 IPv6), tel (RFC 3966), and any other scheme kept
//! opaque (RFC 3261 §19.1.1 absoluteURI).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{ParseError, ParseErrorKind};
use crate::params::Params;

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
        let (scheme, rest) = split_scheme_raw(text)?;
        if scheme.eq_ignore_ascii_case("sip") {
            return SipUri::parse_rest(false, rest).map(Uri::Sip);
        }
        if scheme.eq_ignore_ascii_case("sips") {
            return SipUri::parse_rest(true, rest).map(Uri::Sip);
        }
        // The SIP path checks the text in its own pass; the others check it here.
        if !is_uri_text(rest) {
            return Err(uri_err());
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
#[cfg(test)]
fn split_scheme(text: &str) -> Result<(&str, &str), ParseError> {
    let (scheme, rest) = split_scheme_raw(text)?;
    if !is_uri_text(rest) {
        return Err(uri_err());
    }
    Ok((scheme, rest))
}

/// [`split_scheme`] without the text check on `rest`, which the caller makes (a valid scheme
/// and the colon always pass it, so checking `rest` is checking the whole text).
fn split_scheme_raw(text: &str) -> Result<(&str, &str), ParseError> {
    let (scheme, rest) = crate::scan::split_once_byte(text, b':').ok_or_else(uri_err)?;
    let mut sb = scheme.bytes();
    let scheme_ok = sb.next().is_some_and(|b| b.is_ascii_alphabetic())
        && sb.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok || rest.is_empty() {
        return Err(uri_err());
    }
    Ok((scheme, rest))
}

/// Every byte may appear in a URI ([`URI_TEXT`]).
fn is_uri_text(s: &str) -> bool {
    s.bytes().all(|b| URI_TEXT[usize::from(b)])
}

/// Bytes a URI may hold anywhere: above SP, not DEL, not `<`, `>` or `"`.
static URI_TEXT: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b > b' ' && b != 0x7f && b != b'<' && b != b'>' && b != b'"';
        i += 1;
    }
    t
};

/// [`URI_CLASS`] bits: allowed in a URI, a user-part character, one of `@ : ; ?`.
const C_TEXT: u8 = 1;
const C_USER: u8 = 2;
const C_SPECIAL: u8 = 4;

/// Byte classes for the one-pass SIP URI scan.
static URI_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let text = if URI_TEXT[i] { C_TEXT } else { 0 };
        let user = if USER_CHAR[i] { C_USER } else { 0 };
        let special = match i as u8 {
            b'@' | b':' | b';' | b'?' => C_SPECIAL,
            _ => 0,
        };
        t[i] = text | user | special;
        i += 1;
    }
    t
};

/// User-part characters, as a table (see [`is_user_char`]).
static USER_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'!'
                    | b'%'
                    | b'*'
                    | b'_'
                    | b'+'
                    | b'`'
                    | b'\''
                    | b'~'
                    | b'&'
                    | b'='
                    | b'$'
                    | b','
                    | b';'
                    | b'?'
                    | b'/'
                    | b'('
                    | b')'
                    | b'#'
            );
        i += 1;
    }
    t
};

/// Parse `host [":" port]` (RFC 3261 §25.1 hostport; IPv6 references per RFC 5118).
/// Returns the host, the host text as written and the port.
pub(crate) fn parse_hostport(s: &str) -> Option<(Host<'_>, &str, Option<u16>)> {
    let b = s.as_bytes();
    if b.first() == Some(&b'[') {
        let close = crate::scan::find_byte(s, b']')?;
        let (h, after) = s.split_at(close + 1);
        let port = match after {
            "" => None,
            p => Some(parse_port(p.strip_prefix(':')?)?),
        };
        return Some((parse_host(h)?, h, port));
    }
    // One pass over the host: its end (the first ':'), its characters, and whether it is all
    // digits and dots (an IPv4 candidate).
    let mut numeric = true;
    let mut end = b.len();
    for (i, &c) in b.iter().enumerate() {
        match HOST_CHAR[usize::from(c)] {
            0 if c == b':' => {
                end = i;
                break;
            }
            0 => return None,
            1 => numeric = false,
            _ => {}
        }
    }
    let host_str = s.get(..end)?;
    let port = match s.get(end..) {
        Some("") | None => None,
        Some(p) => Some(parse_port(p.get(1..)?)?),
    };
    let hb = host_str.as_bytes();
    let host = match hb.first() {
        None => return None,
        Some(_) if numeric => Host::V4(parse_v4(hb)?),
        Some(b'.' | b'-') => return None,
        Some(_) => Host::Domain(host_str),
    };
    Some((host, host_str, port))
}

/// `1*5DIGIT` up to 65535.
fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || p.len() > 5 {
        return None;
    }
    let mut v: u32 = 0;
    for b in p.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(b - b'0');
    }
    u16::try_from(v).ok()
}

/// Parse a host: `[IPv6]`, dotted IPv4, or a domain name (alphanum, `-`, `.`, `_` tolerated).
pub(crate) fn parse_host(h: &str) -> Option<Host<'_>> {
    if let Some(inner) = h.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        return parse_v6(inner).map(Host::V6);
    }
    let b = h.as_bytes();
    // One pass: every byte a host character, and whether all are digits or dots.
    let mut numeric = true;
    for &c in b {
        match HOST_CHAR.get(usize::from(c)).copied().unwrap_or(0) {
            0 => return None,
            1 => numeric = false,
            _ => {}
        }
    }
    if b.is_empty() {
        return None;
    }
    if numeric {
        return parse_v4(b).map(Host::V4);
    }
    if b.first() == Some(&b'.') || b.first() == Some(&b'-') {
        return None;
    }
    Some(Host::Domain(h))
}

/// Host bytes: 0 not allowed, 1 allowed (alphanumeric, `-`, `_`), 2 digit or dot.
static HOST_CHAR: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c.is_ascii_digit() || c == b'.' {
            2
        } else if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' {
            1
        } else {
            0
        };
        i += 1;
    }
    t
};

/// Dotted-quad IPv4 (RFC 3986 §3.2.2 dec-octet: 0-255, no leading zeros, as `std` accepts),
/// from bytes already known to be digits and dots.
fn parse_v4(b: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut rest = b;
    for (k, octet) in octets.iter_mut().enumerate() {
        let d = |c: u8| u16::from(c - b'0');
        // 1 to 3 digits, no leading zero (a lone `0` is fine), at most 255.
        let (value, len) = match rest {
            [a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9', ..] => {
                (d(*a) * 100 + d(*b) * 10 + d(*c), 3)
            }
            [a @ b'1'..=b'9', b @ b'0'..=b'9', ..] => (d(*a) * 10 + d(*b), 2),
            [a @ b'0'..=b'9', ..] => (d(*a), 1),
            _ => return None,
        };
        *octet = u8::try_from(value).ok()?;
        rest = rest.get(len..)?;
        rest = match (k, rest) {
            (3, []) => rest,
            (0..=2, [b'.', tail @ ..]) => tail,
            _ => return None,
        };
    }
    Some(Ipv4Addr::from(octets))
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
        let (scheme, rest) = split_scheme_raw(text)?;
        let secure = if scheme.eq_ignore_ascii_case("sips") {
            true
        } else if scheme.eq_ignore_ascii_case("sip") {
            false
        } else {
            return Err(uri_err());
        };
        Self::parse_rest(secure, rest)
    }

    /// Parse what follows `sip:` / `sips:` (scheme checked by [`split_scheme_raw`]), in one
    /// pass over the bytes: URI text check, userinfo split and user characters, and the
    /// first `;` and `?` of the host part.
    fn parse_rest(secure: bool, rest: &'a str) -> Result<Self, ParseError> {
        match Self::parse_plain(secure, rest) {
            Some(u) => Ok(u),
            None => Self::parse_general(secure, rest),
        }
    }

    /// The general scan behind [`SipUri::parse_rest`].
    fn parse_general(secure: bool, rest: &'a str) -> Result<Self, ParseError> {
        // '@' cannot appear in uri-parameters or headers unescaped, so the first one ends the
        // userinfo; ';' and '?' before it belong to the user part (RFC 4475 §3.1.1.9).
        let mut at = None;
        let mut colon = None;
        let mut user_bad = false;
        let mut semi = None;
        let mut question = None;
        for (i, &c) in rest.as_bytes().iter().enumerate() {
            let class = URI_CLASS[usize::from(c)];
            if class & C_TEXT == 0 {
                return Err(uri_err());
            }
            if class & C_SPECIAL == 0 {
                user_bad |= class & C_USER == 0 && at.is_none();
                continue;
            }
            match c {
                b'@' if at.is_none() => {
                    at = Some(i);
                    semi = None;
                    question = None;
                }
                // user [":" password]: ':' is not a user character, so a second one fails.
                b':' if at.is_none() => {
                    user_bad |= colon.is_some();
                    colon = Some(colon.unwrap_or(i));
                }
                b';' if semi.is_none() && question.is_none() => semi = Some(i),
                b'?' if question.is_none() => question = Some(i),
                _ => {}
            }
        }
        let (user, password, host_start) = match at {
            None => (None, None, 0),
            Some(at) => {
                let (u, p) = match colon {
                    Some(i) => (rest.get(..i), Some(rest.get(i + 1..at).unwrap_or(""))),
                    None => (rest.get(..at), None),
                };
                let u = u.unwrap_or("");
                if user_bad || u.is_empty() {
                    return Err(uri_err());
                }
                (Some(u), p, at + 1)
            }
        };
        let (before_end, headers) = match question {
            Some(q) => (q, Some(rest.get(q + 1..).unwrap_or(""))),
            None => (rest.len(), None),
        };
        let host_end = semi.unwrap_or(before_end);
        let hostport = rest.get(host_start..host_end).ok_or_else(uri_err)?;
        let params = rest.get(host_end..before_end).ok_or_else(uri_err)?;
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

    /// Fast path for the common `[user@]host[:port][;params]` shape (no password, no
    /// headers, no IPv6 reference, plain user characters), fusing the host and port scans.
    /// `None` means "not this shape, or not valid": the general scan then decides, so the
    /// verdict and the result are always the general scan's.
    fn parse_plain(secure: bool, rest: &'a str) -> Option<Self> {
        let b = rest.as_bytes();
        const PLAIN: u8 = C_TEXT | C_USER;
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            if URI_CLASS[usize::from(c)] != PLAIN {
                break;
            }
            i += 1;
        }
        let (user, host_start) = match b.get(i) {
            Some(b'@') if i > 0 => (Some(rest.get(..i)?), i + 1),
            _ => (None, 0),
        };
        // Host: HOST_CHAR bytes up to ':', ';' or the end.
        let mut numeric = true;
        let mut j = host_start;
        while let Some(&c) = b.get(j) {
            match HOST_CHAR[usize::from(c)] {
                0 => break,
                1 => numeric = false,
                _ => {}
            }
            j += 1;
        }
        let host_str = rest.get(host_start..j)?;
        let host = match host_str.as_bytes().first()? {
            _ if numeric => Host::V4(parse_v4(host_str.as_bytes())?),
            b'.' | b'-' => return None,
            _ => Host::Domain(host_str),
        };
        let mut k = j;
        let port = if b.get(k) == Some(&b':') {
            k += 1;
            let mut v: u32 = 0;
            let digits_start = k;
            while let Some(&c) = b.get(k) {
                if !c.is_ascii_digit() || k - digits_start >= 5 {
                    break;
                }
                v = v * 10 + u32::from(c - b'0');
                k += 1;
            }
            if k == digits_start {
                return None;
            }
            Some(u16::try_from(v).ok()?)
        } else {
            None
        };
        let params = rest.get(k..)?;
        let pb = params.as_bytes();
        if !(pb.is_empty() || pb.first() == Some(&b';')) {
            return None;
        }
        // Params: URI text, no '?' (headers), and no '@' unless the userinfo already ended.
        for &c in pb {
            if URI_CLASS[usize::from(c)] & C_TEXT == 0 || c == b'?' || (c == b'@' && user.is_none())
            {
                return None;
            }
        }
        let params = Params::new(params);
        if !params.is_well_formed() {
            return None;
        }
        Some(Self {
            secure,
            user,
            password: None,
            host,
            host_str,
            port,
            params,
            headers: None,
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
#[cfg(test)]
fn is_user_char(b: u8) -> bool {
    USER_CHAR[usize::from(b)]
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
    use crate::scan::is_token_char;

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
    fn user_table_matches_grammar() {
        for b in 0..=255u8 {
            let expected = is_token_char(b)
                || matches!(
                    b,
                    b'&' | b'=' | b'$' | b',' | b';' | b'?' | b'/' | b'(' | b')' | b'#'
                );
            assert_eq!(is_user_char(b), expected, "{b}");
            let text = b > b' ' && b != 0x7f && !matches!(b, b'<' | b'>' | b'"');
            assert_eq!(URI_TEXT[usize::from(b)], text, "{b}");
        }
        assert_eq!(sip("sip:h:00080").port, Some(80));
        assert!(Uri::parse("sip:h:65536").is_err());
        assert!(Uri::parse("sip:h:+80").is_err());
    }

    /// The straightforward multi-pass hostport parser this module used before its one-pass
    /// scanner, kept as the reference.
    fn reference_hostport(s: &str) -> Option<(Host<'_>, &str, Option<u16>)> {
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
        let host = if let Some(inner) = host_str.strip_prefix('[') {
            Host::V6(parse_v6(inner.strip_suffix(']')?)?)
        } else {
            let b = host_str.as_bytes();
            if b.is_empty()
                || !b
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'))
            {
                return None;
            }
            if b.iter().all(|&c| c.is_ascii_digit() || c == b'.') {
                Host::V4(host_str.parse::<Ipv4Addr>().ok()?)
            } else if b.first() == Some(&b'.') || b.first() == Some(&b'-') {
                return None;
            } else {
                Host::Domain(host_str)
            }
        };
        Some((host, host_str, port))
    }

    /// The multi-pass SIP URI parser this module used before its one-pass scan.
    fn reference_sip(text: &str) -> Result<SipUri<'_>, ParseError> {
        let (scheme, rest) = split_scheme(text)?;
        let secure = match scheme {
            s if s.eq_ignore_ascii_case("sips") => true,
            s if s.eq_ignore_ascii_case("sip") => false,
            _ => return Err(uri_err()),
        };
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
        let (host, host_str, port) = reference_hostport(hostport).ok_or_else(uri_err)?;
        let params = Params::new(params);
        if !params.is_well_formed() || headers.is_some_and(|h| h.is_empty() || h.contains('?')) {
            return Err(uri_err());
        }
        Ok(SipUri {
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

    #[test]
    fn sip_uri_agrees_with_reference() {
        let users = [
            "", "@", "u@", "u:p@", ":p@", "u::p@", "u;x=1@", "u?x@", "a b@", "u%40v@", "u:p:q@",
            "\"@", "u<@", "@@", "u:@", "+1-555@",
        ];
        let hosts = [
            "h",
            "127.0.0.1",
            "127.0.0.1:5060",
            "[::1]:5060",
            "h:",
            "h:x",
            "",
            "h@x",
            "-h",
        ];
        let tails = [
            "",
            ";lr",
            ";transport=tcp;lr",
            ";;",
            "?a=b",
            "?",
            "?a?b",
            ";x?y=z",
            ";a=\"q\"",
            ";a=b@c",
            " x",
        ];
        let mut plain = 0;
        for scheme in ["sip:", "SIPS:", "sip:"] {
            for u in users {
                for h in hosts {
                    for t in tails {
                        let text = format!("{scheme}{u}{h}{t}");
                        let new = SipUri::parse(&text);
                        let (_, rest) = split_scheme_raw(&text).unwrap_or(("", ""));
                        if let Some(fast) = SipUri::parse_plain(false, rest) {
                            plain += 1;
                            assert_eq!(Ok(fast), SipUri::parse_general(false, rest), "{text:?}");
                        }
                        assert_eq!(new, reference_sip(&text), "{text:?}");
                        let via_uri = Uri::parse(&text).map(|u| u.as_sip().copied());
                        assert_eq!(via_uri.ok().flatten(), new.ok(), "{text:?}");
                    }
                }
            }
        }
        // The fast path took a real share of the cases (and agreed on each).
        assert!(plain > 100, "{plain}");
    }

    #[test]
    fn hostport_agrees_with_reference() {
        let parts = [
            "",
            "a",
            "127.0.0.1",
            "1.2.3",
            "01.2.3.4",
            "-a",
            ".a",
            "a_b",
            "a-b.c",
            "[::1]",
            "[2001:db8:::192.0.2.1]",
            "[::1",
            "a b",
            "\u{e9}",
            "9",
            "1.2.3.4.5",
            "a:b",
        ];
        let ports = [
            "", ":", ":0", ":5060", ":65535", ":65536", ":099999", ":+1", ":1:2", "x",
        ];
        for h in parts {
            for p in ports {
                let t = format!("{h}{p}");
                assert_eq!(parse_hostport(&t), reference_hostport(&t), "{t:?}");
            }
        }
    }

    #[test]
    fn ipv4_scanner_agrees_with_std() {
        for t in [
            "192.0.2.4",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.0400",
            "10.0.0.00",
            "",
            "1",
            "99999.1.1.1",
        ] {
            assert_eq!(parse_v4(t.as_bytes()), t.parse::<Ipv4Addr>().ok(), "{t:?}");
        }
        // Every string of up to seven digits and dots from a small alphabet.
        let alphabet = b"0259.";
        let mut t = Vec::new();
        for len in 0..=7u32 {
            for mut n in 0..alphabet.len().pow(len) {
                t.clear();
                for _ in 0..len {
                    t.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                let std = std::str::from_utf8(&t).unwrap().parse::<Ipv4Addr>().ok();
                assert_eq!(parse_v4(&t), std, "{:?}", std::str::from_utf8(&t));
            }
        }
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
