//! The S-CSCF's charging trigger against the real OCS (ims-ocs) and CDF (ims-cdf) over
//! Diameter on loopback, with UDP sockets as the two UEs: calls debited by the tariff, a call
//! torn down when its credit ends, refused sessions and messages, an unreachable OCS under
//! each failure handling, and ACRs that survive a CDF outage and a restart.
#![allow(clippy::unwrap_used)]

mod charging_common;

use std::net::SocketAddr;
use std::time::Duration;

use charging_common::scscf_lab::ScscfLab;
use charging_common::*;
use ims_cdf::RecordType;
use ims_scscf::charging::{ChargingRole, ChargingSection, Verdict};
use sip_types::StatusCode;
use tokio::net::UdpSocket;

const SETTLE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_is_debited_by_the_tariff_and_reaches_the_cdf() {
    let ocs = OcsServer::start(OCS_MINUTES, 3600).await;
    ocs.account("alice", ALICE, 10_000_000).await;
    let cdf = CdfServer::new().await;
    let cdf_node = cdf.serve("127.0.0.1:0".parse().unwrap()).await;
    let spool = temp_file("spool");
    let side = Side::start(
        charging_section(&spool),
        diameter_section(Some(ocs.addr()), Some(cdf_node.local_addrs()[0])),
    )
    .await;
    side.wait_open(OCS_HOST).await;
    side.wait_open(CDF_HOST).await;
    let (alice, bob) = (Ue::new("alice").await, Ue::new("bob").await);

    let inv = invite("call-1", &alice, BOB);
    let t = &side.trigger;
    assert_eq!(
        t.authorize_session(&inv, ChargingRole::Originating, ALICE)
            .await,
        Verdict::Proceed
    );
    // CCR-I reserved the 300 s asked for: 5 minutes at 0.60.
    assert_eq!(ocs.balance("alice").await, (10_000_000, 3_000_000));
    let ok = ok_from(&inv, &bob);
    t.on_final(&inv, StatusCode::OK, Some(&ok)).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let bye = sip_types::Message::parse(
        sip_types::RequestBuilder::new(sip_types::Method::BYE, "sip:bob@127.0.0.1")
            .header("From", "<sip:alice@ims.test>;tag=caller-tag")
            .header("To", "<sip:bob@ims.test>;tag=callee-tag")
            .header("Call-ID", "call-1")
            .header("CSeq", "2 BYE")
            .build(),
    )
    .unwrap();
    t.on_bye(&bye).await;
    assert_eq!(t.active_calls(), 0);
    // 1.2 s billed as the first whole minute: 0.60, nothing left reserved.
    assert_eq!(ocs.balance("alice").await, (9_400_000, 0));
    // A second BYE (the other leg) changes nothing.
    t.on_bye(&bye).await;
    assert_eq!(ocs.balance("alice").await, (9_400_000, 0));

    assert!(t.flush(SETTLE).await, "the CDF acknowledges START and STOP");
    let rows = cdf.records().await;
    let kinds: Vec<_> = rows.iter().map(|r| r.record.record_type).collect();
    assert_eq!(kinds, [RecordType::Start, RecordType::Stop]);
    let start = &rows[0].record;
    assert_eq!(start.session_id, rows[1].record.session_id);
    assert_eq!(
        start.ims_charging_identifier.as_deref(),
        Some("icid-call-1")
    );
    assert_eq!(start.originating_ioi.as_deref(), Some("ims.test"));
    assert_eq!(start.user_session_id.as_deref(), Some("call-1"));
    assert_eq!(start.calling_party_address.as_deref(), Some(ALICE));
    assert_eq!(start.called_party_address.as_deref(), Some(BOB));
    assert_eq!(start.sip_method.as_deref(), Some("INVITE"));
    assert_eq!(start.role_of_node, Some(0), "ORIGINATING_ROLE");
    assert_eq!(start.node_functionality, Some(0), "S-CSCF");
    assert_eq!(rows[1].record.sip_method.as_deref(), Some("BYE"));

    side.stop().await;
    cdf_node.shutdown().await;
    cdf.remove().await;
    ocs.stop().await;
    remove_db(&spool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_is_torn_down_when_the_credit_ends() {
    // 0.05 at 0.01/s: five seconds, granted two at a time (CCR-UPDATEs on the way).
    let ocs = OcsServer::start(OCS_SECONDS, 2).await;
    ocs.account("alice", ALICE, 50_000).await;
    let section = ChargingSection {
        offline: false,
        cdf: None,
        ..charging_section(&temp_file("unused"))
    };
    let side = Side::start(section, diameter_section(Some(ocs.addr()), None)).await;
    side.wait_open(OCS_HOST).await;
    let (alice, bob) = (Ue::new("alice").await, Ue::new("bob").await);
    let t = &side.trigger;

    let inv = invite("call-2", &alice, BOB);
    assert_eq!(
        t.authorize_session(&inv, ChargingRole::Originating, ALICE)
            .await,
        Verdict::Proceed
    );
    let ok = ok_from(&inv, &bob);
    let answered = tokio::time::Instant::now();
    t.on_final(&inv, StatusCode::OK, Some(&ok)).await;

    let (to_bob, to_alice) = tokio::join!(
        bob.expect_bye(Duration::from_secs(10)),
        alice.expect_bye(Duration::from_secs(10))
    );
    let after = answered.elapsed();
    assert!(
        after >= Duration::from_millis(4500) && after < Duration::from_millis(7000),
        "released when the five seconds end, not at {after:?}"
    );
    // Each side gets a BYE of the dialog, from the other side.
    assert_eq!(to_bob.call_id().unwrap(), "call-2");
    assert_eq!(to_bob.from().unwrap().tag(), Some("caller-tag"));
    assert_eq!(to_bob.to().unwrap().tag(), Some("callee-tag"));
    assert_eq!(to_alice.from().unwrap().tag(), Some("callee-tag"));
    assert_eq!(to_alice.to().unwrap().tag(), Some("caller-tag"));
    let reason = to_bob.header_by_name("Reason").unwrap_or_default();
    assert!(reason.contains("credit"), "{reason}");

    // CCR-TERMINATION: everything debited, nothing reserved.
    eventually(SETTLE, "the session is terminated at the OCS", || async {
        ocs.balance("alice").await == (0, 0) && t.active_calls() == 0
    })
    .await;
    let debits = ocs.ledger().debits("alice").await.unwrap();
    assert!(
        debits.len() >= 3,
        "CCR-UPDATEs reported use before the end: {debits:?}"
    );

    side.stop().await;
    ocs.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credit_is_402_and_messages_are_charged_by_event() {
    let ocs = OcsServer::start(OCS_MINUTES, 3600).await;
    // Alice has 0.05: not a minute of voice, not an SMS. Bob has 1.00.
    ocs.account("alice", ALICE, 50_000).await;
    ocs.account("bob", BOB, 1_000_000).await;
    let cdf = CdfServer::new().await;
    let cdf_node = cdf.serve("127.0.0.1:0".parse().unwrap()).await;
    let spool = temp_file("spool");
    let side = Side::start(
        charging_section(&spool),
        diameter_section(Some(ocs.addr()), Some(cdf_node.local_addrs()[0])),
    )
    .await;
    side.wait_open(OCS_HOST).await;
    side.wait_open(CDF_HOST).await;
    let t = &side.trigger;
    let alice = Ue::new("alice").await;

    let inv = invite("call-3", &alice, BOB);
    assert_eq!(
        t.authorize_session(&inv, ChargingRole::Originating, ALICE)
            .await,
        Verdict::Reject(StatusCode::PAYMENT_REQUIRED)
    );
    assert_eq!(t.active_calls(), 0);
    let sms = message("msg-1", "alice", BOB);
    assert_eq!(
        t.charge_event(&sms, ChargingRole::Originating, ALICE).await,
        Verdict::Reject(StatusCode::PAYMENT_REQUIRED)
    );
    assert_eq!(ocs.balance("alice").await, (50_000, 0));

    // Bob's MESSAGE costs him 0.10 and, once answered 200, leaves an EVENT record.
    let sms = message("msg-2", "bob", ALICE);
    assert_eq!(
        t.charge_event(&sms, ChargingRole::Originating, BOB).await,
        Verdict::Proceed
    );
    assert_eq!(ocs.balance("bob").await, (900_000, 0));
    // Alice is served here too: her side is not charged online by default, only offline.
    assert_eq!(
        t.charge_event(&sms, ChargingRole::Terminating, ALICE).await,
        Verdict::Proceed
    );
    assert_eq!(ocs.balance("alice").await, (50_000, 0));
    t.on_final(&sms, StatusCode::OK, None).await;
    // A MESSAGE that fails leaves no record.
    let lost = message("msg-3", "bob", ALICE);
    assert_eq!(
        t.charge_event(&lost, ChargingRole::Originating, BOB).await,
        Verdict::Proceed
    );
    t.on_final(&lost, StatusCode::NOT_FOUND, None).await;
    // Debited directly before delivery: no refund (RFC 4006 REFUND_ACCOUNT is not used).
    assert_eq!(ocs.balance("bob").await, (800_000, 0));
    // A failed INVITE releases its reservation (CCR-TERMINATION, nothing used).
    let inv = invite("call-4", &Ue::new("bob").await, ALICE);
    assert_eq!(
        t.authorize_session(&inv, ChargingRole::Originating, BOB)
            .await,
        Verdict::Proceed
    );
    assert_eq!(ocs.balance("bob").await.1, 600_000, "a minute reserved");
    t.on_final(&inv, StatusCode(486), None).await;
    assert_eq!(ocs.balance("bob").await, (800_000, 0));

    assert!(t.flush(SETTLE).await);
    let rows = cdf.records().await;
    assert_eq!(rows.len(), 2, "an EVENT per side, nothing for the failures");
    for (row, role) in rows.iter().zip([0, 1]) {
        let ev = &row.record;
        assert_eq!(ev.record_type, RecordType::Event);
        assert_eq!(ev.sip_method.as_deref(), Some("MESSAGE"));
        assert_eq!(ev.user_session_id.as_deref(), Some("msg-2"));
        assert_eq!(ev.calling_party_address.as_deref(), Some(BOB));
        assert_eq!(ev.role_of_node, Some(role));
    }

    side.stop().await;
    cdf_node.shutdown().await;
    cdf.remove().await;
    ocs.stop().await;
    remove_db(&spool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_ocs_follows_failure_handling() {
    let dead = free_addr();
    for (handling, want) in [
        ("continue", Verdict::Proceed),
        (
            "terminate",
            Verdict::Reject(StatusCode::SERVICE_UNAVAILABLE),
        ),
        (
            "retry_and_terminate",
            Verdict::Reject(StatusCode::SERVICE_UNAVAILABLE),
        ),
    ] {
        let section = ChargingSection {
            offline: false,
            cdf: None,
            failure_handling: handling.into(),
            ..charging_section(&temp_file("unused"))
        };
        let side = Side::start(section, diameter_section(Some(dead), None)).await;
        let alice = Ue::new("alice").await;
        let t = &side.trigger;
        let started = tokio::time::Instant::now();
        let inv = invite("call-5", &alice, BOB);
        assert_eq!(
            t.authorize_session(&inv, ChargingRole::Originating, ALICE)
                .await,
            want,
            "{handling}"
        );
        assert_eq!(
            t.charge_event(
                &message("msg-5", "alice", BOB),
                ChargingRole::Originating,
                ALICE
            )
            .await,
            want,
            "{handling} event"
        );
        assert!(started.elapsed() < Duration::from_secs(3), "Tx bounds it");
        if want == Verdict::Proceed {
            // The call goes on without credit control: answered and ended without an OCS.
            let bob = Ue::new("bob").await;
            t.on_final(&inv, StatusCode::OK, Some(&ok_from(&inv, &bob)))
                .await;
            assert_eq!(t.active_calls(), 1);
            assert!(bob.recv(Duration::from_millis(300)).await.is_none());
        }
        side.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_ocs_takes_over() {
    let backup = OcsServer::start_as("ocs2.ims.test", OCS_MINUTES, 3600).await;
    backup.account("alice", ALICE, 1_000_000).await;
    let mut diameter = diameter_section(Some(free_addr()), None);
    add_peer(&mut diameter, "ocs2.ims.test", backup.addr());
    let section = ChargingSection {
        offline: false,
        cdf: None,
        ocs_secondary: Some("ocs2.ims.test".into()),
        failure_handling: "retry_and_terminate".into(),
        ..charging_section(&temp_file("unused"))
    };
    let side = Side::start(section, diameter).await;
    side.wait_open("ocs2.ims.test").await;
    let t = &side.trigger;
    let sms = message("msg-7", "alice", BOB);
    assert_eq!(
        t.charge_event(&sms, ChargingRole::Originating, ALICE).await,
        Verdict::Proceed
    );
    assert_eq!(backup.balance("alice").await, (900_000, 0));
    side.stop().await;
    backup.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_survive_a_cdf_outage_and_a_restart() {
    // The CDF is down while the calls happen.
    let cdf_addr = free_addr();
    let cdf = CdfServer::new().await;
    let spool = temp_file("spool");
    let section = ChargingSection {
        ocs: None,
        online_originating: false,
        interim_interval_s: 1,
        ..charging_section(&spool)
    };
    let side = Side::start(section.clone(), diameter_section(None, Some(cdf_addr))).await;
    let t = &side.trigger;
    let (alice, bob) = (Ue::new("alice").await, Ue::new("bob").await);
    let inv = invite("call-6", &alice, BOB);
    assert_eq!(
        t.authorize_session(&inv, ChargingRole::Terminating, BOB)
            .await,
        Verdict::Proceed
    );
    t.on_final(&inv, StatusCode::OK, Some(&ok_from(&inv, &bob)))
        .await;
    // One INTERIM after a second.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    t.on_bye(&inv).await;
    let sms = message("msg-6", "alice", BOB);
    assert_eq!(
        t.charge_event(&sms, ChargingRole::Terminating, BOB).await,
        Verdict::Proceed
    );
    t.on_final(&sms, StatusCode::OK, None).await;
    assert_eq!(t.pending_records().await, 4, "START, INTERIM, STOP, EVENT");
    // Restart with the records still in the spool.
    side.stop().await;

    let side = Side::start(section, diameter_section(None, Some(cdf_addr))).await;
    let t = &side.trigger;
    let register = sip_types::Message::parse(
        sip_types::RequestBuilder::new(sip_types::Method::REGISTER, "sip:ims.test")
            .header("From", "<sip:carol@ims.test>;tag=r1")
            .header("To", "<sip:carol@ims.test>")
            .header("Call-ID", "reg-1")
            .header("CSeq", "2 REGISTER")
            .build(),
    )
    .unwrap();
    t.on_register(&register, "sip:carol@ims.test").await;
    assert_eq!(t.pending_records().await, 5);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(cdf.records().await.len(), 0);
    // The CDF comes up: every record arrives, each once, in order.
    let cdf_node = cdf.serve(cdf_addr).await;
    assert!(t.flush(Duration::from_secs(20)).await, "spool delivered");
    let rows = cdf.records().await;
    let kinds: Vec<_> = rows.iter().map(|r| r.record.record_type).collect();
    assert_eq!(
        kinds,
        [
            RecordType::Start,
            RecordType::Interim,
            RecordType::Stop,
            RecordType::Event,
            RecordType::Event
        ]
    );
    assert_eq!(rows[0].record.role_of_node, Some(1), "TERMINATING_ROLE");
    assert_eq!(rows[4].record.user_session_id.as_deref(), Some("reg-1"));
    assert_eq!(rows[4].record.sip_method.as_deref(), Some("REGISTER"));
    assert_eq!(
        rows[4].record.calling_party_address.as_deref(),
        Some("sip:carol@ims.test")
    );

    side.stop().await;
    cdf_node.shutdown().await;
    cdf.remove().await;
    remove_db(&spool);
}

/// The initial request of `from` (a P-CSCF at `pcscf`, originating: our `orig` Route).
fn from_pcscf(
    method: &str,
    ruri: &str,
    from: &str,
    pcscf: SocketAddr,
    scscf: SocketAddr,
    call: &str,
) -> String {
    format!(
        "{method} {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {pcscf};branch=z9hG4bK-{call}\r\n\
         Route: <sip:orig@{scscf};lr>\r\nMax-Forwards: 70\r\nFrom: <{from}>;tag=f-{call}\r\n\
         To: <{ruri}>\r\nCall-ID: {call}\r\nCSeq: 1 {method}\r\nContact: <sip:caller@{pcscf}>\r\n\
         P-Asserted-Identity: <{from}>\r\n\
         P-Charging-Vector: icid-value=icid-{call};orig-ioi=ims.test\r\nContent-Length: 0\r\n\r\n"
    )
}

/// Through the whole S-CSCF: the INVITE reaches the callee only after CCR-INITIAL reserved
/// the caller's credit; a caller without credit gets 402 and the callee nothing; the BYE
/// debits the call; START and STOP reach the CDF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scscf_charges_calls_end_to_end() {
    let ocs = OcsServer::start(OCS_MINUTES, 3600).await;
    ocs.account("alice", ALICE, 10_000_000).await;
    ocs.account("carol", "sip:carol@ims.test", 10_000).await;
    let cdf = CdfServer::new().await;
    let cdf_node = cdf.serve("127.0.0.1:0".parse().unwrap()).await;
    let spool = temp_file("spool");
    let lab = ScscfLab::start(ocs.addr(), cdf_node.local_addrs()[0], &spool).await;
    let orig = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let term = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (orig_addr, term_addr) = (orig.local_addr().unwrap(), term.local_addr().unwrap());
    let bob_ue: SocketAddr = "127.0.0.1:40002".parse().unwrap();
    lab.register("alice", orig_addr, "127.0.0.1:40001".parse().unwrap())
        .await;
    lab.register("bob", term_addr, bob_ue).await;
    lab.register("carol", orig_addr, "127.0.0.1:40003".parse().unwrap())
        .await;
    let scscf = lab.addr;

    // Carol cannot afford a minute: 402, and nothing reaches bob's side.
    let inv = from_pcscf(
        "INVITE",
        BOB,
        "sip:carol@ims.test",
        orig_addr,
        scscf,
        "e2e-0",
    );
    orig.send_to(inv.as_bytes(), scscf).await.unwrap();
    let (answer, _) = recv_call(&orig, "e2e-0").await;
    assert_eq!(answer.status(), Some(StatusCode::PAYMENT_REQUIRED));
    let inv = sip_types::Message::parse(bytes::Bytes::from(inv)).unwrap();
    ack_failure(&orig, &inv, &answer, scscf).await;
    let mut buf = [0u8; 2048];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), term.recv_from(&mut buf))
            .await
            .is_err(),
        "the refused INVITE is not forwarded"
    );

    // Alice calls bob: when the INVITE arrives, her credit is already reserved.
    let inv = from_pcscf("INVITE", BOB, ALICE, orig_addr, scscf, "e2e-1");
    orig.send_to(inv.as_bytes(), scscf).await.unwrap();
    let (got, _) = recv_call(&term, "e2e-1").await;
    assert_eq!(got.method(), Some(&sip_types::Method::INVITE));
    assert_eq!(ocs.balance("alice").await, (10_000_000, 3_000_000));
    let bob_contact = format!("sip:bob@{bob_ue}");
    let ok = sip_types::ResponseBuilder::new(&got, StatusCode::OK)
        .to_tag("b1")
        .header("Record-Route", format!("<sip:{scscf};lr>"))
        .header("Contact", format!("<{bob_contact}>"))
        .build();
    term.send_to(&ok, scscf).await.unwrap();
    let (ok, _) = recv_call(&orig, "e2e-1").await;
    assert_eq!(ok.status(), Some(StatusCode::OK), "{ok:?}");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let bye = format!(
        "BYE {bob_contact} SIP/2.0\r\nVia: SIP/2.0/UDP {orig_addr};branch=z9hG4bK-bye-1\r\n\
         Route: <sip:{scscf};lr>, <sip:term@{term_addr};lr>\r\nMax-Forwards: 70\r\n\
         From: <{ALICE}>;tag=f-e2e-1\r\nTo: <{BOB}>;tag=b1\r\nCall-ID: e2e-1\r\n\
         CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
    );
    orig.send_to(bye.as_bytes(), scscf).await.unwrap();
    let (got, _) = recv_call(&term, "e2e-1").await;
    assert_eq!(got.method(), Some(&sip_types::Method::BYE));
    term.send_to(
        &sip_types::ResponseBuilder::new(&got, StatusCode::OK).build(),
        scscf,
    )
    .await
    .unwrap();
    let (bye_ok, _) = recv_call(&orig, "e2e-1").await;
    assert_eq!(bye_ok.status(), Some(StatusCode::OK));
    // CCR-TERMINATION: one started minute debited, nothing reserved.
    eventually(SETTLE, "the call is debited", || async {
        ocs.balance("alice").await == (9_400_000, 0)
    })
    .await;
    assert_eq!(ocs.balance("carol").await, (10_000, 0));

    let trigger = lab.scscf.shared().charging.clone().unwrap();
    assert!(trigger.flush(SETTLE).await);
    let rows = cdf.records().await;
    let call: Vec<_> = rows
        .iter()
        .filter(|r| r.record.user_session_id.as_deref() == Some("e2e-1"))
        .map(|r| (r.record.record_type, r.record.role_of_node))
        .collect();
    // Alice's side and bob's (both served here), each START then STOP.
    assert_eq!(
        call,
        [
            (RecordType::Start, Some(0)),
            (RecordType::Start, Some(1)),
            (RecordType::Stop, Some(0)),
            (RecordType::Stop, Some(1)),
        ]
    );
    assert!(rows
        .iter()
        .all(|r| r.record.user_session_id.as_deref() != Some("e2e-0")));

    lab.stop().await;
    cdf_node.shutdown().await;
    cdf.remove().await;
    ocs.stop().await;
    remove_db(&spool);
}

/// Through the whole S-CSCF: a call whose credit lasts three seconds is released by the
/// S-CSCF then, with a BYE to each P-CSCF (the callee's by its Record-Route).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scscf_releases_a_call_when_the_credit_ends() {
    let ocs = OcsServer::start(OCS_SECONDS, 3600).await;
    ocs.account("alice", ALICE, 30_000).await;
    let cdf = CdfServer::new().await;
    let cdf_node = cdf.serve("127.0.0.1:0".parse().unwrap()).await;
    let spool = temp_file("spool");
    let lab = ScscfLab::start(ocs.addr(), cdf_node.local_addrs()[0], &spool).await;
    let orig = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let term = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (orig_addr, term_addr) = (orig.local_addr().unwrap(), term.local_addr().unwrap());
    lab.register("alice", orig_addr, "127.0.0.1:40001".parse().unwrap())
        .await;
    lab.register("bob", term_addr, "127.0.0.1:40002".parse().unwrap())
        .await;
    let scscf = lab.addr;

    let inv = from_pcscf("INVITE", BOB, ALICE, orig_addr, scscf, "e2e-2");
    orig.send_to(inv.as_bytes(), scscf).await.unwrap();
    let (got, _) = recv_call(&term, "e2e-2").await;
    // Bob's P-CSCF Record-Routes too.
    let ok = sip_types::ResponseBuilder::new(&got, StatusCode::OK)
        .to_tag("b2")
        .header(
            "Record-Route",
            format!("<sip:{term_addr};lr>, <sip:{scscf};lr>"),
        )
        .header("Contact", "<sip:bob@127.0.0.1:40002>")
        .build();
    term.send_to(&ok, scscf).await.unwrap();
    let (ok, _) = recv_call(&orig, "e2e-2").await;
    assert_eq!(ok.status(), Some(StatusCode::OK));
    let answered = tokio::time::Instant::now();

    let (to_bob, _) = recv_call(&term, "e2e-2").await;
    let (to_alice, _) = recv_call(&orig, "e2e-2").await;
    let after = answered.elapsed();
    assert!(
        after >= Duration::from_millis(2500) && after < Duration::from_millis(4500),
        "released when the three seconds end, not at {after:?}"
    );
    for (bye, uri) in [
        (&to_bob, "sip:bob@127.0.0.1:40002".to_owned()),
        (&to_alice, format!("sip:caller@{orig_addr}")),
    ] {
        assert_eq!(bye.method(), Some(&sip_types::Method::BYE));
        assert_eq!(bye.request_uri(), Some(uri.as_str()));
    }
    assert_eq!(to_bob.to().unwrap().tag(), Some("b2"));
    assert_eq!(to_alice.to().unwrap().tag(), Some("f-e2e-2"));
    for (sock, bye) in [(&term, &to_bob), (&orig, &to_alice)] {
        let ok = sip_types::ResponseBuilder::new(bye, StatusCode::OK).build();
        sock.send_to(&ok, scscf).await.unwrap();
    }
    eventually(SETTLE, "the credit is used up", || async {
        ocs.balance("alice").await == (0, 0)
    })
    .await;

    lab.stop().await;
    cdf_node.shutdown().await;
    cdf.remove().await;
    ocs.stop().await;
    remove_db(&spool);
}
