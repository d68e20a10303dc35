//! Durable ACR throughput (not a pass/fail benchmark): every ACR goes through
//! [`ims_cdf::Cdf::handle`] and is committed before its ACA. Run with
//! `cargo test -p ims-cdf --release --test throughput -- --ignored --nocapture`.
// Scenario helpers are not #[test] fns, so clippy's allow-unwrap-in-tests does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Instant;

use common::*;
use ims_cdf::Cdf;

const SEQUENTIAL: u32 = 2_000;
const TASKS: u32 = 16;
const PER_TASK: u32 = 250;

async fn one(cdf: &Cdf, task: u32, n: u32) {
    let ims = invite("INVITE", None, Some(1_790_000_000), None);
    let req = acr(
        &format!("scscf.ims.test;{task};{n}"),
        START,
        0,
        1_790_000_000 + u64::from(n),
        Some(&ims),
    );
    let aca = Aca::parse_unchecked(cdf.handle(&req).await);
    assert_eq!(aca.result_code(), 2001);
}

async fn measure(kind: Kind) {
    let Some((db, store)) = TestDb::new(kind).await else {
        return;
    };
    let mut opts = db.options.clone();
    opts.max_connections = TASKS;
    store.close().await;
    let store = ims_cdf::CdrStore::open(&opts)
        .await
        .expect("reopen with 16 connections");
    let cdf = cdf(store.clone());

    let t = Instant::now();
    for n in 0..SEQUENTIAL {
        one(&cdf, 0, n).await;
    }
    let seq = f64::from(SEQUENTIAL) / t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut handles = Vec::new();
    for task in 1..=TASKS {
        let cdf = cdf.clone();
        handles.push(tokio::spawn(async move {
            for n in 0..PER_TASK {
                one(&cdf, task, n).await;
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }
    let conc = f64::from(TASKS * PER_TASK) / t.elapsed().as_secs_f64();
    assert_eq!(
        store.count().await.expect("count"),
        u64::from(SEQUENTIAL + TASKS * PER_TASK)
    );
    println!(
        "{kind:?}: {seq:.0} ACR/s sequential ({SEQUENTIAL} ACRs), {conc:.0} ACR/s with {TASKS} \
         concurrent tasks ({} ACRs), each committed before its ACA",
        TASKS * PER_TASK
    );
    store.close().await;
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: prints ACR/s, run with --ignored --nocapture"]
async fn durable_acr_throughput_sqlite() {
    measure(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: prints ACR/s, run with --ignored --nocapture"]
async fn durable_acr_throughput_postgres() {
    measure(Kind::Postgres).await;
}
