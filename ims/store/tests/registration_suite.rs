//! One behavioural suite for every RegistrationStore backend.

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::{with_backend, Kind};
use ims_store::{Binding, BindingKey, Flow, PushInfo, RegistrationStore, WriteThroughStore};

const AOR: &str = "sip:alice@ims.example.com";

fn binding(aor: &str, contact: &str, expires_at: u64, q: u16) -> Binding {
    Binding {
        aor: aor.to_owned(),
        contact: contact.to_owned(),
        expires_at,
        q,
        instance: None,
        reg_id: None,
        path: vec![],
        call_id: "call-1".into(),
        cseq: 1,
        received: None,
        user_agent: None,
        pn: None,
        registered_at: 100,
    }
}

fn contacts(list: &[Binding]) -> Vec<&str> {
    list.iter().map(|b| b.contact.as_str()).collect()
}

async fn upsert_and_lookup(store: &dyn RegistrationStore) {
    assert!(store.lookup(AOR, 0).await.expect("lookup").is_empty());
    let mut full = binding(AOR, "sip:alice@10.0.0.1:5060;ob", 1000, 900);
    full.instance = Some("<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>".into());
    full.reg_id = Some(1);
    full.path = vec![
        "<sip:term@pcscf.ims.example.com;lr>".into(),
        "<sip:x,y@edge;lr>".into(),
    ];
    full.received = Some(Flow {
        transport: "tcp".into(),
        remote: "10.0.0.1:40000".into(),
        local: "10.0.0.2:5060".into(),
    });
    full.user_agent = Some("UA/1.0 (ünïcode)".into());
    full.pn = Some(PushInfo {
        provider: "apns".into(),
        prid: "00fc13adff78512".into(),
        param: Some("DEF123GHIJ.com.example.yourapp.voip".into()),
    });
    let a = binding(AOR, "sip:alice@10.0.0.3", 500, 1000);
    let b = binding(AOR, "sip:alice@10.0.0.4", 2000, 100);
    let other = binding("sip:bob@ims.example.com", "sip:bob@10.0.0.9", 1000, 500);
    for x in [&full, &a, &b, &other] {
        store.upsert(x).await.expect("upsert");
    }
    let got = store.lookup(AOR, 10).await.expect("lookup");
    assert_eq!(
        contacts(&got),
        [
            "sip:alice@10.0.0.3",
            "sip:alice@10.0.0.1:5060;ob",
            "sip:alice@10.0.0.4"
        ]
    );
    assert_eq!(got.get(1), Some(&full), "every field round-trips");

    // Same instance + reg-id with a new contact replaces (RFC 5626 §6).
    let mut moved = full.clone();
    moved.contact = "sip:alice@10.0.0.7:5060;ob".into();
    moved.cseq = 2;
    moved.expires_at = 1500;
    store.upsert(&moved).await.expect("upsert");
    // Same contact without instance replaces too (RFC 3261 §10.3).
    let mut a2 = a.clone();
    a2.expires_at = 600;
    a2.q = 200;
    store.upsert(&a2).await.expect("upsert");
    let got = store.lookup(AOR, 10).await.expect("lookup");
    assert_eq!(
        contacts(&got),
        [
            "sip:alice@10.0.0.7:5060;ob",
            "sip:alice@10.0.0.3",
            "sip:alice@10.0.0.4"
        ]
    );
    assert_eq!(got.first().map(|b| b.cseq), Some(2));
    assert_eq!(store.count(10).await.expect("count"), 4);

    // Expired bindings are invisible (live while now < expires_at).
    let got = store.lookup(AOR, 600).await.expect("lookup");
    assert_eq!(
        contacts(&got),
        ["sip:alice@10.0.0.7:5060;ob", "sip:alice@10.0.0.4"]
    );
    assert_eq!(
        store.count(600).await.expect("count"),
        3,
        "two of alice, bob"
    );

    // Invalid values are refused.
    assert!(store
        .upsert(&binding(AOR, "sip:q@x", 10, 1001))
        .await
        .is_err());
    assert!(store.upsert(&binding(AOR, "", 10, 1)).await.is_err());
    assert!(store
        .upsert(&binding(AOR, "sip:t@x", u64::MAX, 1))
        .await
        .is_err());
}

