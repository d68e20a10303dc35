//! Header names: case-insensitive, with RFC 3261 §7.3.3 compact forms, declared once in a table.

/// A header name known to this crate, or [`HeaderName::OTHER`] for any other name (whose text
/// stays in the message buffer; see [`crate::Header::name_str`]).
///
/// Known names are declared once in a table (long form, compact form); lookups are
/// case-insensitive and map compact forms (`v`, `i`, `m`, `f`, `t`, `l`, `c`, `k`, `s`, `e`, `o`,
/// `u`, `r`, `b`, `x`, `y`, `a`, `j`, `d`, `n`) to the long form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HeaderName(u16);

// The sip-types helper defines the table and these consts with a declarative macro; the list
// below is the contract other crates rely on.
impl HeaderName {
    /// Any header not in the table.
    pub const OTHER: Self = Self(0);
    /// Via (v)
    pub const VIA: Self = Self(1);
    /// From (f)
    pub const FROM: Self = Self(2);
    /// To (t)
    pub const TO: Self = Self(3);
    /// Call-ID (i)
    pub const CALL_ID: Self = Self(4);
    /// CSeq
    pub const CSEQ: Self = Self(5);
    /// Max-Forwards
    pub const MAX_FORWARDS: Self = Self(6);
    /// Contact (m)
    pub const CONTACT: Self = Self(7);
    /// Content-Length (l)
    pub const CONTENT_LENGTH: Self = Self(8);
    /// Content-Type (c)
    pub const CONTENT_TYPE: Self = Self(9);
    /// Route
    pub const ROUTE: Self = Self(10);
    /// Record-Route
    pub const RECORD_ROUTE: Self = Self(11);
    /// Path
    pub const PATH: Self = Self(12);
    /// Service-Route
    pub const SERVICE_ROUTE: Self = Self(13);
    /// Expires
    pub const EXPIRES: Self = Self(14);
    /// Authorization
    pub const AUTHORIZATION: Self = Self(15);
    /// WWW-Authenticate
    pub const WWW_AUTHENTICATE: Self = Self(16);
    /// Proxy-Authenticate
    pub const PROXY_AUTHENTICATE: Self = Self(17);
    /// Proxy-Authorization
    pub const PROXY_AUTHORIZATION: Self = Self(18);
    /// Authentication-Info
    pub const AUTHENTICATION_INFO: Self = Self(19);
    /// Supported (k)
    pub const SUPPORTED: Self = Self(20);
    /// Require
    pub const REQUIRE: Self = Self(21);
    /// Proxy-Require
    pub const PROXY_REQUIRE: Self = Self(22);
    /// Unsupported
    pub const UNSUPPORTED: Self = Self(23);
    /// Allow
    pub const ALLOW: Self = Self(24);
    /// Event (o)
    pub const EVENT: Self = Self(25);
    /// Subscription-State
    pub const SUBSCRIPTION_STATE: Self = Self(26);
    /// Security-Client
    pub const SECURITY_CLIENT: Self = Self(27);
    /// Security-Server
    pub const SECURITY_SERVER: Self = Self(28);
    /// Security-Verify
    pub const SECURITY_VERIFY: Self = Self(29);
    /// P-Asserted-Identity
    pub const P_ASSERTED_IDENTITY: Self = Self(30);
    /// P-Preferred-Identity
    pub const P_PREFERRED_IDENTITY: Self = Self(31);
    /// P-Associated-URI
    pub const P_ASSOCIATED_URI: Self = Self(32);
    /// P-Visited-Network-ID
    pub const P_VISITED_NETWORK_ID: Self = Self(33);
    /// P-Charging-Vector
    pub const P_CHARGING_VECTOR: Self = Self(34);
    /// P-Charging-Function-Addresses
    pub const P_CHARGING_FUNCTION_ADDRESSES: Self = Self(35);
    /// P-Access-Network-Info
    pub const P_ACCESS_NETWORK_INFO: Self = Self(36);
    /// Subject (s)
    pub const SUBJECT: Self = Self(37);
    /// Content-Encoding (e)
    pub const CONTENT_ENCODING: Self = Self(38);
    /// Refer-To (r)
    pub const REFER_TO: Self = Self(39);
    /// Referred-By (b)
    pub const REFERRED_BY: Self = Self(40);
    /// Session-Expires (x)
    pub const SESSION_EXPIRES: Self = Self(41);
    /// Identity (y)
    pub const IDENTITY: Self = Self(42);
    /// Accept-Contact (a)
    pub const ACCEPT_CONTACT: Self = Self(43);
    /// Reject-Contact (j)
    pub const REJECT_CONTACT: Self = Self(44);
    /// Request-Disposition (d)
    pub const REQUEST_DISPOSITION: Self = Self(45);
    /// Allow-Events (u)
    pub const ALLOW_EVENTS: Self = Self(46);
    /// Accept
    pub const ACCEPT: Self = Self(47);
    /// User-Agent
    pub const USER_AGENT: Self = Self(48);
    /// Server
    pub const SERVER: Self = Self(49);
    /// Retry-After
    pub const RETRY_AFTER: Self = Self(50);
    /// Min-Expires
    pub const MIN_EXPIRES: Self = Self(51);
    /// Warning
    pub const WARNING: Self = Self(52);
    /// Date
    pub const DATE: Self = Self(53);
    /// Timestamp
    pub const TIMESTAMP: Self = Self(54);
    /// Reason
    pub const REASON: Self = Self(55);
    /// Privacy
    pub const PRIVACY: Self = Self(56);
    /// P-Called-Party-ID
    pub const P_CALLED_PARTY_ID: Self = Self(57);
    /// Feature-Caps
    pub const FEATURE_CAPS: Self = Self(58);
    /// Accept-Encoding
    pub const ACCEPT_ENCODING: Self = Self(59);
    /// Accept-Language
    pub const ACCEPT_LANGUAGE: Self = Self(60);
    /// Organization
    pub const ORGANIZATION: Self = Self(61);
    /// In-Reply-To
    pub const IN_REPLY_TO: Self = Self(62);
    /// Reply-To
    pub const REPLY_TO: Self = Self(63);
    /// Path header's sibling for GRUU etc. is not listed; add names as roles need them.
    pub const SIP_ETAG: Self = Self(64);
    /// SIP-If-Match
    pub const SIP_IF_MATCH: Self = Self(65);

    /// Look a name up case-insensitively, compact forms included; unknown names give `OTHER`.
    pub fn from_bytes(name: &[u8]) -> Self {
        let _ = name;
        todo!("sip-types helper fills this")
    }

    /// The canonical long form (`"Via"`, `"Call-ID"`...); `""` for `OTHER`.
    pub fn as_str(&self) -> &'static str {
        todo!("sip-types helper fills this")
    }

    /// The compact form, if the name has one.
    pub fn compact(&self) -> Option<char> {
        todo!("sip-types helper fills this")
    }
}
