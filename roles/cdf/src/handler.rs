//! The Rf server role: ACR in, ACA out (RFC 6733 §9.7, TS 32.299 §6.2.2/§6.2.3), the record
//! committed to the [`CdrStore`] before the answer exists.

use std::sync::Arc;

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::rf;
use diameter_codec::{
    validate, AvpContainer, CommandFlags, Error, Message, MessageBuilder, ResultCode, WriteAvps,
};

use crate::record::AccountingRecord;
use crate::store::{CdrStore, InsertOutcome};

/// The time source of the handler: Unix seconds, used as the reception time of each record.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// A clock reading the system time (for binaries; tests pass a fixed clock).
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    })
}

/// The CDF role: answers ACRs of the base accounting application (Application-Id 3).
#[derive(Clone)]
pub struct Cdf {
    store: CdrStore,
    origin_host: String,
    origin_realm: String,
    clock: Clock,
}

impl std::fmt::Debug for Cdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cdf")
            .field("store", &self.store)
            .field("origin_host", &self.origin_host)
            .field("origin_realm", &self.origin_realm)
            .finish_non_exhaustive()
    }
}

/// What a request is answered with when it cannot be stored.
struct Refusal<'a> {
    code: ResultCode,
    failed_avp: Option<&'a Bytes>,
    message: Option<&'a str>,
}

impl Cdf {
    /// A CDF writing to `store`, answering as `origin_host` / `origin_realm`, stamping
    /// records with `clock`.
    pub fn new(
        store: CdrStore,
        origin_host: impl Into<String>,
        origin_realm: impl Into<String>,
        clock: Clock,
    ) -> Self {
        Self {
            store,
            origin_host: origin_host.into(),
            origin_realm: origin_realm.into(),
            clock,
        }
    }

    /// The store behind this CDF.
    pub const fn store(&self) -> &CdrStore {
        &self.store
    }

    /// Answers one request. An ACR that validates (RFC 6733 §7, TS 32.299 §6.2.2 grammar)
    /// is committed and answered with DIAMETER_SUCCESS, echoing Accounting-Record-Type and
    /// -Number (RFC 6733 §9.7.2); a retransmission of a stored record is answered the same
    /// way without a second row. Otherwise: 3001/3007 for another command or application,
    /// the validation fault's Result-Code with Failed-AVP (e.g. 5005), 4002 when the database
    /// is out of space and 3002 (E bit) when it cannot commit, so that the client keeps the
    /// record and retries or fails over (RFC 6733 §9.4, §7.1.3).
    pub async fn handle(&self, request: &Message) -> Bytes {
        let header = request.header();
        if header.code != rf::cmd::ACR.code {
            return self.answer(
                request,
                &Refusal {
                    code: ResultCode::DIAMETER_COMMAND_UNSUPPORTED,
                    failed_avp: None,
                    message: Some("only ACR is served"),
                },
            );
        }
        if header.application_id != rf::APPLICATION_ID {
            return self.answer(
                request,
                &Refusal {
                    code: ResultCode::DIAMETER_APPLICATION_UNSUPPORTED,
                    failed_avp: None,
                    message: Some("only the accounting application (3) is served"),
                },
            );
        }
        let record = match validate(request, &rf::cmd::ACR)
            .and_then(|()| AccountingRecord::from_acr(request, (self.clock)()))
        {
            Ok(r) => r,
            Err(e) => return self.refuse(request, &e),
        };
        match self.store.insert(&record).await {
            Ok(outcome) => {
                if outcome == InsertOutcome::Duplicate {
                    tracing::debug!(
                        session_id = %record.session_id,
                        record_number = record.record_number,
                        "duplicate ACR answered again"
                    );
                }
                self.answer(
                    request,
                    &Refusal {
                        code: ResultCode::DIAMETER_SUCCESS,
                        failed_avp: None,
                        message: None,
                    },
                )
            }
            Err(e) => {
                tracing::warn!(
                    session_id = %record.session_id,
                    record_number = record.record_number,
                    error = %e,
                    "ACR not stored"
                );
                let code = if e.is_out_of_space() {
                    ResultCode::DIAMETER_OUT_OF_SPACE
                } else {
                    ResultCode::DIAMETER_UNABLE_TO_DELIVER
                };
                self.answer(
                    request,
                    &Refusal {
                        code,
                        failed_avp: None,
                        message: Some("accounting record not stored"),
                    },
                )
            }
        }
    }

    fn refuse(&self, request: &Message, e: &Error) -> Bytes {
        self.answer(
            request,
            &Refusal {
                code: e.result_code(),
                failed_avp: e.failed_avp(),
                message: None,
            },
        )
    }

    /// Builds the ACA: Session-Id first, then Result-Code, Origin-Host/-Realm, the echoed
    /// Accounting-Record-Type/-Number (when readable), Acct-Application-Id, Error-Message,
    /// Failed-AVP and the request's Proxy-Info (RFC 6733 §6.2, §7.2, §9.7.2). 3xxx sets E.
    fn answer(&self, request: &Message, r: &Refusal<'_>) -> Bytes {
        let mut a = MessageBuilder::answer(request.header());
        a.set_flag(CommandFlags::ERROR, (3000..4000).contains(&r.code.0));
        if let Ok(Some(sid)) = request.find(b::SESSION_ID.code()) {
            a.put_raw(&sid);
        }
        a.put(&b::RESULT_CODE, &r.code.0)
            .put(&b::ORIGIN_HOST, &self.origin_host)
            .put(&b::ORIGIN_REALM, &self.origin_realm);
        if let Ok(Some(t)) = request.get(&b::ACCOUNTING_RECORD_TYPE) {
            a.put(&b::ACCOUNTING_RECORD_TYPE, &t);
        }
        if let Ok(Some(n)) = request.get(&b::ACCOUNTING_RECORD_NUMBER) {
            a.put(&b::ACCOUNTING_RECORD_NUMBER, &n);
        }
        a.put(&b::ACCT_APPLICATION_ID, &rf::APPLICATION_ID.0);
        if let Some(m) = r.message {
            a.put(&b::ERROR_MESSAGE, m);
        }
        if let Some(failed) = r.failed_avp {
            a.put_grouped(&b::FAILED_AVP, |g| {
                g.put_encoded(failed);
            });
        }
        for avp in request.avps().map_while(Result::ok) {
            if avp.code() == b::PROXY_INFO.code() {
                a.put_raw(&avp);
            }
        }
        a.finish()
    }
}
