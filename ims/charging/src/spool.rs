//! The durable accounting spool (DESIGN.md §Principles 7, RFC 6733 §9.4): encoded ACRs in a
//! SQLite file in WAL mode with `synchronous=FULL`, so a record whose insert returned
//! survives a crash or power loss. Records leave in insertion order; a record is deleted
//! only once the CDF stored it, and one the CDF refuses for good (5xxx) is kept, marked.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;

use crate::error::SpoolError;

/// How long a writer waits for the database lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS rf_spool (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    record_number INTEGER NOT NULL,
    frame BLOB NOT NULL,
    rejected_with INTEGER
)";

/// One spooled record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpooledRecord {
    /// Position in the spool (FIFO order).
    pub seq: i64,
    /// Session-Id of the ACR.
    pub session_id: String,
    /// Accounting-Record-Number of the ACR.
    pub record_number: u32,
    /// The encoded ACR.
    pub frame: Bytes,
}

/// The spool file.
#[derive(Debug, Clone)]
pub struct Spool {
    pool: SqlitePool,
}

impl Spool {
    /// Opens (creating if missing) the spool at `path`.
    pub async fn open(path: &Path) -> Result<Self, SpoolError> {
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(connect)
            .await?;
        sqlx::query(SCHEMA).execute(&pool).await?;
        Ok(Self { pool })
    }

    /// Appends a record; committed (and synced) when this returns.
    pub async fn push(
        &self,
        session_id: &str,
        record_number: u32,
        frame: &[u8],
    ) -> Result<i64, SpoolError> {
        let row = sqlx::query(
            "INSERT INTO rf_spool (session_id, record_number, frame) VALUES ($1, $2, $3) \
             RETURNING seq",
        )
        .bind(session_id)
        .bind(i64::from(record_number))
        .bind(frame)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// The oldest record still to deliver.
    pub async fn head(&self) -> Result<Option<SpooledRecord>, SpoolError> {
        let row = sqlx::query(
            "SELECT seq, session_id, record_number, frame FROM rf_spool \
             WHERE rejected_with IS NULL ORDER BY seq LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let number: i64 = row.try_get(2)?;
        let frame: Vec<u8> = row.try_get(3)?;
        Ok(Some(SpooledRecord {
            seq: row.try_get(0)?,
            session_id: row.try_get(1)?,
            record_number: u32::try_from(number)
                .map_err(|_| SpoolError::Corrupt(format!("record number {number}")))?,
            frame: Bytes::from(frame),
        }))
    }

    /// Deletes a delivered record.
    pub async fn remove(&self, seq: i64) -> Result<(), SpoolError> {
        sqlx::query("DELETE FROM rf_spool WHERE seq = $1")
            .bind(seq)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks a record the CDF refused for good with `result_code`; it stays in the file.
    pub async fn reject(&self, seq: i64, result_code: u32) -> Result<(), SpoolError> {
        sqlx::query("UPDATE rf_spool SET rejected_with = $1 WHERE seq = $2")
            .bind(i64::from(result_code))
            .bind(seq)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records still to deliver.
    pub async fn pending(&self) -> Result<u64, SpoolError> {
        self.count("SELECT COUNT(*) FROM rf_spool WHERE rejected_with IS NULL")
            .await
    }

    /// Records the CDF refused for good.
    pub async fn rejected(&self) -> Result<u64, SpoolError> {
        self.count("SELECT COUNT(*) FROM rf_spool WHERE rejected_with IS NOT NULL")
            .await
    }

    async fn count(&self, sql: &str) -> Result<u64, SpoolError> {
        let n: i64 = sqlx::query(sql).fetch_one(&self.pool).await?.try_get(0)?;
        u64::try_from(n).map_err(|_| SpoolError::Corrupt(format!("count {n}")))
    }

    /// Closes the connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fifo_remove_reject_and_reopen() {
        let path =
            std::env::temp_dir().join(format!("ims_charging_spool_{}.db", std::process::id()));
        let spool = Spool::open(&path).await.unwrap();
        spool.push("a", 0, b"one").await.unwrap();
        spool.push("b", 0, b"two").await.unwrap();
        spool.push("a", 1, b"three").await.unwrap();
        let h = spool.head().await.unwrap().unwrap();
        assert_eq!(
            (h.session_id.as_str(), h.frame.as_ref()),
            ("a", b"one".as_slice())
        );
        spool.remove(h.seq).await.unwrap();
        let h = spool.head().await.unwrap().unwrap();
        spool.reject(h.seq, 5004).await.unwrap();
        spool.close().await;
        let spool = Spool::open(&path).await.unwrap();
        assert_eq!(spool.pending().await.unwrap(), 1);
        assert_eq!(spool.rejected().await.unwrap(), 1);
        let h = spool.head().await.unwrap().unwrap();
        assert_eq!(
            (h.record_number, h.frame.as_ref()),
            (1, b"three".as_slice())
        );
        spool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let mut f = path.clone().into_os_string();
            f.push(suffix);
            let _ = std::fs::remove_file(f);
        }
    }
}
