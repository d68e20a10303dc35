//! Generic parameters (`;name[=value]`, RFC 3261 §25.1 generic-param), borrowed and parsed on
//! demand. Names compare case-insensitively; values keep their quotes off when quoted.

/// A borrowed run of `;name=value` parameters (the text after the first `;`, or empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a> {
    raw: &'a str,
}

impl<'a> Params<'a> {
    /// Wrap the raw text starting at the first `;` (or empty).
    pub fn new(raw: &'a str) -> Self {
        Self { raw }
    }

    /// The raw text as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// `Some(Some(value))` for `name=value`, `Some(None)` for a bare `name`, `None` if absent.
    /// Quoted values are returned without their quotes (escapes are left as written).
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        match self.get_well_formed(name) {
            Some(found) => found,
            None => self.get_general(name),
        }
    }

    /// [`Params::get`] through the general splitter (any text).
    fn get_general(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// [`Params::get`] in the single pass of [`Params::is_well_formed`]: `Some(answer)` once
    /// the answer is known from a well-formed prefix (the general splitter reads such a
    /// prefix the same way), `None` when malformed text comes first (the caller then falls
    /// back to [`Params::get_general`]).
    fn get_well_formed(&self, want: &str) -> Option<Option<Option<&'a str>>> {
        let raw = self.raw;
        let b = raw.as_bytes();
        let mut i = skip_lws(b, 0);
        while let Some(&c) = b.get(i) {
            if c != b';' {
                return None;
            }
            i = skip_lws(b, i + 1);
            let name_len = run(b, i, &TOKEN_CHAR);
            if name_len == 0 {
                return None;
            }
            let name = raw.get(i..i + name_len)?;
            i = skip_lws(b, i + name_len);
            let mut value = None;
            if b.get(i) == Some(&b'=') {
                i = skip_lws(b, i + 1);
                if b.get(i) == Some(&b'"') {
                    let len = crate::scan::quoted_end(b.get(i..).unwrap_or_default())?;
                    // Without its quotes, as the general path returns it.
                    value = Some(raw.get(i + 1..i + len - 1)?);
                    i += len;
                } else {
                    let len = run(b, i, &VALUE_CHAR);
                    if len == 0 {
                        return None;
                    }
                    value = Some(raw.get(i..i + len)?);
                    i += len;
                }
                i = skip_lws(b, i);
            }
            // The parameter is whole only when ';' or the end follows.
            if !matches!(b.get(i), None | Some(b';')) {
                return None;
            }
            if name.eq_ignore_ascii_case(want) {
                return Some(Some(value));
            }
        }
        Some(None)
    }

    /// True if the parameter is present (with or without a value).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every parameter in order as (name, value).
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
        let mut rest = self.raw;
        std::iter::from_fn(move || loop {
            if rest.is_empty() {
                return None;
            }
            let (one, next) = split_param(rest);
            rest = next;
            if let Some(p) = parse_param(one) {
                return Some(p);
            }
        })
    }

    /// True when every parameter has a non-empty token name (`;;` or `;=x` are not), values
    /// are tokens, quoted strings or host-like text, and quotes are balanced
    /// (RFC 3261 §25.1 generic-param; RFC 4475 §3.1.2.1). One pass over the bytes.
    pub fn is_well_formed(&self) -> bool {
        self.scan(None).is_some()
    }

    /// [`Params::is_well_formed`] and [`Params::get`] of `want` in one pass: `None` when
    /// malformed, otherwise what `get(want)` returns.
    pub(crate) fn well_formed_get(&self, want: &str) -> Option<Option<Option<&'a str>>> {
        self.scan(Some(want))
    }

    /// The pass behind [`Params::is_well_formed`], noting the first parameter named `want`
    /// (inlined, so that without `want` nothing of the noting is left).
    #[inline(always)]
    fn scan(&self, want: Option<&str>) -> Option<Option<Option<&'a str>>> {
        let raw = self.raw;
        let b = raw.as_bytes();
        let mut found = None;
        let mut i = skip_lws(b, 0);
        while let Some(&c) = b.get(i) {
            if c != b';' {
                return None;
            }
            i = skip_lws(b, i + 1);
            let name_len = run(b, i, &TOKEN_CHAR);
            if name_len == 0 {
                return None;
            }
            let name_at = i;
            i = skip_lws(b, i + name_len);
            let mut value = None;
            if b.get(i) == Some(&b'=') {
                i = skip_lws(b, i + 1);
                if b.get(i) == Some(&b'"') {
                    let len = crate::scan::quoted_end(b.get(i..).unwrap_or_default())?;
                    // Without its quotes, as `get` returns it.
                    value = raw.get(i + 1..i + len - 1);
                    i += len;
                } else {
                    let len = run(b, i, &VALUE_CHAR);
                    if len == 0 {
                        return None;
                    }
                    value = raw.get(i..i + len);
                    i += len;
                }
                i = skip_lws(b, i);
            }
            if let (None, Some(want)) = (&found, want) {
                let name = raw.get(name_at..name_at + name_len).unwrap_or_default();
                if name.eq_ignore_ascii_case(want) {
                    found = Some(value);
                }
            }
        }
        Some(found)
    }
}

/// Length of the run of bytes from `i` that `table` accepts.
fn run(b: &[u8], i: usize, table: &[bool; 256]) -> usize {
    let rest = b.get(i..).unwrap_or_default();
    rest.iter()
        .position(|&c| !table[usize::from(c)])
        .unwrap_or(rest.len())
}

