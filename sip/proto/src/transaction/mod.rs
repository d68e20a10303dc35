//! The RFC 3261 §17 transaction layer (with RFC 6026 updates): four machines, timers A–M.
