//! Encode and decode of a Ro CCR-I with IMS-Information and of a Cx MAA with one AKA
//! SIP-Auth-Data-Item. Run: `cargo bench -p diameter-codec --bench codec`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use diameter_codec::generated::{cc, charging, cx, ro};
use diameter_codec::{validate, Avp, AvpContainer, GroupedAvps, Header, Message};

#[path = "../tests/samples/mod.rs"]
mod samples;

/// Visits every AVP, descending into Grouped ones known to the dictionary.
fn walk(avps: diameter_codec::AvpIter, depth: usize) -> usize {
    let mut n = 0;
    for a in avps {
        let a: Avp = a.unwrap();
        n += 1;
        if depth < 8 && diameter_codec::dict::grouped_grammar(a.code()).is_some() {
            n += walk(GroupedAvps::new(a.data()).avps(), depth + 1);
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let ccr = samples::ccr_initial();
    let mar = Message::decode(samples::mar()).unwrap();
    let maa = samples::maa(mar.header());
    let maa_header: Header = *mar.header();

    let mut g = c.benchmark_group("ccr_initial");
    g.throughput(Throughput::Bytes(ccr.len() as u64));
    g.bench_function("encode", |b| b.iter(|| black_box(samples::ccr_initial())));
    g.bench_function("decode", |b| {
        b.iter(|| {
            let m = Message::decode(black_box(ccr.clone())).unwrap();
            let ims = m
                .require(&charging::avp::SERVICE_INFORMATION)
                .unwrap()
                .require(&charging::avp::IMS_INFORMATION)
                .unwrap();
            black_box((
                m.require(&cc::avp::CC_REQUEST_TYPE).unwrap(),
                ims.require(&charging::avp::NODE_FUNCTIONALITY).unwrap(),
            ))
        })
    });
    g.bench_function("decode_validate", |b| {
        b.iter(|| {
            let m = Message::decode(black_box(ccr.clone())).unwrap();
            validate(&m, &ro::cmd::CCR).unwrap();
        })
    });
    g.bench_function("decode_walk_all", |b| {
        b.iter(|| {
            let m = Message::decode(black_box(ccr.clone())).unwrap();
            black_box(walk(m.avps(), 0))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("maa_aka");
    g.throughput(Throughput::Bytes(maa.len() as u64));
    g.bench_function("encode", |b| {
        b.iter(|| black_box(samples::maa(black_box(&maa_header))))
    });
    g.bench_function("decode", |b| {
        b.iter(|| {
            let m = Message::decode(black_box(maa.clone())).unwrap();
            let item = m.require(&cx::avp::SIP_AUTH_DATA_ITEM).unwrap();
            black_box((
                item.require(&cx::avp::SIP_AUTHENTICATE).unwrap(),
                item.require(&cx::avp::SIP_AUTHORIZATION).unwrap(),
                item.require(&cx::avp::CONFIDENTIALITY_KEY).unwrap(),
                item.require(&cx::avp::INTEGRITY_KEY).unwrap(),
            ))
        })
    });
    g.bench_function("decode_validate", |b| {
        b.iter(|| {
            let m = Message::decode(black_box(maa.clone())).unwrap();
            validate(&m, &cx::cmd::MAA).unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
