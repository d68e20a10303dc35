//! Regular expressions of SPTs (TS 29.228 Annex B.2.2: RequestURI, SIPHeader Content,
//! SessionDescription Content), compiled once with size limits.

use regex::{Regex, RegexBuilder};

use super::error::IfcError;

/// Compiled-program size limit per pattern: bounds memory for hostile profiles.
const SIZE_LIMIT: usize = 1 << 20;
/// Nesting limit per pattern.
const NEST_LIMIT: u32 = 64;

/// A regular expression kept with its source text. Matching is a search (unanchored), as
/// POSIX `regexec` does; anchor with `^`/`$` in the pattern. The `regex` crate matches in
/// linear time, so a hostile pattern cannot stall the S-CSCF.
#[derive(Clone)]
pub struct Pattern {
    source: String,
    regex: Regex,
}

impl Pattern {
    /// Compile `source`; `element` names the XML element for the error.
    pub fn new(source: &str, element: &'static str) -> Result<Self, IfcError> {
        let regex = RegexBuilder::new(source)
            .size_limit(SIZE_LIMIT)
            .nest_limit(NEST_LIMIT)
            .build()
            .map_err(|_| IfcError::BadRegex { element })?;
        Ok(Self {
            source: source.to_owned(),
            regex,
        })
    }

    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the pattern occurs in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
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
    }
}
