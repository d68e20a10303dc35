//! Test fixtures: an OCS over a fresh SQLite file or PostgreSQL schema, CCRs built with the
//! codec exactly as a peer sends them, and CCAs decoded, validated and read back.
//!
//! PostgreSQL must be reachable (IMS_TEST_PG_URL, default
//! `postgres://postgres@127.0.0.1:5432/test` then `root@`) unless `IMS_SKIP_SERVICES=1`,
//! which skips those tests with a notice.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cc::{
    avp as c, CcRequestType, CheckBalanceResult, FinalUnitAction, RequestedAction,
    SubscriptionIdType,
};
use diameter_codec::generated::charging::{avp as ch, NodeFunctionality};
use diameter_codec::generated::ro;
use diameter_codec::{validate, AvpContainer, GroupedAvps, Message, MessageBuilder, WriteAvps};
use ims_ocs::{Ledger, LedgerOptions, Ocs, OcsConfig};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Start of test time (Unix seconds).
pub const T0: u64 = 1_790_000_000;

/// Tariffs: voice 0.60/min at 60/60, SMS 0.10 per MESSAGE, video 0.01/s at 1/1 (service 7).
pub const CONFIG: &str = r#"
origin_host = "ocs.ims.test"
origin_realm = "ims.test"
validity_time = 300
reservation_grace = 30
default_grant = 300

[[tariff]]
name = "video"
match = { service_identifier = [7] }
kind = { time = { rate_per_second = 10000, first_unit = 1, increment = 1 } }

[[tariff]]
name = "voice"
match = { sip_method = ["INVITE"] }
kind = { time = { rate_per_minute = 600000, first_unit = 60, increment = 60 } }

[[tariff]]
name = "sms"
match = { sip_method = ["MESSAGE"] }
kind = { event = { price = 100000 } }
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// An OCS on a fresh database; `cleanup` removes it.
pub struct Env {
    pub ocs: Ocs,
    sqlite_file: Option<std::path::PathBuf>,
    pg: Option<(String, String)>,
}

fn pg_urls() -> Vec<String> {
    match std::env::var("IMS_TEST_PG_URL") {
        Ok(u) => vec![u],
        Err(_) => vec![
            "postgres://postgres@127.0.0.1:5432/test".into(),
            "postgres://root@127.0.0.1:5432/test".into(),
        ],
    }
}

/// Opens an OCS on `kind`; `None` when PostgreSQL is skipped.
pub async fn open(kind: Kind) -> Option<Env> {
    open_with(kind, 8).await
}

/// As [`open`] with `max_connections`.
pub async fn open_with(kind: Kind, max_connections: u32) -> Option<Env> {
    let config = OcsConfig::from_toml(CONFIG).expect("test config");
    match kind {
        Kind::Sqlite => {
            let file = std::env::temp_dir().join(format!("ims_ocs_test_{}.db", unique()));
            let mut opts = LedgerOptions::new(format!("sqlite://{}", file.display()));
            opts.max_connections = max_connections;
            let ledger = Ledger::open(&opts).await.expect("open SQLite ledger");
            Some(Env {
                ocs: Ocs::new(config, ledger),
                sqlite_file: Some(file),
                pg: None,
            })
        }
        Kind::Postgres => {
            let schema = format!("ims_ocs_test_{}", unique());
            let mut last = String::new();
            for url in pg_urls() {
                let mut opts = LedgerOptions::new(url.clone()).with_schema(schema.clone());
                opts.max_connections = max_connections;
                match Ledger::open(&opts).await {
                    Ok(ledger) => {
                        return Some(Env {
                            ocs: Ocs::new(config, ledger),
                            sqlite_file: None,
                            pg: Some((url, schema)),
                        })
                    }
                    Err(e) => last = format!("{url}: {e}"),
                }
            }
            if std::env::var("IMS_SKIP_SERVICES").is_ok_and(|v| v == "1") {
                eprintln!("NOTICE: PostgreSQL unreachable ({last}); skipped (IMS_SKIP_SERVICES=1)");
                None
            } else {
                panic!("PostgreSQL unreachable: {last} (or set IMS_SKIP_SERVICES=1)");
            }
        }
    }
}

impl Env {
    pub fn ledger(&self) -> &Ledger {
        self.ocs.ledger()
    }

    pub async fn cleanup(self) {
        self.ocs.ledger().close().await;
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
                .expect("drop schema");
            pool.close().await;
        }
    }

    /// Sends `req` at `now`, decodes the answer and validates it against the CCA grammar.
    pub async fn send(&self, req: &Message, now: u64) -> Cca {
        let bytes = self.ocs.handle_at(req, now).await;
        let msg = Message::decode(bytes).expect("answer decodes");
        validate(&msg, &ro::cmd::CCA).expect("answer is a valid CCA");
        assert_eq!(msg.header().hop_by_hop, req.header().hop_by_hop);
        assert_eq!(msg.header().end_to_end, req.header().end_to_end);
        Cca(msg)
    }
}

/// A CCR under construction.
#[derive(Debug, Clone)]
pub struct Ccr {
    pub session: String,
    pub kind: CcRequestType,
    pub number: u32,
    pub user: Option<(SubscriptionIdType, String)>,
    pub method: Option<&'static str>,
    pub action: Option<RequestedAction>,
    /// (Rating-Group, Service-Identifier, requested CC-Time, used CC-Time, requested SSU).
    pub mscc: Vec<Mscc>,
    pub hop_by_hop: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Mscc {
    pub rating_group: Option<u32>,
    pub service_id: Option<u32>,
    pub requested_time: Option<u32>,
    pub used_time: Option<u32>,
    pub requested_events: Option<u64>,
}

impl Mscc {
    pub fn time(requested: Option<u32>, used: Option<u32>) -> Self {
        Self {
            rating_group: Some(1),
            requested_time: requested,
            used_time: used,
            ..Self::default()
        }
    }
}

static HBH: AtomicUsize = AtomicUsize::new(1);

impl Ccr {
    pub fn new(session: &str, kind: CcRequestType, number: u32) -> Self {
        Self {
            session: session.into(),
            kind,
            number,
            user: Some((
                SubscriptionIdType::END_USER_SIP_URI,
                "sip:alice@ims.test".into(),
            )),
            method: Some("INVITE"),
            action: None,
            mscc: Vec::new(),
            hop_by_hop: HBH.fetch_add(1, Ordering::Relaxed) as u32,
        }
    }

