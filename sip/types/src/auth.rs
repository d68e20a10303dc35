//! Authentication headers (RFC 3261 §20.7, §20.27, §20.28, §20.44; RFC 7616; RFC 3310 AKA):
//! WWW-Authenticate / Proxy-Authenticate challenges, Authorization / Proxy-Authorization
//! credentials and Authentication-Info, as borrowed views with their auth-params.
//!
//! Grammar (RFC 3261 §25.1, RFC 7616 §3.3–§3.5): `scheme LWS auth-param *(COMMA auth-param)`,
//! `auth-param = token EQUAL ( token / quoted-string )`. Parameter names compare
//! case-insensitively, LWS may surround `=` and `,`, quoted strings may hold `\`-escapes, and a
//! parameter given twice makes the header malformed. Values are borrowed from the header text
//! unless a quoted string held escapes (then they are unescaped into an owned string).
//!
//! Credential bytes (`response`, `auts`) never appear in errors or `Debug` output.

use std::borrow::Cow;
use std::fmt;

use crate::error::{ParseError, ParseErrorKind};
use crate::header_name::HeaderName;

/// The most auth-params accepted in one header value; more makes the header malformed. This
/// bounds the work of the duplicate check on hostile input.
pub const MAX_AUTH_PARAMS: usize = 32;

/// The authentication scheme that starts a challenge or credentials (RFC 3261 §25.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme<'a> {
    /// `Digest` (matched case-insensitively).
    Digest,
    /// Any other scheme, as written; its parameters are kept opaque.
    Other(&'a str),
}

impl Scheme<'_> {
    /// True for `Digest`.
    pub fn is_digest(&self) -> bool {
        matches!(self, Scheme::Digest)
    }
}

/// One `name=value` auth-param (RFC 3261 §25.1 auth-param).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthParam<'a> {
    /// The parameter name as written.
    pub name: &'a str,
    /// The value, unquoted and unescaped.
    pub value: Cow<'a, str>,
    /// Whether the value was a quoted-string.
    pub quoted: bool,
    /// Byte offset of the name in the header value (for error reports).
    pub offset: usize,
}

// ===== tokenizer =====

/// RFC 3261 §25.1 token characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// Bytes accepted in an unquoted value: visible ASCII except `,` and `"`. Wider than `token` so
/// that unquoted base64 nonces from lenient peers still parse.
fn is_bare_value_byte(b: u8) -> bool {
    (0x21..=0x7e).contains(&b) && b != b',' && b != b'"'
}

