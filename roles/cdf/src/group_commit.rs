//! Group commit: concurrent ACRs are written in one transaction and answered after its
//! commit, so that one fsync covers many records (the batching is safe: no ACA leaves before
//! the commit that holds its record). A batch that fails is retried record by record, so one
//! bad record never fails its neighbours.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use crate::record::AccountingRecord;
use crate::store::{sql_int, InsertOutcome, Pool};
use crate::CdfError;

/// Most records per transaction.
const MAX_BATCH: usize = 256;
/// Records waiting for the writer before `insert` callers wait for room.
const QUEUE: usize = 4_096;

const INSERT: &str = "INSERT INTO cdf_records (session_id, record_number, record_type, \
    record_time, received_at, origin_host, origin_realm, user_name, event_timestamp, \
    sip_method, event, expires, role_of_node, node_functionality, user_session_id, \
    calling_party_address, called_party_address, sip_request_timestamp, \
    sip_response_timestamp, originating_ioi, terminating_ioi, ims_charging_identifier, \
    sdp_session_description, sdp_media, cause_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
    $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) \
    ON CONFLICT (session_id, record_number) DO NOTHING";

/// The INSERT of one record, for the backend the surrounding code is compiled for.
macro_rules! insert_query {
    ($rec:expr) => {{
        let rec: &AccountingRecord = $rec;
        sqlx::query(INSERT)
            .bind(rec.session_id.as_str())
            .bind(i64::from(rec.record_number))
            .bind(i64::from(rec.record_type.to_wire().0))
            .bind(sql_int(rec.record_time()))
            .bind(sql_int(rec.received_at))
            .bind(rec.origin_host.as_str())
            .bind(rec.origin_realm.as_str())
            .bind(rec.user_name.as_deref())
            .bind(rec.event_timestamp.map(sql_int))
            .bind(rec.sip_method.as_deref())
            .bind(rec.event.as_deref())
            .bind(rec.expires.map(i64::from))
            .bind(rec.role_of_node.map(i64::from))
            .bind(rec.node_functionality.map(i64::from))
            .bind(rec.user_session_id.as_deref())
            .bind(rec.calling_party_address.as_deref())
            .bind(rec.called_party_address.as_deref())
            .bind(rec.sip_request_timestamp.map(sql_int))
            .bind(rec.sip_response_timestamp.map(sql_int))
            .bind(rec.originating_ioi.as_deref())
            .bind(rec.terminating_ioi.as_deref())
            .bind(rec.ims_charging_identifier.as_deref())
            .bind(rec.sdp_session_description.as_deref())
            .bind(rec.sdp_media.as_deref())
            .bind(rec.cause_code.map(i64::from))
    }};
}

struct Job {
    record: AccountingRecord,
    reply: oneshot::Sender<Result<InsertOutcome, CdfError>>,
}

/// The handle to the writer task of one store.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts `writers` writer tasks on the current tokio runtime (each takes the next batch
    /// when it is free); they end when every handle is gone.
    pub(crate) fn spawn(pool: &Pool, writers: usize) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..writers.max(1) {
            tokio::spawn(run(pool.clone(), rx.clone()));
        }
        Self { jobs }
    }

    /// Queues `record` and waits until its transaction is committed (or failed).
    pub(crate) async fn insert(&self, record: AccountingRecord) -> Result<InsertOutcome, CdfError> {
        let (reply, done) = oneshot::channel();
        self.jobs
            .send(Job { record, reply })
            .await
            .map_err(|_| CdfError::WriterStopped)?;
        done.await.map_err(|_| CdfError::WriterStopped)?
    }
}

/// Takes the next batch: waits for one job, then whatever else is already queued.
async fn next_batch(rx: &Mutex<mpsc::Receiver<Job>>, jobs: &mut Vec<Job>) -> bool {
    let mut rx = rx.lock().await;
    let Some(first) = rx.recv().await else {
        return false;
    };
    jobs.push(first);
    while jobs.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(j) => jobs.push(j),
            Err(_) => break,
        }
    }
    true
}

async fn run(pool: Pool, rx: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while next_batch(&rx, &mut jobs).await {
        if jobs.len() > 1 {
            if let Ok(outcomes) = insert_batch(&pool, &jobs).await {
                for (job, outcome) in jobs.drain(..).zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
                continue;
            }
        }
        // A single record, or a batch that failed (rolled back): one transaction each.
        for job in jobs.drain(..) {
            let r = insert_batch(&pool, std::slice::from_ref(&job))
                .await
                .map(|o| o.first().copied().unwrap_or(InsertOutcome::Duplicate));
            let _ = job.reply.send(r);
        }
    }
}

/// Inserts `jobs` in one transaction; the outcomes are valid once this returns `Ok` (after
/// the commit).
async fn insert_batch(pool: &Pool, jobs: &[Job]) -> Result<Vec<InsertOutcome>, CdfError> {
    let mut outcomes = Vec::with_capacity(jobs.len());
    match pool {
        Pool::Sqlite(p) => {
            let mut tx = p.begin().await?;
            for job in jobs {
                let n = insert_query!(&job.record)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                outcomes.push(outcome(n));
            }
            tx.commit().await?;
        }
        Pool::Postgres(p) => {
            let mut tx = p.begin().await?;
            for job in jobs {
                let n = insert_query!(&job.record)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                outcomes.push(outcome(n));
            }
            tx.commit().await?;
        }
    }
    Ok(outcomes)
}

const fn outcome(rows_affected: u64) -> InsertOutcome {
    if rows_affected == 0 {
        InsertOutcome::Duplicate
    } else {
        InsertOutcome::Stored
    }
}
