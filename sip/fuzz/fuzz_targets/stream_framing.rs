//! Stream framing (RFC 3261 §18.3) over arbitrary chunking: the framer must never panic, never
//! yield more than the cap, and every frame it cuts goes through the parser without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_proto::framing::{Framed, StreamFramer};
use sip_types::Message;

const MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the chunk size, so the same bytes arrive in many splittings.
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut framer = StreamFramer::new(MAX);
    for piece in rest.chunks(chunk) {
        framer.push(piece);
        loop {
            match framer.next_message() {
                Ok(Some(Framed::Message(bytes))) => {
                    assert!(bytes.len() <= MAX, "frame over the cap");
                    if let Ok(m) = Message::parse(bytes) {
                        let _ = m.validate();
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