fn is_lws_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A cursor over one header value; every error names `header` and the byte offset.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    header: HeaderName,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str, header: HeaderName) -> Self {
        Self {
            text,
            pos: 0,
            header,
        }
    }

    fn error(&self) -> ParseError {
        ParseError::new(ParseErrorKind::Invalid(self.header), self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn skip_lws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_lws_byte) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        self.text.get(start..self.pos)
    }

    fn token(&mut self) -> Option<&'a str> {
        self.take_while(is_token_byte)
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// A quoted-string (RFC 3261 §25.1) starting at the opening `"`; returns its unescaped
    /// content.
    fn quoted_string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        // Caller saw the opening quote.
        self.pos += 1;
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut escaped = false;
        loop {
            let Some(&b) = bytes.get(self.pos) else {
                return Err(self.error());
            };
            match b {
                b'"' => break,
                b'\\' => {
                    // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                    let Some(&next) = bytes.get(self.pos + 1) else {
                        return Err(self.error());
                    };
                    if next > 0x7f || next == b'\r' || next == b'\n' {
                        return Err(self.error());
                    }
                    escaped = true;
                    self.pos += 2;
                }
                b'\t' | b'\r' | b'\n' => self.pos += 1,
                0x00..=0x1f | 0x7f => return Err(self.error()),
                _ => self.pos += 1,
            }
        }
        let inner = self.text.get(start..self.pos).ok_or_else(|| self.error())?;
        self.pos += 1; // closing quote
        if !escaped {
            return Ok(Cow::Borrowed(inner));
        }
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        Ok(Cow::Owned(out))
    }

    /// The scheme token at the start of the value.
    fn scheme(&mut self) -> Result<Scheme<'a>, ParseError> {
        self.skip_lws();
        let name = self.token().ok_or_else(|| self.error())?;
        if name.eq_ignore_ascii_case("Digest") {
            Ok(Scheme::Digest)
        } else {
            Ok(Scheme::Other(name))
        }
    }

    /// A comma-separated auth-param list up to the end of the value. Empty list elements
    /// (`a=1,,b=2`) are tolerated as in RFC 7230 §7; duplicates are rejected.
    fn params(&mut self) -> Result<Vec<AuthParam<'a>>, ParseError> {
        let mut params: Vec<AuthParam<'a>> = Vec::new();
        loop {
            self.skip_lws();
            while self.peek() == Some(b',') {
                self.pos += 1;
                self.skip_lws();
            }
            if self.at_end() {
                return Ok(params);
            }
            let name_at = self.pos;
            let name = self.token().ok_or_else(|| self.error())?;
            self.skip_lws();
            if self.peek() != Some(b'=') {
                return Err(self.error());
            }
            self.pos += 1;
            self.skip_lws();
            let (value, quoted) = if self.peek() == Some(b'"') {
                (self.quoted_string()?, true)
            } else {
                let v = self
                    .take_while(is_bare_value_byte)
                    .ok_or_else(|| self.error())?;
                (Cow::Borrowed(v), false)
            };
            if params.len() >= MAX_AUTH_PARAMS
                || params.iter().any(|p| p.name.eq_ignore_ascii_case(name))
            {
                return Err(ParseError::new(
                    ParseErrorKind::Invalid(self.header),
                    name_at,
                ));
            }
            params.push(AuthParam {
                name,
                value,
                quoted,
                offset: name_at,
            });
            self.skip_lws();
            match self.peek() {
                None => return Ok(params),
                Some(b',') => self.pos += 1,
                Some(_) => return Err(self.error()),
            }
        }
    }

    /// Scheme, then (for Digest) the param list; for other schemes the rest stays opaque.
    fn challenge_or_credentials(
        &mut self,
    ) -> Result<(Scheme<'a>, Vec<AuthParam<'a>>, &'a str), ParseError> {
        let scheme = self.scheme()?;
        if !self.at_end() && !self.skip_lws() {
            return Err(self.error());
        }
        match scheme {
            Scheme::Digest => Ok((scheme, self.params()?, "")),
            Scheme::Other(_) => Ok((scheme, Vec::new(), self.rest().trim_end())),
        }
    }
}

fn is_true(v: &str) -> bool {
    v.eq_ignore_ascii_case("true")
}

/// Parses `nc-value = 8LHEX` (RFC 7616 §3.4); upper-case hex is tolerated.
fn parse_nc(v: &str) -> Option<u32> {
    if v.len() != 8 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(v, 16).ok()
}

fn find_param<'p, 'a>(params: &'p [AuthParam<'a>], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.value.as_ref())
}

/// A parameter by name among the typed ones (`known`), else among the others.
fn lookup_param<'p, 'a>(
    known: &[(&str, &'p Option<Cow<'a, str>>)],
    other: &'p [AuthParam<'a>],
    name: &str,
) -> Option<&'p str> {
    match known.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        Some((_, v)) => v.as_deref(),
        None => find_param(other, name),
    }
}

// ===== Challenge =====

/// A WWW-Authenticate or Proxy-Authenticate challenge (RFC 3261 §20.27, §20.44; RFC 7616
/// §3.3; RFC 3310 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge<'a> {
    scheme: Scheme<'a>,
    realm: Option<Cow<'a, str>>,
    nonce: Option<Cow<'a, str>>,
    opaque: Option<Cow<'a, str>>,
    algorithm: Option<Cow<'a, str>>,
    qop: Option<Cow<'a, str>>,
    domain: Option<Cow<'a, str>>,
    charset: Option<Cow<'a, str>>,
    stale: bool,
    userhash: bool,
    other: Vec<AuthParam<'a>>,
    opaque_data: &'a str,
}

