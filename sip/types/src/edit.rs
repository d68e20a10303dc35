//! Edit lists: a proxy's changes to a message, applied once when it is written out, so the
//! untouched bytes are spliced through and nothing is re-serialised.

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use crate::header_name::HeaderName;
use crate::message::{HeaderValue, Message, StartLine};

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
        self.insert(msg.headers_start(), header_line(name.as_str(), value))
    }

    /// Append a header line at the end of the header section.
    pub fn append_header(&mut self, msg: &Message, name: &str, value: &str) -> &mut Self {
        self.insert(msg.headers_end(), header_line(name, value))
    }

    /// Remove one comma-separated value (e.g. the top Via or Route): the whole line when it is
    /// alone on it, otherwise the value and its comma.
    pub fn remove_value(&mut self, msg: &Message, value: &HeaderValue<'_>) -> &mut Self {
        let Some(h) = msg.headers().get(value.header_index) else {
            return self;
        };
        if value.alone_on_line {
            return self.remove(h.line_range.clone());
        }
        let buf: &[u8] = msg.as_bytes();
        let (start, end) = value.range;
        let skip_lws = |mut i: usize| {
            while i < h.value_range.end && buf.get(i).is_some_and(|&c| crate::scan::is_lws(c)) {
                i += 1;
            }
            i
        };
        // A following comma: remove the value, the comma and the LWS up to the next value.
        let after = skip_lws(end);
        if buf.get(after) == Some(&b',') && after < h.value_range.end {
            let mut next = after;
            while next < h.value_range.end
                && buf
                    .get(next)
                    .is_some_and(|&c| c == b',' || crate::scan::is_lws(c))
            {
                next += 1;
            }
            return self.remove(start..next);
        }
        // The last value: remove from the comma before it.
        let mut before = start;
        while before > h.value_range.start
            && buf
                .get(before - 1)
                .is_some_and(|&c| c == b',' || crate::scan::is_lws(c))
        {
            before -= 1;
        }
        self.remove(before..end)
    }

    /// Remove every line of a header.
    pub fn remove_header(&mut self, msg: &Message, name: HeaderName) -> &mut Self {
        for h in msg.headers().iter().filter(|h| h.name == name) {
            self.ops.push((h.line_range.clone(), Bytes::new()));
        }
        self
    }

    /// Replace the Request-URI of a request.
    pub fn replace_request_uri(&mut self, msg: &Message, uri: &str) -> &mut Self {
        match msg.start_line() {
            StartLine::Request { uri: range, .. } => {
                self.replace(range.clone(), Bytes::copy_from_slice(uri.as_bytes()))
            }
            StartLine::Response { .. } => self,
        }
    }

    /// Replace the whole value of header line `index` (e.g. a decremented Max-Forwards).
    pub fn replace_value(&mut self, msg: &Message, index: usize, value: &str) -> &mut Self {
        match msg.headers().get(index) {
            Some(h) => self.replace(
                h.value_range.clone(),
                Bytes::copy_from_slice(value.as_bytes()),
            ),
            None => self,
        }
    }

    /// Number of bytes the output will have.
    fn output_len(&self, msg: &Message) -> usize {
        let mut len = msg.as_bytes().len();
        for (r, with) in &self.ops {
            len = len.saturating_add(with.len()).saturating_sub(r.len());
        }
        len
    }

    /// Apply to `msg`, writing the result into `out`. Ops are sorted by offset (stable for
    /// equal offsets); overlapping ops are a caller bug and are skipped.
    pub fn write(&self, msg: &Message, out: &mut BytesMut) {
        let buf: &[u8] = msg.as_bytes();
        out.reserve(self.output_len(msg));
        // Insertions sort before a replacement starting at the same offset. A proxy usually
        // adds its edits front to back, so the sort (and its allocation) is mostly skipped.
        let mut cursor = 0;
        let mut emit = |op: &(Range<usize>, Bytes)| {
            let (r, with) = op;
            if r.start < cursor || r.end < r.start || r.end > buf.len() {
                return;
            }
            out.extend_from_slice(buf.get(cursor..r.start).unwrap_or_default());
            out.extend_from_slice(with);
            cursor = r.end;
        };
        if self.ops.is_sorted_by_key(|(r, _)| (r.start, r.end)) {
            self.ops.iter().for_each(&mut emit);
        } else {
            let mut order: Vec<&(Range<usize>, Bytes)> = self.ops.iter().collect();
            order.sort_by_key(|(r, _)| (r.start, r.end));
            order.into_iter().for_each(&mut emit);
        }
        out.extend_from_slice(buf.get(cursor..).unwrap_or_default());
    }

    /// Apply to `msg` and return the new bytes (the original buffer when there is no edit).
    pub fn apply(&self, msg: &Message) -> Bytes {
        if self.ops.is_empty() {
            return msg.as_bytes().clone();
        }
        // Sized once: `write`'s reserve is then only a check.
        let mut out = BytesMut::with_capacity(self.output_len(msg));
        self.write(msg, &mut out);
        out.freeze()
    }
}

