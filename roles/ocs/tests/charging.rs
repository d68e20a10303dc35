//! Session and event charging end to end: CCRs as a peer sends them, CCAs validated and read
//! value by value, the ledger checked after each step; every scenario on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::future::Future;
use std::sync::Arc;

use common::{open, Ccr, Env, Kind, Mscc, T0};
use diameter_codec::generated::cc::{
    CcRequestType as T, CheckBalanceResult, FinalUnitAction, RequestedAction, SubscriptionIdType,
};
use diameter_codec::{AvpContainer, Message, MessageBuilder, WriteAvps};

const ALICE: &str = "sip:alice@ims.test";

async fn run<F, Fut>(kind: Kind, body: F)
where
    F: FnOnce(Arc<Env>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(env) = open(kind).await else { return };
    let env = Arc::new(env);
    let result = tokio::spawn(body(env.clone())).await;
    if let Ok(env) = Arc::try_unwrap(env) {
        env.cleanup().await;
    }
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::run(super::Kind::Sqlite, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::run(super::Kind::Postgres, super::$name).await;
                }
            )*
        }
    };
}

both!(
    call_with_enough_balance,
    call_that_runs_out,
    refusal_at_initial,
    event_direct_debiting,
    price_enquiry_and_balance_check,
    unknown_user,
    duplicate_update_not_charged_twice,
    reservation_expiry_releases_units,
    concurrent_sessions_never_overdraw,
    multiple_services_carried_through,
    rfc4006_top_level_units,
    malformed_requests_get_error_answers,
    admin_api,
);

async fn alice(env: &Env, balance: i64) {
    env.ledger()
        .create_account("alice", &[ALICE, "+491701234567"], balance, 978)
        .await
        .unwrap();
}

fn voice(session: &str, kind: T, n: u32, req: Option<u32>, used: Option<u32>) -> Message {
    Ccr::new(session, kind, n)
        .mscc(Mscc::time(req, used))
        .build()
}

async fn call_with_enough_balance(env: Arc<Env>) {
    alice(&env, 10_000_000).await;
    let a = env
        .send(&voice("c1", T::INITIAL_REQUEST, 0, Some(300), None), T0)
        .await;
    assert_eq!(a.result(), 2001);
    assert_eq!(a.mscc_result(), Some(2001));
    assert_eq!(a.granted_time(), Some(300));
    assert_eq!(a.final_unit_action(), None);
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (10_000_000, 3_000_000));

    // 125 s used: billed 180 s at 0.60/min.
    let a = env
        .send(
            &voice("c1", T::UPDATE_REQUEST, 1, Some(300), Some(125)),
            T0 + 125,
        )
        .await;
    assert_eq!((a.result(), a.granted_time()), (2001, Some(300)));
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!(acct.balance, 8_200_000);
    // Hold for 425 s in total (480 s billed = 4.80) minus 1.80 paid.
    assert_eq!(acct.reserved, 3_000_000);

    // 50 s more: 175 s in total, still 180 s billed: nothing more to pay.
    let a = env
        .send(
            &voice("c1", T::TERMINATION_REQUEST, 2, None, Some(50)),
            T0 + 175,
        )
        .await;
    assert_eq!(a.result(), 2001);
    assert_eq!(a.granted_time(), None);
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (8_200_000, 0));
    assert!(env.ledger().reservations("alice").await.unwrap().is_empty());
    let debits = env.ledger().debits("alice").await.unwrap();
    let total: i64 = debits.iter().map(|d| d.amount).sum();
    assert_eq!(total, 1_800_000, "{debits:?}");
    assert_eq!(debits.iter().map(|d| d.units).sum::<i64>(), 175);
}

