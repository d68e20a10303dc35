//! The Ro client against the real OCS (ims-ocs over diameter-net on loopback): session and
//! event charging with the ledger checked, 4012, an unreachable or silent OCS under each
//! Credit-Control-Failure-Handling, and failover to the second OCS.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use diameter_codec::generated::cc::CreditControlFailureHandling as Ccfh;
use ims_charging::{ImsInformation, RoClient, RoOptions, RoOutcome};

const ALICE: &str = "sip:alice@ims.test";

fn voice() -> ImsInformation {
    ImsInformation::new("INVITE", "call-1@ue")
}

fn options(failure_handling: Ccfh) -> RoOptions {
    RoOptions {
        tx: Duration::from_millis(300),
        failure_handling,
    }
}

async fn with_alice(ocs: &OcsServer, balance: i64) {
    ocs.ledger()
        .create_account("alice", &[ALICE], balance, 978)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_is_reserved_debited_and_released() {
    let ocs = OcsServer::start("ocs.ims.test", None).await;
    with_alice(&ocs, 10_000_000).await;
    let node = client("ocs.ims.test", ocs.addr()).await;
    wait_open(&node.handle()).await;
    let ro = RoClient::new(identity(), options(Ccfh::TERMINATE), node.handle(), None);
    let mut s = ro.session(ALICE);

    let granted = ro.start(&mut s, 60, &voice()).await;
    assert_eq!(
        granted,
        RoOutcome::Granted {
            units: 60,
            final_unit: false
        }
    );
    assert_eq!((s.granted_seconds, s.validity_time), (60, Some(300)));
    let acct = ocs.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (10_000_000, 600_000));

    let granted = ro.update(&mut s, 60, 60, &voice()).await;
    assert_eq!(
        granted,
        RoOutcome::Granted {
            units: 60,
            final_unit: false
        }
    );
    let acct = ocs.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (9_400_000, 600_000));

    // 30 s more: 90 s in all, charged per started minute (1.20).
    let ended = ro.stop(&mut s, 30, &voice()).await;
    assert_eq!(
        ended,
        RoOutcome::Granted {
            units: 0,
            final_unit: false
        }
    );
    let acct = ocs.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (8_800_000, 0));
    assert_eq!(s.next_number, 3);
    let debits = ocs.ledger().debits("alice").await.unwrap();
    assert!(debits
        .iter()
        .all(|d| d.session_id.as_deref() == Some(s.session_id.as_str())));

    node.shutdown().await;
    ocs.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_is_debited_and_a_low_balance_is_denied() {
    let ocs = OcsServer::start("ocs.ims.test", None).await;
    with_alice(&ocs, 150_000).await;
    let node = client("ocs.ims.test", ocs.addr()).await;
    wait_open(&node.handle()).await;
    let ro = RoClient::new(identity(), options(Ccfh::TERMINATE), node.handle(), None);
    let sms = ImsInformation::new("MESSAGE", "msg-1@ue");

    let first = ro.event(ALICE, 1, &sms).await;
    assert_eq!(
        first,
        RoOutcome::Granted {
            units: 1,
            final_unit: false
        }
    );
    assert_eq!(ocs.ledger().balance("alice").await.unwrap().balance, 50_000);
    // 0.05 left, an SMS costs 0.10: 4012, which the S-CSCF turns into 402.
    let second = ro.event(ALICE, 1, &sms).await;
    assert_eq!(second, RoOutcome::Denied { code: 4012 });
    assert_eq!(ocs.ledger().balance("alice").await.unwrap().balance, 50_000);
    // A call cannot start either: not even its first minute is affordable.
    let mut s = ro.session(ALICE);
    assert_eq!(
        ro.start(&mut s, 60, &voice()).await,
        RoOutcome::Denied { code: 4012 }
    );
    // Unknown user.
    assert_eq!(
        ro.event("sip:nobody@ims.test", 1, &sms).await,
        RoOutcome::Denied { code: 5030 }
    );

    node.shutdown().await;
    ocs.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_minute_comes_with_final_unit_indication() {
    let ocs = OcsServer::start("ocs.ims.test", None).await;
    with_alice(&ocs, 900_000).await;
    let node = client("ocs.ims.test", ocs.addr()).await;
    wait_open(&node.handle()).await;
    let ro = RoClient::new(identity(), options(Ccfh::TERMINATE), node.handle(), None);
    let mut s = ro.session(ALICE);
    // 0.90 buys one minute of the 5 asked for.
    assert_eq!(
        ro.start(&mut s, 300, &voice()).await,
        RoOutcome::Granted {
            units: 60,
            final_unit: true
        }
    );
    assert!(s.final_unit_action.is_some());
    node.shutdown().await;
    ocs.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_ocs_follows_failure_handling() {
    let node = client("ocs.ims.test", dead_addr()).await;
    for (mode, want) in [
        (Ccfh::TERMINATE, RoOutcome::Terminate),
        (Ccfh::CONTINUE, RoOutcome::Continue),
        (Ccfh::RETRY_AND_TERMINATE, RoOutcome::Terminate),
    ] {
        let ro = RoClient::new(identity(), options(mode), node.handle(), None);
        let mut s = ro.session(ALICE);
        assert_eq!(ro.start(&mut s, 60, &voice()).await, want, "{mode:?}");
        assert_eq!(s.uncontrolled, mode == Ccfh::CONTINUE);
        assert_eq!(
            ro.event(ALICE, 1, &ImsInformation::new("MESSAGE", "m"))
                .await,
            want,
            "{mode:?} event"
        );
    }
    node.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_ocs_expires_tx() {
    // The real OCS, but every answer is held for 2 s: longer than Tx (300 ms).
    let ocs = OcsServer::start("ocs.ims.test", Some(Duration::from_secs(2))).await;
    with_alice(&ocs, 10_000_000).await;
    let node = client("ocs.ims.test", ocs.addr()).await;
    wait_open(&node.handle()).await;
    for (mode, want) in [
        (Ccfh::TERMINATE, RoOutcome::Terminate),
        (Ccfh::CONTINUE, RoOutcome::Continue),
        (Ccfh::RETRY_AND_TERMINATE, RoOutcome::Terminate),
    ] {
        let ro = RoClient::new(identity(), options(mode), node.handle(), None);
        let mut s = ro.session(ALICE);
        let started = tokio::time::Instant::now();
        assert_eq!(ro.start(&mut s, 60, &voice()).await, want, "{mode:?}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "Tx bounds the wait"
        );
    }
    node.abort();
    ocs.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_over_to_the_second_ocs() {
    let backup = OcsServer::start("ocs2.ims.test", None).await;
    with_alice(&backup, 10_000_000).await;
    let dead = client("ocs.ims.test", dead_addr()).await;
    let live = client("ocs2.ims.test", backup.addr()).await;
    wait_open(&live.handle()).await;

    for mode in [Ccfh::RETRY_AND_TERMINATE, Ccfh::CONTINUE] {
        let ro = RoClient::new(
            identity(),
            options(mode),
            dead.handle(),
            Some(live.handle()),
        );
        let mut s = ro.session(ALICE);
        assert_eq!(
            ro.start(&mut s, 60, &voice()).await,
            RoOutcome::Granted {
                units: 60,
                final_unit: false
            },
            "{mode:?}"
        );
        // The session stays with the server that answered.
        assert_eq!(s.server, 1);
        assert_eq!(
            ro.stop(&mut s, 60, &voice()).await,
            RoOutcome::Granted {
                units: 0,
                final_unit: false
            }
        );
    }
    let acct = backup.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (10_000_000 - 2 * 600_000, 0));

    // TERMINATE: no failover (RFC 4006 §8.14), though the second OCS is up.
    let ro = RoClient::new(
        identity(),
        options(Ccfh::TERMINATE),
        dead.handle(),
        Some(live.handle()),
    );
    let mut s = ro.session(ALICE);
    assert_eq!(ro.start(&mut s, 60, &voice()).await, RoOutcome::Terminate);
    // Events fail over as well.
    let ro = RoClient::new(
        identity(),
        options(Ccfh::RETRY_AND_TERMINATE),
        dead.handle(),
        Some(live.handle()),
    );
    assert_eq!(
        ro.event(ALICE, 1, &ImsInformation::new("MESSAGE", "m"))
            .await,
        RoOutcome::Granted {
            units: 1,
            final_unit: false
        }
    );
    assert_eq!(
        backup.ledger().balance("alice").await.unwrap().balance,
        10_000_000 - 2 * 600_000 - 100_000
    );

    dead.abort();
    live.shutdown().await;
    backup.stop().await;
}
