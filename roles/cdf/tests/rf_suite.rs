//! Rf ACR→ACA flows on SQLite and PostgreSQL (a schema per test): requests encoded as a CTF
//! sends them, answers decoded, validated against the ACA grammar and checked value by value.
// Scenario helpers are not #[test] fns, so clippy's allow-unwrap-in-tests does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use diameter_codec::generated::base::{avp as b, AccountingRecordType};
use diameter_codec::generated::charging::avp as c;
use diameter_codec::generated::{cc, rf};
use diameter_codec::{AvpContainer, CommandFlags, Message, MessageBuilder, WriteAvps};
use ims_cdf::{
    export_call_details, export_records, Cdf, CdrStore, ExportFormat, RecordType, TimeRange,
};
use ims_store::SqlOptions;

/// Runs each scenario on both backends.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                with_cdf(Kind::Sqlite, super::$name).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                with_cdf(Kind::Postgres, super::$name).await;
            }
        }
    )*};
}

on_both!(
    start_interim_stop_is_one_call_detail,
    events_for_message_and_register,
    duplicate_is_stored_once,
    interim_before_start_is_kept,
    missing_mandatory_avp_is_5005_with_failed_avp,
    other_command_or_application_is_refused,
    storage_failure_is_never_success,
    export_csv_and_json_exact,
    hostile_input_never_panics_nor_fakes_success,
    concurrent_acrs_and_retransmissions_share_commits,
);

const T0: u64 = 1_790_000_000;

async fn start_interim_stop_is_one_call_detail(cdf: Cdf, _: Arc<SqlOptions>) {
    let sid = "scscf.ims.test;1;100";
    let start = invite("INVITE", Some(T0 + 99), Some(T0 + 101), None);
    let interim = invite("INVITE", None, None, None);
    let stop = invite("BYE", Some(T0 + 221), None, Some(0));
    send_ok(&cdf, &acr(sid, START, 0, T0 + 102, Some(&start))).await;
    send_ok(&cdf, &acr(sid, INTERIM, 1, T0 + 160, Some(&interim))).await;
    send_ok(&cdf, &acr(sid, STOP, 2, T0 + 222, Some(&stop))).await;

    let d = cdf.store().call_detail(sid).await.unwrap().expect("detail");
    assert_eq!(d.start_time, Some(T0 + 101), "200 OK time of the START");
    assert_eq!(d.stop_time, Some(T0 + 221), "BYE time of the STOP");
    assert_eq!(d.duration, Some(120));
    assert_eq!(
        (d.interim_count, d.record_count, d.last_record_number),
        (1, 3, 2)
    );
    assert_eq!(d.ims_charging_identifier.as_deref(), Some("icid-0001"));
    assert_eq!(
        d.calling_party_address.as_deref(),
        Some("sip:alice@ims.test")
    );
    assert_eq!(d.called_party_address.as_deref(), Some("sip:bob@ims.test"));
    assert_eq!(d.user_session_id.as_deref(), Some("call-1@ue.ims.test"));
    assert_eq!((d.node_functionality, d.role_of_node), (Some(0), Some(0)));
    assert_eq!(d.cause_code, Some(0));
    assert!(d.is_complete());
    let all = cdf.store().call_details(&TimeRange::ALL).await.unwrap();
    assert_eq!(all, vec![d]);

    let rows = cdf.store().session_records(sid).await.unwrap();
    assert_eq!(rows.len(), 3);
    let s = &rows[0].record;
    assert_eq!(s.record_type, RecordType::Start);
    assert_eq!(s.event_timestamp, Some(T0 + 102));
    assert_eq!(s.sip_request_timestamp, Some(T0 + 99));
    assert_eq!(s.sip_response_timestamp, Some(T0 + 101));
    assert_eq!(s.originating_ioi.as_deref(), Some("orig.ims.test"));
    assert_eq!(s.terminating_ioi.as_deref(), Some("term.ims.test"));
    assert_eq!(
        s.sdp_session_description.as_deref(),
        Some("v=0\nc=IN IP4 192.0.2.1")
    );
    assert_eq!(
        s.sdp_media.as_deref(),
        Some("audio 49170 RTP/AVP 0; a=rtpmap:0 PCMU/8000")
    );
    assert_eq!(s.received_at, NOW);
    assert_eq!(rows[2].record.sip_method.as_deref(), Some("BYE"));
    // A session-range query that only covers the STOP still yields the whole call.
    let late = cdf
        .store()
        .call_details(&TimeRange::new(T0 + 200, T0 + 300))
        .await
        .unwrap();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].duration, Some(120));
}

