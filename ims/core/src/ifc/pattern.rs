//! Regular expressions of SPTs (TS 29.228 Annex B.2.2: RequestURI, SIPHeader Content,
//! SessionDescription Content), compiled once with size limits.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::{Regex, RegexBuilder};

use super::error::IfcError;

/// Compiled patterns kept for reuse, at most this many. Every user of a service profile
/// carries the profile's SPTs, and a registration parses its profile afresh: one compiled
/// program per distinct pattern (a `Regex` clone shares it) saves both the compile and
/// the memory per user.
const SHARED_MAX: usize = 4096;

fn shared() -> &'static Mutex<HashMap<Box<str>, Regex>> {
    static SHARED: OnceLock<Mutex<HashMap<Box<str>, Regex>>> = OnceLock::new();
    SHARED.get_or_init(Mutex::default)
}

/// Compiled-program size limit per pattern: bounds memory for hostile profiles.
const SIZE_LIMIT: usize = 1 << 20;
/// Nesting limit per pattern.
const NEST_LIMIT: u32 = 64;

/// A regular expression kept with its source text. Matching is a search (unanchored), as
/// POSIX `regexec` does; anchor with `^`/`$` in the pattern. The `regex` crate matches in
/// linear time, so a hostile pattern cannot stall the S-CSCF.
#[derive(Clone)]
pub struct Pattern {
    /// The compiled program; its `as_str` is the source text.
    regex: Regex,
}

impl Pattern {
    /// Compile `source`; `element` names the XML element for the error.
    pub fn new(source: &str, element: &'static str) -> Result<Self, IfcError> {
        let known = shared().lock().ok().and_then(|m| m.get(source).cloned());
        let regex = match known {
            Some(regex) => regex,
            None => {
                let regex = RegexBuilder::new(source)
                    .size_limit(SIZE_LIMIT)
                    .nest_limit(NEST_LIMIT)
                    .build()
                    .map_err(|_| IfcError::BadRegex { element })?;
                if let Ok(mut m) = shared().lock() {
                    // Past the bound, start over: the patterns in use come back on their
                    // users' next registration.
                    if m.len() >= SHARED_MAX {
                        m.clear();
                    }
                    m.insert(source.into(), regex.clone());
                }
                regex
            }
        };
        Ok(Self { regex })
    }

    /// The source text.
    pub fn as_str(&self) -> &str {
        self.regex.as_str()
    }

    /// True when the pattern occurs in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pattern({:?})", self.as_str())
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Pattern {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_semantics_and_errors() {
        let p = Pattern::new("@example\\.com", "RequestURI").unwrap();
        assert!(p.is_match("sip:alice@example.com;user=phone"));
        assert!(!p.is_match("sip:alice@example.org"));
        assert_eq!(p.as_str(), "@example\\.com");
        assert_eq!(
            Pattern::new("(unclosed", "Content").unwrap_err(),
            IfcError::BadRegex { element: "Content" }
        );
        // A pattern whose program would exceed the size limit is refused, not compiled.
        assert!(Pattern::new("(a{1000}){1000}", "Content").is_err());
        // The same source again: the compiled program is shared, and matches the same.
        let again = Pattern::new("@example\\.com", "RequestURI").unwrap();
        assert_eq!(again, p);
        assert!(again.is_match("sip:bob@example.com"));
        assert!(shared().lock().unwrap().contains_key("@example\\.com"));
    }
}