async fn call_that_runs_out(env: Arc<Env>) {
    alice(&env, 1_000_000).await;
    let a = env
        .send(&voice("c2", T::INITIAL_REQUEST, 0, Some(300), None), T0)
        .await;
    assert_eq!(a.result(), 2001);
    assert_eq!(a.granted_time(), Some(60));
    assert_eq!(a.final_unit_action(), Some(FinalUnitAction::TERMINATE));
    let a = env
        .send(
            &voice("c2", T::UPDATE_REQUEST, 1, Some(300), Some(60)),
            T0 + 60,
        )
        .await;
    assert_eq!(a.result(), 4012);
    assert_eq!(a.mscc_result(), Some(4012));
    assert_eq!(a.granted_time(), None);
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (400_000, 0));
    let a = env
        .send(
            &voice("c2", T::TERMINATION_REQUEST, 2, None, Some(0)),
            T0 + 61,
        )
        .await;
    assert_eq!(a.result(), 2001);
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (400_000, 0));
    assert!(env.ledger().reservations("alice").await.unwrap().is_empty());

    // The final grant ends the session even when part of it is left unused (30 of 60 s,
    // whose minute is paid): the next update is refused, not granted the rest.
    env.ledger().top_up("alice", 600_000, T0).await.unwrap();
    let a = env
        .send(&voice("c2b", T::INITIAL_REQUEST, 0, Some(300), None), T0)
        .await;
    assert_eq!(
        (a.granted_time(), a.final_unit_action()),
        (Some(60), Some(FinalUnitAction::TERMINATE))
    );
    let a = env
        .send(
            &voice("c2b", T::UPDATE_REQUEST, 1, Some(300), Some(30)),
            T0 + 30,
        )
        .await;
    assert_eq!((a.result(), a.granted_time()), (4012, None));
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (400_000, 0));
}

async fn refusal_at_initial(env: Arc<Env>) {
    alice(&env, 100_000).await;
    let a = env
        .send(&voice("c3", T::INITIAL_REQUEST, 0, Some(60), None), T0)
        .await;
    assert_eq!(a.result(), 4012);
    assert_eq!(a.mscc_result(), Some(4012));
    assert_eq!(a.granted_time(), None);
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (100_000, 0));
    assert!(env.ledger().reservations("alice").await.unwrap().is_empty());
    // The session does not exist: a later update is refused as unknown.
    let a = env
        .send(
            &voice("c3", T::UPDATE_REQUEST, 1, Some(60), Some(10)),
            T0 + 10,
        )
        .await;
    assert_eq!(a.result(), 5002);
}

fn message_event(session: &str, action: RequestedAction, events: Option<u64>) -> Message {
    let mut c = Ccr::new(session, T::EVENT_REQUEST, 0);
    c.method = Some("MESSAGE");
    c.action = Some(action);
    if events.is_some() {
        c = c.mscc(Mscc {
            requested_events: events,
            ..Mscc::default()
        });
    }
    c.build()
}

async fn event_direct_debiting(env: Arc<Env>) {
    alice(&env, 250_000).await;
    for (i, (code, left)) in [(2001, 150_000), (2001, 50_000), (4012, 50_000)]
        .into_iter()
        .enumerate()
    {
        let a = env
            .send(
                &message_event(&format!("m{i}"), RequestedAction::DIRECT_DEBITING, None),
                T0 + i as u64,
            )
            .await;
        assert_eq!(a.result(), code, "event {i}");
        if code == 2001 {
            assert_eq!(a.cost(), Some((100_000, -6, 978)));
        } else {
            assert_eq!(a.cost(), None);
        }
        let acct = env.ledger().balance("alice").await.unwrap();
        assert_eq!((acct.balance, acct.reserved), (left, 0), "event {i}");
    }
    // E.164 identity reaches the same account.
    let mut c =
        Ccr::new("m9", T::EVENT_REQUEST, 0).user(SubscriptionIdType::END_USER_E164, "491701234567");
    c.method = Some("MESSAGE");
    env.ledger().top_up("alice", 50_000, T0).await.unwrap();
    let a = env.send(&c.build(), T0 + 9).await;
    assert_eq!(a.result(), 2001);
    assert_eq!(env.ledger().balance("alice").await.unwrap().balance, 0);
}

