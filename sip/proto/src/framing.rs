//! RFC 3261 §18.3 stream framing (Content-Length), CRLF keep-alives (RFC 5626 §4.4.1), size cap.
