//! The S-CSCF registrar against the real HSS over real sockets: IMS AKA and digest
//! registration, re-registration, de-registration, expiry, failures, SQN resynchronisation,
//! 423, and the HSS's RTR/PPR.
#![allow(clippy::unwrap_used)]

mod registrar_lab;

use std::time::Duration;

use diameter_codec::generated::cx::ReasonCode;
use diameter_codec::ResultCode;
use ims_core::aka::UsimFailure;
use ims_store::RegistrationState;
use registrar_lab::{start, Ue, PATH, SERVER_NAME};
use sip_proto::digest::DigestClient;
use sip_types::auth::Challenge;
use sip_types::{HeaderName, Message};

fn status(m: &Message) -> u16 {
    m.status().unwrap().0
}

#[tokio::test]
async fn aka_registration_reregistration_and_deregistration() {
    let lab = start(|_| {}).await;
    let mut ue = Ue::new("alice", lab.scscf_addr).await;
    let contact = format!("<{}>", ue.contact_uri());

    let r = ue
        .register(
            Some(&contact),
            Some(1200),
            Some(&ue.initial_authorization("AKAv1-MD5")),
        )
        .await;
    assert_eq!(status(&r), 401);
    let ch = Challenge::parse(r.header(HeaderName::WWW_AUTHENTICATE).unwrap()).unwrap();
    assert_eq!(ch.realm(), Some("ims.test"));
    assert_eq!(ch.algorithm(), Some("AKAv1-MD5"));
    assert!(ch.offers_qop("auth"));
    assert!(ch.param("ck").is_none() && ch.param("ik").is_none());
    assert_eq!(lab.scscf.shared().auth.in_flight(), 1);

    let auth = ue.answer_aka(&r).unwrap();
    let ok = ue.register(Some(&contact), Some(1200), Some(&auth)).await;
    assert_eq!(status(&ok), 200, "{:?}", ok.reason());
    assert_eq!(
        ok.header_by_name("Service-Route"),
        Some(format!("<sip:orig@{};lr>", lab.scscf_addr).as_str())
    );
    assert_eq!(
        ok.header_by_name("P-Associated-URI"),
        Some("<sip:alice@ims.test>")
    );
    assert_eq!(ok.header_by_name("Path"), Some(PATH));
    let contact_line = ok.header(HeaderName::CONTACT).unwrap();
    assert!(
        contact_line.starts_with(&contact)
            && (contact_line.contains("expires=1200") || contact_line.contains("expires=1199")),
        "{contact_line}"
    );
    assert_eq!(
        lab.hss_state("sip:alice@ims.test").await,
        (RegistrationState::Registered, Some(SERVER_NAME.to_owned()))
    );
    let user = lab
        .scscf
        .shared()
        .profiles
        .get("sip:alice@ims.test")
        .unwrap();
    assert_eq!(user.impi, "alice@ims.test");
    assert_eq!(user.aor, "sip:alice@ims.test");
    let b = lab.bindings("sip:alice@ims.test").await;
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].contact, ue.contact_uri());
    assert_eq!(b[0].path, [PATH]);
    assert_eq!(b[0].received.as_ref().unwrap().remote, ue.addr.to_string());
    assert_eq!(
        lab.scscf.shared().auth.in_flight(),
        0,
        "vectors are single use"
    );

    // Re-registration: a new challenge, then 200 with the binding refreshed (RE_REGISTRATION).
    let registered_at = b[0].registered_at;
    let ok = ue.register_aka(&contact, Some(600)).await;
    assert_eq!(status(&ok), 200);
    let b = lab.bindings("sip:alice@ims.test").await;
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].registered_at, registered_at);
    assert_eq!(b[0].cseq, ue.cseq);
    assert_eq!(
        lab.hss_state("sip:alice@ims.test").await.0,
        RegistrationState::Registered
    );

    // De-registration with Expires: 0.
    let ok = ue.register_aka(&contact, Some(0)).await;
    assert_eq!(status(&ok), 200);
    assert!(ok.header(HeaderName::CONTACT).is_none());
    assert!(lab.bindings("sip:alice@ims.test").await.is_empty());
    assert!(lab
        .scscf
        .shared()
        .profiles
        .get("sip:alice@ims.test")
        .is_none());
    assert_eq!(
        lab.hss_state("sip:alice@ims.test").await.0,
        RegistrationState::NotRegistered
    );
    lab.stop().await;
}