    pub fn user(mut self, kind: SubscriptionIdType, data: &str) -> Self {
        self.user = Some((kind, data.into()));
        self
    }

    pub fn mscc(mut self, m: Mscc) -> Self {
        self.mscc.push(m);
        self
    }

    pub fn build(&self) -> Message {
        let mut r =
            MessageBuilder::request(&ro::cmd::CCR, self.hop_by_hop, self.hop_by_hop ^ 0x5555);
        r.put(&b::SESSION_ID, &self.session)
            .put(&b::ORIGIN_HOST, "scscf.ims.test")
            .put(&b::ORIGIN_REALM, "ims.test")
            .put(&b::DESTINATION_REALM, "ims.test")
            .put(&b::AUTH_APPLICATION_ID, &4)
            .put(&c::SERVICE_CONTEXT_ID, "32260@3gpp.org")
            .put(&c::CC_REQUEST_TYPE, &self.kind)
            .put(&c::CC_REQUEST_NUMBER, &self.number);
        if let Some((kind, data)) = &self.user {
            r.put_grouped(&c::SUBSCRIPTION_ID, |g| {
                g.put(&c::SUBSCRIPTION_ID_TYPE, kind)
                    .put(&c::SUBSCRIPTION_ID_DATA, data.as_str());
            });
        }
        if let Some(a) = self.action {
            r.put(&c::REQUESTED_ACTION, &a);
        }
        for m in &self.mscc {
            r.put_grouped(&c::MULTIPLE_SERVICES_CREDIT_CONTROL, |g| {
                if m.requested_time.is_some() || m.requested_events.is_some() {
                    g.put_grouped(&c::REQUESTED_SERVICE_UNIT, |u| {
                        if let Some(t) = m.requested_time {
                            u.put(&c::CC_TIME, &t);
                        }
                        if let Some(n) = m.requested_events {
                            u.put(&c::CC_SERVICE_SPECIFIC_UNITS, &n);
                        }
                    });
                }
                if let Some(t) = m.used_time {
                    g.put_grouped(&c::USED_SERVICE_UNIT, |u| {
                        u.put(&c::CC_TIME, &t);
                    });
                }
                if let Some(s) = m.service_id {
                    g.put(&c::SERVICE_IDENTIFIER, &s);
                }
                if let Some(rg) = m.rating_group {
                    g.put(&c::RATING_GROUP, &rg);
                }
            });
        }
        if let Some(method) = self.method {
            r.put_grouped(&ch::SERVICE_INFORMATION, |si| {
                si.put_grouped(&ch::IMS_INFORMATION, |ims| {
                    ims.put_grouped(&ch::EVENT_TYPE, |et| {
                        et.put(&ch::SIP_METHOD, method);
                    })
                    .put(&ch::NODE_FUNCTIONALITY, &NodeFunctionality::S_CSCF);
                });
            });
        }
        Message::decode(r.finish()).expect("request decodes")
    }
}

/// A received CCA.
#[derive(Debug, Clone)]
pub struct Cca(pub Message);

impl Cca {
    pub fn result(&self) -> u32 {
        self.0.require(&b::RESULT_CODE).expect("Result-Code")
    }

    pub fn mscc(&self) -> Vec<GroupedAvps> {
        self.0
            .get_all(&c::MULTIPLE_SERVICES_CREDIT_CONTROL)
            .expect("MSCC")
    }

    /// Granted CC-Time of the first MSCC.
    pub fn granted_time(&self) -> Option<u32> {
        let m = self.mscc().into_iter().next()?;
        m.get(&c::GRANTED_SERVICE_UNIT)
            .expect("GSU")?
            .get(&c::CC_TIME)
            .expect("CC-Time")
    }

    /// Final-Unit-Action of the first MSCC.
    pub fn final_unit_action(&self) -> Option<FinalUnitAction> {
        let m = self.mscc().into_iter().next()?;
        m.get(&c::FINAL_UNIT_INDICATION)
            .expect("FUI")?
            .get(&c::FINAL_UNIT_ACTION)
            .expect("FUA")
    }

    /// Result-Code inside the first MSCC.
    pub fn mscc_result(&self) -> Option<u32> {
        self.mscc()
            .into_iter()
            .next()?
            .get(&b::RESULT_CODE)
            .expect("RC")
    }

    /// Cost-Information as (Value-Digits, Exponent, Currency-Code).
    pub fn cost(&self) -> Option<(i64, i32, u32)> {
        let ci = self.0.get(&c::COST_INFORMATION).expect("CI")?;
        let uv = ci.require(&c::UNIT_VALUE).expect("UV");
        Some((
            uv.require(&c::VALUE_DIGITS).expect("VD"),
            uv.get(&c::EXPONENT).expect("E").unwrap_or(0),
            ci.require(&c::CURRENCY_CODE).expect("CC"),
        ))
    }

    pub fn check_balance(&self) -> Option<CheckBalanceResult> {
        self.0.get(&c::CHECK_BALANCE_RESULT).expect("CBR")
    }
}