impl<'a> Challenge<'a> {
    /// Parses a WWW-Authenticate value; errors name `WWW-Authenticate`.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        Self::parse_header(value, HeaderName::WWW_AUTHENTICATE)
    }

    /// Parses a challenge from `header` (WWW-Authenticate or Proxy-Authenticate); errors name
    /// that header.
    pub fn parse_header(value: &'a str, header: HeaderName) -> Result<Self, ParseError> {
        let mut cursor = Cursor::new(value, header);
        let (scheme, params, opaque_data) = cursor.challenge_or_credentials()?;
        let mut c = Self {
            scheme,
            realm: None,
            nonce: None,
            opaque: None,
            algorithm: None,
            qop: None,
            domain: None,
            charset: None,
            stale: false,
            userhash: false,
            other: Vec::new(),
            opaque_data,
        };
        for p in params {
            let n = p.name;
            if n.eq_ignore_ascii_case("realm") {
                c.realm = Some(p.value);
            } else if n.eq_ignore_ascii_case("nonce") {
                c.nonce = Some(p.value);
            } else if n.eq_ignore_ascii_case("opaque") {
                c.opaque = Some(p.value);
            } else if n.eq_ignore_ascii_case("algorithm") {
                c.algorithm = Some(p.value);
            } else if n.eq_ignore_ascii_case("qop") {
                c.qop = Some(p.value);
            } else if n.eq_ignore_ascii_case("domain") {
                c.domain = Some(p.value);
            } else if n.eq_ignore_ascii_case("charset") {
                c.charset = Some(p.value);
            } else if n.eq_ignore_ascii_case("stale") {
                c.stale = is_true(&p.value);
            } else if n.eq_ignore_ascii_case("userhash") {
                c.userhash = is_true(&p.value);
            } else {
                c.other.push(p);
            }
        }
        Ok(c)
    }

    /// The scheme (`Digest` or another, kept opaque).
    pub fn scheme(&self) -> Scheme<'a> {
        self.scheme
    }

    /// `realm` (RFC 7616 §3.3).
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// `nonce`.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// `opaque`, to be echoed by the client unchanged.
    pub fn opaque(&self) -> Option<&str> {
        self.opaque.as_deref()
    }

    /// `algorithm` token as written (absent means MD5).
    pub fn algorithm(&self) -> Option<&str> {
        self.algorithm.as_deref()
    }

    /// The raw `qop` options list (e.g. `auth,auth-int`).
    pub fn qop(&self) -> Option<&str> {
        self.qop.as_deref()
    }

    /// Each `qop` option, trimmed (RFC 7616 §3.3 qop-options).
    pub fn qop_options(&self) -> impl Iterator<Item = &str> + '_ {
        self.qop
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// True if `qop` lists `option` (case-insensitive).
    pub fn offers_qop(&self, option: &str) -> bool {
        self.qop_options().any(|q| q.eq_ignore_ascii_case(option))
    }

    /// `domain` (space-separated URIs).
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// `charset` (RFC 7616 §3.3: only `UTF-8` is defined).
    pub fn charset(&self) -> Option<&str> {
        self.charset.as_deref()
    }

    /// `stale=true`: the previous nonce was stale, retry with the new one (RFC 7616 §3.3).
    pub fn stale(&self) -> bool {
        self.stale
    }

    /// `userhash=true` (RFC 7616 §3.4.4).
    pub fn userhash(&self) -> bool {
        self.userhash
    }

    /// Any parameter by name (case-insensitive), including unknown ones such as IMS `ik`/`ck`.
    pub fn param(&self, name: &str) -> Option<&str> {
        let known = [
            ("realm", &self.realm),
            ("nonce", &self.nonce),
            ("opaque", &self.opaque),
            ("algorithm", &self.algorithm),
            ("qop", &self.qop),
            ("domain", &self.domain),
            ("charset", &self.charset),
        ];
        lookup_param(&known, &self.other, name)
    }

    /// For a non-Digest scheme, the text after the scheme as written.
    pub fn opaque_data(&self) -> &'a str {
        self.opaque_data
    }
}