async fn events_for_message_and_register(cdf: Cdf, _: Arc<SqlOptions>) {
    let message = |g: &mut diameter_codec::GroupWriter<'_>| {
        g.put_grouped(&c::EVENT_TYPE, |e| {
            e.put(&c::SIP_METHOD, "MESSAGE");
        })
        .put(&c::CALLING_PARTY_ADDRESS, "sip:alice@ims.test")
        .put(&c::CALLED_PARTY_ADDRESS, "sip:bob@ims.test");
    };
    let register = |g: &mut diameter_codec::GroupWriter<'_>| {
        g.put_grouped(&c::EVENT_TYPE, |e| {
            e.put(&c::SIP_METHOD, "REGISTER").put(&c::EXPIRES, &600);
        })
        .put(&c::CALLING_PARTY_ADDRESS, "sip:alice@ims.test");
    };
    send_ok(&cdf, &acr("scscf;1;msg", EVENT, 0, T0 + 5, Some(&message))).await;
    send_ok(&cdf, &acr("scscf;1;reg", EVENT, 0, T0 + 7, Some(&register))).await;

    let rows = cdf.store().records(&TimeRange::ALL).await.unwrap();
    assert_eq!(rows.len(), 2);
    let (m, r) = (&rows[0], &rows[1]);
    assert_eq!(m.record.record_type, RecordType::Event);
    assert_eq!(m.record.sip_method.as_deref(), Some("MESSAGE"));
    assert_eq!(
        m.record.called_party_address.as_deref(),
        Some("sip:bob@ims.test")
    );
    assert_eq!(m.record_time, T0 + 5);
    assert_eq!(r.record.sip_method.as_deref(), Some("REGISTER"));
    assert_eq!(r.record.expires, Some(600));
    assert_eq!(r.record.called_party_address, None);
    assert_eq!(r.record.node_functionality, Some(0));
    // Events are not calls.
    assert!(cdf
        .store()
        .call_details(&TimeRange::ALL)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(cdf.store().call_detail("scscf;1;msg").await.unwrap(), None);
}

async fn duplicate_is_stored_once(cdf: Cdf, _: Arc<SqlOptions>) {
    let ims = invite("INVITE", None, Some(T0), None);
    let first = acr("scscf;1;dup", START, 0, T0, Some(&ims));
    send_ok(&cdf, &first).await;
    // The same ACR retransmitted after a failover: T flag set, same identifiers.
    let mut frame = first.as_bytes().to_vec();
    frame[4] |= CommandFlags::RETRANSMIT;
    let again = Message::decode(frame.into()).unwrap();
    assert!(again.header().flags.0 & CommandFlags::RETRANSMIT != 0);
    send_ok(&cdf, &again).await;
    send_ok(&cdf, &first).await;
    assert_eq!(cdf.store().count().await.unwrap(), 1);
    // A new number in the same session is a new record.
    send_ok(&cdf, &acr("scscf;1;dup", INTERIM, 1, T0 + 30, Some(&ims))).await;
    assert_eq!(cdf.store().count().await.unwrap(), 2);
}

async fn interim_before_start_is_kept(cdf: Cdf, _: Arc<SqlOptions>) {
    let sid = "scscf;1;ooo";
    let i = invite("INVITE", None, None, None);
    send_ok(&cdf, &acr(sid, INTERIM, 1, T0 + 60, Some(&i))).await;
    let d = cdf
        .store()
        .call_detail(sid)
        .await
        .unwrap()
        .expect("partial");
    assert_eq!(
        (d.start_time, d.stop_time, d.interim_count),
        (None, None, 1)
    );
    assert!(!d.is_complete());
    send_ok(&cdf, &acr(sid, START, 0, T0, Some(&i))).await;
    send_ok(&cdf, &acr(sid, STOP, 2, T0 + 90, Some(&i))).await;
    let d = cdf.store().call_detail(sid).await.unwrap().expect("detail");
    assert_eq!(
        (d.start_time, d.stop_time, d.duration),
        (Some(T0), Some(T0 + 90), Some(90))
    );
    assert_eq!((d.interim_count, d.record_count), (1, 3));
    let numbers: Vec<u32> = cdf
        .store()
        .session_records(sid)
        .await
        .unwrap()
        .iter()
        .map(|c| c.record.record_number)
        .collect();
    assert_eq!(numbers, vec![0, 1, 2]);
}