async fn price_enquiry_and_balance_check(env: Arc<Env>) {
    alice(&env, 250_000).await;
    let a = env
        .send(
            &message_event("p1", RequestedAction::PRICE_ENQUIRY, Some(3)),
            T0,
        )
        .await;
    assert_eq!(a.result(), 2001);
    assert_eq!(a.cost(), Some((300_000, -6, 978)));
    assert_eq!(a.check_balance(), None);
    let a = env
        .send(
            &message_event("p2", RequestedAction::CHECK_BALANCE, Some(3)),
            T0,
        )
        .await;
    assert_eq!(a.result(), 2001);
    assert_eq!(a.check_balance(), Some(CheckBalanceResult::NO_CREDIT));
    let a = env
        .send(
            &message_event("p3", RequestedAction::CHECK_BALANCE, Some(2)),
            T0,
        )
        .await;
    assert_eq!(a.check_balance(), Some(CheckBalanceResult::ENOUGH_CREDIT));
    assert_eq!(a.cost(), None);
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (250_000, 0));
    assert!(env.ledger().debits("alice").await.unwrap().is_empty());
}

async fn unknown_user(env: Arc<Env>) {
    alice(&env, 1_000_000).await;
    let req = Ccr::new("u1", T::INITIAL_REQUEST, 0)
        .user(SubscriptionIdType::END_USER_SIP_URI, "sip:mallory@ims.test")
        .mscc(Mscc::time(Some(60), None))
        .build();
    assert_eq!(env.send(&req, T0).await.result(), 5030);
    let mut c = Ccr::new("u2", T::EVENT_REQUEST, 0).user(SubscriptionIdType::END_USER_E164, "4900");
    c.method = Some("MESSAGE");
    assert_eq!(env.send(&c.build(), T0).await.result(), 5030);
    let mut c = Ccr::new("u3", T::EVENT_REQUEST, 0);
    c.method = Some("MESSAGE");
    c.action = Some(RequestedAction::PRICE_ENQUIRY);
    c.user = None;
    assert_eq!(env.send(&c.build(), T0).await.result(), 5030);
    // Known user, no tariff for the service: 5031.
    let mut c = Ccr::new("u4", T::EVENT_REQUEST, 0);
    c.method = Some("SUBSCRIBE");
    assert_eq!(env.send(&c.build(), T0).await.result(), 5031);
    assert_eq!(
        env.ledger().balance("alice").await.unwrap().balance,
        1_000_000
    );
}

async fn duplicate_update_not_charged_twice(env: Arc<Env>) {
    alice(&env, 10_000_000).await;
    env.send(&voice("d1", T::INITIAL_REQUEST, 0, Some(120), None), T0)
        .await;
    let update = Ccr::new("d1", T::UPDATE_REQUEST, 1).mscc(Mscc::time(Some(120), Some(61)));
    let first = env.send(&update.build(), T0 + 61).await;
    assert_eq!(first.result(), 2001);
    let after_first = env.ledger().balance("alice").await.unwrap();
    assert_eq!(after_first.balance, 10_000_000 - 1_200_000);
    // Retransmission: new hop-by-hop, T flag set, same Session-Id and CC-Request-Number.
    let mut again = update.clone();
    again.hop_by_hop += 1_000_000;
    let msg = again.build();
    let mut bytes = msg.as_bytes().to_vec();
    bytes[4] |= 0x10;
    let msg = Message::decode(bytes.into()).unwrap();
    let second = env.send(&msg, T0 + 70).await;
    assert_eq!(second.0.body(), first.0.body(), "same answer AVPs");
    assert_eq!(env.ledger().balance("alice").await.unwrap(), after_first);
    assert_eq!(env.ledger().debits("alice").await.unwrap().len(), 1);
    // Duplicate CCR-T after the session is gone still gets the stored answer.
    let t = Ccr::new("d1", T::TERMINATION_REQUEST, 2).mscc(Mscc::time(None, Some(10)));
    let t1 = env.send(&t.build(), T0 + 71).await;
    let t2 = env.send(&t.build(), T0 + 72).await;
    assert_eq!((t1.result(), t2.result()), (2001, 2001));
    assert_eq!(t1.0.body(), t2.0.body());
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (10_000_000 - 1_200_000, 0));
}

