//! Per-request cost of the Cx handler on the in-memory store (one core): UAR, LIR, a MAR
//! for one AKA vector (Milenage) and one SIP Digest item, and a SAR REGISTRATION with
//! User-Data. Run: `cargo bench -p ims-hss --bench cx`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::base::AuthSessionState;
use diameter_codec::generated::cx::{self, avp as x};
use diameter_codec::{CommandDef, Message, MessageBuilder, WriteAvps};
use ims_hss::{seed_demo, CounterRandSource, Hss, HssConfig};
use ims_store::MemorySubscriberStore;

fn request(cmd: &CommandDef, f: impl FnOnce(&mut MessageBuilder)) -> Message {
    let mut r = MessageBuilder::request(cmd, 1, 2);
    r.put(&b::SESSION_ID, "bench;1;1");
    r.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
        g.put(&b::VENDOR_ID, &10415)
            .put(&b::AUTH_APPLICATION_ID, &cx::APPLICATION_ID.0);
    });
    r.put(
        &b::AUTH_SESSION_STATE,
        &AuthSessionState::NO_STATE_MAINTAINED,
    )
    .put(&b::ORIGIN_HOST, "scscf.ims.test")
    .put(&b::ORIGIN_REALM, "ims.test")
    .put(&b::DESTINATION_REALM, "ims.test");
    f(&mut r);
    Message::decode(r.finish()).unwrap()
}

fn mar(scheme: &str) -> Message {
    request(&cx::cmd::MAR, |r| {
        r.put(&b::USER_NAME, "alice@ims.test")
            .put(&x::PUBLIC_IDENTITY, "sip:alice@ims.test");
        r.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
            g.put(&x::SIP_AUTHENTICATION_SCHEME, scheme);
        });
        r.put(&x::SIP_NUMBER_AUTH_ITEMS, &1)
            .put(&x::SERVER_NAME, "sip:scscf.ims.test");
    })
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = Arc::new(MemorySubscriberStore::new());
    rt.block_on(seed_demo(store.as_ref())).unwrap();
    let hss = Hss::new(
        HssConfig::new("hss.ims.test", "ims.test"),
        store,
        Arc::new(CounterRandSource::new(1)),
    )
    .unwrap();
    let uar = request(&cx::cmd::UAR, |r| {
        r.put(&b::USER_NAME, "alice@ims.test")
            .put(&x::PUBLIC_IDENTITY, "sip:alice@ims.test")
            .put(&x::VISITED_NETWORK_IDENTIFIER, b"ims.test");
    });
    let sar = request(&cx::cmd::SAR, |r| {
        r.put(&x::PUBLIC_IDENTITY, "sip:alice@ims.test")
            .put(&x::SERVER_NAME, "sip:scscf.ims.test")
            .put(
                &x::SERVER_ASSIGNMENT_TYPE,
                &cx::ServerAssignmentType::REGISTRATION,
            )
            .put(
                &x::USER_DATA_ALREADY_AVAILABLE,
                &cx::UserDataAlreadyAvailable::USER_DATA_NOT_AVAILABLE,
            );
    });
    let lir = request(&cx::cmd::LIR, |r| {
        r.put(&x::PUBLIC_IDENTITY, "sip:alice@ims.test");
    });
    let cases: [(&str, Message); 5] = [
        ("uar", uar),
        ("mar_aka", mar("Digest-AKAv1-MD5")),
        ("mar_digest", mar("SIP Digest")),
        ("sar_registration", sar),
        ("lir", lir),
    ];
    let mut g = c.benchmark_group("hss");
    for (name, req) in &cases {
        g.bench_function(*name, |bch| {
            bch.iter(|| {
                let ans: Bytes = rt.block_on(hss.handle(black_box(req)));
                black_box(ans)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
