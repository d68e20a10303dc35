//! RFC 3261 §18.3 stream framing (Content-Length), CRLF keep-alives (RFC 5626 §4.4.1), size cap.
//!
//! On a stream (TCP, TLS) messages follow each other without separators: the header section ends
//! with an empty line and Content-Length, which is mandatory there, tells how many body bytes
//! follow. CRLFs before a start line are keep-alives (RFC 3261 §7.5): a double CRLF is a ping to
//! answer with a single CRLF, a single CRLF is the pong (RFC 5626 §4.4.1).
//!
//! The framer only cuts frames: it reads the Content-Length header and nothing else, and hands
//! each frame out as a zero-copy `Bytes` for [`sip_types::Message::parse`]. Any framing error
//! means the stream cannot be resynchronised: the caller closes the connection.

use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem;

/// The end of a header section.
const HEADER_END: &[u8] = b"\r\n\r\n";

/// One unit cut from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framed {
    /// A whole message: header section, empty line and exactly Content-Length body bytes.
    Message(Bytes),
    /// A CRLFCRLF keep-alive ping (RFC 5626 §4.4.1): answer with a single CRLF.
    Ping,
    /// A lone CRLF: the pong answering our ping (RFC 5626 §4.4.1).
    Pong,
}

/// Why a stream cannot be framed; the connection must be closed (RFC 3261 §18.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The header section plus body exceed the configured cap (or the header section has no end
    /// within it).
    #[error("message larger than {limit} bytes")]
    TooLarge {
        /// The configured cap.
        limit: usize,
    },
    /// Content-Length is not `1*DIGIT` (negative, garbage, overflowing) or appears several
    /// times with different values (RFC 4475 §3.1.2.10 ncl, §3.1.2.11 mcl01).
    #[error("invalid Content-Length")]
    BadContentLength,
    /// No Content-Length: mandatory on stream transports (RFC 3261 §18.3, §20.14).
    #[error("missing Content-Length on a stream transport")]
    MissingContentLength,
    /// A header line that is neither `name: value` nor a continuation.
    #[error("malformed header line")]
    BadHeaderLine,
}

/// Cuts SIP messages and keep-alives out of a byte stream (RFC 3261 §18.3).
///
/// Call order: append received bytes ([`StreamFramer::push`] or read straight into
/// [`StreamFramer::buffer_mut`]), then call [`StreamFramer::next_message`] until it returns
/// `Ok(None)`. After an error the framer keeps returning it: close the connection.
#[derive(Debug)]
pub struct StreamFramer {
    buf: BytesMut,
    max_message_size: usize,
    /// Offset from which to resume the search for the end of the header section.
    scan_from: usize,
    /// Header section length (including the empty line) and body length of the frame being
    /// received, once its header section is complete.
    pending: Option<(usize, usize)>,
    /// The last unit was a CRLF that was alone in the buffer: a CRLF right behind it completes
    /// a ping that arrived split in two.
    half_ping: bool,
    failed: Option<FramingError>,
}

