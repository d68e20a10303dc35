//! Test backends (SQLite temp file, PostgreSQL schema per test) and ACR builders that encode
//! requests exactly as a CTF (S-CSCF) sends them.
//!
//! PostgreSQL must be reachable (IMS_TEST_PG_URL, default
//! `postgres://postgres@127.0.0.1:5432/test` then `root@`); when it is not, the test fails
//! unless `IMS_SKIP_SERVICES=1`, which skips it with a notice.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use diameter_codec::format::NtpTime;
use diameter_codec::generated::base::{avp as b, AccountingRecordType};
use diameter_codec::generated::charging::{avp as c, NodeFunctionality, RoleOfNode};
use diameter_codec::generated::rf;
use diameter_codec::{validate, AvpContainer, GroupWriter, Message, MessageBuilder, WriteAvps};
use ims_cdf::{Cdf, CdrStore};
use ims_store::SqlOptions;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A fresh database and how to reopen and remove it.
pub struct TestDb {
    pub kind: Kind,
    pub options: SqlOptions,
    sqlite_file: Option<PathBuf>,
    pg: Option<(String, String)>,
}

pub fn pg_urls() -> Vec<String> {
    match std::env::var("IMS_TEST_PG_URL") {
        Ok(u) => vec![u],
        Err(_) => vec![
            "postgres://postgres@127.0.0.1:5432/test".into(),
            "postgres://root@127.0.0.1:5432/test".into(),
        ],
    }
}

impl TestDb {
    /// A new database of `kind`, `None` when PostgreSQL is unreachable and skipping is allowed.
    pub async fn new(kind: Kind) -> Option<(Self, CdrStore)> {
        match kind {
            Kind::Sqlite => {
                let file = std::env::temp_dir().join(format!("ims_cdf_test_{}.db", unique()));
                let options = SqlOptions::new(format!("sqlite://{}", file.display()));
                let store = CdrStore::open(&options).await.expect("open SQLite");
                Some((
                    Self {
                        kind,
                        options,
                        sqlite_file: Some(file),
                        pg: None,
                    },
                    store,
                ))
            }
            Kind::Postgres => {
                let schema = format!("cdf_test_{}", unique());
                let mut last = String::new();
                for url in pg_urls() {
                    let options = SqlOptions::new(url.clone()).with_schema(schema.clone());
                    match CdrStore::open(&options).await {
                        Ok(store) => {
                            return Some((
                                Self {
                                    kind,
                                    options,
                                    sqlite_file: None,
                                    pg: Some((url, schema)),
                                },
                                store,
                            ))
                        }
                        Err(e) => last = format!("{url}: {e}"),
                    }
                }
                if std::env::var("IMS_SKIP_SERVICES").is_ok_and(|v| v == "1") {
                    eprintln!(
                        "NOTICE: PostgreSQL unreachable ({last}); skipped (IMS_SKIP_SERVICES=1)"
                    );
                    None
                } else {
                    panic!("PostgreSQL unreachable: {last} (start it, or set IMS_SKIP_SERVICES=1)");
                }
            }
        }
    }

    /// Removes the database.
    pub async fn remove(self) {
        if let Some(file) = &self.sqlite_file {
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
                .expect("drop test schema");
            pool.close().await;
        }
    }
}

/// The reception time every test CDF stamps records with.
pub const NOW: u64 = 1_790_000_000;

pub fn cdf(store: CdrStore) -> Cdf {
    Cdf::new(store, "cdf.ims.test", "ims.test", Arc::new(|| NOW))
}

/// Runs `body` with a fresh CDF on `kind`, removes the database even if it panics, then
/// re-raises the panic.
pub async fn with_cdf<F, Fut>(kind: Kind, body: F)
where
    F: FnOnce(Cdf, Arc<SqlOptions>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some((db, store)) = TestDb::new(kind).await else {
        return;
    };
    let cdf = cdf(store.clone());
    let result = tokio::spawn(body(cdf, Arc::new(db.options.clone()))).await;
    store.close().await;
    db.remove().await;
    if let Err(e) = result {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("test task failed: {e}");
    }
}

/// Record types on the wire.
pub const EVENT: i32 = 1;
pub const START: i32 = 2;
pub const INTERIM: i32 = 3;
pub const STOP: i32 = 4;

