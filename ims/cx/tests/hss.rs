//! The Cx client against the real HSS over Diameter on loopback: UAR, MAR (AKAv1-MD5 checked
//! on the USIM side, SIP Digest, resynchronisation), SAR, LIR, and the HSS's RTR/PPR answered
//! by the S-CSCF side of this crate.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Pushed, CCF, ECF, MANDATORY, OPTIONAL, SCSCF};
use diameter_codec::generated::cx::ReasonCode;
use diameter_codec::ResultCode;
use diameter_net::RequestError;
use ims_core::aka::{
    usim_authenticate, Auts, Key, Milenage, Op, ResyncRequest, SqnConfig, UsimFailure, UsimSqnState,
};
use ims_core::ifc::parse_ims_subscription;
use ims_cx::{
    scheme, AuthItem, AuthorizationType, CxClient, CxError, CxResult, ExperimentalCode as X,
    LirRequest, MarRequest, SarRequest, ServerAssignmentType, UarRequest,
};
use ims_hss::seed::{DEMO_K, DEMO_OP};
use md5::Digest as _;

const ALICE: &str = "alice@ims.test";
const ALICE_IMPU: &str = "sip:alice@ims.test";

fn uar<'a>(impi: &'a str, impu: &'a str) -> UarRequest<'a> {
    UarRequest {
        impi,
        impu,
        visited_network: "ims.test",
        authorization_type: Some(AuthorizationType::Registration),
    }
}

fn mar<'a>(scheme: &'a str, n: u32, resync: Option<ResyncRequest>) -> MarRequest<'a> {
    MarRequest {
        impi: ALICE,
        impu: ALICE_IMPU,
        scheme,
        number_of_items: n,
        resync,
        server_name: SCSCF,
    }
}

fn sar<'a>(impus: &'a [&'a str], t: ServerAssignmentType) -> SarRequest<'a> {
    SarRequest {
        impi: Some(ALICE),
        public_identities: impus,
        server_name: SCSCF,
        assignment_type: t,
        user_data_already_available: false,
    }
}

fn lir(impu: &str) -> LirRequest<'_> {
    LirRequest {
        impu,
        originating: false,
        authorization_type: None,
    }
}

fn demo_milenage() -> Milenage {
    Milenage::with_op(&Key::new(DEMO_K), &Op::new(DEMO_OP))
}

/// The USIM's SQN scheme: the HSS's IND bits (default 5) and Δ.
fn usim() -> UsimSqnState {
    UsimSqnState::new(SqnConfig::new(common::hss_config().sqn_ind_bits, 1 << 28).unwrap())
}

fn aka_parts(item: &AuthItem) -> (ims_core::aka::Rand, ims_core::aka::Autn, Vec<u8>) {
    match item {
        AuthItem::Aka {
            rand, autn, xres, ..
        } => (*rand, *autn, xres.clone()),
        other => panic!("AKA item expected, got {other:?}"),
    }
}

#[tokio::test]
async fn uar_first_registration_and_unknown_user() {
    let lab = common::start().await;
    let uaa = lab.client.uar(&uar(ALICE, ALICE_IMPU)).await.unwrap();
    assert_eq!(uaa.result, CxResult::Experimental(X::FirstRegistration));
    assert!(uaa.result.is_success());
    assert_eq!(uaa.server_name, None);
    assert_eq!(uaa.capabilities.mandatory, [MANDATORY]);
    assert_eq!(uaa.capabilities.optional, [OPTIONAL]);
    // Only the S-CSCF offering the mandatory capability is named.
    assert_eq!(uaa.capabilities.server_names, [SCSCF]);

    let uaa = lab
        .client
        .uar(&uar("nobody@ims.test", "sip:nobody@ims.test"))
        .await
        .unwrap();
    assert_eq!(uaa.result, CxResult::Experimental(X::UserUnknown));
    assert!(!uaa.result.is_success() && uaa.result.is_permanent_failure());

    // alice's IMPI with bob's IMPU: 5002.
    let uaa = lab
        .client
        .uar(&uar(ALICE, "sip:bob@ims.test"))
        .await
        .unwrap();
    assert_eq!(uaa.result, CxResult::Experimental(X::IdentitiesDontMatch));
    lab.stop().await;
}