// ===== Credentials =====

/// Authorization or Proxy-Authorization credentials (RFC 3261 §20.7, §20.28; RFC 7616 §3.4;
/// RFC 3310 §3.3–§3.4). Unknown schemes parse without error and report `!is_digest()`.
///
/// `Debug` redacts `response` and `auts`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials<'a> {
    scheme: Scheme<'a>,
    username: Option<Cow<'a, str>>,
    realm: Option<Cow<'a, str>>,
    nonce: Option<Cow<'a, str>>,
    uri: Option<Cow<'a, str>>,
    response: Option<Cow<'a, str>>,
    algorithm: Option<Cow<'a, str>>,
    cnonce: Option<Cow<'a, str>>,
    opaque: Option<Cow<'a, str>>,
    qop: Option<Cow<'a, str>>,
    nc: Option<u32>,
    auts: Option<Cow<'a, str>>,
    userhash: bool,
    other: Vec<AuthParam<'a>>,
    opaque_data: &'a str,
}

impl<'a> Credentials<'a> {
    /// Parses an Authorization value; errors name `Authorization`.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        Self::parse_header(value, HeaderName::AUTHORIZATION)
    }

    /// Parses credentials from `header` (Authorization or Proxy-Authorization).
    pub fn parse_header(value: &'a str, header: HeaderName) -> Result<Self, ParseError> {
        let mut cursor = Cursor::new(value, header);
        let (scheme, params, opaque_data) = cursor.challenge_or_credentials()?;
        let mut c = Self {
            scheme,
            username: None,
            realm: None,
            nonce: None,
            uri: None,
            response: None,
            algorithm: None,
            cnonce: None,
            opaque: None,
            qop: None,
            nc: None,
            auts: None,
            userhash: false,
            other: Vec::new(),
            opaque_data,
        };
        for p in params {
            let n = p.name;
            if n.eq_ignore_ascii_case("username") {
                c.username = Some(p.value);
            } else if n.eq_ignore_ascii_case("realm") {
                c.realm = Some(p.value);
            } else if n.eq_ignore_ascii_case("nonce") {
                c.nonce = Some(p.value);
            } else if n.eq_ignore_ascii_case("uri") {
                c.uri = Some(p.value);
            } else if n.eq_ignore_ascii_case("response") {
                c.response = Some(p.value);
            } else if n.eq_ignore_ascii_case("algorithm") {
                c.algorithm = Some(p.value);
            } else if n.eq_ignore_ascii_case("cnonce") {
                c.cnonce = Some(p.value);
            } else if n.eq_ignore_ascii_case("opaque") {
                c.opaque = Some(p.value);
            } else if n.eq_ignore_ascii_case("qop") {
                c.qop = Some(p.value);
            } else if n.eq_ignore_ascii_case("auts") {
                c.auts = Some(p.value);
            } else if n.eq_ignore_ascii_case("nc") {
                c.nc =
                    Some(parse_nc(&p.value).ok_or_else(|| {
                        ParseError::new(ParseErrorKind::Invalid(header), p.offset)
                    })?);
            } else if n.eq_ignore_ascii_case("userhash") {
                c.userhash = is_true(&p.value);
            } else {
                c.other.push(p);
            }
        }
        Ok(c)
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme<'a> {
        self.scheme
    }

    /// True for `Digest` credentials.
    pub fn is_digest(&self) -> bool {
        self.scheme.is_digest()
    }

    /// `username` (or the user hash when `userhash=true`).
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// `realm`.
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// `nonce`, as received in the challenge.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// `uri` (digest-uri, RFC 7616 §3.4.6).
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }

    /// `response` (request-digest, lowercase hex).
    pub fn response(&self) -> Option<&str> {
        self.response.as_deref()
    }

    /// `algorithm` token as written (absent means MD5).
    pub fn algorithm(&self) -> Option<&str> {
        self.algorithm.as_deref()
    }

    /// `cnonce`.
    pub fn cnonce(&self) -> Option<&str> {
        self.cnonce.as_deref()
    }

    /// `opaque`.
    pub fn opaque(&self) -> Option<&str> {
        self.opaque.as_deref()
    }

    /// `qop` chosen by the client (`auth` / `auth-int`).
    pub fn qop(&self) -> Option<&str> {
        self.qop.as_deref()
    }

    /// `nc` (nonce-count), parsed from its 8 hex digits.
    pub fn nc(&self) -> Option<u32> {
        self.nc
    }

    /// `auts` (RFC 3310 §3.4 resynchronisation, base64).
    pub fn auts(&self) -> Option<&str> {
        self.auts.as_deref()
    }

    /// `userhash=true` (RFC 7616 §3.4.4).
    pub fn userhash(&self) -> bool {
        self.userhash
    }

    /// Any parameter by name (case-insensitive); `nc` and `userhash` are available through
    /// their typed accessors only.
    pub fn param(&self, name: &str) -> Option<&str> {
        let known = [
            ("username", &self.username),
            ("realm", &self.realm),
            ("nonce", &self.nonce),
            ("uri", &self.uri),
            ("response", &self.response),
            ("algorithm", &self.algorithm),
            ("cnonce", &self.cnonce),
            ("opaque", &self.opaque),
            ("qop", &self.qop),
            ("auts", &self.auts),
        ];
        lookup_param(&known, &self.other, name)
    }

    /// For a non-Digest scheme, the text after the scheme as written.
    pub fn opaque_data(&self) -> &'a str {
        self.opaque_data
    }
}

