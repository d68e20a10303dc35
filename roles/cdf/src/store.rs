//! The CDR store: one row per ACR in `cdf_records` (SQLite or PostgreSQL through sqlx),
//! committed before the ACA is sent (RFC 6733 §9.4, DESIGN.md principle 7). The pair
//! (Session-Id, Accounting-Record-Number) identifies a record (RFC 6733 §9.6): a retransmitted
//! ACR is stored once.

use std::str::FromStr;
use std::time::Duration;

use ims_store::{SqlBackend, SqlOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ColumnIndex, Decode, Executor, Row, Type};

use crate::call_detail::{correlate, CallDetail};
use crate::group_commit::GroupCommit;
use crate::record::{AccountingRecord, RecordType};
use crate::CdfError;

/// A stored CDR: the record plus its row id and filing time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cdr {
    /// Row id (ascending in insertion order; gaps are possible).
    pub id: i64,
    /// [`AccountingRecord::record_time`], as stored.
    pub record_time: u64,
    /// The record.
    pub record: AccountingRecord,
}

/// What [`CdrStore::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The record was new and is now committed.
    Stored,
    /// A record with the same Session-Id and Accounting-Record-Number was already stored
    /// (a retransmission, RFC 6733 §9.6); nothing was written.
    Duplicate,
}

/// A half-open range of record times in Unix seconds: `from <= t < to`, open ends when `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    /// Inclusive lower bound.
    pub from: Option<u64>,
    /// Exclusive upper bound.
    pub to: Option<u64>,
}

impl TimeRange {
    /// Every record.
    pub const ALL: Self = Self {
        from: None,
        to: None,
    };

    /// `from <= t < to`.
    pub const fn new(from: u64, to: u64) -> Self {
        Self {
            from: Some(from),
            to: Some(to),
        }
    }

    fn bounds(&self) -> (i64, i64) {
        (
            self.from.map_or(i64::MIN, sql_int),
            self.to.map_or(i64::MAX, sql_int),
        )
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the concrete pool (compiled once per backend).
macro_rules! with_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

/// Most concurrent PostgreSQL writer tasks (each commits its own batches).
const PG_WRITERS: usize = 4;

/// How long a SQLite writer waits for the database lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const COLUMNS: &str = "id, session_id, record_number, record_type, record_time, received_at, \
    origin_host, origin_realm, user_name, event_timestamp, sip_method, event, expires, \
    role_of_node, node_functionality, user_session_id, calling_party_address, \
    called_party_address, sip_request_timestamp, sip_response_timestamp, originating_ioi, \
    terminating_ioi, ims_charging_identifier, sdp_session_description, sdp_media, cause_code";

/// Session records of the sessions with a record in the range (START/INTERIM/STOP only).
const SESSION_RECORDS_IN_RANGE: &str = "WHERE record_type IN (2, 3, 4) AND session_id IN \
    (SELECT session_id FROM cdf_records WHERE record_type IN (2, 3, 4) \
    AND record_time >= $1 AND record_time < $2) ORDER BY session_id, record_number, id";

/// The CDR store over SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct CdrStore {
    pool: Pool,
    writer: GroupCommit,
}

impl CdrStore {
    /// Connects (`sqlite:PATH` or `postgres://…`, PostgreSQL schema created and set as
    /// `search_path` when given) and applies the CDF migrations. SQLite runs in WAL mode with
    /// `synchronous=FULL`, so a committed record survives power loss. The group-commit writer
    /// tasks are spawned on the current tokio runtime: use the store on that runtime.
    pub async fn open(options: &SqlOptions) -> Result<Self, CdfError> {
        let url = options.url.as_str();
        if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(SQLITE_BUSY_TIMEOUT);
            let pool = SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await?;
            crate::migrations::sqlite().await?.run(&pool).await?;
            Ok(Self::with_pool(Pool::Sqlite(pool), options.max_connections))
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
            crate::migrations::postgres().await?.run(&pool).await?;
            Ok(Self::with_pool(
                Pool::Postgres(pool),
                options.max_connections,
            ))
        } else {
            Err(CdfError::Config(format!(
                "unsupported SQL URL scheme in {url:?} (sqlite: or postgres:)"
            )))
        }
    }

