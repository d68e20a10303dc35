//! Stream framing over the RFC 4475 torture messages (copied into `tests/data/rfc4475/`).

use bytes::Bytes;
use sip_proto::framing::{Framed, FramingError, StreamFramer};
use sip_types::Message;

const WELL_FRAMED: &[&str] = &[
    "esc01", "longreq", "mpart01", "wsinv", "sdp01", "unreason", "intmeth", "scalar02", "lwsstart",
    "noreason", "semiuri", "regaut01",
];

fn data(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/rfc4475/{name}.dat",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Feed `stream` in chunks of `chunk` bytes and collect every unit until the first error.
fn frame(stream: &[u8], chunk: usize, cap: usize) -> (Vec<Framed>, Option<FramingError>) {
    let mut framer = StreamFramer::new(cap);
    let mut out = Vec::new();
    for piece in stream.chunks(chunk) {
        framer.push(piece);
        loop {
            match framer.next_message() {
                Ok(Some(f)) => out.push(f),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

#[test]
fn torture_messages_back_to_back_in_any_chunking() {
    let messages: Vec<Vec<u8>> = WELL_FRAMED.iter().map(|n| data(n)).collect();
    let mut stream = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        if i % 3 == 1 {
            stream.extend_from_slice(b"\r\n\r\n");
        }
        stream.extend_from_slice(m);
    }
    for chunk in [1, 2, 3, 7, 64, 1000, stream.len()] {
        let (frames, err) = frame(&stream, chunk, 64 * 1024);
        assert_eq!(err, None, "chunk {chunk}");
        let got: Vec<Bytes> = frames
            .into_iter()
            .filter_map(|f| match f {
                Framed::Message(m) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(got.len(), messages.len(), "chunk {chunk}");
        for (frame, (want, name)) in got.iter().zip(messages.iter().zip(WELL_FRAMED)) {
            assert_eq!(frame.as_ref(), want.as_slice(), "{name}, chunk {chunk}");
            // Framing is sound for all; two are invalid at a later layer (RFC 4475 §3.1.2).
            if !["scalar02", "lwsstart"].contains(name) {
                let msg = Message::parse(frame.clone());
                assert!(msg.is_ok(), "{name}: {msg:?}");
            }
        }
    }
}

#[test]
fn negative_content_length_closes_the_stream() {
    assert_eq!(
        frame(&data("ncl"), 1, 4096).1,
        Some(FramingError::BadContentLength)
    );
}

#[test]
fn conflicting_content_lengths_close_the_stream() {
    assert_eq!(
        frame(&data("mcl01"), 5, 4096).1,
        Some(FramingError::BadContentLength)
    );
}

#[test]
fn missing_content_length_closes_the_stream() {
    assert_eq!(
        frame(&data("inv2543"), 1000, 4096).1,
        Some(FramingError::MissingContentLength)
    );
}

#[test]
fn content_length_beyond_the_data_waits_then_hits_the_cap() {
    let clerr = data("clerr");
    assert_eq!(frame(&clerr, 10, 64 * 1024), (Vec::new(), None));
    assert_eq!(
        frame(&clerr, 10, 4096).1,
        Some(FramingError::TooLarge { limit: 4096 })
    );
}

#[test]
fn header_line_without_colon_closes_the_stream() {
    // RFC 4475 Appendix A's extra `test.dat`: `Foobar roobar` has no colon.
    assert_eq!(
        frame(&data("test"), 3, 4096).1,
        Some(FramingError::BadHeaderLine)
    );
}

#[test]
fn two_requests_in_one_read() {
    let dblreq = data("dblreq");
    let (frames, err) = frame(&dblreq, dblreq.len(), 4096);
    // The INVITE's body is shorter than what follows it: the rest is garbage.
    assert_eq!(err, Some(FramingError::MissingContentLength));
    assert_eq!(frames.len(), 3, "{frames:?}");
    assert_eq!(
        frames.first(),
        Some(&Framed::Message(Bytes::copy_from_slice(&dblreq[..300])))
    );
    assert_eq!(frames.get(1), Some(&Framed::Pong));
    assert!(
        matches!(frames.get(2), Some(Framed::Message(m)) if m.starts_with(b"INVITE ") && m.len() == 443)
    );
}