#[tokio::test]
async fn md5_digest_registration_and_contact_star() {
    let lab = start(|_| {}).await;
    let mut ue = Ue::new("bob", lab.scscf_addr).await;
    let contact = format!("<{}>;expires=300", ue.contact_uri());
    let r = ue
        .register(Some(&contact), None, Some(&ue.initial_authorization("MD5")))
        .await;
    assert_eq!(status(&r), 401);
    let ch = Challenge::parse(r.header(HeaderName::WWW_AUTHENTICATE).unwrap()).unwrap();
    assert_eq!(ch.algorithm(), Some("MD5"));
    assert_eq!(ch.realm(), Some("ims.test"));
    let auth = ue.answer_password(&r, b"bob-secret");
    let ok = ue.register(Some(&contact), None, Some(&auth)).await;
    assert_eq!(status(&ok), 200, "{:?}", ok.reason());
    let c = ok.header(HeaderName::CONTACT).unwrap();
    assert!(
        c.contains("expires=300") || c.contains("expires=299"),
        "{c}"
    );
    assert_eq!(
        lab.hss_state("sip:bob@ims.test").await,
        (RegistrationState::Registered, Some(SERVER_NAME.to_owned()))
    );

    // Contact: * with Expires: 0 removes everything.
    let r = ue
        .register(Some("*"), Some(0), Some(&ue.initial_authorization("MD5")))
        .await;
    let auth = ue.answer_password(&r, b"bob-secret");
    let ok = ue.register(Some("*"), Some(0), Some(&auth)).await;
    assert_eq!(status(&ok), 200);
    assert!(lab.bindings("sip:bob@ims.test").await.is_empty());
    assert_eq!(
        lab.hss_state("sip:bob@ims.test").await.0,
        RegistrationState::NotRegistered
    );
    lab.stop().await;
}

#[tokio::test]
async fn expiry_removes_the_binding_and_tells_the_hss() {
    let lab = start(|c| {
        c.scscf.min_expires = 1;
        c.scscf.default_expires = 2;
        c.scscf.max_expires = 2;
    })
    .await;
    let mut ue = Ue::new("carol", lab.scscf_addr).await;
    let contact = format!("<{}>", ue.contact_uri());
    let ok = ue.register_aka(&contact, Some(3600)).await;
    assert_eq!(status(&ok), 200);
    let c = ok.header(HeaderName::CONTACT).unwrap();
    assert!(
        c.contains("expires=2") || c.contains("expires=1"),
        "capped at max_expires: {c}"
    );
    assert_eq!(
        lab.hss_state("sip:carol@ims.test").await.0,
        RegistrationState::Registered
    );
    lab.wait_hss_state(
        "sip:carol@ims.test",
        RegistrationState::NotRegistered,
        Duration::from_secs(6),
    )
    .await;
    assert!(lab.bindings("sip:carol@ims.test").await.is_empty());
    assert!(lab
        .scscf
        .shared()
        .profiles
        .get("sip:carol@ims.test")
        .is_none());
    lab.stop().await;
}

