//! Parse and proxy-forward costs on realistic IMS messages (~25 headers each).
//!
//! Run: `cargo bench -p sip-types --bench parse`.

use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use sip_types::{Edits, HeaderName, Message};

const INVITE: &str = include_str!("data/invite.sip");

const REGISTER: &str = include_str!("data/register.sip");

/// What a stateful proxy does on the request path: validate, new Via and Record-Route, pop
/// the Route, Max-Forwards - 1, print.
fn forward(buf: &Bytes, out: &mut BytesMut) -> usize {
    let m = Message::parse(buf.clone()).expect("bench message parses");
    m.validate().expect("bench message is valid");
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
    e.write(&m, out);
    out.len()
}

fn bench(c: &mut Criterion) {
    for (name, text) in [("invite", INVITE), ("register", REGISTER)] {
        let buf = Bytes::from_static(text.as_bytes());
        let m = Message::parse(buf.clone()).expect("parses");
        m.validate().expect("valid");
        assert!(
            m.headers().len() >= 24,
            "{name}: {} headers",
            m.headers().len()
        );

        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function("parse", |b| {
            b.iter(|| Message::parse(black_box(buf.clone())).map(|m| m.headers().len()))
        });
        g.bench_function("parse_validate", |b| {
            b.iter(|| {
                let m = Message::parse(black_box(buf.clone())).expect("parses");
                m.validate().is_ok()
            })
        });
        let mut out = BytesMut::with_capacity(2048);
        g.bench_function("forward", |b| b.iter(|| forward(black_box(&buf), &mut out)));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
