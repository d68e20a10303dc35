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
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
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
        let b = self.raw.as_bytes();
        let mut i = skip_lws(b, 0);
        while let Some(&c) = b.get(i) {
            if c != b';' {
                return false;
            }
            i = skip_lws(b, i + 1);
            let name_len = run(b, i, &TOKEN_CHAR);
            if name_len == 0 {
                return false;
            }
            i = skip_lws(b, i + name_len);
            if b.get(i) == Some(&b'=') {
                i = skip_lws(b, i + 1);
                if b.get(i) == Some(&b'"') {
                    match crate::scan::quoted_end(b.get(i..).unwrap_or_default()) {
                        Some(len) => i += len,
                        None => return false,
                    }
                } else {
                    let value_len = run(b, i, &VALUE_CHAR);
                    if value_len == 0 {
                        return false;
                    }
                    i += value_len;
                }
                i = skip_lws(b, i);
            }
        }
        true
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
    // Parameters are short: a byte loop beats memchr's setup.
    let mut i = start;
    while let Some(&c) = bytes.get(i) {
        match c {
            b';' => return (s.get(..i).unwrap_or(s), s.get(i..).unwrap_or("")),
            b'"' => match crate::scan::quoted_end(bytes.get(i..).unwrap_or_default()) {
                Some(len) => i += len,
                None => return (s, ""),
            },
            _ => i += 1,
        }
    }
    (s, "")
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
