//! The Rf client (TS 32.299 §6.1.1, RFC 6733 §9): every record goes to the [`Spool`]
//! before [`RfClient::submit`] returns; one sender task delivers the spool oldest first
//! (so per session and overall in order), deletes a record on its 2001 ACA, fails over to
//! the next CDF handle and otherwise waits with a bounded exponential backoff and retries
//! (RFC 6733 §5.5.4, §9.4). A new client on the same spool file resumes where the last
//! one stopped.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use diameter_net::ClientHandle;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::acr::{AccountingAnswer, RfRecord};
use crate::error::SpoolError;
use crate::identity::ClientIdentity;
use crate::retransmission::{marked, next_end_to_end, unix_now};
use crate::spool::{Spool, SpooledRecord};

/// Timers of the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RfOptions {
    /// How long to wait for an ACA before trying the next CDF (default 10 s).
    pub tx: Duration,
    /// First wait after every CDF failed (default 100 ms), doubled per failure…
    pub initial_backoff: Duration,
    /// …up to this (default 10 s).
    pub max_backoff: Duration,
}

impl Default for RfOptions {
    fn default() -> Self {
        Self {
            tx: Duration::from_secs(10),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// What one delivery attempt of the head record gave.
enum Delivery {
    /// 2001: the CDF stored it.
    Stored,
    /// 5xxx: the CDF refuses this record; re-sending cannot help.
    Refused(u32),
    /// An answer other than success (e.g. 3002, 4002): keep it and retry.
    NotStored,
    /// No answer: keep it and retry, the next copy with the T flag.
    Unanswered,
}

/// The Rf client of one node.
#[derive(Debug)]
pub struct RfClient {
    identity: ClientIdentity,
    spool: Spool,
    pending: Arc<watch::Sender<usize>>,
    wake: Arc<Notify>,
    sender: JoinHandle<()>,
}

impl RfClient {
    /// Opens the spool at `spool_path` and starts delivering it to `cdfs` (first = primary)
    /// with the default [`RfOptions`].
    pub async fn open(
        spool_path: &Path,
        cdfs: Vec<ClientHandle>,
        identity: ClientIdentity,
    ) -> Result<Self, SpoolError> {
        Self::open_with(spool_path, cdfs, identity, RfOptions::default()).await
    }

    /// As [`RfClient::open`] with `options`.
    pub async fn open_with(
        spool_path: &Path,
        cdfs: Vec<ClientHandle>,
        identity: ClientIdentity,
        options: RfOptions,
    ) -> Result<Self, SpoolError> {
        let spool = Spool::open(spool_path).await?;
        let waiting = usize::try_from(spool.pending().await?).unwrap_or(usize::MAX);
        let pending = Arc::new(watch::Sender::new(waiting));
        let wake = Arc::new(Notify::new());
        let sender = tokio::spawn(send_loop(
            spool.clone(),
            cdfs,
            options,
            Arc::clone(&pending),
            Arc::clone(&wake),
        ));
        Ok(Self {
            identity,
            spool,
            pending,
            wake,
            sender,
        })
    }

    /// Writes `record` durably to the spool; once this returns Ok the record will be
    /// delivered, across CDF outages and restarts of this process. A record without
    /// Event-Timestamp is stamped with the current time.
    pub async fn submit(&self, record: &RfRecord) -> Result<(), SpoolError> {
        if self.sender.is_finished() {
            return Err(SpoolError::Stopped);
        }
        let frame = match record.event_timestamp {
            Some(_) => record.encode(&self.identity, next_end_to_end()),
            None => record
                .clone()
                .at(unix_now())
                .encode(&self.identity, next_end_to_end()),
        };
        // Counted before the insert: the sender may deliver it before `push` returns.
        self.pending.send_modify(|n| *n = n.saturating_add(1));
        if let Err(e) = self
            .spool
            .push(&record.session_id, record.number, &frame)
            .await
        {
            self.pending.send_modify(|n| *n = n.saturating_sub(1));
            return Err(e);
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Records in the spool not yet acknowledged.
    pub fn pending(&self) -> usize {
        *self.pending.borrow()
    }

    /// Records the CDF refused for good (kept in the spool file for the operator).
    pub async fn rejected(&self) -> Result<u64, SpoolError> {
        self.spool.rejected().await
    }

    /// Waits until the spool is empty; false if `timeout` passed first.
    pub async fn flush(&self, timeout: Duration) -> bool {
        let mut rx = self.pending.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|&n| n == 0))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Stops the sender and closes the spool (records not yet delivered stay in it).
    pub async fn close(self) {
        self.sender.abort();
        self.spool.close().await;
    }
}

impl Drop for RfClient {
    fn drop(&mut self) {
        self.sender.abort();
    }
}

/// Sends `frame` (the record `rec`, maybe marked) to CDF `handle` and classifies the
/// answer.
async fn deliver(
    handle: &ClientHandle,
    rec: &SpooledRecord,
    frame: Bytes,
    tx: Duration,
) -> Delivery {
    let answer = match tokio::time::timeout(tx, handle.request(frame)).await {
        Ok(Ok(msg)) => msg,
        Ok(Err(e)) => {
            tracing::debug!(session_id = %rec.session_id, error = %e, "ACR not delivered");
            return Delivery::Unanswered;
        }
        Err(_) => {
            tracing::debug!(session_id = %rec.session_id, "no ACA in time");
            return Delivery::Unanswered;
        }
    };
    match AccountingAnswer::parse(&answer) {
        Ok(aca)
            if aca.is_success()
                && aca.record_number.is_none_or(|n| n == rec.record_number)
                && aca
                    .session_id
                    .as_deref()
                    .is_none_or(|s| s == rec.session_id) =>
        {
            Delivery::Stored
        }
        Ok(aca) if aca.is_permanent_failure() => Delivery::Refused(aca.result_code),
        Ok(aca) => {
            tracing::debug!(session_id = %rec.session_id, code = aca.result_code, "ACR not stored");
            Delivery::NotStored
        }
        Err(e) => {
            tracing::warn!(session_id = %rec.session_id, error = %e, "unreadable ACA");
            Delivery::NotStored
        }
    }
}

/// The sender task: head of the spool, one CDF after the other, backoff when all fail.
async fn send_loop(
    spool: Spool,
    cdfs: Vec<ClientHandle>,
    options: RfOptions,
    pending: Arc<watch::Sender<usize>>,
    wake: Arc<Notify>,
) {
    let mut backoff = options.initial_backoff;
    let mut current = 0usize;
    // The spool position of a record sent without getting an answer.
    let mut unanswered: Option<i64> = None;
    loop {
        let rec = match spool.head().await {
            Ok(Some(rec)) => rec,
            Ok(None) => {
                wake.notified().await;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "spool read failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(options.max_backoff);
                continue;
            }
        };
        let mut outcome = Delivery::Unanswered;
        for i in 0..cdfs.len() {
            let idx = (current + i) % cdfs.len();
            let Some(handle) = cdfs.get(idx) else { break };
            let frame = if unanswered == Some(rec.seq) {
                marked(&rec.frame)
            } else {
                rec.frame.clone()
            };
            outcome = deliver(handle, &rec, frame, options.tx).await;
            match outcome {
                Delivery::Stored | Delivery::Refused(_) => {
                    current = idx;
                    break;
                }
                Delivery::Unanswered => unanswered = Some(rec.seq),
                Delivery::NotStored => unanswered = None,
            }
        }
        let done = match outcome {
            Delivery::Stored => spool.remove(rec.seq).await,
            Delivery::Refused(code) => {
                tracing::warn!(session_id = %rec.session_id, record_number = rec.record_number, code, "ACR refused by the CDF; kept in the spool");
                spool.reject(rec.seq, code).await
            }
            Delivery::Unanswered | Delivery::NotStored => {
                current = 0;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(options.max_backoff);
                continue;
            }
        };
        match done {
            Ok(()) => {
                backoff = options.initial_backoff;
                pending.send_modify(|n| *n = n.saturating_sub(1));
            }
            Err(e) => {
                // Delivered but still in the spool: it is sent again, and the CDF stores a
                // retransmitted record once.
                tracing::warn!(error = %e, "spool update failed");
                tokio::time::sleep(backoff).await;
            }
        }
    }
}
