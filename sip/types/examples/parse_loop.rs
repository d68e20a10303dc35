//! Runs parse / validate / forward a fixed number of times, for instruction counts that do not
//! depend on machine load: `perf stat -e instructions:u target/release/examples/parse_loop
//! invite forward 100000`.

use bytes::{Bytes, BytesMut};
use sip_types::{Edits, HeaderName, Message};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("invite", String::as_str);
    let what = args.get(2).map_or("parse", String::as_str);
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let text = match which {
        "register" => include_str!("../benches/data/register.sip"),
        "sipp" => include_str!("../benches/data/sipp_invite.sip"),
        _ => include_str!("../benches/data/invite.sip"),
    };
    let buf = Bytes::from_static(text.as_bytes());
    let mut out = BytesMut::with_capacity(4096);
    let mut total = 0usize;
    for _ in 0..n {
        let Ok(m) = Message::parse(std::hint::black_box(buf.clone())) else {
            return;
        };
        total += m.headers().len();
        if what == "parse" {
            continue;
        }
        if m.validate().is_err() {
            return;
        }
        if what == "validate" {
            continue;
        }
        let mut e = Edits::new();
        e.prepend_header(
            &m,
            HeaderName::VIA,
            "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKproxy.1",
        )
        .prepend_header(&m, HeaderName::RECORD_ROUTE, "<sip:10.0.0.2;lr>");
        if let Some(route) = m.header_values(HeaderName::ROUTE).next() {
            e.remove_value(&m, &route);
        }
        if let Some(i) = m
            .headers()
            .iter()
            .position(|h| h.name == HeaderName::MAX_FORWARDS)
        {
            let mf = m
                .max_forwards()
                .ok()
                .flatten()
                .unwrap_or(70)
                .saturating_sub(1);
            e.replace_value(&m, i, &mf.to_string());
        }
        out.clear();
        e.write(&m, &mut out);
        total += out.len();
    }
    println!("{which} {what} x{n}: {total}");
}
