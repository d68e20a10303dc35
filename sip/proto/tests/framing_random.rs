//! The stream framer on random input: never panics, never hands out more than the cap, and
//! once it fails it keeps failing (the connection is closed).

use sip_proto::framing::{Framed, StreamFramer};

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&[u8]] = &[
    b"\r\n",
    b"\r\n\r\n",
    b"\r",
    b"\n",
    b" ",
    b"INVITE sip:a@b SIP/2.0\r\n",
    b"Content-Length: 3\r\n",
    b"l:\r\n 0\r\n",
    b"Content-Length: -1\r\n",
    b"CONTENT-LENGTH : 12\r\n",
    b"Via: SIP/2.0/TCP h;branch=z9hG4bK1\r\n",
    b"abc",
    b":",
    b"\xff\x00",
];

#[test]
fn random_streams_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let cap = 512;
    for _ in 0..3000 {
        let mut stream = Vec::new();
        for _ in 0..rng.below(40) {
            if rng.below(4) == 0 {
                stream.push(rng.next() as u8);
            } else {
                stream.extend_from_slice(PIECES[rng.below(PIECES.len())]);
            }
        }
        let mut framer = StreamFramer::new(cap);
        let mut failed = None;
        let mut rest = stream.as_slice();
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(1 + rng.below(rest.len()));
            rest = tail;
            framer.push(chunk);
            loop {
                match framer.next_message() {
                    Ok(Some(Framed::Message(m))) => {
                        assert!(failed.is_none());
                        assert!(m.len() <= cap);
                        assert!(!m.starts_with(b"\r\n"), "keep-alives are not messages");
                    }
                    Ok(Some(_)) => assert!(failed.is_none()),
                    Ok(None) => break,
                    Err(e) => {
                        assert!(failed.is_none_or(|f| f == e), "errors are sticky");
                        failed = Some(e);
                        break;
                    }
                }
            }
        }
    }
}
