//! Test backends: memory, SQLite (temp file), PostgreSQL (own schema) and
//! Redis (own key prefix), each cleaned up after the test.
//!
//! PostgreSQL and Redis must be reachable (IMS_TEST_PG_URL, default
//! `postgres://postgres@127.0.0.1:5432/test` then `root@`;
//! IMS_TEST_REDIS_URL, default `redis://127.0.0.1:6379/`). When one is not,
//! the test fails unless `IMS_SKIP_SERVICES=1`, which skips it with a notice.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ims_store::{
    MemoryRegistrationStore, MemorySubscriberStore, RedisRegistrationStore, RegistrationStore,
    SqlOptions, SqlPool, SqlRegistrationStore, SqlSubscriberStore, SubscriberStore,
};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn skip_services() -> bool {
    std::env::var("IMS_SKIP_SERVICES").is_ok_and(|v| v == "1")
}

/// Fails (or, with IMS_SKIP_SERVICES=1, reports a skip) for a missing service.
fn unreachable_service(
    what: &str,
    err: &dyn std::fmt::Display,
) -> Option<std::convert::Infallible> {
    if skip_services() {
        eprintln!("NOTICE: {what} unreachable ({err}); skipped because IMS_SKIP_SERVICES=1");
        None
    } else {
        panic!("{what} unreachable: {err} (start it, or set IMS_SKIP_SERVICES=1 to skip)");
    }
}

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Memory,
    Sqlite,
    Postgres,
    Redis,
}

/// A backend under test and how to clean it up.
pub struct TestBackend {
    pub kind: Kind,
    pool: Option<SqlPool>,
    sqlite_file: Option<PathBuf>,
    pg_schema: Option<(String, String)>,
    redis: Option<RedisRegistrationStore>,
}

impl TestBackend {
    pub fn subscribers(&self) -> Arc<dyn SubscriberStore> {
        match &self.pool {
            Some(pool) => Arc::new(SqlSubscriberStore::new(pool.clone())),
            None => Arc::new(MemorySubscriberStore::new()),
        }
    }

    pub fn registrations(&self) -> Arc<dyn RegistrationStore> {
        match (&self.pool, &self.redis) {
            (Some(pool), _) => Arc::new(SqlRegistrationStore::new(pool.clone())),
            (None, Some(r)) => Arc::new(r.clone()),
            (None, None) => Arc::new(MemoryRegistrationStore::new()),
        }
    }

    pub fn pool(&self) -> Option<&SqlPool> {
        self.pool.as_ref()
    }

    async fn cleanup(self) {
        if let Some(pool) = &self.pool {
            pool.close().await;
        }
        if let Some(file) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let mut f = file.clone().into_os_string();
                f.push(suffix);
                let _ = std::fs::remove_file(f);
            }
        }
        if let Some((url, schema)) = &self.pg_schema {
            let pool = sqlx::PgPool::connect(url)
                .await
                .expect("reconnect to drop schema");
            sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .execute(&pool)
                .await
                .expect("drop test schema");
            pool.close().await;
        }
        if let Some(r) = &self.redis {
            r.purge().await.expect("delete test keys");
        }
    }
}

/// Opens a fresh backend of `kind`; `None` when skipped.
pub async fn open(kind: Kind) -> Option<TestBackend> {
    let mut b = TestBackend {
        kind,
        pool: None,
        sqlite_file: None,
        pg_schema: None,
        redis: None,
    };
    match kind {
        Kind::Memory => {}
        Kind::Sqlite => {
            let file = std::env::temp_dir().join(format!("ims_store_test_{}.db", unique()));
            let url = format!("sqlite://{}", file.display());
            b.sqlite_file = Some(file);
            b.pool = Some(
                SqlPool::open(&SqlOptions::new(url))
                    .await
                    .expect("open SQLite"),
            );
        }
        Kind::Postgres => {
            let urls: Vec<String> = match std::env::var("IMS_TEST_PG_URL") {
                Ok(u) => vec![u],
                Err(_) => vec![
                    "postgres://postgres@127.0.0.1:5432/test".into(),
                    "postgres://root@127.0.0.1:5432/test".into(),
                ],
            };
            let schema = format!("ims_test_{}", unique());
            let mut last_err = String::new();
            for url in urls {
                let opts = SqlOptions::new(url.clone()).with_schema(schema.clone());
                match SqlPool::open(&opts).await {
                    Ok(pool) => {
                        b.pool = Some(pool);
                        b.pg_schema = Some((url, schema));
                        break;
                    }
                    Err(e) => last_err = format!("{url}: {e}"),
                }
            }
            if b.pool.is_none() {
                unreachable_service("PostgreSQL", &last_err)?;
            }
        }
        Kind::Redis => {
            let url = std::env::var("IMS_TEST_REDIS_URL")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
            let prefix = format!("ims_test:{}:", unique());
            match RedisRegistrationStore::connect(&url, prefix).await {
                Ok(r) => b.redis = Some(r),
                Err(e) => {
                    unreachable_service("Redis", &format!("{url}: {e}"))?;
                }
            }
        }
    }
    Some(b)
}

/// Runs `body` on a fresh backend of `kind`, cleans up even if it panics,
/// then re-raises the panic.
pub async fn with_backend<F, Fut>(kind: Kind, body: F)
where
    F: FnOnce(Arc<TestBackend>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(backend) = open(kind).await else {
        return;
    };
    let backend = Arc::new(backend);
    let result = tokio::spawn(body(backend.clone())).await;
    match Arc::try_unwrap(backend) {
        Ok(b) => b.cleanup().await,
        Err(_) => eprintln!("WARNING: backend still shared, not cleaned up"),
    }
    if let Err(e) = result {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("test task failed: {e}");
    }
}