async fn reservation_expiry_releases_units(env: Arc<Env>) {
    alice(&env, 10_000_000).await;
    let a = env
        .send(&voice("e1", T::INITIAL_REQUEST, 0, Some(300), None), T0)
        .await;
    assert_eq!(a.result(), 2001);
    assert_eq!(
        env.ledger().balance("alice").await.unwrap().reserved,
        3_000_000
    );
    // Validity 300 s + grace 30 s.
    assert_eq!(env.ocs.sweep(T0 + 329).await.unwrap(), 0);
    assert_eq!(
        env.ledger().balance("alice").await.unwrap().reserved,
        3_000_000
    );
    assert_eq!(env.ocs.sweep(T0 + 330).await.unwrap(), 1);
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (10_000_000, 0));
    assert!(env.ledger().reservations("alice").await.unwrap().is_empty());
    let a = env
        .send(
            &voice("e1", T::UPDATE_REQUEST, 1, Some(300), Some(300)),
            T0 + 400,
        )
        .await;
    assert_eq!(a.result(), 5002);
    assert_eq!(
        env.ledger().balance("alice").await.unwrap().balance,
        10_000_000
    );
}

async fn concurrent_sessions_never_overdraw(env: Arc<Env>) {
    // 3.00 buys five one-minute grants.
    alice(&env, 3_000_000).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let env = env.clone();
        tasks.push(tokio::spawn(async move {
            let s = format!("x{i}");
            let a = env
                .send(&voice(&s, T::INITIAL_REQUEST, 0, Some(60), None), T0)
                .await;
            if a.result() == 2001 {
                assert_eq!(a.granted_time(), Some(60));
                let t = env
                    .send(
                        &voice(&s, T::TERMINATION_REQUEST, 1, None, Some(60)),
                        T0 + 60,
                    )
                    .await;
                assert_eq!(t.result(), 2001);
            }
            a.result()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    let granted = codes.iter().filter(|&&c| c == 2001).count();
    assert!(codes.iter().all(|&c| c == 2001 || c == 4012), "{codes:?}");
    // Every grant is paid for in full; some may have been refused while others held units.
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!(acct.reserved, 0);
    assert!(acct.balance >= 0, "overdrawn: {acct:?}");
    assert_eq!(acct.balance, 3_000_000 - 600_000 * granted as i64);
    assert_eq!(granted, 5, "{codes:?}");
    let debited: i64 = env
        .ledger()
        .debits("alice")
        .await
        .unwrap()
        .iter()
        .map(|d| d.amount)
        .sum();
    assert_eq!(debited, 600_000 * granted as i64);
}

async fn multiple_services_carried_through(env: Arc<Env>) {
    alice(&env, 10_000_000).await;
    let req = Ccr::new("ms", T::INITIAL_REQUEST, 0)
        .mscc(Mscc {
            rating_group: Some(10),
            requested_time: Some(120),
            ..Mscc::default()
        })
        .mscc(Mscc {
            rating_group: Some(20),
            service_id: Some(7),
            requested_time: Some(30),
            ..Mscc::default()
        })
        .build();
    let a = env.send(&req, T0).await;
    assert_eq!(a.result(), 2001);
    let m = a.mscc();
    assert_eq!(m.len(), 2);
    let rg = |g: &diameter_codec::GroupedAvps| {
        g.get(&diameter_codec::generated::cc::avp::RATING_GROUP)
            .unwrap()
    };
    let sid = |g: &diameter_codec::GroupedAvps| {
        g.get_all(&diameter_codec::generated::cc::avp::SERVICE_IDENTIFIER)
            .unwrap()
    };
    assert_eq!((rg(&m[0]), sid(&m[0])), (Some(10), vec![]));
    assert_eq!((rg(&m[1]), sid(&m[1])), (Some(20), vec![7]));
    let res = env.ledger().reservations("alice").await.unwrap();
    let tariffs: Vec<_> = res
        .iter()
        .map(|r| (r.rating_group, r.tariff.as_str(), r.amount))
        .collect();
    // Voice: 120 s = 1.20; video 30 s at 0.01/s = 0.30.
    assert_eq!(
        tariffs,
        vec![(10, "voice", 1_200_000), (20, "video", 300_000)]
    );
    // The same Rating-Group twice in one update is charged once; the repeat is refused.
    let twice = Mscc {
        rating_group: Some(10),
        requested_time: Some(60),
        used_time: Some(60),
        ..Mscc::default()
    };
    let u = Ccr::new("ms", T::UPDATE_REQUEST, 1)
        .mscc(twice.clone())
        .mscc(twice)
        .build();
    let a = env.send(&u, T0 + 60).await;
    assert_eq!(a.result(), 2001);
    let codes: Vec<_> = a
        .mscc()
        .iter()
        .map(|m| {
            m.get(&diameter_codec::generated::base::avp::RESULT_CODE)
                .unwrap()
        })
        .collect();
    assert_eq!(codes, vec![Some(2001), Some(5012)]);
    let acct = env.ledger().balance("alice").await.unwrap();
    // 0.60 debited for the minute; holds: voice 60 s more (0.60) + video 0.30.
    assert_eq!((acct.balance, acct.reserved), (9_400_000, 900_000));
    // Terminating with one service reported releases both.
    let t = Ccr::new("ms", T::TERMINATION_REQUEST, 2)
        .mscc(Mscc {
            rating_group: Some(20),
            service_id: Some(7),
            used_time: Some(12),
            ..Mscc::default()
        })
        .build();
    assert_eq!(env.send(&t, T0 + 12).await.result(), 2001);
    let acct = env.ledger().balance("alice").await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (9_400_000 - 120_000, 0));
}

async fn rfc4006_top_level_units(env: Arc<Env>) {
    alice(&env, 10_000_000).await;
    let a = env
        .send(&Ccr::new("tl", T::INITIAL_REQUEST, 0).build(), T0)
        .await;
    assert_eq!(a.result(), 2001);
    assert!(a.mscc().is_empty());
    let gsu =
        a.0.require(&diameter_codec::generated::cc::avp::GRANTED_SERVICE_UNIT)
            .unwrap();
    assert_eq!(
        gsu.get(&diameter_codec::generated::cc::avp::CC_TIME)
            .unwrap(),
        Some(300)
    );
    assert_eq!(
        a.0.get(&diameter_codec::generated::cc::avp::VALIDITY_TIME)
            .unwrap(),
        Some(300)
    );
}

async fn malformed_requests_get_error_answers(env: Arc<Env>) {
    use diameter_codec::generated::base::avp as b;
    use diameter_codec::generated::cc::avp as c;
    use diameter_codec::generated::ro;
    alice(&env, 1_000_000).await;
    // CC-Request-Number missing: 5005 naming it.
    let mut r = MessageBuilder::request(&ro::cmd::CCR, 1, 2);
    r.put(&b::SESSION_ID, "bad;1")
        .put(&b::ORIGIN_HOST, "scscf.ims.test")
        .put(&b::ORIGIN_REALM, "ims.test")
        .put(&b::DESTINATION_REALM, "ims.test")
        .put(&b::AUTH_APPLICATION_ID, &4)
        .put(&c::SERVICE_CONTEXT_ID, "32260@3gpp.org")
        .put(&c::CC_REQUEST_TYPE, &T::INITIAL_REQUEST);
    let req = Message::decode(r.finish()).unwrap();
    let a = Message::decode(env.ocs.handle_at(&req, T0).await).unwrap();
    assert_eq!(a.require(&b::RESULT_CODE).unwrap(), 5005);
    assert_eq!(a.require(&b::SESSION_ID).unwrap(), "bad;1");
    let failed = a.require(&b::FAILED_AVP).unwrap();
    assert_eq!(
        failed.avps().next().unwrap().unwrap().code(),
        c::CC_REQUEST_NUMBER.code()
    );
    // CC-Request-Type outside 1..4: 5004 naming it.
    let mut bad = Ccr::new("bad;2", T::INITIAL_REQUEST, 0);
    bad.kind = T(9);
    let req = bad.build();
    let a = Message::decode(env.ocs.handle_at(&req, T0).await).unwrap();
    assert_eq!(a.require(&b::RESULT_CODE).unwrap(), 5004);
    let failed = a.require(&b::FAILED_AVP).unwrap();
    assert_eq!(
        failed.avps().next().unwrap().unwrap().code(),
        c::CC_REQUEST_TYPE.code()
    );
    // Another application: 3007 with the E bit.
    let mut r = MessageBuilder::request(&diameter_codec::generated::cx::cmd::UAR, 3, 4);
    r.put(&b::SESSION_ID, "cx;1");
    let req = Message::decode(r.finish()).unwrap();
    let a = Message::decode(env.ocs.handle_at(&req, T0).await).unwrap();
    assert!(a.header().flags.is_error());
    assert_eq!(a.require(&b::RESULT_CODE).unwrap(), 3007);
    assert_eq!(
        env.ledger().balance("alice").await.unwrap().balance,
        1_000_000
    );
}

async fn admin_api(env: Arc<Env>) {
    alice(&env, 0).await;
    assert!(env
        .ledger()
        .create_account("alice", &[], 0, 978)
        .await
        .is_err());
    assert!(env
        .ledger()
        .create_account("bob", &[ALICE], 0, 978)
        .await
        .is_err());
    assert!(
        env.ledger().balance("bob").await.is_err(),
        "failed create rolled back"
    );
    env.ledger()
        .add_identity("alice", "tel:+4930999")
        .await
        .unwrap();
    assert_eq!(
        env.ledger()
            .account_for("+49 30 999")
            .await
            .unwrap()
            .as_deref(),
        Some("alice")
    );
    let acct = env.ledger().top_up("alice", 2_500_000, T0).await.unwrap();
    assert_eq!((acct.balance, acct.available()), (2_500_000, 2_500_000));
    assert_eq!(
        env.ledger().debits("alice").await.unwrap()[0].amount,
        -2_500_000
    );
    assert!(env.ledger().top_up("nobody", 1, T0).await.is_err());
}

/// Every single-byte corruption of a valid CCR-U gets an answer that decodes (no panic, no
/// hang), and the ledger never goes negative.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_requests_never_panic() {
    let Some(env) = open(Kind::Sqlite).await else {
        return;
    };
    alice(&env, 1_000_000).await;
    env.send(&voice("z", T::INITIAL_REQUEST, 0, Some(60), None), T0)
        .await;
    let good = voice("z", T::UPDATE_REQUEST, 1, Some(60), Some(30));
    let frame = good.as_bytes().clone();
    let mut answered = 0;
    for i in 20..frame.len() {
        for v in [0x00u8, 0xff, frame[i] ^ 0x40] {
            let mut bytes = frame.to_vec();
            bytes[i] = v;
            if let Ok(req) = Message::decode(bytes.into()) {
                let a = env.ocs.handle_at(&req, T0 + 30).await;
                Message::decode(a).expect("every answer decodes");
                answered += 1;
            }
        }
    }
    assert!(answered > 100, "{answered}");
    let acct = env.ledger().balance("alice").await.unwrap();
    assert!(
        acct.balance >= 0 && acct.reserved >= 0 && acct.available() >= 0,
        "{acct:?}"
    );
    env.cleanup().await;
}