#[tokio::test]
async fn aka_vectors_verify_on_the_usim() {
    let lab = common::start().await;
    let maa = lab
        .client
        .mar(&mar(scheme::AKAV1_MD5, 3, None))
        .await
        .unwrap();
    assert_eq!(maa.result, CxResult::SUCCESS);
    assert_eq!(maa.impi.as_deref(), Some(ALICE));
    assert_eq!(maa.items.len(), 3);
    let m = demo_milenage();
    let mut usim = usim();
    for item in &maa.items {
        let AuthItem::Aka {
            scheme: s,
            rand,
            autn,
            xres,
            ck,
            ik,
        } = item
        else {
            panic!("AKA item expected, got {item:?}");
        };
        assert_eq!(s, scheme::AKAV1_MD5);
        // XRES = f2(RAND) under the demo K/OP; AUTN's MAC-A verifies and its SQN is fresh.
        assert_eq!(xres.as_slice(), m.f2(rand).as_bytes());
        let r = usim_authenticate(&m, &mut usim, rand, autn).unwrap();
        assert_eq!(r.res.as_bytes().as_slice(), xres.as_slice());
        assert_eq!((&r.ck, &r.ik), (ck, ik));
    }

    // "Unknown" lets the HSS choose: the demo users' AKA.
    let maa = lab
        .client
        .mar(&mar(scheme::UNKNOWN, 1, None))
        .await
        .unwrap();
    assert!(matches!(&maa.items[..], [AuthItem::Aka { scheme: s, .. }] if s == scheme::AKAV1_MD5));
    lab.stop().await;
}

#[tokio::test]
async fn digest_md5_gives_ha1() {
    let lab = common::start().await;
    let maa = lab
        .client
        .mar(&mar(scheme::SIP_DIGEST, 1, None))
        .await
        .unwrap();
    assert_eq!(maa.result, CxResult::SUCCESS);
    let want: String = md5::Md5::digest(b"alice@ims.test:ims.test:alice-secret")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        maa.items,
        [AuthItem::Digest {
            realm: "ims.test".into(),
            ha1: want,
            qop: "auth".into(),
            algorithm: Some("MD5".into()),
        }]
    );
    let maa = lab
        .client
        .mar(&mar("Digest-CHAP-Unknown", 1, None))
        .await
        .unwrap();
    assert_eq!(
        maa.result,
        CxResult::Experimental(X::AuthSchemeNotSupported)
    );
    assert!(maa.items.is_empty());
    lab.stop().await;
}

#[tokio::test]
async fn resync_with_auts_restarts_the_sequence() {
    let lab = common::start().await;
    let m = demo_milenage();
    let cfg = SqnConfig::new(common::hss_config().sqn_ind_bits, 1 << 28).unwrap();
    let mut usim = usim();
    // The USIM has seen a far higher SQN (e.g. from another HSS): the HSS's vector is stale.
    assert!(usim.accept(cfg.compose(1000, 0)));
    let maa = lab
        .client
        .mar(&mar(scheme::AKAV1_MD5, 1, None))
        .await
        .unwrap();
    let (rand, autn, _) = aka_parts(&maa.items[0]);
    let Err(UsimFailure::SyncFailure { auts }) = usim_authenticate(&m, &mut usim, &rand, &autn)
    else {
        panic!("the stale vector must fail on SQN");
    };

    // A forged AUTS is refused (MAC-S check, TS 33.102 §6.3.5).
    let mut forged = *auts.as_bytes();
    forged[13] ^= 1;
    let bad = ResyncRequest {
        rand,
        auts: Auts::new(forged),
    };
    let maa = lab
        .client
        .mar(&mar(scheme::AKAV1_MD5, 1, Some(bad)))
        .await
        .unwrap();
    assert_eq!(
        maa.result,
        CxResult::Base(ResultCode::DIAMETER_AUTHORIZATION_REJECTED)
    );

    let maa = lab
        .client
        .mar(&mar(
            scheme::AKAV1_MD5,
            1,
            Some(ResyncRequest { rand, auts }),
        ))
        .await
        .unwrap();
    assert_eq!(maa.result, CxResult::SUCCESS);
    let (rand, autn, xres) = aka_parts(&maa.items[0]);
    let r = usim_authenticate(&m, &mut usim, &rand, &autn).unwrap();
    assert_eq!(r.res.as_bytes().as_slice(), xres.as_slice());
    assert!(cfg.seq(r.sqn) > 1000, "the HSS continued after SQN_MS");
    lab.stop().await;
}

