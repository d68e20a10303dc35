//! The ledger's SQL pool (sqlx): SQLite embedded (WAL, `synchronous=FULL`), PostgreSQL by
//! URL, with the migrations under `roles/ocs/migrations/{sqlite,postgres}` applied at open.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Executor;

use crate::error::OcsError;

/// How to open the ledger.
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    /// `sqlite:PATH` / `sqlite://PATH` or `postgres://user@host:port/db`.
    pub url: String,
    /// PostgreSQL schema (created if missing, set as `search_path`); ignored for SQLite.
    pub schema: Option<String>,
    /// Pool size.
    pub max_connections: u32,
    /// How long to wait for a connection.
    pub acquire_timeout: Duration,
}

impl LedgerOptions {
    /// Options for `url`: 8 connections, 5 s acquire timeout, no schema.
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

/// A connection pool to either engine.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

type Embedded = &'static [(i64, &'static str, &'static str)];

const SQLITE: Embedded = &[(
    1001,
    "ocs ledger",
    include_str!("../../migrations/sqlite/1001_ocs_ledger.sql"),
)];

const POSTGRES: Embedded = &[(
    1001,
    "ocs ledger",
    include_str!("../../migrations/postgres/1001_ocs_ledger.sql"),
)];

/// Migrations compiled into the binary.
#[derive(Debug)]
struct EmbeddedSource(Embedded);

impl<'s> MigrationSource<'s> for EmbeddedSource {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        let list = self
            .0
            .iter()
            .map(|&(version, desc, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(desc),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(list) })
    }
}

/// The migrator; versions 1001+ and `ignore_missing` so that the ledger can share a database
/// whose migration table already lists other crates' versions.
async fn migrator(source: Embedded) -> Result<Migrator, OcsError> {
    let mut m = Migrator::new(EmbeddedSource(source)).await?;
    m.set_ignore_missing(true);
    Ok(m)
}

const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

fn quote_schema(schema: &str) -> Result<String, OcsError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(format!("\"{schema}\""))
    } else {
        Err(OcsError::Config(format!(
            "schema name {schema:?}: use 1..63 letters, digits or '_'"
        )))
    }
}

impl Pool {
    pub(crate) async fn open(options: &LedgerOptions) -> Result<Self, OcsError> {
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
            migrator(SQLITE).await?.run(&pool).await?;
            Ok(Self::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let connect = PgConnectOptions::from_str(url)?;
            let mut opts = PgPoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout);
            if let Some(schema) = &options.schema {
                let quoted = quote_schema(schema)?;
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
            migrator(POSTGRES).await?.run(&pool).await?;
            Ok(Self::Postgres(pool))
        } else {
            Err(OcsError::Config(format!(
                "unsupported ledger URL scheme in {url:?} (sqlite: or postgres:)"
            )))
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Self::Sqlite(p) => p.close().await,
            Self::Postgres(p) => p.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_checked() {
        assert!(quote_schema("ocs_1").is_ok());
        assert!(quote_schema("a;b").is_err());
        assert!(quote_schema("").is_err());
    }
}
