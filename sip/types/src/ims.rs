//! IMS headers (RFC 7315 P-headers, RFC 3327 Path, RFC 3608 Service-Route, RFC 3329
//! Security-*, RFC 6665 Event/Subscription-State, RFC 3325 P-Asserted-Identity): typed views.