async fn expire_and_remove(store: &dyn RegistrationStore) {
    // State from upsert_and_lookup: alice 7 (1500), 3 (600), 4 (2000); bob (1000).
    assert!(store.expire(599).await.expect("expire").is_empty());
    let gone = store.expire(1000).await.expect("expire");
    assert_eq!(
        gone.iter()
            .map(|b| (b.aor.as_str(), b.contact.as_str()))
            .collect::<Vec<_>>(),
        [
            (AOR, "sip:alice@10.0.0.3"),
            ("sip:bob@ims.example.com", "sip:bob@10.0.0.9")
        ]
    );
    assert!(store.expire(1000).await.expect("expire").is_empty());
    assert!(store
        .lookup("sip:bob@ims.example.com", 0)
        .await
        .expect("lookup")
        .is_empty());
    assert_eq!(store.count(0).await.expect("count"), 2);

    let key = BindingKey::Contact("sip:alice@10.0.0.4".into());
    assert!(store.remove(AOR, &key).await.expect("remove"));
    assert!(!store.remove(AOR, &key).await.expect("remove"));
    assert_eq!(
        contacts(&store.lookup(AOR, 0).await.expect("lookup")),
        ["sip:alice@10.0.0.7:5060;ob"]
    );

    for i in 0..3 {
        let b = binding("sip:carol@x", &format!("sip:carol@10.1.0.{i}"), 5000, 500);
        store.upsert(&b).await.expect("upsert");
    }
    assert_eq!(
        store.remove_aor("sip:carol@x").await.expect("remove all"),
        3
    );
    assert_eq!(
        store.remove_aor("sip:carol@x").await.expect("remove all"),
        0
    );
    // The expiry index forgot them too.
    assert!(store
        .expire(10_000)
        .await
        .expect("expire")
        .iter()
        .all(|b| b.aor == AOR));
    assert_eq!(store.count(0).await.expect("count"), 0);
}

async fn many_expire_in_batches(store: &dyn RegistrationStore) {
    for i in 0..1200u64 {
        let b = binding(
            &format!("sip:u{}@x", i % 37),
            &format!("sip:c{i}@h"),
            50 + i % 7,
            1,
        );
        store.upsert(&b).await.expect("upsert");
    }
    store
        .upsert(&binding("sip:keep@x", "sip:k@h", 1000, 1))
        .await
        .expect("upsert");
    // Many bindings of one AOR share an expiry: counting and expiring part of them.
    assert_eq!(store.count(52).await.expect("count"), 4 * 171 + 1);
    assert_eq!(store.expire(52).await.expect("expire").len(), 3 * 172);
    assert_eq!(store.count(0).await.expect("count"), 4 * 171 + 1);
    assert_eq!(store.expire(100).await.expect("expire").len(), 4 * 171);
    assert_eq!(store.count(0).await.expect("count"), 1);
    assert_eq!(store.remove_aor("sip:keep@x").await.expect("rm"), 1);
}

async fn run(kind: Kind) {
    with_backend(kind, |b| async move {
        let store = b.registrations();
        upsert_and_lookup(store.as_ref()).await;
        expire_and_remove(store.as_ref()).await;
        many_expire_in_batches(store.as_ref()).await;
    })
    .await;
}

/// The suite through a [`WriteThroughStore`] over `kind`, then `all()` and a reload.
async fn run_write_through(kind: Kind) {
    with_backend(kind, |b| async move {
        let backing = b.registrations();
        let store = WriteThroughStore::load(Arc::clone(&backing))
            .await
            .expect("load");
        upsert_and_lookup(&store).await;
        // What the cache holds is what the backing store holds.
        let held = store.all().await.expect("all");
        assert_eq!(held.len(), 4);
        assert_eq!(
            contacts(&backing.all().await.expect("all")),
            contacts(&held)
        );
        let reloaded = WriteThroughStore::load(Arc::clone(&backing))
            .await
            .expect("reload");
        assert_eq!(
            contacts(&reloaded.all().await.expect("all")),
            contacts(&held)
        );
        expire_and_remove(&store).await;
        many_expire_in_batches(&store).await;
        assert!(backing.all().await.expect("all").is_empty());
    })
    .await;
}