const REDACTED: &str = "<redacted>";

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let other: Vec<&str> = self.other.iter().map(|p| p.name).collect();
        f.debug_struct("Credentials")
            .field("scheme", &self.scheme)
            .field("username", &self.username)
            .field("realm", &self.realm)
            .field("nonce", &self.nonce)
            .field("uri", &self.uri)
            .field("response", &self.response.as_ref().map(|_| REDACTED))
            .field("algorithm", &self.algorithm)
            .field("cnonce", &self.cnonce)
            .field("opaque", &self.opaque)
            .field("qop", &self.qop)
            .field("nc", &self.nc)
            .field("auts", &self.auts.as_ref().map(|_| REDACTED))
            .field("userhash", &self.userhash)
            .field("other_params", &other)
            .field(
                "opaque_data",
                &(!self.opaque_data.is_empty()).then_some(REDACTED),
            )
            .finish()
    }
}

// ===== Authentication-Info =====

/// An Authentication-Info value (RFC 3261 §20.6, RFC 7616 §3.5): parameters only, no scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationInfo<'a> {
    nextnonce: Option<Cow<'a, str>>,
    qop: Option<Cow<'a, str>>,
    rspauth: Option<Cow<'a, str>>,
    cnonce: Option<Cow<'a, str>>,
    nc: Option<u32>,
    other: Vec<AuthParam<'a>>,
}

