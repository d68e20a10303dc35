//! Edit lists: a proxy's changes to a message, applied once when it is written out, so the
//! untouched bytes are spliced through and nothing is re-serialised.

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use crate::header_name::HeaderName;
use crate::message::{HeaderValue, Message};

/// Ordered, non-overlapping replacements of byte ranges of one message. An insertion is an
/// empty range; a removal is an empty replacement.
#[derive(Debug, Clone, Default)]
pub struct Edits {
    ops: Vec<(Range<usize>, Bytes)>,
}

impl Edits {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when nothing is to change.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Replace `range` of the original buffer with `with`.
    pub fn replace(&mut self, range: Range<usize>, with: impl Into<Bytes>) -> &mut Self {
        self.ops.push((range, with.into()));
        self
    }

    /// Insert `bytes` at offset `at` of the original buffer.
    pub fn insert(&mut self, at: usize, bytes: impl Into<Bytes>) -> &mut Self {
        self.replace(at..at, bytes)
    }

    /// Remove `range` of the original buffer.
    pub fn remove(&mut self, range: Range<usize>) -> &mut Self {
        self.replace(range, Bytes::new())
    }

    /// Insert a header line `Name: value\r\n` before every other header (e.g. a new Via or
    /// Record-Route). Several calls keep their call order.
    pub fn prepend_header(&mut self, msg: &Message, name: HeaderName, value: &str) -> &mut Self {
        let _ = (msg, name, value);
        todo!("sip-types helper fills this")
    }

    /// Append a header line at the end of the header section.
    pub fn append_header(&mut self, msg: &Message, name: &str, value: &str) -> &mut Self {
        let _ = (msg, name, value);
        todo!("sip-types helper fills this")
    }

    /// Remove one comma-separated value (e.g. the top Via or Route): the whole line when it is
    /// alone on it, otherwise the value and its comma.
    pub fn remove_value(&mut self, msg: &Message, value: &HeaderValue<'_>) -> &mut Self {
        let _ = (msg, value);
        todo!("sip-types helper fills this")
    }

    /// Remove every line of a header.
    pub fn remove_header(&mut self, msg: &Message, name: HeaderName) -> &mut Self {
        let _ = (msg, name);
        todo!("sip-types helper fills this")
    }

    /// Replace the Request-URI of a request.
    pub fn replace_request_uri(&mut self, msg: &Message, uri: &str) -> &mut Self {
        let _ = (msg, uri);
        todo!("sip-types helper fills this")
    }

    /// Apply to `msg`, writing the result into `out`. Ops are sorted by offset (stable for
    /// equal offsets); overlapping ops are a caller bug and are skipped.
    pub fn write(&self, msg: &Message, out: &mut BytesMut) {
        let _ = (msg, out, &self.ops);
        todo!("sip-types helper fills this")
    }

    /// Apply to `msg` and return the new bytes (the original buffer when there is no edit).
    pub fn apply(&self, msg: &Message) -> Bytes {
        let _ = msg;
        todo!("sip-types helper fills this")
    }
}