#[tokio::test]
async fn memory_backend() {
    run(Kind::Memory).await;
}

#[tokio::test]
async fn write_through_sqlite() {
    run_write_through(Kind::Sqlite).await;
}

#[tokio::test]
async fn write_through_postgres() {
    run_write_through(Kind::Postgres).await;
}

#[tokio::test]
async fn write_through_redis() {
    run_write_through(Kind::Redis).await;
}

/// Reads come from memory: a binding written behind the cache's back is not seen, and a
/// binding that expired while the process was down is handed out by the first expiry.
#[tokio::test]
async fn write_through_serves_memory_and_expires_what_it_loaded() {
    let backing: Arc<dyn RegistrationStore> = Arc::new(ims_store::MemoryRegistrationStore::new());
    backing
        .upsert(&binding(AOR, "sip:old@h", 100, 1))
        .await
        .expect("upsert");
    let store = WriteThroughStore::load(Arc::clone(&backing))
        .await
        .expect("load");
    backing
        .upsert(&binding("sip:other@x", "sip:o@h", 50, 1))
        .await
        .expect("upsert");
    assert!(store
        .lookup("sip:other@x", 0)
        .await
        .expect("lookup")
        .is_empty());
    assert!(store.expire(99).await.expect("expire").is_empty());
    let gone = store.expire(100).await.expect("expire");
    // The backing store's answer is authoritative: both due bindings are reported.
    assert_eq!(contacts(&gone), ["sip:old@h", "sip:o@h"]);
    assert_eq!(store.count(0).await.expect("count"), 0);
}

#[tokio::test]
async fn sqlite_backend() {
    run(Kind::Sqlite).await;
}

#[tokio::test]
async fn postgres_backend() {
    run(Kind::Postgres).await;
}

#[tokio::test]
async fn redis_backend() {
    run(Kind::Redis).await;
}

/// Bindings survive closing and reopening a SQLite store (DESIGN.md
/// §Principles 7: registrations survive a restart).
#[tokio::test]
async fn sqlite_bindings_survive_reopen() {
    let file = std::env::temp_dir().join(format!("ims_store_reopen_{}.db", std::process::id()));
    let url = format!("sqlite://{}", file.display());
    let open = || async {
        ims_store::SqlPool::open(&ims_store::SqlOptions::new(url.clone()))
            .await
            .expect("open")
    };
    let pool = open().await;
    let store = ims_store::SqlRegistrationStore::new(pool.clone());
    store
        .upsert(&binding(AOR, "sip:a@h", 100, 1))
        .await
        .expect("upsert");
    pool.close().await;
    let pool = open().await;
    let store = ims_store::SqlRegistrationStore::new(pool.clone());
    let got = store.lookup(AOR, 0).await.expect("lookup");
    pool.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let mut f = file.clone().into_os_string();
        f.push(suffix);
        let _ = std::fs::remove_file(f);
    }
    assert_eq!(contacts(&got), ["sip:a@h"]);
}

async fn time_upserts(store: Arc<dyn RegistrationStore>, kind: Kind) {
    const N: u64 = 10_000;
    let start = Instant::now();
    for i in 0..N {
        let mut b = binding(
            &format!("sip:user{}@x", i % 2000),
            &format!("sip:c{i}@h"),
            10_000,
            500,
        );
        b.path = vec!["<sip:term@pcscf;lr>".into()];
        store.upsert(&b).await.expect("upsert");
    }
    let el = start.elapsed();
    println!(
        "BENCH {kind:?}: {N} sequential upserts in {:.3} s ({:.0}/s)",
        el.as_secs_f64(),
        N as f64 / el.as_secs_f64()
    );
    assert_eq!(store.count(0).await.expect("count"), N);
}

/// `cargo test -p ims-store --release --test registration_suite -- --ignored --nocapture`
#[tokio::test]
#[ignore = "timing report, run on demand"]
async fn bench_10k_upserts() {
    for kind in [Kind::Memory, Kind::Sqlite, Kind::Postgres, Kind::Redis] {
        with_backend(kind, move |b| async move {
            time_upserts(b.registrations(), kind).await
        })
        .await;
    }
}
