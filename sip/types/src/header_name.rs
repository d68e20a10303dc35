//! Header names: case-insensitive, with RFC 3261 §7.3.3 compact forms, declared once in a table.

/// A header name known to this crate, or [`HeaderName::OTHER`] for any other name (whose text
/// stays in the message buffer; see [`crate::Message::name_str`]).
///
/// Known names are declared once in a table (long form, compact form); lookups are
/// case-insensitive and map compact forms (`v`, `i`, `m`, `f`, `t`, `l`, `c`, `k`, `s`, `e`, `o`,
/// `u`, `r`, `b`, `x`, `y`, `a`, `j`, `d`, `n`) to the long form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HeaderName(u16);

/// Declares the consts and the lookup table from one list: `CONST = id, "Long-Form", compact;`.
/// Ids must be 1, 2, 3... in order (a unit test holds this), so `as_str` is one index.
macro_rules! header_names {
    ($( $(#[$doc:meta])* $konst:ident = $id:literal, $long:literal, $compact:expr; )*) => {
        impl HeaderName {
            $( $(#[$doc])* pub const $konst: Self = Self($id); )*
        }

        /// (name, long form, compact form), in id order.
        const TABLE: &[(HeaderName, &str, Option<u8>)] = &[
            $( (HeaderName::$konst, $long, $compact), )*
        ];
    };
}

header_names! {
    /// `Via` (compact `v`)
    VIA = 1, "Via", Some(b'v');
    /// `From` (compact `f`)
    FROM = 2, "From", Some(b'f');
    /// `To` (compact `t`)
    TO = 3, "To", Some(b't');
    /// `Call-ID` (compact `i`)
    CALL_ID = 4, "Call-ID", Some(b'i');
    /// `CSeq`
    CSEQ = 5, "CSeq", None;
    /// `Max-Forwards`
    MAX_FORWARDS = 6, "Max-Forwards", None;
    /// `Contact` (compact `m`)
    CONTACT = 7, "Contact", Some(b'm');
    /// `Content-Length` (compact `l`)
    CONTENT_LENGTH = 8, "Content-Length", Some(b'l');
    /// `Content-Type` (compact `c`)
    CONTENT_TYPE = 9, "Content-Type", Some(b'c');
    /// `Route`
    ROUTE = 10, "Route", None;
    /// `Record-Route`
    RECORD_ROUTE = 11, "Record-Route", None;
    /// `Path`
    PATH = 12, "Path", None;
    /// `Service-Route`
    SERVICE_ROUTE = 13, "Service-Route", None;
    /// `Expires`
    EXPIRES = 14, "Expires", None;
    /// `Authorization`
    AUTHORIZATION = 15, "Authorization", None;
    /// `WWW-Authenticate`
    WWW_AUTHENTICATE = 16, "WWW-Authenticate", None;
    /// `Proxy-Authenticate`
    PROXY_AUTHENTICATE = 17, "Proxy-Authenticate", None;
    /// `Proxy-Authorization`
    PROXY_AUTHORIZATION = 18, "Proxy-Authorization", None;
    /// `Authentication-Info`
    AUTHENTICATION_INFO = 19, "Authentication-Info", None;
    /// `Supported` (compact `k`)
    SUPPORTED = 20, "Supported", Some(b'k');
    /// `Require`
    REQUIRE = 21, "Require", None;
    /// `Proxy-Require`
    PROXY_REQUIRE = 22, "Proxy-Require", None;
    /// `Unsupported`
    UNSUPPORTED = 23, "Unsupported", None;
    /// `Allow`
    ALLOW = 24, "Allow", None;
    /// `Event` (compact `o`)
    EVENT = 25, "Event", Some(b'o');
    /// `Subscription-State`
    SUBSCRIPTION_STATE = 26, "Subscription-State", None;
    /// `Security-Client`
    SECURITY_CLIENT = 27, "Security-Client", None;
    /// `Security-Server`
    SECURITY_SERVER = 28, "Security-Server", None;
    /// `Security-Verify`
    SECURITY_VERIFY = 29, "Security-Verify", None;
    /// `P-Asserted-Identity`
    P_ASSERTED_IDENTITY = 30, "P-Asserted-Identity", None;
    /// `P-Preferred-Identity`
    P_PREFERRED_IDENTITY = 31, "P-Preferred-Identity", None;
    /// `P-Associated-URI`
    P_ASSOCIATED_URI = 32, "P-Associated-URI", None;
    /// `P-Visited-Network-ID`
    P_VISITED_NETWORK_ID = 33, "P-Visited-Network-ID", None;
    /// `P-Charging-Vector`
    P_CHARGING_VECTOR = 34, "P-Charging-Vector", None;
    /// `P-Charging-Function-Addresses`
    P_CHARGING_FUNCTION_ADDRESSES = 35, "P-Charging-Function-Addresses", None;
    /// `P-Access-Network-Info`
    P_ACCESS_NETWORK_INFO = 36, "P-Access-Network-Info", None;
    /// `Subject` (compact `s`)
    SUBJECT = 37, "Subject", Some(b's');
    /// `Content-Encoding` (compact `e`)
    CONTENT_ENCODING = 38, "Content-Encoding", Some(b'e');
    /// `Refer-To` (compact `r`)
    REFER_TO = 39, "Refer-To", Some(b'r');
    /// `Referred-By` (compact `b`)
    REFERRED_BY = 40, "Referred-By", Some(b'b');
    /// `Session-Expires` (compact `x`)
    SESSION_EXPIRES = 41, "Session-Expires", Some(b'x');
    /// `Identity` (compact `y`)
    IDENTITY = 42, "Identity", Some(b'y');
    /// `Accept-Contact` (compact `a`)
    ACCEPT_CONTACT = 43, "Accept-Contact", Some(b'a');
    /// `Reject-Contact` (compact `j`)
    REJECT_CONTACT = 44, "Reject-Contact", Some(b'j');
    /// `Request-Disposition` (compact `d`)
    REQUEST_DISPOSITION = 45, "Request-Disposition", Some(b'd');
    /// `Allow-Events` (compact `u`)
    ALLOW_EVENTS = 46, "Allow-Events", Some(b'u');
    /// `Accept`
    ACCEPT = 47, "Accept", None;
    /// `User-Agent`
    USER_AGENT = 48, "User-Agent", None;
    /// `Server`
    SERVER = 49, "Server", None;
    /// `Retry-After`
    RETRY_AFTER = 50, "Retry-After", None;
    /// `Min-Expires`
    MIN_EXPIRES = 51, "Min-Expires", None;
    /// `Warning`
    WARNING = 52, "Warning", None;
    /// `Date`
    DATE = 53, "Date", None;
    /// `Timestamp`
    TIMESTAMP = 54, "Timestamp", None;
    /// `Reason`
    REASON = 55, "Reason", None;
    /// `Privacy`
    PRIVACY = 56, "Privacy", None;
    /// `P-Called-Party-ID`
    P_CALLED_PARTY_ID = 57, "P-Called-Party-ID", None;
    /// `Feature-Caps`
    FEATURE_CAPS = 58, "Feature-Caps", None;
    /// `Accept-Encoding`
    ACCEPT_ENCODING = 59, "Accept-Encoding", None;
    /// `Accept-Language`
    ACCEPT_LANGUAGE = 60, "Accept-Language", None;
    /// `Organization`
    ORGANIZATION = 61, "Organization", None;
    /// `In-Reply-To`
    IN_REPLY_TO = 62, "In-Reply-To", None;
    /// `Reply-To`
    REPLY_TO = 63, "Reply-To", None;
    /// `SIP-ETag`
    SIP_ETAG = 64, "SIP-ETag", None;
    /// `SIP-If-Match`
    SIP_IF_MATCH = 65, "SIP-If-Match", None;
    /// `Identity-Info` (compact `n`)
    IDENTITY_INFO = 66, "Identity-Info", Some(b'n');
    /// `RSeq`
    RSEQ = 67, "RSeq", None;
    /// `RAck`
    RACK = 68, "RAck", None;
    /// `Min-SE`
    MIN_SE = 69, "Min-SE", None;
    /// `P-Served-User`
    P_SERVED_USER = 70, "P-Served-User", None;
    /// `P-Early-Media`
    P_EARLY_MEDIA = 71, "P-Early-Media", None;
}

/// Compact form letter (`a`..=`z`) to id, 0 when the letter is not a compact form.
const COMPACT: [u16; 26] = {
    let mut map = [0u16; 26];
    let mut i = 0;
    while i < TABLE.len() {
        if let Some(c) = TABLE[i].2 {
            map[(c - b'a') as usize] = TABLE[i].0 .0;
        }
        i += 1;
    }
    map
};

/// Longest long form this index covers (`P-Charging-Function-Addresses` is 29).
const MAX_LEN: usize = 32;

const N: usize = TABLE.len();

/// `LEN_START[n + 1] - LEN_START[n]` known names have length `n` (a quick reject by length).
const LEN_START: [u8; MAX_LEN + 2] = {
    let mut start = [0u8; MAX_LEN + 2];
    let mut i = 0;
    while i < N {
        let len = TABLE[i].1.len();
        assert!(len <= MAX_LEN && N < 256);
        start[len + 1] += 1;
        i += 1;
    }
    let mut j = 1;
    while j < MAX_LEN + 2 {
        start[j] += start[j - 1];
        j += 1;
    }
    start
};

/// Bits 5 of every byte: OR-ing them folds a token to lower case. For token characters OR
/// 0x20 is an injective case fold (letters lower-case; every other token character already has
/// bit 5 set, and its partner without it is not a token character).
const FOLD: u64 = 0x2020_2020_2020_2020;

/// The lookup key of a name: its first and last eight bytes (overlapping) as little-endian
/// words, OR 0x20; for names shorter than eight bytes the bytes themselves in the first word.
/// Two names of the same length up to 16 bytes are equal under the fold iff their keys are.
const fn key_of(name: &[u8]) -> (u64, u64) {
    let n = name.len();
    if n >= 8 {
        let mut first = 0u64;
        let mut last = 0u64;
        let mut k = 0;
        while k < 8 {
            first |= (name[k] as u64) << (8 * k);
            last |= (name[n - 8 + k] as u64) << (8 * k);
            k += 1;
        }
        (first | FOLD, last | FOLD)
    } else {
        let mut first = 0u64;
        let mut k = 0;
        while k < n {
            first |= ((name[k] | 0x20) as u64) << (8 * k);
            k += 1;
        }
        (first, 0)
    }
}

/// [`key_of`] at run time, without a byte loop for names of eight bytes or more.
fn runtime_key(name: &[u8]) -> (u64, u64) {
    let n = name.len();
    let word = |s: Option<&[u8]>| {
        s.and_then(|s| <[u8; 8]>::try_from(s).ok())
            .map_or(0, u64::from_le_bytes)
    };
    if n >= 8 {
        (word(name.get(..8)) | FOLD, word(name.get(n - 8..)) | FOLD)
    } else {
        let mut first = 0u64;
        for (k, &c) in name.iter().enumerate() {
            first |= u64::from(c | 0x20) << (8 * k);
        }
        (first, 0)
    }
}

/// Open-addressing table size for [`HASHED`] (a power of two, under a third full).
const SLOTS: usize = 256;

/// The slot a (key, length) pair hashes to.
const fn slot_of(key: (u64, u64), len: usize) -> usize {
    let mixed = (key.0 ^ key.1.rotate_left(23) ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 56) as usize
}

/// Table index + 1 of each long form at its [`slot_of`] (linear probing), 0 for empty, so a
/// lookup is usually one key compare.
static HASHED: [u8; SLOTS] = {
    let mut out = [0u8; SLOTS];
    let mut i = 0;
    while i < N {
        let name = TABLE[i].1.as_bytes();
        let mut s = slot_of(key_of(name), name.len());
        while out[s] != 0 {
            s = (s + 1) % SLOTS;
        }
        out[s] = (i + 1) as u8;
        i += 1;
    }
    out
};

/// [`key_of`] of each long form, in table order.
static KEYS_BY_ID: [(u64, u64); N] = {
    let mut out = [(0u64, 0u64); N];
    let mut i = 0;
    while i < N {
        out[i] = key_of(TABLE[i].1.as_bytes());
        i += 1;
    }
    out
};

impl HeaderName {
    /// Any header not in the table.
    pub const OTHER: Self = Self(0);

    /// Look a name up case-insensitively, compact forms included; unknown names give `OTHER`.
    pub fn from_bytes(name: &[u8]) -> Self {
        // No known name holds a non-token byte.
        if !name.iter().all(|&c| crate::scan::is_token_char(c)) {
            return Self::OTHER;
        }
        Self::from_token(name)
    }

    /// [`HeaderName::from_bytes`] for a name already checked to be a token (the parser's
    /// case): no per-byte check, the name is folded eight bytes at a time.
    pub(crate) fn from_token(name: &[u8]) -> Self {
        if let [c] = name {
            let lower = c.to_ascii_lowercase();
            if lower.is_ascii_lowercase() {
                return COMPACT
                    .get(usize::from(lower - b'a'))
                    .map_or(Self::OTHER, |&id| Self(id));
            }
            return Self::OTHER;
        }
        let len = name.len();
        let (Some(&start), Some(&end)) = (LEN_START.get(len), LEN_START.get(len + 1)) else {
            return Self::OTHER;
        };
        if start == end {
            return Self::OTHER;
        }
        let key = runtime_key(name);
        let mut slot = slot_of(key, len);
        for _ in 0..SLOTS {
            let i = match HASHED.get(slot) {
                Some(&e) if e != 0 => usize::from(e - 1),
                _ => break,
            };
            if let (Some(entry), Some(k)) = (TABLE.get(i), KEYS_BY_ID.get(i)) {
                // Keys cover 16 bytes; longer names compare the rest.
                let long = entry.1.as_bytes();
                if *k == key
                    && long.len() == len
                    && (len <= 16 || long.iter().zip(name).all(|(a, b)| a | 0x20 == b | 0x20))
                {
                    return entry.0;
                }
            }
            slot = (slot + 1) % SLOTS;
        }
        Self::OTHER
    }

    /// The table id (0 for `OTHER`).
    pub(crate) fn id(self) -> u16 {
        self.0
    }

    /// The canonical long form (`"Via"`, `"Call-ID"`...); `""` for `OTHER`.
    pub fn as_str(&self) -> &'static str {
        match usize::from(self.0)
            .checked_sub(1)
            .and_then(|i| TABLE.get(i))
        {
            Some((_, long, _)) => long,
            None => "",
        }
    }

    /// The compact form, if the name has one.
    pub fn compact(&self) -> Option<char> {
        usize::from(self.0)
            .checked_sub(1)
            .and_then(|i| TABLE.get(i))
            .and_then(|(_, _, c)| c.map(char::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_table_order() {
        for (i, (hn, long, _)) in TABLE.iter().enumerate() {
            assert_eq!(usize::from(hn.0), i + 1, "{long}");
            assert_eq!(HeaderName::from_bytes(long.as_bytes()), *hn);
            assert_eq!(
                HeaderName::from_bytes(long.to_ascii_uppercase().as_bytes()),
                *hn
            );
            assert_eq!(hn.as_str(), *long);
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(HeaderName::from_bytes(b"v"), HeaderName::VIA);
        assert_eq!(HeaderName::from_bytes(b"V"), HeaderName::VIA);
        assert_eq!(HeaderName::from_bytes(b"i"), HeaderName::CALL_ID);
        assert_eq!(HeaderName::from_bytes(b"L"), HeaderName::CONTENT_LENGTH);
        assert_eq!(HeaderName::from_bytes(b"n"), HeaderName::IDENTITY_INFO);
        assert_eq!(HeaderName::from_bytes(b"q"), HeaderName::OTHER);
        assert_eq!(HeaderName::from_bytes(b"7"), HeaderName::OTHER);
        assert_eq!(HeaderName::from_bytes(b""), HeaderName::OTHER);
        assert_eq!(HeaderName::from_bytes(b"cAlL-iD"), HeaderName::CALL_ID);
        assert_eq!(HeaderName::from_bytes(b"C%6Fntact"), HeaderName::OTHER);
        assert_eq!(HeaderName::from_bytes(b"X-Custom"), HeaderName::OTHER);
        // OR 0x20 would map CR to '-': non-token bytes must never match a known name.
        assert_eq!(HeaderName::from_bytes(b"Call\rID"), HeaderName::OTHER);
        assert_eq!(HeaderName::from_bytes(b"Call-ID "), HeaderName::OTHER);
        assert_eq!(
            HeaderName::from_bytes(b"P-CHARGING-FUNCTION-ADDRESSES"),
            HeaderName::P_CHARGING_FUNCTION_ADDRESSES
        );
        assert_eq!(HeaderName::from_bytes(&[b'a'; 40]), HeaderName::OTHER);
        assert_eq!(HeaderName::CONTACT.compact(), Some('m'));
        assert_eq!(HeaderName::CSEQ.compact(), None);
        assert_eq!(HeaderName::OTHER.as_str(), "");
        assert_eq!(HeaderName::OTHER.compact(), None);
        assert_eq!(HeaderName::P_CHARGING_VECTOR.as_str(), "P-Charging-Vector");
    }
}
