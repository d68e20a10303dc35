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
        let _ = token;
        todo!("sip-types helper fills this")
    }

    /// The method's text.
    pub fn as_str(&self) -> &str {
        let _ = &self.0;
        todo!("sip-types helper fills this")
    }
}