impl StreamFramer {
    /// A framer that refuses messages (header section plus body) above `max_message_size` bytes.
    pub fn new(max_message_size: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            max_message_size,
            scan_from: 0,
            pending: None,
            half_ping: false,
            failed: None,
        }
    }

    /// Append received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The receive buffer, to read into directly. Only append to it: bytes already in it are
    /// being framed.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Bytes received but not yet handed out.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete unit, `Ok(None)` when more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Framed>, FramingError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let result = self.next_inner();
        if let Err(e) = result {
            self.failed = Some(e);
        }
        result
    }

    fn next_inner(&mut self) -> Result<Option<Framed>, FramingError> {
        if self.pending.is_none() {
            if let Some(keep_alive) = self.keep_alive() {
                return Ok(keep_alive);
            }
            if self.scan_from > self.buf.len() {
                self.scan_from = 0;
            }
            let Some(window) = self.buf.get(self.scan_from..) else {
                return Ok(None);
            };
            let Some(pos) = memmem::find(window, HEADER_END) else {
                if self.buf.len() > self.max_message_size {
                    return Err(FramingError::TooLarge {
                        limit: self.max_message_size,
                    });
                }
                // The terminator may straddle the next read: keep its first three bytes.
                self.scan_from = self.buf.len().saturating_sub(HEADER_END.len() - 1);
                return Ok(None);
            };
            let head_len = self.scan_from + pos + HEADER_END.len();
            self.scan_from = 0;
            let head = self.buf.get(..head_len).unwrap_or_default();
            let body_len = content_length(head)?;
            if head_len.saturating_add(body_len) > self.max_message_size {
                return Err(FramingError::TooLarge {
                    limit: self.max_message_size,
                });
            }
            self.pending = Some((head_len, body_len));
        }
        let Some((head_len, body_len)) = self.pending else {
            return Ok(None);
        };
        let total = head_len + body_len;
        if self.buf.len() < total {
            return Ok(None);
        }
        self.pending = None;
        Ok(Some(Framed::Message(self.buf.split_to(total).freeze())))
    }

    /// Consume a leading keep-alive. `Some(None)` when the buffer holds a CR or CRLF prefix that
    /// could still become a ping; `None` when the buffer starts with something else.
    ///
    /// A CRLF alone in the buffer is reported as a pong at once (a client waits for it); if the
    /// next bytes start with another CRLF, that one is reported as the ping the two made up.
    fn keep_alive(&mut self) -> Option<Option<Framed>> {
        let half_ping = std::mem::take(&mut self.half_ping);
        match self.buf.as_ref() {
            [] => {
                self.half_ping = half_ping;
                Some(None)
            }
            [b'\r'] | [b'\r', b'\n', b'\r'] => {
                self.half_ping = half_ping;
                Some(None)
            }
            [b'\r', b'\n', b'\r', b'\n', ..] => {
                self.buf.advance(4);
                Some(Some(Framed::Ping))
            }
            [b'\r', b'\n', ..] if half_ping => {
                self.buf.advance(2);
                Some(Some(Framed::Ping))
            }
            [b'\r', b'\n', rest @ ..] => {
                self.half_ping = rest.is_empty();
                self.buf.advance(2);
                Some(Some(Framed::Pong))
            }
            _ => None,
        }
    }
}

/// The Content-Length of a header section ending with CRLFCRLF (start line included).
/// Long and compact (`l`) names, any case, whitespace before the colon, folded values.
fn content_length(head: &[u8]) -> Result<usize, FramingError> {
    let mut found: Option<usize> = None;
    // The start line is not a header.
    for line in HeaderLines::new(head).skip(1) {
        if line.is_empty() {
            break;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            return Err(FramingError::BadHeaderLine);
        };
        let (name, rest) = line.split_at(colon);
        let name = trim(name);
        if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
            continue;
        }
        let value = parse_length(rest.get(1..).unwrap_or_default())?;
        match found {
            Some(previous) if previous != value => return Err(FramingError::BadContentLength),
            _ => found = Some(value),
        }
    }
    found.ok_or(FramingError::MissingContentLength)
}

/// `1*DIGIT` surrounded by LWS (folding included) as a length.
fn parse_length(value: &[u8]) -> Result<usize, FramingError> {
    let digits = trim(value);
    if digits.is_empty() {
        return Err(FramingError::BadContentLength);
    }
    let mut n: usize = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(FramingError::BadContentLength);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(b - b'0')))
            .ok_or(FramingError::BadContentLength)?;
    }
    Ok(n)
}

fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_lws(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_lws(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// Logical header lines (a line plus its folded continuations, RFC 3261 §7.3.1), without the
/// final CRLF.
struct HeaderLines<'a> {
    rest: &'a [u8],
}

impl<'a> HeaderLines<'a> {
    fn new(head: &'a [u8]) -> Self {
        Self { rest: head }
    }
}

impl<'a> Iterator for HeaderLines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let mut end = 0;
        loop {
            let window = self.rest.get(end..).unwrap_or_default();
            let Some(pos) = memmem::find(window, b"\r\n") else {
                let line = self.rest;
                self.rest = &[];
                return Some(line);
            };
            end += pos;
            // A continuation starts with SP or HT; the empty line ends the section.
            if end > 0 && matches!(self.rest.get(end + 2), Some(b' ' | b'\t')) {
                end += 2;
                continue;
            }
            let (line, rest) = self.rest.split_at(end);
            self.rest = rest.get(2..).unwrap_or_default();
            return Some(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\
Content-Length: 5\r\n\r\nhello";

    fn frame_all(framer: &mut StreamFramer) -> Vec<Framed> {
        let mut out = Vec::new();
        while let Ok(Some(f)) = framer.next_message() {
            out.push(f);
        }
        out
    }

    #[test]
    fn whole_message_in_one_chunk() {
        let mut f = StreamFramer::new(4096);
        f.push(OPTIONS);
        assert_eq!(
            f.next_message(),
            Ok(Some(Framed::Message(Bytes::from_static(OPTIONS))))
        );
        assert_eq!(f.next_message(), Ok(None));
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn byte_at_a_time() {
        let mut f = StreamFramer::new(4096);
        let mut got = Vec::new();
        for b in OPTIONS.iter().chain(b"\r\n\r\n").chain(OPTIONS) {
            f.push(&[*b]);
            got.extend(frame_all(&mut f));
        }
        assert_eq!(
            got,
            vec![
                Framed::Message(Bytes::from_static(OPTIONS)),
                // The ping's first CRLF alone looks like a pong; its second completes it.
                Framed::Pong,
                Framed::Ping,
                Framed::Message(Bytes::from_static(OPTIONS)),
            ]
        );
    }

    #[test]
    fn keep_alives() {
        let mut f = StreamFramer::new(4096);
        f.push(b"\r\n\r\n\r\n");
        assert_eq!(f.next_message(), Ok(Some(Framed::Ping)));
        assert_eq!(f.next_message(), Ok(Some(Framed::Pong)));
        assert_eq!(f.next_message(), Ok(None));
        // A CRLF right behind a lone CRLF completes a ping split in two.
        f.push(b"\r\n");
        f.push(OPTIONS);
        assert_eq!(f.next_message(), Ok(Some(Framed::Ping)));
        assert!(matches!(f.next_message(), Ok(Some(Framed::Message(_)))));
        // A CRLF followed by a message in the same read is a pong.
        f.push(b"\r\n");
        f.push(OPTIONS);
        assert_eq!(f.next_message(), Ok(Some(Framed::Pong)));
        assert!(matches!(f.next_message(), Ok(Some(Framed::Message(_)))));
        assert_eq!(f.next_message(), Ok(None));
    }

    #[test]
    fn compact_folded_and_case_insensitive_names() {
        let msg = b"MESSAGE sip:a@b SIP/2.0\r\nCONTENT-length :\r\n  3\r\nl: 3\r\n\r\nabc";
        let mut f = StreamFramer::new(4096);
        f.push(msg);
        assert_eq!(
            f.next_message(),
            Ok(Some(Framed::Message(Bytes::from_static(msg))))
        );
    }

    #[test]
    fn errors() {
        let cases: [(&[u8], FramingError); 5] = [
            (
                b"INVITE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n",
                FramingError::BadContentLength,
            ),
            (
                b"INVITE sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\n",
                FramingError::BadContentLength,
            ),
            (
                b"INVITE sip:a@b SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n",
                FramingError::BadContentLength,
            ),
            (
                b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n",
                FramingError::MissingContentLength,
            ),
            (
                b"INVITE sip:a@b SIP/2.0\r\nnocolon\r\n\r\n",
                FramingError::BadHeaderLine,
            ),
        ];
        for (input, err) in cases {
            let mut f = StreamFramer::new(4096);
            f.push(input);
            assert_eq!(
                f.next_message(),
                Err(err),
                "{}",
                String::from_utf8_lossy(input)
            );
            // Sticky: the connection must be closed.
            assert_eq!(f.next_message(), Err(err));
        }
    }

    #[test]
    fn size_cap_on_headers_and_body() {
        let mut f = StreamFramer::new(64);
        f.push(&[b'a'; 65]);
        assert_eq!(f.next_message(), Err(FramingError::TooLarge { limit: 64 }));

        let mut f = StreamFramer::new(64);
        f.push(b"M sip:a SIP/2.0\r\nl: 60\r\n\r\n");
        assert_eq!(f.next_message(), Err(FramingError::TooLarge { limit: 64 }));

        let mut f = StreamFramer::new(64);
        f.push(b"M sip:a SIP/2.0\r\nl: 10\r\n\r\n");
        assert_eq!(f.next_message(), Ok(None));
        f.push(b"0123456789");
        assert!(matches!(f.next_message(), Ok(Some(Framed::Message(m))) if m.len() == 36));
    }

    #[test]
    fn body_in_pieces_is_not_rescanned() {
        let mut f = StreamFramer::new(4096);
        f.push(b"M sip:a SIP/2.0\r\nl: 4\r\n\r\nab");
        assert_eq!(f.next_message(), Ok(None));
        assert_eq!(f.pending, Some((25, 4)));
        f.push(b"cdM");
        assert!(matches!(f.next_message(), Ok(Some(Framed::Message(m))) if m.ends_with(b"abcd")));
        assert_eq!(f.buffered(), 1);
    }
}
