//! Test harness: the HSS on a fresh store (memory, SQLite file, or PostgreSQL schema per
//! test), Cx requests built as a peer would, answers decoded and validated.
//!
//! PostgreSQL must be reachable (IMS_TEST_PG_URL, default `postgres://postgres@127.0.0.1:5432/test`
//! then `root@`), else the test fails unless `IMS_SKIP_SERVICES=1`, which skips it.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::base::AuthSessionState;
use diameter_codec::generated::cx::{self, avp as x};
use diameter_codec::{validate, CommandDef, Message, MessageBuilder, WriteAvps};
use ims_hss::{seed_demo, CounterRandSource, Hss, HssConfig, Outcome};
use ims_store::{MemorySubscriberStore, SqlOptions, SqlPool, SqlSubscriberStore, SubscriberStore};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Backend kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Memory,
    Sqlite,
    Postgres,
}

struct Cleanup {
    pool: Option<SqlPool>,
    file: Option<PathBuf>,
    pg: Option<(String, String)>,
}

impl Cleanup {
    async fn run(self) {
        if let Some(pool) = &self.pool {
            pool.close().await;
        }
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let mut f = file.clone().into_os_string();
                f.push(suffix);
                let _ = std::fs::remove_file(f);
            }
        }
        if let Some((url, schema)) = &self.pg {
            let pool = sqlx::PgPool::connect(url).await.expect("reconnect");
            sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .execute(&pool)
                .await
                .expect("drop schema");
            pool.close().await;
        }
    }
}

async fn open(kind: Kind) -> Option<(Arc<dyn SubscriberStore>, Cleanup)> {
    let mut c = Cleanup {
        pool: None,
        file: None,
        pg: None,
    };
    match kind {
        Kind::Memory => return Some((Arc::new(MemorySubscriberStore::new()), c)),
        Kind::Sqlite => {
            let file = std::env::temp_dir().join(format!("ims_hss_test_{}.db", unique()));
            let pool = SqlPool::open(&SqlOptions::new(format!("sqlite://{}", file.display())))
                .await
                .expect("open SQLite");
            c.file = Some(file);
            c.pool = Some(pool);
        }
        Kind::Postgres => {
            let urls: Vec<String> = match std::env::var("IMS_TEST_PG_URL") {
                Ok(u) => vec![u],
                Err(_) => vec![
                    "postgres://postgres@127.0.0.1:5432/test".into(),
                    "postgres://root@127.0.0.1:5432/test".into(),
                ],
            };
            let schema = format!("hss_test_{}", unique());
            let mut last = String::new();
            for url in urls {
                match SqlPool::open(&SqlOptions::new(url.clone()).with_schema(schema.clone())).await
                {
                    Ok(pool) => {
                        c.pool = Some(pool);
                        c.pg = Some((url, schema));
                        break;
                    }
                    Err(e) => last = format!("{url}: {e}"),
                }
            }
            if c.pool.is_none() {
                if std::env::var("IMS_SKIP_SERVICES").is_ok_and(|v| v == "1") {
                    eprintln!(
                        "NOTICE: PostgreSQL unreachable ({last}); skipped (IMS_SKIP_SERVICES=1)"
                    );
                    return None;
                }
                panic!("PostgreSQL unreachable: {last} (or set IMS_SKIP_SERVICES=1)");
            }
        }
    }
    let pool = c.pool.clone()?;
    Some((Arc::new(SqlSubscriberStore::new(pool)), c))
}

/// The test configuration: realm ims.test, visited.test allowed, one S-CSCF, charging set.
pub fn config() -> HssConfig {
    let mut cfg = HssConfig::new("hss.ims.test", "ims.test");
    cfg.allowed_visited_networks = vec!["visited.test".into()];
    cfg.user_capabilities.optional = vec![7];
    cfg.scscf.push(ims_hss::ScscfConfig {
        name: SCSCF.into(),
        capabilities: vec![7],
    });
    cfg.charging.ccf_primary = Some("aaa://cdf.ims.test:3868".into());
    cfg.charging.ecf_primary = Some("aaa://ocs.ims.test:3868".into());
    cfg
}

pub const SCSCF: &str = "sip:scscf.ims.test:6060";
pub const SCSCF_HOST: &str = "scscf.ims.test";
pub const OTHER_SCSCF: &str = "sip:scscf2.ims.test:6060";

/// Runs `body` with an HSS over a fresh, demo-seeded store of `kind`; cleans up after.
pub async fn with_hss<F, Fut>(kind: Kind, body: F)
where
    F: FnOnce(Hss) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some((store, cleanup)) = open(kind).await else {
        return;
    };
    seed_demo(store.as_ref()).await.expect("seed");
    let hss = Hss::new(config(), store, Arc::new(CounterRandSource::new(1))).expect("hss");
    let result = tokio::spawn(body(hss)).await;
    cleanup.run().await;
    if let Err(e) = result {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("test task failed: {e}");
    }
}