#[tokio::test]
async fn sar_registration_deregistration_and_lir() {
    let lab = common::start().await;
    // Never registered: LIR says so; unknown identities are unknown.
    let lia = lab.client.lir(&lir(ALICE_IMPU)).await.unwrap();
    assert_eq!(lia.result, CxResult::Experimental(X::IdentityNotRegistered));
    let lia = lab.client.lir(&lir("sip:nobody@ims.test")).await.unwrap();
    assert_eq!(lia.result, CxResult::Experimental(X::UserUnknown));

    let saa = lab
        .client
        .sar(&sar(&[ALICE_IMPU], ServerAssignmentType::Registration))
        .await
        .unwrap();
    assert_eq!(saa.result, CxResult::SUCCESS);
    assert_eq!(saa.impi.as_deref(), Some(ALICE));
    let xml = saa.user_data.as_deref().expect("User-Data on registration");
    let sub = parse_ims_subscription(xml).unwrap();
    assert_eq!(sub.private_id, ALICE);
    let ids: Vec<&str> = sub
        .service_profiles
        .iter()
        .flat_map(|p| p.public_identities.iter().map(|i| i.identity.as_str()))
        .collect();
    assert_eq!(ids, [ALICE_IMPU]);
    assert_eq!(saa.subscription().unwrap().unwrap(), sub);
    let ch = saa.charging.unwrap();
    assert_eq!(ch.primary_ccf.as_deref(), Some(CCF));
    assert_eq!(ch.primary_ecf.as_deref(), Some(ECF));
    assert!(saa.associated_identities.is_empty());

    // Registered: the I-CSCF finds the S-CSCF by UAR and by LIR; bob is still unregistered.
    let uaa = lab.client.uar(&uar(ALICE, ALICE_IMPU)).await.unwrap();
    assert_eq!(
        uaa.result,
        CxResult::Experimental(X::SubsequentRegistration)
    );
    assert_eq!(uaa.server_name.as_deref(), Some(SCSCF));
    let lia = lab.client.lir(&lir(ALICE_IMPU)).await.unwrap();
    assert_eq!(lia.result, CxResult::SUCCESS);
    assert_eq!(lia.server_name.as_deref(), Some(SCSCF));
    let lia = lab.client.lir(&lir("sip:bob@ims.test")).await.unwrap();
    assert_eq!(lia.result, CxResult::Experimental(X::IdentityNotRegistered));
    assert_eq!(lia.server_name, None);

    let saa = lab
        .client
        .sar(&sar(
            &[ALICE_IMPU],
            ServerAssignmentType::UserDeregistration,
        ))
        .await
        .unwrap();
    assert_eq!(saa.result, CxResult::SUCCESS);
    assert_eq!(saa.user_data, None);
    let lia = lab.client.lir(&lir(ALICE_IMPU)).await.unwrap();
    assert_eq!(lia.result, CxResult::Experimental(X::IdentityNotRegistered));
    lab.stop().await;
}