#[tokio::test]
async fn wrong_response_three_times_is_forbidden() {
    let lab = start(|_| {}).await;
    let mut ue = Ue::new("alice", lab.scscf_addr).await;
    let contact = format!("<{}>", ue.contact_uri());
    let r = ue
        .register(
            Some(&contact),
            None,
            Some(&ue.initial_authorization("AKAv1-MD5")),
        )
        .await;
    assert_eq!(status(&r), 401);
    let wrong = ue.answer_password(&r, b"not-the-res");
    let r = ue.register(Some(&contact), None, Some(&wrong)).await;
    assert_eq!(status(&r), 401, "a fresh challenge after the first failure");
    let wrong = ue.answer_password(&r, b"still-not-the-res");
    let r = ue.register(Some(&contact), None, Some(&wrong)).await;
    assert_eq!(
        status(&r),
        401,
        "a fresh challenge after the second failure"
    );
    let wrong = ue.answer_password(&r, b"never-the-res");
    let r = ue.register(Some(&contact), None, Some(&wrong)).await;
    assert_eq!(status(&r), 403);
    assert_eq!(r.reason(), Some("Forbidden (authentication failed)"));
    assert!(lab.bindings("sip:alice@ims.test").await.is_empty());
    assert_eq!(
        lab.hss_state("sip:alice@ims.test").await.0,
        RegistrationState::NotRegistered
    );
    lab.stop().await;
}

#[tokio::test]
async fn unknown_user_is_forbidden() {
    let lab = start(|_| {}).await;
    let mut ue = Ue::new("nobody", lab.scscf_addr).await;
    let contact = format!("<{}>", ue.contact_uri());
    let r = ue.register(Some(&contact), None, None).await;
    assert_eq!(status(&r), 403);
    assert_eq!(r.reason(), Some("Forbidden (user unknown)"));
    lab.stop().await;
}

#[tokio::test]
async fn sqn_resynchronisation() {
    let lab = start(|_| {}).await;
    let mut ue = Ue::new("alice", lab.scscf_addr).await;
    // The USIM has seen a far higher SQN than the HSS will use.
    let cfg = registrar_lab::sqn_config();
    assert!(ue.usim.accept(cfg.compose(1000, 0)));
    let contact = format!("<{}>", ue.contact_uri());
    let r = ue
        .register(
            Some(&contact),
            None,
            Some(&ue.initial_authorization("AKAv1-MD5")),
        )
        .await;
    assert_eq!(status(&r), 401);
    let Err(UsimFailure::SyncFailure { auts }) = ue.answer_aka(&r) else {
        panic!("the stale vector fails on SQN");
    };
    let ch = Challenge::parse(r.header(HeaderName::WWW_AUTHENTICATE).unwrap()).unwrap();
    let resync = DigestClient::new(&ue.impi(), b"")
        .aka_resync_authorization(
            &ch,
            "REGISTER",
            "sip:ims.test",
            "0a4f113b",
            1,
            auts.as_bytes(),
        )
        .unwrap();
    let r = ue.register(Some(&contact), None, Some(&resync)).await;
    assert_eq!(status(&r), 401, "a fresh challenge after resync");
    let auth = ue.answer_aka(&r).expect("the new vector is fresh");
    let ok = ue.register(Some(&contact), None, Some(&auth)).await;
    assert_eq!(status(&ok), 200);
    assert_eq!(
        lab.hss_state("sip:alice@ims.test").await.0,
        RegistrationState::Registered
    );
    lab.stop().await;
}

#[tokio::test]
async fn too_brief_is_423_with_min_expires() {
    let lab = start(|_| {}).await;
    let mut ue = Ue::new("bob", lab.scscf_addr).await;
    let contact = format!("<{}>;expires=10", ue.contact_uri());
    let r = ue.register_aka(&contact, None).await;
    assert_eq!(status(&r), 423);
    assert_eq!(r.header_by_name("Min-Expires"), Some("60"));
    assert!(lab.bindings("sip:bob@ims.test").await.is_empty());
    lab.stop().await;
}