async fn missing_mandatory_avp_is_5005_with_failed_avp(cdf: Cdf, _: Arc<SqlOptions>) {
    // No Destination-Realm.
    let mut m = MessageBuilder::request(&rf::cmd::ACR, 9, 9);
    m.put(&b::SESSION_ID, "scscf;1;bad")
        .put(&b::ORIGIN_HOST, "scscf.ims.test")
        .put(&b::ORIGIN_REALM, "ims.test")
        .put(
            &b::ACCOUNTING_RECORD_TYPE,
            &AccountingRecordType::EVENT_RECORD,
        )
        .put(&b::ACCOUNTING_RECORD_NUMBER, &0);
    let req = Message::decode(m.finish()).unwrap();
    let aca = Aca::parse(cdf.handle(&req).await);
    assert_eq!(aca.result_code(), 5005);
    assert!(!aca.msg.header().flags.is_error());
    assert_eq!(
        aca.failed_avp_code(),
        Some((b::DESTINATION_REALM.code().code, 0))
    );
    assert_eq!(aca.record(), (1, 0));
    assert_eq!(aca.session_id(), "scscf;1;bad");

    // IMS-Information without its required Node-Functionality.
    let mut m = MessageBuilder::request(&rf::cmd::ACR, 10, 10);
    m.put(&b::SESSION_ID, "scscf;1;bad2")
        .put(&b::ORIGIN_HOST, "scscf.ims.test")
        .put(&b::ORIGIN_REALM, "ims.test")
        .put(&b::DESTINATION_REALM, "ims.test")
        .put(
            &b::ACCOUNTING_RECORD_TYPE,
            &AccountingRecordType::START_RECORD,
        )
        .put(&b::ACCOUNTING_RECORD_NUMBER, &0)
        .put_grouped(&c::SERVICE_INFORMATION, |si| {
            si.put_grouped(&c::IMS_INFORMATION, |g| {
                g.put(&c::USER_SESSION_ID, "x");
            });
        });
    let req = Message::decode(m.finish()).unwrap();
    let aca = Aca::parse(cdf.handle(&req).await);
    assert_eq!(aca.result_code(), 5005);
    let nf = c::NODE_FUNCTIONALITY.code();
    assert_eq!(aca.failed_avp_code(), Some((nf.code, nf.vendor)));

    // Without Accounting-Record-Type nothing can be echoed: 5005 naming it.
    let mut m = MessageBuilder::request(&rf::cmd::ACR, 11, 11);
    m.put(&b::SESSION_ID, "scscf;1;bad3")
        .put(&b::ORIGIN_HOST, "scscf.ims.test")
        .put(&b::ORIGIN_REALM, "ims.test")
        .put(&b::DESTINATION_REALM, "ims.test")
        .put(&b::ACCOUNTING_RECORD_NUMBER, &4);
    let req = Message::decode(m.finish()).unwrap();
    let aca = Aca::parse_unchecked(cdf.handle(&req).await);
    assert_eq!(aca.result_code(), 5005);
    assert_eq!(
        aca.failed_avp_code(),
        Some((b::ACCOUNTING_RECORD_TYPE.code().code, 0))
    );
    assert_eq!(aca.msg.get(&b::ACCOUNTING_RECORD_NUMBER).unwrap(), Some(4));

    // An unknown Accounting-Record-Type value: 5004 naming it.
    let req = acr("scscf;1;bad4", 7, 0, T0, None);
    let aca = Aca::parse(cdf.handle(&req).await);
    assert_eq!(aca.result_code(), 5004);
    assert_eq!(
        aca.failed_avp_code(),
        Some((b::ACCOUNTING_RECORD_TYPE.code().code, 0))
    );
    assert_eq!(cdf.store().count().await.unwrap(), 0, "nothing stored");
}