    /// SQLite has one writer at a time: one writer task. PostgreSQL commits in parallel:
    /// up to [`PG_WRITERS`] tasks, within the pool size.
    fn with_pool(pool: Pool, max_connections: u32) -> Self {
        let writers = match pool {
            Pool::Sqlite(_) => 1,
            Pool::Postgres(_) => {
                usize::try_from(max_connections).map_or(1, |n| n.clamp(1, PG_WRITERS))
            }
        };
        Self {
            writer: GroupCommit::spawn(&pool, writers),
            pool,
        }
    }

    /// The engine behind this store.
    pub fn backend(&self) -> SqlBackend {
        match self.pool {
            Pool::Sqlite(_) => SqlBackend::Sqlite,
            Pool::Postgres(_) => SqlBackend::Postgres,
        }
    }

    /// Closes every connection; later calls fail with [`CdfError::Sql`].
    pub async fn close(&self) {
        with_pool!(&self.pool, |p| p.close().await)
    }

    /// Writes `rec` and returns once the transaction holding it is committed, or reports
    /// that the same (Session-Id, Accounting-Record-Number) is already stored. Concurrent
    /// calls share transactions (group commit, one fsync for many records).
    pub async fn insert(&self, rec: &AccountingRecord) -> Result<InsertOutcome, CdfError> {
        self.writer.insert(rec.clone()).await
    }

    /// The records filed in `range`, by record time then arrival.
    pub async fn records(&self, range: &TimeRange) -> Result<Vec<Cdr>, CdfError> {
        let (from, to) = range.bounds();
        let sql = format!(
            "SELECT {COLUMNS} FROM cdf_records WHERE record_time >= $1 AND record_time < $2 \
             ORDER BY record_time, id"
        );
        with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&sql).bind(from).bind(to).fetch_all(p).await?;
            rows.iter().map(cdr_from_row).collect()
        })
    }

    /// Every record of one session, by Accounting-Record-Number.
    pub async fn session_records(&self, session_id: &str) -> Result<Vec<Cdr>, CdfError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM cdf_records WHERE session_id = $1 \
             ORDER BY record_number, id"
        );
        with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&sql).bind(session_id).fetch_all(p).await?;
            rows.iter().map(cdr_from_row).collect()
        })
    }

    /// Number of stored records.
    pub async fn count(&self) -> Result<u64, CdfError> {
        let n: i64 = with_pool!(&self.pool, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM cdf_records")
                .fetch_one(p)
                .await?
        });
        from_sql(n, "count")
    }

    /// The call details (START…STOP correlated per Session-Id) of the sessions with a
    /// START, INTERIM or STOP record in `range`, ordered by start (or first record) time.
    pub async fn call_details(&self, range: &TimeRange) -> Result<Vec<CallDetail>, CdfError> {
        let (from, to) = range.bounds();
        let sql = format!("SELECT {COLUMNS} FROM cdf_records {SESSION_RECORDS_IN_RANGE}");
        let cdrs: Vec<Cdr> = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&sql).bind(from).bind(to).fetch_all(p).await?;
            rows.iter()
                .map(cdr_from_row)
                .collect::<Result<Vec<_>, _>>()?
        });
        let mut details = correlate(&cdrs);
        details.sort_by(|a, b| {
            (a.sort_time(), a.session_id.as_str()).cmp(&(b.sort_time(), b.session_id.as_str()))
        });
        Ok(details)
    }

    /// The call detail of one session, `None` when it has no START/INTERIM/STOP record.
    pub async fn call_detail(&self, session_id: &str) -> Result<Option<CallDetail>, CdfError> {
        let cdrs: Vec<Cdr> = self
            .session_records(session_id)
            .await?
            .into_iter()
            .filter(|c| c.record.record_type != RecordType::Event)
            .collect();
        Ok(correlate(&cdrs).into_iter().next())
    }
}

