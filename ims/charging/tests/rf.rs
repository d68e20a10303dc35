//! The Rf client against the real CDF (ims-cdf over diameter-net on loopback): records
//! reach the CDR store, survive a CDF outage and a restart of the client, each stored once.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use diameter_codec::generated::base::{avp as b, AccountingRecordType};
use diameter_codec::generated::charging::RoleOfNode;
use diameter_codec::generated::rf;
use diameter_codec::{MessageBuilder, WriteAvps};
use ims_cdf::{RecordType, TimeRange};
use ims_charging::{ImsInformation, RfClient, RfOptions, RfRecord, RfSession};
use ims_core::charging::ChargingVectorValue;

const FLUSH: Duration = Duration::from_secs(20);

fn options() -> RfOptions {
    RfOptions {
        tx: Duration::from_secs(1),
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
    }
}

async fn open(spool: &Path, node: &diameter_net::DiameterNode) -> RfClient {
    RfClient::open_with(spool, vec![node.handle()], identity(), options())
        .await
        .unwrap()
}

fn call_info(method: &str) -> ImsInformation {
    let pcv = ChargingVectorValue {
        icid: "icid-42".into(),
        orig_ioi: Some("orig.ims.test".into()),
        term_ioi: Some("term.ims.test".into()),
        ..ChargingVectorValue::default()
    };
    ImsInformation {
        role_of_node: Some(RoleOfNode::ORIGINATING_ROLE),
        calling_party_address: vec!["sip:alice@ims.test".into()],
        called_party_address: Some("sip:bob@ims.test".into()),
        sip_request_timestamp: Some(1_790_000_000),
        sip_response_timestamp: Some(1_790_000_001),
        cause_code: (method == "BYE").then_some(0),
        ..ImsInformation::new(method, "call-7@ue").with_charging_vector(&pcv)
    }
}

/// Every (Session-Id, Accounting-Record-Number) in the store, checking none is there twice.
async fn stored(cdf: &CdfServer) -> BTreeSet<(String, u32)> {
    let rows = cdf.store.records(&TimeRange::ALL).await.unwrap();
    let keys: BTreeSet<_> = rows
        .iter()
        .map(|r| (r.record.session_id.clone(), r.record.record_number))
        .collect();
    assert_eq!(keys.len(), rows.len(), "a record stored twice");
    keys
}

fn expected(sessions: usize, per_session: u32) -> BTreeSet<(String, u32)> {
    (0..sessions)
        .flat_map(|s| (0..per_session).map(move |n| (format!("scscf.ims.test;rf;{s}"), n)))
        .collect()
}

