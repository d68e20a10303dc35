//! Via (RFC 3261 §20.42, §18.2.1 received, RFC 3581 rport, RFC 5118 IPv6).

use crate::error::ParseError;
use crate::params::Params;
use crate::uri::Host;

/// One Via value: `SIP / 2.0 / transport sent-by *(;param)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// Transport token as written (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, or any token).
    pub transport: &'a str,
    /// sent-by host.
    pub host: Host<'a>,
    /// sent-by host as written.
    pub host_str: &'a str,
    /// sent-by port.
    pub port: Option<u16>,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// Parse one Via value.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let _ = value;
        todo!("sip-types helper fills this")
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&'a str> {
        self.params.get("branch").flatten()
    }

    /// True if the branch starts with the RFC 3261 magic cookie `z9hG4bK` (§8.1.1.7).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.len() > 7 && b.starts_with("z9hG4bK"))
    }

    /// The received parameter (brackets around IPv6 tolerated, RFC 5118 §4.5).
    pub fn received(&self) -> Option<&'a str> {
        self.params.get("received").flatten()
    }

    /// `None` if absent, `Some(None)` for a bare `rport`, `Some(Some(port))` when filled.
    pub fn rport(&self) -> Option<Option<u16>> {
        todo!("sip-types helper fills this")
    }
}