#[tokio::test]
async fn hss_initiated_rtr_and_ppr_are_answered() {
    let mut lab = common::start().await;
    let saa = lab
        .client
        .sar(&sar(&[ALICE_IMPU], ServerAssignmentType::Registration))
        .await
        .unwrap();
    assert_eq!(saa.result, CxResult::SUCCESS);
    let hss_handle = lab.hss_node.handle();

    // PPR: the S-CSCF receives the profile and answers 2001.
    let ppr = lab
        .hss
        .build_ppr(ALICE_IMPU, "hss.ims.test;1;1", 0, 0)
        .await
        .unwrap();
    let ppa = hss_handle.request(ppr.message.clone()).await.unwrap();
    assert_eq!(
        lab.hss.handle_ppa(&ppa).unwrap(),
        ims_hss::Outcome::Base(ResultCode::DIAMETER_SUCCESS.0)
    );
    let Some(Pushed::Ppr(p)) = recv(&mut lab).await else {
        panic!("PPR expected");
    };
    assert_eq!(p.impi, ALICE);
    assert_eq!(
        parse_ims_subscription(p.user_data.as_deref().unwrap())
            .unwrap()
            .private_id,
        ALICE
    );
    assert_eq!(p.charging.unwrap().primary_ccf.as_deref(), Some(CCF));

    // RTR: the S-CSCF learns who and why; on 2001 the HSS forgets the registration.
    let rtr = lab
        .hss
        .build_rtr(
            ALICE_IMPU,
            ReasonCode::PERMANENT_TERMINATION,
            Some("subscription ended"),
            "hss.ims.test;1;2",
            0,
            0,
        )
        .await
        .unwrap();
    let rta = hss_handle.request(rtr.message.clone()).await.unwrap();
    assert_eq!(
        lab.hss.handle_rta(&rtr, &rta).await.unwrap(),
        ims_hss::Outcome::Base(ResultCode::DIAMETER_SUCCESS.0)
    );
    let Some(Pushed::Rtr(t)) = recv(&mut lab).await else {
        panic!("RTR expected");
    };
    assert_eq!(t.impi, ALICE);
    assert_eq!(t.public_identities, [ALICE_IMPU]);
    assert_eq!(t.reason.code, ReasonCode::PERMANENT_TERMINATION);
    assert_eq!(t.reason.info.as_deref(), Some("subscription ended"));
    let lia = lab.client.lir(&lir(ALICE_IMPU)).await.unwrap();
    assert_eq!(lia.result, CxResult::Experimental(X::IdentityNotRegistered));
    lab.stop().await;
}

async fn recv(lab: &mut common::Lab) -> Option<Pushed> {
    tokio::time::timeout(Duration::from_secs(2), lab.pushed.recv())
        .await
        .ok()
        .flatten()
}

#[tokio::test]
async fn unreachable_hss_is_a_transport_error() {
    // A port nobody listens on: the peer never opens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let node = diameter_net::DiameterNode::start(
        common::client_config(port),
        diameter_net::Handlers::new(),
    )
    .await
    .unwrap();
    let client = CxClient::new(node.handle(), common::scscf_identity());
    let err = client.uar(&uar(ALICE, ALICE_IMPU)).await.unwrap_err();
    assert_eq!(err, CxError::Transport(RequestError::NotOpen));
    assert!(err.to_string().contains("peer not open"), "{err}");
    node.shutdown().await;
}

#[tokio::test]
async fn silent_peer_is_a_timeout() {
    // A Cx peer that accepts the connection but never answers.
    let server = diameter_net::DiameterNode::start(
        common::server_config(),
        diameter_net::Handlers::new().with(
            diameter_codec::generated::cx::APPLICATION_ID.0,
            |_req: diameter_codec::Message| std::future::pending::<bytes::Bytes>(),
        ),
    )
    .await
    .unwrap();
    let mut config = common::client_config(server.local_addrs()[0]);
    config.peers[0].config.request_timeout = Duration::from_millis(200);
    let node = diameter_net::DiameterNode::start(config, diameter_net::Handlers::new())
        .await
        .unwrap();
    assert!(common::wait_open(&node.handle(), Duration::from_secs(5)).await);
    let client = CxClient::new(node.handle(), common::scscf_identity());
    let err = client.lir(&lir(ALICE_IMPU)).await.unwrap_err();
    assert_eq!(err, CxError::Timeout);
    node.abort();
    server.abort();
}
