//! Status codes (RFC 3261 §21): an open newtype with consts and default reason phrases.

/// A SIP status code, 100..=699.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(pub u16);

impl StatusCode {
    /// 100 Trying
    pub const TRYING: Self = Self(100);
    /// 180 Ringing
    pub const RINGING: Self = Self(180);
    /// 200 OK
    pub const OK: Self = Self(200);
    /// 400 Bad Request
    pub const BAD_REQUEST: Self = Self(400);
    /// 401 Unauthorized
    pub const UNAUTHORIZED: Self = Self(401);
    /// 402 Payment Required
    pub const PAYMENT_REQUIRED: Self = Self(402);
    /// 403 Forbidden
    pub const FORBIDDEN: Self = Self(403);
    /// 404 Not Found
    pub const NOT_FOUND: Self = Self(404);
    /// 407 Proxy Authentication Required
    pub const PROXY_AUTHENTICATION_REQUIRED: Self = Self(407);
    /// 408 Request Timeout
    pub const REQUEST_TIMEOUT: Self = Self(408);
    /// 416 Unsupported URI Scheme
    pub const UNSUPPORTED_URI_SCHEME: Self = Self(416);
    /// 420 Bad Extension
    pub const BAD_EXTENSION: Self = Self(420);
    /// 423 Interval Too Brief
    pub const INTERVAL_TOO_BRIEF: Self = Self(423);
    /// 480 Temporarily Unavailable
    pub const TEMPORARILY_UNAVAILABLE: Self = Self(480);
    /// 481 Call/Transaction Does Not Exist
    pub const CALL_TRANSACTION_DOES_NOT_EXIST: Self = Self(481);
    /// 482 Loop Detected
    pub const LOOP_DETECTED: Self = Self(482);
    /// 483 Too Many Hops
    pub const TOO_MANY_HOPS: Self = Self(483);
    /// 487 Request Terminated
    pub const REQUEST_TERMINATED: Self = Self(487);
    /// 500 Server Internal Error
    pub const SERVER_INTERNAL_ERROR: Self = Self(500);
    /// 501 Not Implemented
    pub const NOT_IMPLEMENTED: Self = Self(501);
    /// 502 Bad Gateway
    pub const BAD_GATEWAY: Self = Self(502);
    /// 503 Service Unavailable
    pub const SERVICE_UNAVAILABLE: Self = Self(503);
    /// 504 Server Time-out
    pub const SERVER_TIMEOUT: Self = Self(504);
    /// 505 Version Not Supported
    pub const VERSION_NOT_SUPPORTED: Self = Self(505);
    /// 603 Decline
    pub const DECLINE: Self = Self(603);

    /// 1 for 1xx ... 6 for 6xx.
    pub fn class(&self) -> u16 {
        self.0 / 100
    }

    /// 1xx
    pub fn is_provisional(&self) -> bool {
        self.class() == 1
    }

    /// 2xx
    pub fn is_success(&self) -> bool {
        self.class() == 2
    }

    /// 200..=699
    pub fn is_final(&self) -> bool {
        self.0 >= 200
    }

    /// The RFC's default reason phrase (`"OK"`, `"Not Found"`...), or `"Unknown"`.
    pub fn canonical_reason(&self) -> &'static str {
        todo!("sip-types helper fills this")
    }
}