impl<'a> AuthenticationInfo<'a> {
    /// Parses an Authentication-Info value.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let header = HeaderName::AUTHENTICATION_INFO;
        let mut cursor = Cursor::new(value, header);
        let params = cursor.params()?;
        let mut info = Self {
            nextnonce: None,
            qop: None,
            rspauth: None,
            cnonce: None,
            nc: None,
            other: Vec::new(),
        };
        for p in params {
            let n = p.name;
            if n.eq_ignore_ascii_case("nextnonce") {
                info.nextnonce = Some(p.value);
            } else if n.eq_ignore_ascii_case("qop") {
                info.qop = Some(p.value);
            } else if n.eq_ignore_ascii_case("rspauth") {
                info.rspauth = Some(p.value);
            } else if n.eq_ignore_ascii_case("cnonce") {
                info.cnonce = Some(p.value);
            } else if n.eq_ignore_ascii_case("nc") {
                info.nc =
                    Some(parse_nc(&p.value).ok_or_else(|| {
                        ParseError::new(ParseErrorKind::Invalid(header), p.offset)
                    })?);
            } else {
                info.other.push(p);
            }
        }
        Ok(info)
    }

    /// `nextnonce`: the nonce the client should use next.
    pub fn nextnonce(&self) -> Option<&str> {
        self.nextnonce.as_deref()
    }

    /// `qop`.
    pub fn qop(&self) -> Option<&str> {
        self.qop.as_deref()
    }

    /// `rspauth`: the server's proof (RFC 7616 §3.5).
    pub fn rspauth(&self) -> Option<&str> {
        self.rspauth.as_deref()
    }

    /// `cnonce`.
    pub fn cnonce(&self) -> Option<&str> {
        self.cnonce.as_deref()
    }

    /// `nc`.
    pub fn nc(&self) -> Option<u32> {
        self.nc
    }

    /// Any other parameter by name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        find_param(&self.other, name)
    }
}

// ===== printing =====

/// Builds an auth header value from parts: `Digest realm="x", nonce="y", algorithm=MD5`.
/// Quoted values are escaped (`"` and `\`); token values are written as given.
#[derive(Debug, Clone, Default)]
pub struct AuthHeaderWriter {
    out: String,
    count: usize,
    has_scheme: bool,
}

impl AuthHeaderWriter {
    /// Starts a challenge or credentials value with `scheme` (e.g. `Digest`).
    pub fn new(scheme: &str) -> Self {
        let mut out = String::with_capacity(256);
        out.push_str(scheme);
        Self {
            out,
            count: 0,
            has_scheme: true,
        }
    }

    /// Starts a parameter-only value (Authentication-Info).
    pub fn params_only() -> Self {
        Self {
            out: String::with_capacity(128),
            count: 0,
            has_scheme: false,
        }
    }

    fn separator(&mut self) {
        if self.count > 0 {
            self.out.push_str(", ");
        } else if self.has_scheme {
            self.out.push(' ');
        }
        self.count += 1;
    }

    /// Appends `name="value"`, escaping `"` and `\` (RFC 3261 §25.1 quoted-pair).
    pub fn quoted(&mut self, name: &str, value: &str) -> &mut Self {
        self.separator();
        self.out.push_str(name);
        self.out.push_str("=\"");
        for c in value.chars() {
            if c == '"' || c == '\\' {
                self.out.push('\\');
            }
            self.out.push(c);
        }
        self.out.push('"');
        self
    }

    /// Appends `name=value` unquoted (for tokens such as `algorithm`, `nc`, `stale`).
    pub fn token(&mut self, name: &str, value: &str) -> &mut Self {
        self.separator();
        self.out.push_str(name);
        self.out.push('=');
        self.out.push_str(value);
        self
    }

    /// The finished header value.
    pub fn finish(self) -> String {
        self.out
    }
}