/// `Name: value\r\n`.
fn header_line(name: &str, value: &str) -> Bytes {
    let mut line = BytesMut::with_capacity(name.len() + value.len() + 4);
    line.extend_from_slice(name.as_bytes());
    line.extend_from_slice(b": ");
    line.extend_from_slice(value.as_bytes());
    line.extend_from_slice(b"\r\n");
    line.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &str = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1 , SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n\
Route: <sip:p1.example.com;lr>\r\n\
Route: <sip:p2.example.com;lr>,<sip:p3.example.com;lr>\r\n\
Max-Forwards: 70\r\n\
Call-ID: x@y\r\n\
\r\n";

    fn msg() -> Message {
        Message::parse(Bytes::from_static(REQ.as_bytes())).unwrap()
    }

    fn applied(e: &Edits, m: &Message) -> String {
        String::from_utf8(e.apply(m).to_vec()).unwrap()
    }

    #[test]
    fn empty_is_identity() {
        let m = msg();
        let e = Edits::new();
        assert!(e.is_empty());
        assert_eq!(e.apply(&m), m.as_bytes());
    }

    #[test]
    fn remove_values() {
        let m = msg();
        let vias: Vec<_> = m.header_values(HeaderName::VIA).collect();
        let mut e = Edits::new();
        e.remove_value(&m, &vias[0]);
        assert!(applied(&e, &m).contains("\r\nVia: SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n"));
        let mut e = Edits::new();
        e.remove_value(&m, &vias[1]);
        assert!(applied(&e, &m).contains("\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"));
        let routes: Vec<_> = m.header_values(HeaderName::ROUTE).collect();
        let mut e = Edits::new();
        e.remove_value(&m, &routes[0]);
        let out = applied(&e, &m);
        assert!(!out.contains("p1"));
        assert!(out.contains("\r\nRoute: <sip:p2.example.com;lr>,<sip:p3.example.com;lr>\r\n"));
        let mut e = Edits::new();
        e.remove_value(&m, &routes[2]);
        assert!(applied(&e, &m).contains("\r\nRoute: <sip:p2.example.com;lr>\r\n"));
    }

    #[test]
    fn prepend_append_replace() {
        let m = msg();
        let mut e = Edits::new();
        e.prepend_header(&m, HeaderName::VIA, "SIP/2.0/UDP me;branch=z9hG4bKme")
            .prepend_header(&m, HeaderName::RECORD_ROUTE, "<sip:me;lr>")
            .append_header(&m, "X-Hop", "1")
            .replace_request_uri(&m, "sip:bob@192.0.2.4")
            .remove_header(&m, HeaderName::ROUTE);
        let mf = m
            .headers()
            .iter()
            .position(|h| h.name == HeaderName::MAX_FORWARDS)
            .unwrap();
        e.replace_value(&m, mf, "69");
        let out = e.apply(&m);
        let expected = "INVITE sip:bob@192.0.2.4 SIP/2.0\r\n\
Via: SIP/2.0/UDP me;branch=z9hG4bKme\r\n\
Record-Route: <sip:me;lr>\r\n\
Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1 , SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n\
Max-Forwards: 69\r\n\
Call-ID: x@y\r\n\
X-Hop: 1\r\n\
\r\n";
        assert_eq!(std::str::from_utf8(&out).unwrap(), expected);
        let again = Message::parse(out).unwrap();
        assert_eq!(again.max_forwards().unwrap(), Some(69));
        assert_eq!(again.top_via().unwrap().host_str, "me");
        let mut buf = BytesMut::new();
        e.write(&m, &mut buf);
        assert_eq!(&buf[..], expected.as_bytes());
    }

    #[test]
    fn overlapping_and_out_of_range_skipped() {
        let m = msg();
        let mut e = Edits::new();
        e.remove(0..10)
            .remove(5..15)
            .replace(1000..1001, "x")
            .insert(10, "[ins]");
        let out = applied(&e, &m);
        assert!(
            out.starts_with("[ins]ohn") || out.starts_with("[ins]"),
            "{out}"
        );
        assert_eq!(out.len(), REQ.len() - 10 + 5);
    }
}