fn skip_lws(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(&c) if crate::scan::is_lws(c) => i + run(b, i, &LWS),
        _ => i,
    }
}

/// Byte-class tables for the scanners above.
static TOKEN_CHAR: [bool; 256] = table(0);
static VALUE_CHAR: [bool; 256] = table(1);
static LWS: [bool; 256] = table(2);

const fn table(class: u8) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let token = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        t[i] = match class {
            0 => token,
            1 => {
                token
                    || matches!(
                        b,
                        b'[' | b']' | b':' | b'/' | b'@' | b'&' | b'$' | b'=' | b'(' | b')'
                    )
            }
            _ => matches!(b, b' ' | b'\t' | b'\r' | b'\n'),
        };
        i += 1;
    }
    t
}

/// A gen-value character outside quotes: token, host (IPv6 reference included) or
/// uri-parameter text.
#[cfg(test)]
fn is_value_char(b: u8) -> bool {
    crate::scan::is_token_char(b)
        || matches!(
            b,
            b'[' | b']' | b':' | b'/' | b'@' | b'&' | b'$' | b'=' | b'(' | b')'
        )
}

/// Split off the first parameter (starting at its `;`) at the next `;` outside quotes.
fn split_param(s: &str) -> (&str, &str) {
    let bytes = s.as_bytes();
    let start = usize::from(bytes.first() == Some(&b';'));
    // An unterminated quote, like a missing ';', leaves one parameter.
    match crate::scan::find_unquoted(bytes.get(start..).unwrap_or_default(), b';', false) {
        Some(j) => (
            s.get(..start + j).unwrap_or(s),
            s.get(start + j..).unwrap_or(""),
        ),
        None => (s, ""),
    }
}

/// `;name[=value]` to (name, value), LWS trimmed, quotes removed; `None` for an empty name.
fn parse_param(one: &str) -> Option<(&str, Option<&str>)> {
    let body = crate::scan::trim_lws(one.strip_prefix(';').unwrap_or(one));
    let (name, value) = match crate::scan::split_once_byte(body, b'=') {
        Some((n, v)) => (crate::scan::trim_lws(n), Some(crate::scan::trim_lws(v))),
        None => (body, None),
    };
    if name.is_empty() {
        return None;
    }
    let value = value.map(|v| match v.strip_prefix('"') {
        Some(inner) => inner.strip_suffix('"').unwrap_or(inner),
        None => v,
    });
    Some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_and_iter() {
        let p = Params::new(";branch=z9hG4bK1;rport;received=192.0.2.1;X=\"a;b\"");
        assert_eq!(p.get("branch"), Some(Some("z9hG4bK1")));
        assert_eq!(p.get("RPORT"), Some(None));
        assert_eq!(p.get("x"), Some(Some("a;b")));
        assert_eq!(p.get("maddr"), None);
        assert!(p.contains("received"));
        assert_eq!(p.iter().count(), 4);
        assert!(p.is_well_formed());
    }

    #[test]
    fn lws_around_separators() {
        let p = Params::new(";\r\n  tag = 98asjd8 ; q = 0.33");
        assert_eq!(p.get("tag"), Some(Some("98asjd8")));
        assert_eq!(p.get("q"), Some(Some("0.33")));
        assert!(p.is_well_formed());
    }

    #[test]
    fn tables_match_predicates() {
        for b in 0..=255u8 {
            let i = usize::from(b);
            assert_eq!(TOKEN_CHAR[i], crate::scan::is_token_char(b), "{b}");
            assert_eq!(VALUE_CHAR[i], is_value_char(b), "{b}");
            assert_eq!(LWS[i], crate::scan::is_lws(b), "{b}");
        }
        let p = Params::new(";a=\"x;y\";b;c=\"open");
        let v: Vec<_> = p.iter().collect();
        assert_eq!(v, [("a", Some("x;y")), ("b", None), ("c", Some("open"))]);
    }

    #[test]
    fn fast_get_agrees_with_general() {
        let texts = [
            "",
            ";branch=z9hG4bK1;rport",
            ";BRANCH = \"a;b\" ; rport",
            ";rport;branch",
            ";a=\"x\"y;branch=1",
            ";;branch=2",
            ";branch=1;;",
            ";a=\"open;branch=3",
            ";a=;branch=4",
            " ;branch=5",
            ";branch=\"\"",
            ";x=[::1];branch=6 ",
            ";branch=a b",
            ";branch=a\r\n ;rport",
            "junk;branch=7",
        ];
        let mut fast = 0;
        for t in texts {
            let p = Params::new(t);
            for name in ["branch", "rport", "a", "x", "nope"] {
                fast += usize::from(p.get_well_formed(name).is_some());
                assert_eq!(p.get(name), p.get_general(name), "{t:?} {name}");
                // The one-pass check-and-get: malformed, or what `get` says.
                let expected = p.is_well_formed().then(|| p.get(name));
                assert_eq!(p.well_formed_get(name), expected, "{t:?} {name}");
            }
        }
        assert!(fast > 20, "{fast}");
    }

    #[test]
    fn malformed() {
        assert!(!Params::new(";;").is_well_formed());
        assert!(!Params::new(";;;;").is_well_formed());
        assert!(!Params::new(";=x").is_well_formed());
        assert!(!Params::new(";a=\"open").is_well_formed());
        assert!(!Params::new(";a=").is_well_formed());
        assert!(Params::new("").is_well_formed());
        assert!(Params::new(";received=[2001:db8::9:255]").is_well_formed());
        assert_eq!(Params::new(";;a").iter().count(), 1);
    }
}