/// An unsigned value as a SQL BIGINT (times here are far below `i64::MAX`).
pub(crate) fn sql_int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn from_sql<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T, CdfError> {
    T::try_from(v).map_err(|_| CdfError::InvalidData(format!("{what} {v} out of range")))
}

fn opt_from_sql<T: TryFrom<i64>>(v: Option<i64>, what: &str) -> Result<Option<T>, CdfError> {
    v.map(|v| from_sql(v, what)).transpose()
}

/// Decodes one `cdf_records` row selected with [`COLUMNS`].
fn cdr_from_row<'r, R>(row: &'r R) -> Result<Cdr, CdfError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    let int = |name: &'static str| row.try_get::<i64, _>(name);
    let opt_int = |name: &'static str| row.try_get::<Option<i64>, _>(name);
    let text = |name: &'static str| row.try_get::<String, _>(name);
    let opt_text = |name: &'static str| row.try_get::<Option<String>, _>(name);
    let wire_type = from_sql::<i32>(int("record_type")?, "record_type")?;
    let record_type = RecordType::from_wire(diameter_codec::generated::base::AccountingRecordType(
        wire_type,
    ))
    .ok_or_else(|| CdfError::InvalidData(format!("record_type {wire_type}")))?;
    let record = AccountingRecord {
        session_id: text("session_id")?,
        record_type,
        record_number: from_sql(int("record_number")?, "record_number")?,
        origin_host: text("origin_host")?,
        origin_realm: text("origin_realm")?,
        user_name: opt_text("user_name")?,
        event_timestamp: opt_from_sql(opt_int("event_timestamp")?, "event_timestamp")?,
        sip_method: opt_text("sip_method")?,
        event: opt_text("event")?,
        expires: opt_from_sql(opt_int("expires")?, "expires")?,
        role_of_node: opt_from_sql(opt_int("role_of_node")?, "role_of_node")?,
        node_functionality: opt_from_sql(opt_int("node_functionality")?, "node_functionality")?,
        user_session_id: opt_text("user_session_id")?,
        calling_party_address: opt_text("calling_party_address")?,
        called_party_address: opt_text("called_party_address")?,
        sip_request_timestamp: opt_from_sql(
            opt_int("sip_request_timestamp")?,
            "sip_request_timestamp",
        )?,
        sip_response_timestamp: opt_from_sql(
            opt_int("sip_response_timestamp")?,
            "sip_response_timestamp",
        )?,
        originating_ioi: opt_text("originating_ioi")?,
        terminating_ioi: opt_text("terminating_ioi")?,
        ims_charging_identifier: opt_text("ims_charging_identifier")?,
        sdp_session_description: opt_text("sdp_session_description")?,
        sdp_media: opt_text("sdp_media")?,
        cause_code: opt_from_sql(opt_int("cause_code")?, "cause_code")?,
        received_at: from_sql(int("received_at")?, "received_at")?,
    };
    Ok(Cdr {
        id: int("id")?,
        record_time: from_sql(int("record_time")?, "record_time")?,
        record,
    })
}

/// Validates and double-quotes a PostgreSQL schema name.
fn quote_schema(schema: &str) -> Result<String, CdfError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(format!("\"{schema}\""))
    } else {
        Err(CdfError::Config(format!(
            "schema name {schema:?}: use 1..63 letters, digits or '_'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_and_ranges() {
        assert_eq!(quote_schema("cdf_1").ok().as_deref(), Some("\"cdf_1\""));
        for bad in ["", "a;b", "x\"y", &"a".repeat(64)] {
            assert!(quote_schema(bad).is_err(), "{bad}");
        }
        assert_eq!(TimeRange::ALL.bounds(), (i64::MIN, i64::MAX));
        assert_eq!(TimeRange::new(5, 9).bounds(), (5, 9));
        assert_eq!(sql_int(u64::MAX), i64::MAX);
        assert!(from_sql::<u32>(-1, "x").is_err());
    }

    #[tokio::test]
    async fn rejects_unknown_url_scheme() {
        let r = CdrStore::open(&SqlOptions::new("mysql://x")).await;
        assert!(matches!(r, Err(CdfError::Config(_))));
    }
}