/// Formats a nonce-count as `nc-value` (8 lowercase hex digits, RFC 7616 §3.4).
pub fn format_nc(nc: u32) -> String {
    format!("{nc:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_rfc7616_example() {
        let v = "Digest\r\n realm=\"http-auth@example.org\",\r\n qop=\"auth, auth-int\",\r\n \
                 algorithm=SHA-256,\r\n nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n \
                 opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
        let c = Challenge::parse(v).expect("parses");
        assert_eq!(c.scheme(), Scheme::Digest);
        assert_eq!(c.realm(), Some("http-auth@example.org"));
        assert_eq!(c.algorithm(), Some("SHA-256"));
        assert_eq!(
            c.qop_options().collect::<Vec<_>>(),
            vec!["auth", "auth-int"]
        );
        assert!(c.offers_qop("AUTH"));
        assert_eq!(
            c.opaque(),
            Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        );
        assert!(!c.stale());
    }

    #[test]
    fn challenge_stale_domain_and_unknown_params() {
        let c = Challenge::parse(
            "digest REALM = \"a\" , nonce=\"n\", stale=TRUE, domain=\"sip:a sip:b\", \
             ik=\"0011\", userhash=true",
        )
        .expect("parses");
        assert!(c.stale());
        assert!(c.userhash());
        assert_eq!(c.realm(), Some("a"));
        assert_eq!(c.domain(), Some("sip:a sip:b"));
        assert_eq!(c.param("IK"), Some("0011"));
        assert_eq!(c.param("nonce"), Some("n"));
        assert_eq!(c.param("missing"), None);
    }

    #[test]
    fn quoted_escapes_are_unescaped() {
        let c = Credentials::parse(r#"Digest username="a\"b\\c", realm="r""#).expect("parses");
        assert_eq!(c.username(), Some("a\"b\\c"));
        assert!(matches!(c.realm, Some(Cow::Borrowed("r"))));
    }

    #[test]
    fn duplicate_params_rejected() {
        let e = Credentials::parse("Digest realm=\"a\", Realm=\"b\"").expect_err("must fail");
        assert_eq!(e.kind, ParseErrorKind::Invalid(HeaderName::AUTHORIZATION));
        assert_eq!(e.offset, 18); // the second `Realm`
        let e = Challenge::parse_header("Digest x=1, x=2", HeaderName::PROXY_AUTHENTICATE)
            .expect_err("must fail");
        assert_eq!(
            e.kind,
            ParseErrorKind::Invalid(HeaderName::PROXY_AUTHENTICATE)
        );
    }

    #[test]
    fn malformed_values_rejected() {
        for bad in [
            "",
            "   ",
            "Digest realm",
            "Digest realm=",
            "Digest realm=\"unterminated",
            "Digest realm=\"a\" nonce=\"b\"",
            "Digest =\"a\"",
            "Digest realm=\"a\\",
            "Digest realm=\"a\u{1}\"",
            "Digest nc=1",
            "Digest nc=0000000g",
            "Digest, realm=\"a\"",
            "Digest realm=\"a\"x",
        ] {
            assert!(Credentials::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn too_many_params_rejected() {
        let mut v = String::from("Digest ");
        for i in 0..=MAX_AUTH_PARAMS {
            v.push_str(&format!("p{i}=1,"));
        }
        assert!(Credentials::parse(&v).is_err());
    }

    #[test]
    fn credentials_fields_and_empty_elements() {
        let c = Credentials::parse(
            "Digest username=\"Mufasa\",, realm=\"testrealm@host.com\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", \
             qop=auth, nc=00000001, cnonce=\"0a4f113b\", \
             response=\"6629fae49393a05397450978507c4ef1\", \
             opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", algorithm=\"MD5\",",
        )
        .expect("parses");
        assert!(c.is_digest());
        assert_eq!(c.username(), Some("Mufasa"));
        assert_eq!(c.nc(), Some(1));
        assert_eq!(c.qop(), Some("auth"));
        assert_eq!(c.cnonce(), Some("0a4f113b"));
        assert_eq!(c.algorithm(), Some("MD5"));
        assert_eq!(c.uri(), Some("/dir/index.html"));
        assert_eq!(c.response(), Some("6629fae49393a05397450978507c4ef1"));
    }

    #[test]
    fn unknown_scheme_is_not_digest() {
        // RFC 4475 §3.1.2.? regaut01: an unknown scheme must not fail parsing.
        let c = Credentials::parse("NoOneKnowsThisScheme opaque-data=here").expect("parses");
        assert!(!c.is_digest());
        assert_eq!(c.scheme(), Scheme::Other("NoOneKnowsThisScheme"));
        assert_eq!(c.opaque_data(), "opaque-data=here");
        assert_eq!(c.username(), None);
        let c = Credentials::parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").expect("parses");
        assert_eq!(c.scheme(), Scheme::Other("Basic"));
    }

    #[test]
    fn debug_redacts_secrets_canary() {
        let canary_response = "c4nary0response0c4nary0response0";
        let canary_auts = "QUFBQUNBTkFSWUFVVFM=";
        let v = format!(
            "Digest username=\"u\", response=\"{canary_response}\", auts=\"{canary_auts}\", \
             secretish=\"c4nary-other\""
        );
        let c = Credentials::parse(&v).expect("parses");
        let dbg = format!("{c:?} {c:#?}");
        assert!(!dbg.contains(canary_response), "{dbg}");
        assert!(!dbg.contains(canary_auts), "{dbg}");
        assert!(!dbg.contains("c4nary"), "{dbg}");
        assert!(dbg.contains("<redacted>"));
        assert!(dbg.contains("secretish"));
        let other = Credentials::parse("Bearer c4nary-token").expect("parses");
        assert!(!format!("{other:?}").contains("c4nary"));
        // Errors carry no input bytes at all.
        let e = Credentials::parse("Digest response=\"c4nary").expect_err("must fail");
        assert!(!format!("{e:?}").contains("c4nary"));
    }

    #[test]
    fn authentication_info() {
        let i = AuthenticationInfo::parse(
            "nextnonce=\"abc\", qop=auth, rspauth=\"6629fae4\", cnonce=\"x\", nc=0000000A",
        )
        .expect("parses");
        assert_eq!(i.nextnonce(), Some("abc"));
        assert_eq!(i.rspauth(), Some("6629fae4"));
        assert_eq!(i.nc(), Some(10));
        assert_eq!(i.qop(), Some("auth"));
        assert_eq!(i.cnonce(), Some("x"));
        assert!(AuthenticationInfo::parse("rspauth").is_err());
    }

    #[test]
    fn writer_round_trips() {
        let mut w = AuthHeaderWriter::new("Digest");
        w.quoted("realm", "a\"b")
            .quoted("nonce", "n")
            .token("algorithm", "SHA-256")
            .token("nc", &format_nc(26));
        let v = w.finish();
        assert_eq!(
            v,
            r#"Digest realm="a\"b", nonce="n", algorithm=SHA-256, nc=0000001a"#
        );
        let c = Credentials::parse(&v).expect("parses");
        assert_eq!(c.realm(), Some("a\"b"));
        assert_eq!(c.nc(), Some(26));

        let mut w = AuthHeaderWriter::params_only();
        w.quoted("rspauth", "ab").token("qop", "auth");
        let v = w.finish();
        assert_eq!(v, "rspauth=\"ab\", qop=auth");
        assert_eq!(
            AuthenticationInfo::parse(&v).expect("parses").rspauth(),
            Some("ab")
        );
        assert_eq!(AuthHeaderWriter::params_only().finish(), "");
    }

    #[test]
    fn truncated_and_mangled_values_never_panic() {
        let v = "Digest realm=\"a\\\"b\", nonce=\"n\", qop=\"auth,auth-int\", stale=true, \
                 algorithm=AKAv1-MD5, opaque=\"o\", nc=00000001";
        let bytes = v.as_bytes();
        for cut in 0..=bytes.len() {
            let t = String::from_utf8_lossy(bytes.get(..cut).unwrap_or_default());
            let _ = Challenge::parse(&t);
            let _ = Credentials::parse(&t);
            let _ = AuthenticationInfo::parse(&t);
            for b in [b'"', b',', b'\\', b'=', b'\r', 0u8] {
                let mut m = bytes.to_vec();
                if let Some(x) = m.get_mut(cut) {
                    *x = b;
                }
                let t = String::from_utf8_lossy(&m);
                let _ = Challenge::parse(&t);
                let _ = Credentials::parse(&t);
            }
        }
        assert!(Challenge::parse(v).is_ok());
    }

    #[test]
    fn non_ascii_utf8_in_quoted_string() {
        let c = Credentials::parse("Digest username=\"Jäsøn Doe\"").expect("parses");
        assert_eq!(c.username(), Some("Jäsøn Doe"));
    }
}