/// Submits `per_session` records (START, INTERIMs) for sessions `range`.
async fn submit_round(rf: &RfClient, sessions: std::ops::Range<usize>, per_session: u32) {
    for s in sessions {
        let mut session = RfSession::new(format!("scscf.ims.test;rf;{s}"));
        for n in 0..per_session {
            let rec = if n == 0 {
                session.start(call_info("INVITE"))
            } else {
                session.interim(call_info("INVITE"))
            };
            rf.submit(&rec).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_interim_stop_and_event_reach_the_cdf() {
    let cdf = CdfServer::new().await;
    let server = cdf.serve("127.0.0.1:0".parse().unwrap()).await;
    let node = client("cdf.ims.test", server.local_addrs()[0]).await;
    let spool = temp_file("spool");
    let rf = open(&spool, &node).await;

    let mut call = RfSession::new("scscf.ims.test;call;1");
    rf.submit(&call.start(call_info("INVITE")).at(1_790_000_001))
        .await
        .unwrap();
    rf.submit(&call.interim(call_info("INVITE"))).await.unwrap();
    rf.submit(&call.stop(call_info("BYE")).at(1_790_000_090))
        .await
        .unwrap();
    rf.submit(&RfRecord::event(
        "scscf.ims.test;sms;1",
        ImsInformation::new("MESSAGE", "sms-1@ue"),
    ))
    .await
    .unwrap();
    assert!(rf.flush(FLUSH).await, "{} left", rf.pending());
    assert_eq!(rf.pending(), 0);
    assert_eq!(rf.rejected().await.unwrap(), 0);

    let rows = cdf
        .store
        .session_records("scscf.ims.test;call;1")
        .await
        .unwrap();
    let kinds: Vec<_> = rows
        .iter()
        .map(|r| (r.record.record_type, r.record.record_number))
        .collect();
    assert_eq!(
        kinds,
        [
            (RecordType::Start, 0),
            (RecordType::Interim, 1),
            (RecordType::Stop, 2)
        ]
    );
    let start = &rows[0].record;
    assert_eq!(start.origin_host, CLIENT);
    assert_eq!(start.event_timestamp, Some(1_790_000_001));
    assert_eq!(start.sip_method.as_deref(), Some("INVITE"));
    assert_eq!(start.role_of_node, Some(0));
    assert_eq!(start.node_functionality, Some(0));
    assert_eq!(start.user_session_id.as_deref(), Some("call-7@ue"));
    assert_eq!(
        start.calling_party_address.as_deref(),
        Some("sip:alice@ims.test")
    );
    assert_eq!(
        start.called_party_address.as_deref(),
        Some("sip:bob@ims.test")
    );
    assert_eq!(start.sip_request_timestamp, Some(1_790_000_000));
    assert_eq!(start.sip_response_timestamp, Some(1_790_000_001));
    assert_eq!(start.originating_ioi.as_deref(), Some("orig.ims.test"));
    assert_eq!(start.terminating_ioi.as_deref(), Some("term.ims.test"));
    assert_eq!(start.ims_charging_identifier.as_deref(), Some("icid-42"));
    assert_eq!(rows[2].record.cause_code, Some(0));
    // Submitted without one, the INTERIM was stamped by the client.
    assert!(rows[1]
        .record
        .event_timestamp
        .is_some_and(|t| t > 1_790_000_000));
    let sms = cdf
        .store
        .session_records("scscf.ims.test;sms;1")
        .await
        .unwrap();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].record.record_type, RecordType::Event);
    assert_eq!(sms[0].record.sip_method.as_deref(), Some("MESSAGE"));

    rf.close().await;
    node.shutdown().await;
    server.shutdown().await;
    cdf.remove().await;
    remove_db(&spool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_survive_a_cdf_outage() {
    let cdf = CdfServer::new().await;
    let server = cdf.serve("127.0.0.1:0".parse().unwrap()).await;
    let addr = server.local_addrs()[0];
    let node = client("cdf.ims.test", addr).await;
    wait_open(&node.handle()).await;
    let spool = temp_file("spool");
    let rf = open(&spool, &node).await;

    submit_round(&rf, 0..10, 3).await;
    // The CDF stops (DPR) while records are being delivered and submitted.
    tokio::time::timeout(FLUSH, async {
        while cdf.received.load(Ordering::SeqCst) < 5 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the CDF receives records");
    server.shutdown().await;
    submit_round(&rf, 10..20, 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        rf.pending() > 0,
        "nothing can be delivered while the CDF is down"
    );
    assert_eq!(
        usize::try_from(
            ims_charging::Spool::open(&spool)
                .await
                .unwrap()
                .pending()
                .await
                .unwrap()
        )
        .unwrap(),
        rf.pending(),
        "the spool file holds what is pending"
    );

    let server = cdf.serve(addr).await;
    assert!(rf.flush(FLUSH).await, "{} left", rf.pending());
    assert_eq!(stored(&cdf).await, expected(20, 3));
    // Per session in order: row ids (arrival order) ascend with the record numbers.
    let mut rows = cdf.store.records(&TimeRange::ALL).await.unwrap();
    rows.sort_by_key(|r| r.id);
    for s in 0..20 {
        let sid = format!("scscf.ims.test;rf;{s}");
        let numbers: Vec<u32> = rows
            .iter()
            .filter(|r| r.record.session_id == sid)
            .map(|r| r.record.record_number)
            .collect();
        assert_eq!(numbers, [0, 1, 2], "{sid}");
    }

    rf.close().await;
    node.shutdown().await;
    server.shutdown().await;
    cdf.remove().await;
    remove_db(&spool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spool_survives_a_client_restart() {
    let cdf = CdfServer::new().await;
    let addr = dead_addr();
    let node = client("cdf.ims.test", addr).await;
    let spool = temp_file("spool");

    // The CDF is not there yet: everything stays in the spool, and the client goes away.
    let rf = open(&spool, &node).await;
    submit_round(&rf, 0..5, 4).await;
    assert_eq!(rf.pending(), 20);
    drop(rf);

    let server = cdf.serve(addr).await;
    let rf = open(&spool, &node).await;
    assert_eq!(rf.pending(), 20, "the new client finds the spooled records");
    assert!(rf.flush(FLUSH).await, "{} left", rf.pending());
    assert_eq!(stored(&cdf).await, expected(5, 4));
    // Sent once each: the first client never reached a CDF.
    assert_eq!(cdf.received.load(Ordering::SeqCst), 20);
    rf.close().await;
    assert_eq!(
        ims_charging::Spool::open(&spool)
            .await
            .unwrap()
            .pending()
            .await
            .unwrap(),
        0
    );

    node.shutdown().await;
    server.shutdown().await;
    cdf.remove().await;
    remove_db(&spool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_the_cdf_refuses_does_not_block_the_spool() {
    let cdf = CdfServer::new().await;
    let server = cdf.serve("127.0.0.1:0".parse().unwrap()).await;
    let node = client("cdf.ims.test", server.local_addrs()[0]).await;
    let spool = temp_file("spool");
    // A spooled ACR without Accounting-Record-Number: the CDF answers 5005 however often
    // it is sent.
    let mut bad = MessageBuilder::request(&rf::cmd::ACR, 0, 0);
    bad.put(&b::SESSION_ID, "scscf.ims.test;bad")
        .put(&b::ORIGIN_HOST, CLIENT)
        .put(&b::ORIGIN_REALM, REALM)
        .put(&b::DESTINATION_REALM, REALM)
        .put(
            &b::ACCOUNTING_RECORD_TYPE,
            &AccountingRecordType::EVENT_RECORD,
        )
        .put(&b::ACCT_APPLICATION_ID, &rf::APPLICATION_ID.0);
    let file = ims_charging::Spool::open(&spool).await.unwrap();
    file.push("scscf.ims.test;bad", 0, &bad.finish())
        .await
        .unwrap();
    file.close().await;

    let rf = open(&spool, &node).await;
    submit_round(&rf, 0..2, 2).await;
    assert!(rf.flush(FLUSH).await, "{} left", rf.pending());
    assert_eq!(rf.rejected().await.unwrap(), 1, "kept, marked, not deleted");
    assert_eq!(stored(&cdf).await, expected(2, 2));

    rf.close().await;
    node.shutdown().await;
    server.shutdown().await;
    cdf.remove().await;
    remove_db(&spool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_cdf_sees_retransmissions_as_duplicates() {
    let cdf = CdfServer::new().await;
    // Answers take 600 ms; the client gives up on each copy after 200 ms.
    let server = cdf
        .serve_slow(
            "127.0.0.1:0".parse().unwrap(),
            Some(Duration::from_millis(600)),
        )
        .await;
    let node = client("cdf.ims.test", server.local_addrs()[0]).await;
    wait_open(&node.handle()).await;
    let spool = temp_file("spool");
    let rf = RfClient::open_with(
        &spool,
        vec![node.handle()],
        identity(),
        RfOptions {
            tx: Duration::from_millis(200),
            ..options()
        },
    )
    .await
    .unwrap();
    rf.submit(&RfRecord::event(
        "scscf.ims.test;slow",
        ImsInformation::new("MESSAGE", "m"),
    ))
    .await
    .unwrap();
    assert!(rf.flush(FLUSH).await, "{} left", rf.pending());
    // The copies carried the T flag and the End-to-End Identifier of the first: the CDF
    // node answered them from its duplicate cache (RFC 6733 §5.5.4), the CDF ran once.
    assert_eq!(cdf.received.load(Ordering::SeqCst), 1);
    assert_eq!(stored(&cdf).await.len(), 1);

    rf.close().await;
    node.shutdown().await;
    server.shutdown().await;
    cdf.remove().await;
    remove_db(&spool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_over_to_the_second_cdf() {
    let cdf = CdfServer::new().await;
    let server = cdf.serve("127.0.0.1:0".parse().unwrap()).await;
    let dead = client("cdf.ims.test", dead_addr()).await;
    let live = client("cdf.ims.test", server.local_addrs()[0]).await;
    wait_open(&live.handle()).await;
    let spool = temp_file("spool");
    let rf = RfClient::open_with(
        &spool,
        vec![dead.handle(), live.handle()],
        identity(),
        options(),
    )
    .await
    .unwrap();
    submit_round(&rf, 0..3, 2).await;
    assert!(rf.flush(FLUSH).await, "{} left", rf.pending());
    assert_eq!(stored(&cdf).await, expected(3, 2));

    rf.close().await;
    dead.abort();
    live.shutdown().await;
    server.shutdown().await;
    cdf.remove().await;
    remove_db(&spool);
}
