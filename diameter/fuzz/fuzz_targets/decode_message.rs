//! Decode any bytes as a Diameter message, walk every AVP recursively (Grouped ones through the
//! dictionary), read each known AVP as its data format, validate against the command grammar
//! when the command is known, and build the error answer. Nothing may panic.
#![no_main]

use bytes::Bytes;
use diameter_codec::dict::{self, DataType};
use diameter_codec::{error_answer, format, validate, AvpContainer, AvpIter, GroupedAvps, Message};
use libfuzzer_sys::fuzz_target;

fn walk(avps: AvpIter, depth: usize) {
    for avp in avps {
        let Ok(avp) = avp else { return };
        let _ = avp.raw().len();
        if let Some(meta) = dict::avp_meta(avp.code()) {
            let _ = format::check(meta.data_type, &avp.data());
            if meta.data_type == DataType::Grouped && depth < 32 {
                walk(GroupedAvps::new(avp.data()).avps(), depth + 1);
            }
        } else if depth < 32 {
            // Unknown AVPs may hold AVPs too: iterating them must be safe as well.
            walk(GroupedAvps::new(avp.data()).avps(), depth + 1);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let frame = Bytes::copy_from_slice(data);
    match Message::decode(frame) {
        Ok(msg) => {
            walk(msg.avps(), 0);
            let h = *msg.header();
            if let Some(cmd) = dict::command(h.code, h.application_id, h.flags.is_request()) {
                if let Err(e) = validate(&msg, cmd) {
                    let _ = e.result_code();
                    let ans = error_answer(&h, &e, "fuzz.test", "test");
                    assert!(Message::decode(ans).is_ok(), "error answers must decode");
                }
            }
        }
        Err(e) => {
            let _ = (e.result_code(), e.failed_avp());
        }
    }
});