async fn other_command_or_application_is_refused(cdf: Cdf, _: Arc<SqlOptions>) {
    let mut m = MessageBuilder::request(&cc::cmd::CCR, 1, 1);
    m.put(&b::SESSION_ID, "s;1").put(&b::ORIGIN_HOST, "x");
    let req = Message::decode(m.finish()).unwrap();
    let ans = Message::decode(cdf.handle(&req).await).unwrap();
    assert!(ans.header().flags.is_error());
    assert_eq!(ans.require(&b::RESULT_CODE).unwrap(), 3001);
    // ACR under another application id.
    let acr_req = acr("s;2", EVENT, 0, T0, None);
    let mut frame = acr_req.as_bytes().to_vec();
    frame[8..12].copy_from_slice(&4u32.to_be_bytes());
    let req = Message::decode(frame.into()).unwrap();
    let aca = Aca::parse(cdf.handle(&req).await);
    assert!(aca.msg.header().flags.is_error());
    assert_eq!(aca.result_code(), 3007);
    assert_eq!(cdf.store().count().await.unwrap(), 0);
}

async fn storage_failure_is_never_success(cdf: Cdf, _: Arc<SqlOptions>) {
    cdf.store().close().await;
    let ims = invite("INVITE", None, None, None);
    let aca = Aca::parse(cdf.handle(&acr("s;down", START, 0, T0, Some(&ims))).await);
    assert_eq!(aca.result_code(), 3002);
    assert!(aca.msg.header().flags.is_error());
    assert_eq!(aca.record(), (START, 0));
    assert!(aca.msg.get(&b::ERROR_MESSAGE).unwrap().is_some());
}

async fn export_csv_and_json_exact(cdf: Cdf, _: Arc<SqlOptions>) {
    let sid = "scscf.ims.test;1;exp";
    let start = invite("INVITE", Some(T0 + 99), Some(T0 + 101), None);
    let stop = invite("BYE", Some(T0 + 199), None, Some(0));
    let odd = |g: &mut diameter_codec::GroupWriter<'_>| {
        g.put_grouped(&c::EVENT_TYPE, |e| {
            e.put(&c::SIP_METHOD, "MESSAGE");
        })
        .put(&c::CALLING_PARTY_ADDRESS, "sip:alice@ims.test")
        .put(&c::CALLED_PARTY_ADDRESS, "sip:bob@ims.test;x=\"a,b\"");
    };
    let late = |g: &mut diameter_codec::GroupWriter<'_>| {
        g.put_grouped(&c::EVENT_TYPE, |e| {
            e.put(&c::SIP_METHOD, "REGISTER");
        });
    };
    send_ok(&cdf, &acr(sid, START, 0, T0 + 100, Some(&start))).await;
    send_ok(&cdf, &acr("scscf;1;m", EVENT, 0, T0 + 150, Some(&odd))).await;
    send_ok(&cdf, &acr(sid, STOP, 1, T0 + 200, Some(&stop))).await;
    send_ok(&cdf, &acr("scscf;1;r", EVENT, 0, T0 + 5_000, Some(&late))).await;

    let range = TimeRange::new(T0, T0 + 1_000);
    let check = |got: Vec<u8>, file: &str| {
        let want = std::fs::read(format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR")))
            .expect("expected file");
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want).unwrap(),
            "{file}"
        );
    };
    let store: &CdrStore = cdf.store();
    let mut out = Vec::new();
    let n = export_records(store, &range, ExportFormat::Csv, &mut out)
        .await
        .unwrap();
    assert_eq!(n, 3, "the REGISTER at T0+5000 is outside the range");
    check(out, "records.csv");
    let mut out = Vec::new();
    export_records(store, &range, ExportFormat::JsonLines, &mut out)
        .await
        .unwrap();
    check(out, "records.jsonl");
    let mut out = Vec::new();
    let n = export_call_details(store, &range, ExportFormat::Csv, &mut out)
        .await
        .unwrap();
    assert_eq!(n, 1);
    check(out, "call_details.csv");
    let mut out = Vec::new();
    export_call_details(store, &range, ExportFormat::JsonLines, &mut out)
        .await
        .unwrap();
    check(out, "call_details.jsonl");
    let mut out = Vec::new();
    let n = export_records(
        store,
        &TimeRange::new(T0 + 4_000, T0 + 6_000),
        ExportFormat::Csv,
        &mut out,
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
}

