//! Charging end to end through the whole lab: a call debits the caller's account by the
//! tariff (one started minute), a MESSAGE is charged by event, a caller without credit gets
//! 402, and the CDF holds START/STOP and EVENT records with the call's ICID — all over real
//! sockets between the S-CSCF, the OCS and the CDF.
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;
use std::time::Duration;

use ims_cdf::{CdrStore, RecordType, TimeRange};
use ims_e2e::{Credentials, Ue};
use ims_lab::Lab;
use ims_store::SqlOptions;
use sip_types::{Method, StatusCode};

/// alice's starting balance in the lab (roles/config/ocs.toml demo_balance, micro-units).
const DEMO_BALANCE: i64 = 100_000_000;
/// One started minute of voice (0.60/min, 60 s units) and one message (0.10).
const ONE_MINUTE: i64 = 600_000;
const ONE_MESSAGE: i64 = 100_000;

mod common;
use common::Bed;

async fn balance(lab: &Lab, account: &str) -> i64 {
    lab.ocs
        .ocs()
        .ledger()
        .balance(account)
        .await
        .unwrap()
        .balance
}

/// The CDF's records, waiting up to 10 s for at least `want` of them (the S-CSCF's spool
/// sends them asynchronously).
/// The CDF's records once `done` holds for them (the ACRs are sent asynchronously, in no
/// fixed order across sessions), or after 10 s whatever is there.
async fn records(
    dir: &std::path::Path,
    done: impl Fn(&[ims_cdf::Cdr]) -> bool,
) -> Vec<ims_cdf::Cdr> {
    let url = format!("sqlite://{}", dir.join("cdf.db").display());
    let store = CdrStore::open(&SqlOptions::new(url)).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..100 {
        got = store.records(&TimeRange::default()).await.unwrap();
        if done(&got) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.close().await;
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_and_a_message_are_charged_online_and_recorded_offline() {
    let bed = Bed::start(IpAddr::from([127, 0, 4, 1]), "e2e-chg").await;
    let (lab, ip, dir) = (bed.lab(), bed.ip, bed.dir().to_path_buf());
    let pcscf = lab.pcscf_udp().unwrap();
    let mut alice = Ue::bind(ip, "alice", "ims.test", Credentials::demo_aka(), pcscf)
        .await
        .unwrap();
    let mut bob = Ue::bind(
        ip,
        "bob",
        "ims.test",
        Credentials::Password("bob-secret".into()),
        pcscf,
    )
    .await
    .unwrap();
    assert_eq!(
        alice.register(600, "AKAv1-MD5").await.unwrap().status(),
        Some(StatusCode::OK)
    );
    assert_eq!(
        bob.register(600, "MD5").await.unwrap().status(),
        Some(StatusCode::OK)
    );
    assert_eq!(balance(lab, "alice").await, DEMO_BALANCE);

    // A short call: one started minute.
    let (invite_text, _) = alice.request(Method::INVITE, "sip:bob@ims.test", "", None);
    let invite = sip_types::Message::parse(bytes::Bytes::from(invite_text.clone())).unwrap();
    alice.send(invite_text.as_bytes()).await.unwrap();
    let at_bob = bob.recv("INVITE at bob").await.unwrap();
    assert_eq!(at_bob.method(), Some(&Method::INVITE));
    // The caller's credit is reserved before the callee sees the INVITE.
    let during = lab.ocs.ocs().ledger().balance("alice").await.unwrap();
    assert!(during.reserved > 0, "{during:?}");
    bob.send(bob.response(&at_bob, 200, "bc").as_bytes())
        .await
        .unwrap();
    let ok = alice.final_response("200").await.unwrap();
    assert_eq!(ok.status(), Some(StatusCode::OK));
    let cseq = invite.cseq().unwrap().seq;
    let ack = alice.in_dialog(Method::ACK, &invite, &ok, cseq);
    alice.send(ack.as_bytes()).await.unwrap();
    let _ack = bob.recv("ACK").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let bye = alice.in_dialog(Method::BYE, &invite, &ok, cseq + 1);
    alice.send(bye.as_bytes()).await.unwrap();
    let bye = bob.recv("BYE").await.unwrap();
    bob.send(bob.response(&bye, 200, "bc").as_bytes())
        .await
        .unwrap();
    assert_eq!(
        alice.final_response("200 to BYE").await.unwrap().status(),
        Some(StatusCode::OK)
    );

    // A MESSAGE: one event.
    let (message, _) = alice.request(
        Method::MESSAGE,
        "sip:bob@ims.test",
        "",
        Some(("text/plain", "charged")),
    );
    alice.send(message.as_bytes()).await.unwrap();
    let got = bob.recv("MESSAGE").await.unwrap();
    bob.send(bob.response(&got, 200, "bm").as_bytes())
        .await
        .unwrap();
    assert_eq!(
        alice
            .final_response("200 to MESSAGE")
            .await
            .unwrap()
            .status(),
        Some(StatusCode::OK)
    );

    let mut after = 0;
    for _ in 0..50 {
        after = balance(lab, "alice").await;
        if after == DEMO_BALANCE - ONE_MINUTE - ONE_MESSAGE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(after, DEMO_BALANCE - ONE_MINUTE - ONE_MESSAGE);
    assert_eq!(
        balance(lab, "bob").await,
        DEMO_BALANCE,
        "the callee pays nothing"
    );

    // Offline: START and STOP of the call with its ICID, EVENTs for the MESSAGE and the
    // registrations.
    let has = |cdrs: &[ims_cdf::Cdr], kind: RecordType, method: &str| {
        cdrs.iter()
            .any(|c| c.record.record_type == kind && c.record.sip_method.as_deref() == Some(method))
    };
    let cdrs = records(&dir, |cdrs| {
        has(cdrs, RecordType::Start, "INVITE")
            && cdrs
                .iter()
                .any(|c| c.record.record_type == RecordType::Stop)
            && has(cdrs, RecordType::Event, "MESSAGE")
            && has(cdrs, RecordType::Event, "REGISTER")
    })
    .await;
    let start = cdrs
        .iter()
        .find(|c| {
            c.record.record_type == RecordType::Start
                && c.record.sip_method.as_deref() == Some("INVITE")
        })
        .expect("a START record for the call");
    let stop = cdrs
        .iter()
        .find(|c| {
            c.record.record_type == RecordType::Stop
                && c.record.session_id == start.record.session_id
        })
        .expect("a STOP record in the call's accounting session");
    assert!(start.record.ims_charging_identifier.is_some());
    assert_eq!(
        start.record.ims_charging_identifier,
        stop.record.ims_charging_identifier
    );
    assert!(cdrs
        .iter()
        .any(|c| c.record.record_type == RecordType::Event
            && c.record.sip_method.as_deref() == Some("MESSAGE")));
    assert!(cdrs
        .iter()
        .any(|c| c.record.record_type == RecordType::Event
            && c.record.sip_method.as_deref() == Some("REGISTER")));
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_without_credit_gets_402() {
    let bed = Bed::start(IpAddr::from([127, 0, 4, 2]), "e2e-chg").await;
    let (lab, ip) = (bed.lab(), bed.ip);
    // dave: a subscriber like the demo ones, with an account holding nothing.
    let store = lab.hss.hss().store();
    store
        .put_private(&ims_hss::seed::demo_private("dave"))
        .await
        .unwrap();
    store
        .put_public(&ims_hss::seed::demo_public("dave"))
        .await
        .unwrap();
    let currency = lab
        .ocs
        .ocs()
        .ledger()
        .balance("alice")
        .await
        .unwrap()
        .currency_code;
    lab.ocs
        .ocs()
        .ledger()
        .create_account("dave", &["sip:dave@ims.test"], 0, currency)
        .await
        .unwrap();
    let pcscf = lab.pcscf_udp().unwrap();
    let mut dave = Ue::bind(ip, "dave", "ims.test", Credentials::demo_aka(), pcscf)
        .await
        .unwrap();
    let mut bob = Ue::bind(
        ip,
        "bob",
        "ims.test",
        Credentials::Password("bob-secret".into()),
        pcscf,
    )
    .await
    .unwrap();
    assert_eq!(
        dave.register(600, "AKAv1-MD5").await.unwrap().status(),
        Some(StatusCode::OK)
    );
    assert_eq!(
        bob.register(600, "MD5").await.unwrap().status(),
        Some(StatusCode::OK)
    );
    let (invite, _) = dave.request(Method::INVITE, "sip:bob@ims.test", "", None);
    dave.send(invite.as_bytes()).await.unwrap();
    let refused = dave.final_response("402").await.unwrap();
    assert_eq!(refused.status(), Some(StatusCode(402)), "{refused:?}");
    // Nothing reached bob.
    assert!(bob
        .recv_within(Duration::from_millis(300), "nothing")
        .await
        .is_err());
    bed.stop().await;
}