/// Generates one `#[tokio::test]` per backend for a scenario `async fn(Hss)`.
#[macro_export]
macro_rules! on_all_backends {
    ($($name:ident),* $(,)?) => {
        mod memory { use super::*; $( #[tokio::test] async fn $name() { common::with_hss(common::Kind::Memory, super::$name).await } )* }
        mod sqlite { use super::*; $( #[tokio::test] async fn $name() { common::with_hss(common::Kind::Sqlite, super::$name).await } )* }
        mod postgres { use super::*; $( #[tokio::test] async fn $name() { common::with_hss(common::Kind::Postgres, super::$name).await } )* }
    };
}

/// A Cx request with the common AVPs a peer sends (TS 29.229 §6.1).
pub fn request(cmd: &CommandDef, origin: &str) -> MessageBuilder {
    let mut r = MessageBuilder::request(cmd, 0x1111, 0x2222);
    r.put(&b::SESSION_ID, "peer.ims.test;1;42");
    r.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
        g.put(&b::VENDOR_ID, &10415)
            .put(&b::AUTH_APPLICATION_ID, &cx::APPLICATION_ID.0);
    });
    r.put(
        &b::AUTH_SESSION_STATE,
        &AuthSessionState::NO_STATE_MAINTAINED,
    )
    .put(&b::ORIGIN_HOST, origin)
    .put(&b::ORIGIN_REALM, "ims.test")
    .put(&b::DESTINATION_REALM, "ims.test");
    r
}

pub fn uar(impi: &str, impu: &str, visited: &str, uat: Option<cx::UserAuthorizationType>) -> Bytes {
    let mut r = request(&cx::cmd::UAR, "icscf.ims.test");
    r.put(&b::USER_NAME, impi)
        .put(&x::PUBLIC_IDENTITY, impu)
        .put(&x::VISITED_NETWORK_IDENTIFIER, visited.as_bytes());
    if let Some(t) = uat {
        r.put(&x::USER_AUTHORIZATION_TYPE, &t);
    }
    r.finish()
}

pub fn mar(impi: &str, impu: &str, scheme: &str, n: u32, authorization: Option<&[u8]>) -> Bytes {
    mar_from(impi, impu, scheme, n, authorization, SCSCF)
}

pub fn mar_from(
    impi: &str,
    impu: &str,
    scheme: &str,
    n: u32,
    authorization: Option<&[u8]>,
    server: &str,
) -> Bytes {
    let mut r = request(&cx::cmd::MAR, SCSCF_HOST);
    r.put(&b::USER_NAME, impi).put(&x::PUBLIC_IDENTITY, impu);
    r.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
        g.put(&x::SIP_AUTHENTICATION_SCHEME, scheme);
        if let Some(a) = authorization {
            g.put(&x::SIP_AUTHORIZATION, a);
        }
    });
    r.put(&x::SIP_NUMBER_AUTH_ITEMS, &n)
        .put(&x::SERVER_NAME, server);
    r.finish()
}

pub fn sar(
    impi: Option<&str>,
    impu: Option<&str>,
    sat: cx::ServerAssignmentType,
    server: &str,
) -> Bytes {
    let mut r = request(&cx::cmd::SAR, SCSCF_HOST);
    if let Some(i) = impi {
        r.put(&b::USER_NAME, i);
    }
    if let Some(u) = impu {
        r.put(&x::PUBLIC_IDENTITY, u);
    }
    r.put(&x::SERVER_NAME, server)
        .put(&x::SERVER_ASSIGNMENT_TYPE, &sat)
        .put(
            &x::USER_DATA_ALREADY_AVAILABLE,
            &cx::UserDataAlreadyAvailable::USER_DATA_NOT_AVAILABLE,
        );
    r.finish()
}

pub fn lir(impu: &str) -> Bytes {
    let mut r = request(&cx::cmd::LIR, "icscf.ims.test");
    r.put(&x::PUBLIC_IDENTITY, impu);
    r.finish()
}

/// Sends `req` to the HSS; decodes the answer, checks the identifiers and validates it against
/// `answer_cmd`.
pub async fn ask(hss: &Hss, req: Bytes, answer_cmd: &CommandDef) -> Message {
    let req = Message::decode(req).expect("request decodes");
    let ans = Message::decode(hss.handle(&req).await).expect("answer decodes");
    assert!(!ans.header().flags.is_request());
    assert_eq!(ans.header().code, req.header().code);
    assert_eq!(ans.header().hop_by_hop, req.header().hop_by_hop);
    assert_eq!(ans.header().end_to_end, req.header().end_to_end);
    validate(&ans, answer_cmd).unwrap_or_else(|e| panic!("answer invalid: {e}"));
    ans
}

pub fn result(ans: &Message) -> Outcome {
    ims_hss::answer_result(ans).expect("answer has a result")
}

pub const fn exp(code: u32) -> Outcome {
    Outcome::Experimental(code)
}

pub const fn base(code: u32) -> Outcome {
    Outcome::Base(code)
}
