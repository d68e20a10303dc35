//! Proxy rules (RFC 3261 §16): validation, routing, Record-Route, forking, response selection.
