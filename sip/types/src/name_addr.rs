//! name-addr / addr-spec with header parameters (RFC 3261 §20.10 Contact, §20.20 From, §20.39
//! To, Route, Record-Route, Path, Service-Route, P-Asserted-Identity...).

use crate::error::ParseError;
use crate::params::Params;
use crate::uri::Uri;

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
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let _ = value;
        todo!("sip-types helper fills this")
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
