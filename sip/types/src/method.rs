//! Request methods (RFC 3261 §7.1): an open set; unknown tokens are values, not errors.

use bytes::Bytes;

/// A SIP method. Case-sensitive (RFC 3261 §7.1). Known methods are consts; any other token
/// is kept as its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Method(Repr);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr {
    Known(u8),
    Other(Bytes),
}

impl Method {
    /// INVITE
    pub const INVITE: Self = Self(Repr::Known(0));
    /// ACK
    pub const ACK: Self = Self(Repr::Known(1));
    /// BYE
    pub const BYE: Self = Self(Repr::Known(2));
    /// CANCEL
    pub const CANCEL: Self = Self(Repr::Known(3));
    /// OPTIONS
    pub const OPTIONS: Self = Self(Repr::Known(4));
    /// REGISTER
    pub const REGISTER: Self = Self(Repr::Known(5));
    /// PRACK (RFC 3262)
    pub const PRACK: Self = Self(Repr::Known(6));
    /// SUBSCRIBE (RFC 6665)
    pub const SUBSCRIBE: Self = Self(Repr::Known(7));
    /// NOTIFY (RFC 6665)
    pub const NOTIFY: Self = Self(Repr::Known(8));
    /// PUBLISH (RFC 3903)
    pub const PUBLISH: Self = Self(Repr::Known(9));
    /// INFO (RFC 6086)
    pub const INFO: Self = Self(Repr::Known(10));
    /// REFER (RFC 3515)
    pub const REFER: Self = Self(Repr::Known(11));
    /// MESSAGE (RFC 3428)
    pub const MESSAGE: Self = Self(Repr::Known(12));
    /// UPDATE (RFC 3311)
    pub const UPDATE: Self = Self(Repr::Known(13));

    /// The method for a token (must already be a valid RFC 3261 token).
    pub fn from_token(token: &[u8]) -> Self {
        Self::known(token).unwrap_or_else(|| Self(Repr::Other(Bytes::copy_from_slice(token))))
    }

    /// Like [`Method::from_token`] but keeps an unknown token as a zero-copy slice of `buf`.
    pub fn from_slice(buf: &Bytes) -> Self {
        Self::known(buf).unwrap_or_else(|| Self(Repr::Other(buf.clone())))
    }

    fn known(token: &[u8]) -> Option<Self> {
        // Case-sensitive (RFC 3261 §7.1); length first keeps the scan short.
        NAMES
            .iter()
            .position(|n| n.len() == token.len() && n.as_bytes() == token)
            .and_then(|i| u8::try_from(i).ok())
            .map(|i| Self(Repr::Known(i)))
    }

    /// The method's text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Known(i) => NAMES.get(usize::from(*i)).copied().unwrap_or(""),
            Repr::Other(b) => std::str::from_utf8(b).unwrap_or(""),
        }
    }

    /// True for a method this crate names with a const.
    pub fn is_known(&self) -> bool {
        matches!(self.0, Repr::Known(_))
    }
}

/// Method texts in the order of the `Known` ids above.
const NAMES: [&str; 14] = [
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "REGISTER",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "PUBLISH",
    "INFO",
    "REFER",
    "MESSAGE",
    "UPDATE",
];

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_other() {
        assert_eq!(Method::from_token(b"INVITE"), Method::INVITE);
        assert_eq!(Method::from_token(b"UPDATE"), Method::UPDATE);
        assert_eq!(Method::REGISTER.as_str(), "REGISTER");
        assert_eq!(Method::MESSAGE.as_str(), "MESSAGE");
        let m = Method::from_token(b"invite");
        assert_ne!(m, Method::INVITE);
        assert_eq!(m.as_str(), "invite");
        assert!(!m.is_known());
        let esc = Method::from_token(b"RE%47IST%45R");
        assert_ne!(esc, Method::REGISTER);
        assert_eq!(Method::from_slice(&Bytes::from_static(b"BYE")), Method::BYE);
        assert_eq!(
            Method::from_slice(&Bytes::from_static(b"FOO")).as_str(),
            "FOO"
        );
    }
}