/// A committed CDR is still there after the SQLite file is closed and opened again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdr_survives_reopening_sqlite() {
    let (db, store) = TestDb::new(Kind::Sqlite).await.expect("sqlite");
    let cdf = cdf(store.clone());
    let ims = invite("INVITE", None, Some(T0), None);
    send_ok(&cdf, &acr("s;persist", START, 0, T0, Some(&ims))).await;
    store.close().await;
    drop(cdf);
    let reopened = CdrStore::open(&db.options).await.expect("reopen");
    let rows = reopened.records(&TimeRange::ALL).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].record.session_id, "s;persist");
    assert_eq!(
        rows[0].record.ims_charging_identifier.as_deref(),
        Some("icid-0001")
    );
    // Retransmission after the restart is still recognised.
    let again = common::cdf(reopened.clone());
    send_ok(&again, &acr("s;persist", START, 0, T0, Some(&ims))).await;
    assert_eq!(reopened.count().await.unwrap(), 1);
    reopened.close().await;
    db.remove().await;
}

async fn hostile_input_never_panics_nor_fakes_success(cdf: Cdf, _: Arc<SqlOptions>) {
    // NUL is valid UTF-8 but PostgreSQL text cannot hold it: stored as U+FFFD on both.
    let nul = |g: &mut diameter_codec::GroupWriter<'_>| {
        g.put(&c::CALLING_PARTY_ADDRESS, "sip:a\0b@ims.test");
    };
    send_ok(&cdf, &acr("s;nul\0id", EVENT, 0, T0, Some(&nul))).await;
    let rows = cdf.store().records(&TimeRange::ALL).await.unwrap();
    assert_eq!(rows[0].record.session_id, "s;nul\u{fffd}id");
    assert_eq!(
        rows[0].record.calling_party_address.as_deref(),
        Some("sip:a\u{fffd}b@ims.test")
    );
    let before = cdf.store().count().await.unwrap();

    // Every single-byte corruption of a full ACR: whatever decodes gets a decodable answer
    // with the request's identifiers, and a success only if the record is really stored.
    let ims = invite("INVITE", Some(T0), Some(T0 + 1), Some(0));
    let frame = acr("s;mut", START, 0, T0, Some(&ims)).as_bytes().clone();
    let mut stored = 0u64;
    for i in 20..frame.len() {
        let mut f = frame.to_vec();
        f[i] ^= 0xa5;
        let Ok(req) = Message::decode(f.into()) else {
            continue;
        };
        let ans = Message::decode(cdf.handle(&req).await).expect("answer decodes");
        assert_eq!(ans.header().hop_by_hop, req.header().hop_by_hop);
        let code = ans.require(&b::RESULT_CODE).expect("Result-Code");
        if code == 2001 {
            let sid = req.require(&b::SESSION_ID).expect("stored means readable");
            let number = req.require(&b::ACCOUNTING_RECORD_NUMBER).expect("number");
            let rows = cdf.store().session_records(sid.as_str()).await.unwrap();
            assert!(
                rows.iter().any(|r| r.record.record_number == number),
                "byte {i}"
            );
            stored += 1;
        } else {
            assert!(code >= 3000, "byte {i}: {code}");
        }
    }
    assert!(stored > 0);
    assert!(cdf.store().count().await.unwrap() <= before + stored);
}

async fn concurrent_acrs_and_retransmissions_share_commits(cdf: Cdf, _: Arc<SqlOptions>) {
    // 64 tasks at once: 32 distinct records, each sent twice (the copy with the T flag), so
    // that duplicates meet inside one group-commit transaction.
    let mut tasks = Vec::new();
    for k in 0..64u32 {
        let cdf = cdf.clone();
        tasks.push(tokio::spawn(async move {
            let ims = invite("INVITE", None, Some(T0), None);
            let sid = format!("scscf;c;{}", k / 2);
            let req = acr(&sid, START, 0, T0 + u64::from(k / 2), Some(&ims));
            let req = if k % 2 == 1 {
                let mut f = req.as_bytes().to_vec();
                f[4] |= CommandFlags::RETRANSMIT;
                Message::decode(f.into()).unwrap()
            } else {
                req
            };
            send_ok(&cdf, &req).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(cdf.store().count().await.unwrap(), 32);
    let rows = cdf.store().records(&TimeRange::ALL).await.unwrap();
    let mut sids: Vec<&str> = rows.iter().map(|r| r.record.session_id.as_str()).collect();
    sids.sort_unstable();
    sids.dedup();
    assert_eq!(sids.len(), 32);
}
