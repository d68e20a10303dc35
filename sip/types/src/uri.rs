//! URIs: SIP/SIPS (RFC 3261 §19.1, RFC 5118 IPv6), tel (RFC 3966), and any other scheme kept
//! opaque (RFC 3261 §19.1.1 absoluteURI).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::ParseError;
use crate::params::Params;

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
        let _ = text;
        todo!("sip-types helper fills this")
    }
}

impl<'a> SipUri<'a> {
    /// Parse a `sip:`/`sips:` URI.
    pub fn parse(text: &'a str) -> Result<Self, ParseError> {
        let _ = text;
        todo!("sip-types helper fills this")
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
        todo!("sip-types helper fills this")
    }
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