/// One ACR as a CTF builds it; `ims` writes the IMS-Information members after
/// Node-Functionality (None: no Service-Information).
pub fn acr(
    session_id: &str,
    record_type: i32,
    number: u32,
    event_ts: u64,
    ims: Option<&dyn Fn(&mut GroupWriter<'_>)>,
) -> Message {
    let mut m = MessageBuilder::request(&rf::cmd::ACR, 0x1000 + number, 0x2000 + number);
    m.put(&b::SESSION_ID, session_id)
        .put(&b::ORIGIN_HOST, "scscf.ims.test")
        .put(&b::ORIGIN_REALM, "ims.test")
        .put(&b::DESTINATION_REALM, "ims.test")
        .put(
            &b::ACCOUNTING_RECORD_TYPE,
            &AccountingRecordType(record_type),
        )
        .put(&b::ACCOUNTING_RECORD_NUMBER, &number)
        .put(&b::ACCT_APPLICATION_ID, &3)
        .put(&b::EVENT_TIMESTAMP, &NtpTime::from_unix(event_ts));
    if let Some(ims) = ims {
        m.put_grouped(&c::SERVICE_INFORMATION, |si| {
            si.put_grouped(&c::IMS_INFORMATION, |g| {
                g.put(&c::NODE_FUNCTIONALITY, &NodeFunctionality::S_CSCF);
                ims(g);
            });
        });
    }
    Message::decode(m.finish()).expect("decode ACR")
}

/// IMS-Information members of an originating INVITE session.
pub fn invite(
    method: &'static str,
    req_ts: Option<u64>,
    resp_ts: Option<u64>,
    cause: Option<i32>,
) -> impl Fn(&mut GroupWriter<'_>) {
    move |g| {
        g.put_grouped(&c::EVENT_TYPE, |e| {
            e.put(&c::SIP_METHOD, method);
        })
        .put(&c::ROLE_OF_NODE, &RoleOfNode::ORIGINATING_ROLE)
        .put(&c::USER_SESSION_ID, "call-1@ue.ims.test")
        .put(&c::CALLING_PARTY_ADDRESS, "sip:alice@ims.test")
        .put(&c::CALLED_PARTY_ADDRESS, "sip:bob@ims.test");
        if req_ts.is_some() || resp_ts.is_some() {
            g.put_grouped(&c::TIME_STAMPS, |t| {
                if let Some(r) = req_ts {
                    t.put(&c::SIP_REQUEST_TIMESTAMP, &NtpTime::from_unix(r));
                }
                if let Some(r) = resp_ts {
                    t.put(&c::SIP_RESPONSE_TIMESTAMP, &NtpTime::from_unix(r));
                }
            });
        }
        g.put_grouped(&c::INTER_OPERATOR_IDENTIFIER, |i| {
            i.put(&c::ORIGINATING_IOI, "orig.ims.test")
                .put(&c::TERMINATING_IOI, "term.ims.test");
        })
        .put(&c::IMS_CHARGING_IDENTIFIER, "icid-0001")
        .put(&c::SDP_SESSION_DESCRIPTION, "v=0")
        .put(&c::SDP_SESSION_DESCRIPTION, "c=IN IP4 192.0.2.1")
        .put_grouped(&c::SDP_MEDIA_COMPONENT, |s| {
            s.put(&c::SDP_MEDIA_NAME, "audio 49170 RTP/AVP 0")
                .put(&c::SDP_MEDIA_DESCRIPTION, "a=rtpmap:0 PCMU/8000");
        });
        if let Some(cause) = cause {
            g.put(&c::CAUSE_CODE, &cause);
        }
    }
}

/// A decoded ACA, validated against the ACA grammar (or answer-message with the E bit).
pub struct Aca {
    pub msg: Message,
}

impl Aca {
    pub fn parse(bytes: Bytes) -> Self {
        let msg = Message::decode(bytes).expect("decode ACA");
        validate(&msg, &rf::cmd::ACA).expect("ACA follows its grammar");
        Self { msg }
    }

    /// Decodes without grammar validation (answers that cannot echo a missing AVP).
    pub fn parse_unchecked(bytes: Bytes) -> Self {
        Self {
            msg: Message::decode(bytes).expect("decode ACA"),
        }
    }

    pub fn result_code(&self) -> u32 {
        self.msg.require(&b::RESULT_CODE).expect("Result-Code")
    }

    pub fn record(&self) -> (i32, u32) {
        (
            self.msg
                .require(&b::ACCOUNTING_RECORD_TYPE)
                .expect("Accounting-Record-Type")
                .0,
            self.msg
                .require(&b::ACCOUNTING_RECORD_NUMBER)
                .expect("Accounting-Record-Number"),
        )
    }

    pub fn session_id(&self) -> String {
        self.msg
            .require(&b::SESSION_ID)
            .expect("Session-Id")
            .as_str()
            .to_owned()
    }

    /// The code of the AVP inside Failed-AVP.
    pub fn failed_avp_code(&self) -> Option<(u32, u32)> {
        let f = self.msg.get(&b::FAILED_AVP).expect("Failed-AVP readable")?;
        let inner = f.avps().next()?.expect("inner AVP");
        Some((inner.code().code, inner.code().vendor))
    }
}

/// Sends `req` and checks a DIAMETER_SUCCESS ACA echoing the record and identifiers.
pub async fn send_ok(cdf: &Cdf, req: &Message) -> Aca {
    let aca = Aca::parse(cdf.handle(req).await);
    assert_eq!(aca.result_code(), 2001);
    let rh = req.header();
    let h = aca.msg.header();
    assert!(!h.flags.is_request() && !h.flags.is_error() && h.flags.is_proxiable());
    assert_eq!((h.hop_by_hop, h.end_to_end), (rh.hop_by_hop, rh.end_to_end));
    assert_eq!(h.application_id.0, 3);
    assert_eq!(
        aca.session_id(),
        req.require(&b::SESSION_ID).expect("sid").as_str()
    );
    assert_eq!(
        aca.record(),
        (
            req.require(&b::ACCOUNTING_RECORD_TYPE).expect("type").0,
            req.require(&b::ACCOUNTING_RECORD_NUMBER).expect("number")
        )
    );
    assert_eq!(
        aca.msg
            .require(&b::ORIGIN_HOST)
            .expect("Origin-Host")
            .as_str(),
        "cdf.ims.test"
    );
    assert_eq!(aca.msg.get(&b::ACCT_APPLICATION_ID).expect("app"), Some(3));
    aca
}
