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
        let _ = name;
        todo!("sip-types helper fills this")
    }

    /// True if the parameter is present (with or without a value).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every parameter in order as (name, value).
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
        std::iter::from_fn(|| todo!("sip-types helper fills this"))
    }
}
