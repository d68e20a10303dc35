//! Answering a request that could not even be indexed (bad start line, header syntax,
//! Content-Length): a 400 built from the raw header lines, when there is a Via to send it by.

use bytes::{BufMut, Bytes, BytesMut};
use sip_types::{HeaderName, ParseError};

/// Build the error answer for `data` if it looks like a request other than ACK and carries the
/// headers a response needs (at least one Via). Copies Via, From, To, Call-ID and CSeq lines as
/// written; returns `None` for anything else (responses, ACK, binary junk).
pub(super) fn answer_unparsable(data: &[u8], error: &ParseError) -> Option<Bytes> {
    let end = memchr_crlfcrlf(data).unwrap_or(data.len());
    let head = std::str::from_utf8(data.get(..end)?).ok()?;
    let mut lines = head.split("\r\n");
    let first = lines.next()?;
    let method = first.split(' ').next()?;
    if first.starts_with("SIP/") || method.is_empty() || method == "ACK" {
        return None;
    }
    if !method
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
    {
        return None;
    }
    let mut out = BytesMut::with_capacity(256);
    out.put_slice(format!("SIP/2.0 {} {}\r\n", error.status(), error.reason_phrase()).as_bytes());
    let mut has_via = false;
    for line in lines {
        let Some((name, _)) = line.split_once(':') else {
            continue;
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes());
        if matches!(
            name,
            HeaderName::VIA
                | HeaderName::FROM
                | HeaderName::TO
                | HeaderName::CALL_ID
                | HeaderName::CSEQ
        ) && line.bytes().all(|b| b >= 0x20 || b == b'\t')
        {
            has_via |= name == HeaderName::VIA;
            out.put_slice(line.as_bytes());
            out.put_slice(b"\r\n");
        }
    }
    if !has_via {
        return None;
    }
    out.put_slice(b"Content-Length: 0\r\n\r\n");
    Some(out.freeze())
}

fn memchr_crlfcrlf(data: &[u8]) -> Option<usize> {
    data.windows(4).position(|w| w == b"\r\n\r\n")
}
