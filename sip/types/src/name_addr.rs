//! name-addr / addr-spec with header parameters (RFC 3261 §20.10 Contact, §20.20 From, §20.39
//! To, Route, Record-Route, Path, Service-Route, P-Asserted-Identity...).

use crate::error::{ParseError, ParseErrorKind};
use crate::header_name::HeaderName;
use crate::params::Params;
use crate::scan::{quoted_end, trim_lws};
use crate::uri::Uri;

fn err() -> ParseError {
    ParseError::new(ParseErrorKind::Invalid(HeaderName::OTHER), 0)
}

/// `[display-name] <uri> *(;param)` or `addr-spec *(;param)`. In the addr-spec form the
/// parameters after the URI belong to the header, not the URI (RFC 3261 §20.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// Display name, unquoted but with escapes as written, if any.
    pub display: Option<&'a str>,
    /// The URI text, without angle brackets.
    pub uri: &'a str,
    /// True when the URI was written in angle brackets.
    pub bracketed: bool,
    /// Header parameters (tag, expires, q, +sip.instance, reg-id, pn-*...).
    pub params: Params<'a>,
}

impl<'a> NameAddr<'a> {
    /// Parse one value (one element of a comma list).
    ///
    /// Errors are `Invalid(HeaderName::OTHER)`; callers that know the header substitute its
    /// name. The URI is checked for shape only (no LWS inside `<>`, no `?`/`,` in the
    /// addr-spec form); use [`NameAddr::parsed_uri`] for the full URI grammar.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let v = trim_lws(value);
        let b = v.as_bytes();
        let (display, after_display) = if b.first() == Some(&b'"') {
            let end = quoted_end(b).ok_or_else(err)?;
            let inner = v.get(1..end - 1).ok_or_else(err)?;
            let rest = trim_lws(v.get(end..).ok_or_else(err)?);
            if !rest.starts_with('<') {
                return Err(err());
            }
            (Some(inner), rest)
        } else if let Some((lt, name_ok)) = find_lt(b) {
            // Token display name: *(token LWS); RFC 4475 §3.1.1.6 allows no LWS before '<'.
            if !name_ok {
                return Err(err());
            }
            let name = trim_lws(v.get(..lt).ok_or_else(err)?);
            let rest = v.get(lt..).ok_or_else(err)?;
            (if name.is_empty() { None } else { Some(name) }, rest)
        } else {
            // addr-spec: the URI ends at the first ';' (header params follow, §20.10).
            let (uri, params) = match crate::scan::find_byte(v, b';') {
                Some(i) => v.split_at(i),
                None => (v, ""),
            };
            let uri = trim_lws(uri);
            let params = Params::new(params);
            if uri.is_empty()
                || uri.bytes().any(|c| CLASS[usize::from(c)] & NOT_SPEC != 0)
                || !params.is_well_formed()
            {
                return Err(err());
            }
            return Ok(Self {
                display: None,
                uri,
                bracketed: false,
                params,
            });
        };
        let inner = after_display.strip_prefix('<').ok_or_else(err)?;
        // One pass to the '>', rejecting LWS and a second '<' on the way.
        let mut gt = None;
        for (i, &c) in inner.as_bytes().iter().enumerate() {
            match CLASS[usize::from(c)] & KIND {
                0 => {}
                GT => {
                    gt = Some(i);
                    break;
                }
                _ => return Err(err()),
            }
        }
        let gt = gt.filter(|&g| g > 0).ok_or_else(err)?;
        let uri = inner.get(..gt).ok_or_else(err)?;
        let rest = trim_lws(inner.get(gt + 1..).ok_or_else(err)?);
        let params = Params::new(rest);
        if !(rest.is_empty() || rest.starts_with(';')) || !params.is_well_formed() {
            return Err(err());
        }
        Ok(Self {
            display,
            uri,
            bracketed: true,
            params,
        })
    }

    /// Parse the URI.
    pub fn parsed_uri(&self) -> Result<Uri<'a>, ParseError> {
        Uri::parse(self.uri)
    }

    /// The `tag` parameter (From/To).
    pub fn tag(&self) -> Option<&'a str> {
        self.params.get("tag").flatten()
    }
}

