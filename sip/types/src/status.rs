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
        match self.0 {
            100 => "Trying",
            180 => "Ringing",
            181 => "Call Is Being Forwarded",
            182 => "Queued",
            183 => "Session Progress",
            199 => "Early Dialog Terminated",
            200 => "OK",
            202 => "Accepted",
            204 => "No Notification",
            300 => "Multiple Choices",
            301 => "Moved Permanently",
            302 => "Moved Temporarily",
            305 => "Use Proxy",
            380 => "Alternative Service",
            400 => "Bad Request",
            401 => "Unauthorized",
            402 => "Payment Required",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            406 => "Not Acceptable",
            407 => "Proxy Authentication Required",
            408 => "Request Timeout",
            410 => "Gone",
            412 => "Conditional Request Failed",
            413 => "Request Entity Too Large",
            414 => "Request-URI Too Long",
            415 => "Unsupported Media Type",
            416 => "Unsupported URI Scheme",
            417 => "Unknown Resource-Priority",
            420 => "Bad Extension",
            421 => "Extension Required",
            422 => "Session Interval Too Small",
            423 => "Interval Too Brief",
            428 => "Use Identity Header",
            429 => "Provide Referrer Identity",
            430 => "Flow Failed",
            433 => "Anonymity Disallowed",
            436 => "Bad Identity-Info",
            437 => "Unsupported Certificate",
            438 => "Invalid Identity Header",
            439 => "First Hop Lacks Outbound Support",
            440 => "Max-Breadth Exceeded",
            469 => "Bad Info Package",
            470 => "Consent Needed",
            480 => "Temporarily Unavailable",
            481 => "Call/Transaction Does Not Exist",
            482 => "Loop Detected",
            483 => "Too Many Hops",
            484 => "Address Incomplete",
            485 => "Ambiguous",
            486 => "Busy Here",
            487 => "Request Terminated",
            488 => "Not Acceptable Here",
            489 => "Bad Event",
            491 => "Request Pending",
            493 => "Undecipherable",
            494 => "Security Agreement Required",
            500 => "Server Internal Error",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Server Time-out",
            505 => "Version Not Supported",
            513 => "Message Too Large",
            555 => "Push Notification Service Not Supported",
            580 => "Precondition Failure",
            600 => "Busy Everywhere",
            603 => "Decline",
            604 => "Does Not Exist Anywhere",
            606 => "Not Acceptable",
            607 => "Unwanted",
            608 => "Rejected",
            _ => "Unknown",
        }
    }
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0, self.canonical_reason())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_classes() {
        assert_eq!(StatusCode::OK.canonical_reason(), "OK");
        assert_eq!(
            StatusCode(481).canonical_reason(),
            "Call/Transaction Does Not Exist"
        );
        assert_eq!(
            StatusCode::VERSION_NOT_SUPPORTED.canonical_reason(),
            "Version Not Supported"
        );
        assert_eq!(StatusCode(299).canonical_reason(), "Unknown");
        assert!(StatusCode::RINGING.is_provisional());
        assert!(!StatusCode::RINGING.is_final());
        assert!(StatusCode::OK.is_success());
        assert_eq!(StatusCode::DECLINE.class(), 6);
        assert_eq!(StatusCode::NOT_FOUND.to_string(), "404 Not Found");
    }
}
