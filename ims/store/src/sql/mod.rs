//! SQL connection pools (sqlx): SQLite embedded, PostgreSQL for deployments.
//!
//! One [`SqlPool`] serves both the subscriber and the registration stores;
//! the schema migrations under `ims/store/migrations/{sqlite,postgres}` are
//! embedded in the binary and applied by [`SqlPool::open`].
//!
//! The SQL text is shared by both backends: `$N` placeholders (SQLite
//! accepts them), `INSERT .. ON CONFLICT .. DO UPDATE` and
//! `UPDATE/DELETE .. RETURNING` (SQLite ≥ 3.35, bundled by sqlx).

mod migrations;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Executor;

use crate::{Result, StoreError};

/// Which SQL engine a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlBackend {
    /// SQLite (embedded, one file).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// How to open a [`SqlPool`].
#[derive(Debug, Clone)]
pub struct SqlOptions {
    /// `sqlite:PATH` / `sqlite://PATH` or `postgres://user@host:port/db`.
    pub url: String,
    /// PostgreSQL schema to use (created if missing, set as `search_path`
    /// on every connection); ignored for SQLite. Letters, digits and `_`.
    pub schema: Option<String>,
    /// Pool size.
    pub max_connections: u32,
    /// How long to wait for a connection before failing (also bounds how
    /// long an unreachable server blocks `open`).
    pub acquire_timeout: Duration,
}

impl SqlOptions {
    /// Options for `url` with the default pool size and no schema.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            schema: None,
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
        }
    }

    /// Sets the PostgreSQL schema.
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
}

/// A pool of connections to SQLite or PostgreSQL, with migrations applied.
#[derive(Debug, Clone)]
pub enum SqlPool {
    /// SQLite pool.
    Sqlite(SqlitePool),
    /// PostgreSQL pool.
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the concrete pool of either backend (the
/// body is compiled once per backend, so row types differ but text is
/// shared).
macro_rules! with_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            $crate::sql::SqlPool::Sqlite($p) => $body,
            $crate::sql::SqlPool::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// How long a SQLite writer waits for the database lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl SqlPool {
    /// Connects and applies the embedded migrations.
    ///
    /// SQLite runs in WAL mode with `synchronous=FULL`: the WAL is synced at
    /// every commit, so an acknowledged write survives power loss
    /// (`NORMAL` would only survive an application crash), as required by
    /// DESIGN.md §Principles 7.
    pub async fn open(options: &SqlOptions) -> Result<Self> {
        let url = options.url.as_str();
        if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT);
            let pool = SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await?;
            migrations::sqlite().await?.run(&pool).await?;
            Ok(Self::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let connect = PgConnectOptions::from_str(url)?;
            let mut opts = PgPoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout);
            if let Some(schema) = &options.schema {
                let quoted = quote_schema(schema)?;
                // Create the schema once, on a plain connection.
                let setup = PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect.clone())
                    .await?;
                setup
                    .execute(format!("CREATE SCHEMA IF NOT EXISTS {quoted}").as_str())
                    .await?;
                setup.close().await;
                let set = format!("SET search_path TO {quoted}");
                opts = opts.after_connect(move |conn, _meta| {
                    let set = set.clone();
                    Box::pin(async move {
                        conn.execute(set.as_str()).await?;
                        Ok(())
                    })
                });
            }
            let pool = opts.connect_with(connect).await?;
            migrations::postgres().await?.run(&pool).await?;
            Ok(Self::Postgres(pool))
        } else {
            Err(StoreError::Config(format!(
                "unsupported SQL URL scheme in {url:?} (sqlite: or postgres:)"
            )))
        }
    }

    /// The engine of this pool.
    pub fn backend(&self) -> SqlBackend {
        match self {
            Self::Sqlite(_) => SqlBackend::Sqlite,
            Self::Postgres(_) => SqlBackend::Postgres,
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        with_pool!(self, |p| p.close().await)
    }
}

/// Validates and double-quotes a schema name.
fn quote_schema(schema: &str) -> Result<String> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(format!("\"{schema}\""))
    } else {
        Err(StoreError::Config(format!(
            "schema name {schema:?}: use 1..63 letters, digits or '_'"
        )))
    }
}

/// Converts an unsigned value to the signed 64-bit SQL integer.
pub(crate) fn to_i64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::invalid(format!("{what} {v} exceeds i64")))
}

/// Converts a signed SQL integer back to an unsigned value.
pub(crate) fn from_i64<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T> {
    T::try_from(v).map_err(|_| StoreError::invalid(format!("stored {what} {v} out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_validated() {
        assert_eq!(
            quote_schema("ims_test_1").ok().as_deref(),
            Some("\"ims_test_1\"")
        );
        for bad in ["", "a;drop", "x\"y", &"a".repeat(64)] {
            assert!(quote_schema(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn integer_conversions_check_range() {
        assert_eq!(to_i64(5, "x").ok(), Some(5));
        assert!(to_i64(u64::MAX, "x").is_err());
        assert_eq!(from_i64::<u32>(7, "x").ok(), Some(7));
        assert!(from_i64::<u32>(-1, "x").is_err());
    }

    #[tokio::test]
    async fn rejects_unknown_url_scheme() {
        let r = SqlPool::open(&SqlOptions::new("mysql://x")).await;
        assert!(matches!(r, Err(StoreError::Config(_))));
    }
}