/// [`CLASS`] values: `>`, `<`, LWS, and (bit) a display-name byte (token or LWS).
const GT: u8 = 1;
const LT: u8 = 2;
const LWS: u8 = 3;
const NAME: u8 = 4;
/// Bit of a [`CLASS`] value: the byte may not appear in an addr-spec URI (LWS, `?`, `,`,
/// `"`, `>`; RFC 3261 §20.10).
const NOT_SPEC: u8 = 8;
/// Mask of the `>` / `<` / LWS part of a [`CLASS`] value.
const KIND: u8 = 3;

/// Byte classes for the scans in [`NameAddr::parse`]: low bits say `>` / `<` / LWS (0 for
/// any other byte), bit [`NAME`] says the byte may appear in a token display name, bit
/// [`NOT_SPEC`] that it may not appear in an addr-spec.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let kind = match c {
            b'>' => GT,
            b'<' => LT,
            b' ' | b'\t' | b'\r' | b'\n' => LWS,
            _ => 0,
        };
        // RFC 3261 §25.1 token characters.
        let token = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        let name = if kind == LWS || token { NAME } else { 0 };
        let not_spec = if kind == LWS || matches!(c, b'?' | b',' | b'"' | b'>') {
            NOT_SPEC
        } else {
            0
        };
        t[i] = kind | name | not_spec;
        i += 1;
    }
    t
};

/// The first `<` of `b` and whether every byte before it is a token character or LWS.
fn find_lt(b: &[u8]) -> Option<(usize, bool)> {
    let mut name_ok = true;
    for (i, &c) in b.iter().enumerate() {
        let class = CLASS[usize::from(c)];
        if class & KIND == LT {
            return Some((i, name_ok));
        }
        name_ok &= class & NAME != 0;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{is_lws, is_token_char};

    #[test]
    fn forms() {
        let n = NameAddr::parse("\"A. G. Bell\" <sip:agb@bell-telephone.com> ;tag=a48s").unwrap();
        assert_eq!(n.display, Some("A. G. Bell"));
        assert_eq!(n.uri, "sip:agb@bell-telephone.com");
        assert!(n.bracketed);
        assert_eq!(n.tag(), Some("a48s"));

        let n = NameAddr::parse("Bob <sips:bob@biloxi.com>").unwrap();
        assert_eq!(n.display, Some("Bob"));
        assert_eq!(n.tag(), None);

        let n = NameAddr::parse("caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(n.display, Some("caller"));
        assert_eq!(n.tag(), Some("323"));

        let n = NameAddr::parse("sip:+19725552222@gw1.example.net;unknownparam").unwrap();
        assert!(!n.bracketed);
        assert_eq!(n.uri, "sip:+19725552222@gw1.example.net");
        assert!(n.params.contains("unknownparam"));

        let n = NameAddr::parse("<sip:x@y;unknownparam>").unwrap();
        assert_eq!(n.uri, "sip:x@y;unknownparam");
        assert!(n.params.as_str().is_empty());
        assert!(matches!(n.parsed_uri(), Ok(Uri::Sip(_))));

        let n = NameAddr::parse(
            "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
        )
        .unwrap();
        assert_eq!(n.display, Some("J Rosenberg \\\\\\\""));
        assert_eq!(n.tag(), Some("98asjd8"));
    }

    #[test]
    fn class_table_matches_predicates() {
        for c in 0..=255u8 {
            let class = CLASS[usize::from(c)];
            assert_eq!(class & NAME != 0, is_token_char(c) || is_lws(c), "{c}");
            assert_eq!(class & KIND == LWS, is_lws(c), "{c}");
            assert_eq!(class & KIND == GT, c == b'>', "{c}");
            assert_eq!(class & KIND == LT, c == b'<', "{c}");
            let not_spec = is_lws(c) || matches!(c, b'?' | b',' | b'"' | b'>');
            assert_eq!(class & NOT_SPEC != 0, not_spec, "{c}");
        }
    }

    #[test]
    fn malformed() {
        for bad in [
            "\"Mr. J. User <sip:j.user@example.com>",
            "\"Watson, Thomas\" < sip:t.watson@example.org >",
            "Bell, Alexander <sip:a.g.bell@bell-tel.com>",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "\"Joe\" <sip:joe@example.org>;;;;",
            "<sip:a@b",
            "<sip:a@b> junk",
            "",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{bad:?}");
        }
    }
}
