//! Transaction matching keys (RFC 3261 §17.1.3 client side, §17.2.3 server side), made of
//! zero-copy `Bytes` slices of the message, so a lookup allocates nothing (one small box for
//! RFC 2543 requests).

use bytes::{Bytes, BytesMut};
use sip_types::{HeaderName, Message, Method};

/// The key of a server transaction (RFC 3261 §17.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ServerKey {
    /// The top Via branch starts with the magic cookie `z9hG4bK`: branch, sent-by and method
    /// (ACK counted as INVITE).
    Branch {
        branch: Bytes,
        host: Bytes,
        port: Option<u16>,
        method: Method,
    },
    /// RFC 2543 peers (no magic cookie), boxed to keep the common key small.
    Legacy(Box<LegacyKey>),
}

/// RFC 3261 §17.2.3 matching for RFC 2543 peers: Request-URI, From tag, Call-ID, CSeq number
/// and the whole top Via, plus the method (ACK counted as INVITE). The To tag is left out so
/// that an ACK, whose To carries our tag, finds its INVITE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct LegacyKey {
    request_uri: Bytes,
    from_tag: Bytes,
    call_id: Bytes,
    cseq: u32,
    via: Bytes,
    method: Method,
}

impl ServerKey {
    /// The key a request matches, `None` if its top Via (or, for RFC 2543 requests, another
    /// matching field) does not parse.
    pub(crate) fn of_request(msg: &Message) -> Option<Self> {
        let method = match msg.method()? {
            m if *m == Method::ACK => Method::INVITE,
            m => m.clone(),
        };
        let via = msg.top_via().ok()?;
        // The branch comes from the parse-time cache: no parameter scan.
        let branch = msg.top_via_branch();
        if let Some(branch) = branch.filter(|b| b.len() > 7 && b.starts_with("z9hG4bK")) {
            return Some(Self::Branch {
                branch: msg.slice_of(branch),
                host: msg.slice_of(via.host_str),
                port: via.port,
                method,
            });
        }
        let via_text = msg.header_values(HeaderName::VIA).next()?.text;
        let from = msg.from().ok()?;
        Some(Self::Legacy(Box::new(LegacyKey {
            request_uri: msg.slice_of(msg.request_uri()?),
            from_tag: from.tag().map(|t| msg.slice_of(t)).unwrap_or_default(),
            call_id: msg.slice_of(msg.call_id().ok()?),
            cseq: msg.cseq().ok()?.seq,
            via: msg.slice_of(via_text),
            method,
        })))
    }

    /// The same key owning copies of its bytes, for storing: a key of slices keeps the whole
    /// received buffer alive.
    pub(crate) fn detached(&self) -> Self {
        let own = |b: &Bytes| Bytes::copy_from_slice(b);
        match self {
            Self::Branch {
                branch,
                host,
                port,
                method,
            } => {
                // One copy holding both, split into two shared handles: the stored key and the
                // transaction's clone of it then cost no allocation.
                let mut both = BytesMut::with_capacity(branch.len() + host.len());
                both.extend_from_slice(branch);
                both.extend_from_slice(host);
                let host = both.split_off(branch.len()).freeze();
                Self::Branch {
                    branch: both.freeze(),
                    host,
                    port: *port,
                    method: method.clone(),
                }
            }
            Self::Legacy(k) => Self::Legacy(Box::new(LegacyKey {
                request_uri: own(&k.request_uri),
                from_tag: own(&k.from_tag),
                call_id: own(&k.call_id),
                cseq: k.cseq,
                via: own(&k.via),
                method: k.method.clone(),
            })),
        }
    }

    /// The same key for another method: a CANCEL's key turned into its INVITE's (RFC 3261 §9.2).
    pub(crate) fn with_method(&self, method: Method) -> Self {
        let mut key = self.clone();
        match &mut key {
            Self::Branch { method: m, .. } => *m = method,
            Self::Legacy(k) => k.method = method,
        }
        key
    }
}

/// The key of a client transaction (RFC 3261 §17.1.3): our branch and the CSeq method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    branch: Bytes,
    method: Method,
}

impl ClientKey {
    /// The key of a request we send, from its branch and method.
    pub(crate) fn new(branch: Bytes, method: Method) -> Self {
        Self { branch, method }
    }

    /// The key of a request we send (its top Via carries our branch).
    pub(crate) fn of_request(msg: &Message) -> Option<Self> {
        Some(Self {
            branch: msg.slice_of(msg.top_via_branch()?),
            method: msg.method()?.clone(),
        })
    }

    /// The key a response matches: top Via branch and CSeq method.
    pub(crate) fn of_response(msg: &Message) -> Option<Self> {
        Some(Self {
            branch: msg.slice_of(msg.top_via_branch()?),
            method: msg.cseq().ok()?.method,
        })
    }
}
