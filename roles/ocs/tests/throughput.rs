//! Throughput of CCR-I + CCR-T pairs (one call each: reserve, then debit and release), on
//! SQLite (WAL, synchronous=FULL) and PostgreSQL. Ignored by default; run with
//! `cargo test -p ims-ocs --release --test throughput -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::{open_with, Ccr, Kind, Mscc, T0};
use diameter_codec::generated::cc::{CcRequestType as T, SubscriptionIdType};

const CALLS: usize = 2000;

/// `accounts`: 1 (every call on one account: serialised by its row lock) or one per task.
async fn measure(kind: Kind, concurrency: usize, accounts: usize) {
    let Some(env) = open_with(kind, concurrency.max(1) as u32).await else {
        return;
    };
    for a in 0..accounts {
        let id = format!("sip:u{a}@ims.test");
        env.ledger()
            .create_account(&format!("u{a}"), &[&id], 1_000_000_000_000, 978)
            .await
            .unwrap();
    }
    let env = Arc::new(env);
    // Requests are built before timing: only the handler and the ledger are measured.
    let mut work: Vec<Vec<_>> = (0..concurrency).map(|_| Vec::new()).collect();
    for i in 0..CALLS {
        let s = format!("bench;{i}");
        let user = format!("sip:u{}@ims.test", (i % concurrency) % accounts);
        let init = Ccr::new(&s, T::INITIAL_REQUEST, 0)
            .user(SubscriptionIdType::END_USER_SIP_URI, &user)
            .mscc(Mscc::time(Some(60), None))
            .build();
        let term = Ccr::new(&s, T::TERMINATION_REQUEST, 1)
            .mscc(Mscc::time(None, Some(42)))
            .build();
        work[i % concurrency].push((init, term));
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for batch in work {
        let env = env.clone();
        tasks.push(tokio::spawn(async move {
            for (init, term) in batch {
                let a = env.ocs.handle_at(&init, T0).await;
                let t = env.ocs.handle_at(&term, T0 + 42).await;
                assert!(a.len() > 20 && t.len() > 20);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = start.elapsed();
    let mut spent = 0;
    for a in 0..accounts {
        let acct = env.ledger().balance(&format!("u{a}")).await.unwrap();
        assert_eq!(acct.reserved, 0);
        spent += 1_000_000_000_000 - acct.balance;
    }
    assert_eq!(spent, 600_000 * CALLS as i64);
    println!(
        "{kind:?} concurrency {concurrency}, {accounts} account(s): {CALLS} CCR-I+CCR-T pairs in {:.2} s = {:.0} pairs/s",
        elapsed.as_secs_f64(),
        CALLS as f64 / elapsed.as_secs_f64()
    );
    if let Ok(env) = Arc::try_unwrap(env) {
        env.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: run with --ignored --nocapture, preferably --release"]
async fn sqlite_pairs_per_second() {
    measure(Kind::Sqlite, 1, 1).await;
    measure(Kind::Sqlite, 8, 1).await;
    measure(Kind::Sqlite, 8, 8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: run with --ignored --nocapture, preferably --release"]
async fn postgres_pairs_per_second() {
    measure(Kind::Postgres, 1, 1).await;
    measure(Kind::Postgres, 8, 1).await;
    measure(Kind::Postgres, 8, 8).await;
}