#[tokio::test]
async fn hss_rtr_and_ppr() {
    let lab = start(|_| {}).await;
    let mut ue = Ue::new("alice", lab.scscf_addr).await;
    let contact = format!("<{}>", ue.contact_uri());
    assert_eq!(status(&ue.register_aka(&contact, None).await), 200);
    let hss = lab.hss_node.handle();
    let before = lab
        .scscf
        .shared()
        .profiles
        .get("sip:alice@ims.test")
        .unwrap();

    // PPR: the profile is replaced, PPA 2001.
    let ppr = lab
        .hss
        .build_ppr("sip:alice@ims.test", "hss.ims.test;1;1", 0, 0)
        .await
        .unwrap();
    let ppa = hss.request(ppr.message.clone()).await.unwrap();
    assert_eq!(
        lab.hss.handle_ppa(&ppa).unwrap(),
        ims_hss::Outcome::Base(ResultCode::DIAMETER_SUCCESS.0)
    );
    let after = lab
        .scscf
        .shared()
        .profiles
        .get("sip:alice@ims.test")
        .unwrap();
    assert!(!std::sync::Arc::ptr_eq(&before, &after), "profile replaced");
    assert_eq!(after.impi, "alice@ims.test");

    // RTR: the registration goes, RTA 2001, and the HSS forgets it.
    let rtr = lab
        .hss
        .build_rtr(
            "sip:alice@ims.test",
            ReasonCode::PERMANENT_TERMINATION,
            Some("subscription ended"),
            "hss.ims.test;1;2",
            0,
            0,
        )
        .await
        .unwrap();
    let rta = hss.request(rtr.message.clone()).await.unwrap();
    assert_eq!(
        lab.hss.handle_rta(&rtr, &rta).await.unwrap(),
        ims_hss::Outcome::Base(ResultCode::DIAMETER_SUCCESS.0)
    );
    assert!(lab.bindings("sip:alice@ims.test").await.is_empty());
    assert!(lab
        .scscf
        .shared()
        .profiles
        .get("sip:alice@ims.test")
        .is_none());
    assert_eq!(
        lab.hss_state("sip:alice@ims.test").await.0,
        RegistrationState::NotRegistered
    );
    lab.stop().await;
}

#[tokio::test]
async fn unreachable_hss_is_a_server_error_naming_it() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let scscf = ims_scscf::Scscf::start(registrar_lab::scscf_config(addr))
        .await
        .unwrap();
    let mut ue = Ue::new("alice", scscf.sip_listeners()[0].1).await;
    let contact = format!("<{}>", ue.contact_uri());
    let r = ue.register(Some(&contact), None, None).await;
    assert!(matches!(status(&r), 500 | 504), "{}", status(&r));
    assert!(r.reason().unwrap().contains("HSS"), "{:?}", r.reason());
    scscf.stop().await;
}

#[tokio::test]
async fn scheme_not_allowed_is_forbidden() {
    let lab = start(|_| {}).await;
    let mut ue = Ue::new("alice", lab.scscf_addr).await;
    let contact = format!("<{}>", ue.contact_uri());
    // The demo users may use AKAv1-MD5 and MD5 only.
    let r = ue
        .register(
            Some(&contact),
            None,
            Some(&ue.initial_authorization("AKAv2-MD5")),
        )
        .await;
    assert_eq!(status(&r), 403);
    assert_eq!(
        r.reason(),
        Some("Forbidden (authentication scheme not allowed)")
    );
    lab.stop().await;
}

#[tokio::test]
async fn replayed_cseq_of_the_same_call_is_refused() {
    let lab = start(|_| {}).await;
    let mut ue = Ue::new("bob", lab.scscf_addr).await;
    let contact = format!("<{}>", ue.contact_uri());
    assert_eq!(status(&ue.register_aka(&contact, None).await), 200);
    let stored = lab.bindings("sip:bob@ims.test").await[0].cseq;
    // The same Call-ID again from CSeq 1: the authenticated REGISTER reuses the stored CSeq.
    ue.cseq = stored - 2;
    let r = ue.register_aka(&contact, None).await;
    assert_eq!(status(&r), 500);
    assert_eq!(
        r.reason(),
        Some("Server Internal Error (out-of-order CSeq)")
    );
    assert_eq!(lab.bindings("sip:bob@ims.test").await[0].cseq, stored);
    lab.stop().await;
}
