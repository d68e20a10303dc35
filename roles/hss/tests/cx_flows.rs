//! Cx procedures end to end against the HSS handler, on memory, SQLite and PostgreSQL:
//! UAR (TS 29.228 §6.1.1), MAR (§6.3.1, §6.3.3), SAR (§6.1.2), LIR (§6.1.4), RTR/PPR
//! (§6.1.3, §6.2.2) and malformed requests (RFC 6733 §7).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cx::{
    self, avp as x, ReasonCode, ServerAssignmentType as Sat, UserAuthorizationType as Uat,
};
use diameter_codec::{AvpContainer, GroupedAvps, Message, MessageBuilder, WriteAvps};
use ims_core::aka::{
    usim_authenticate, Amf, Autn, Key, Milenage, Op, Rand, ResyncRequest, Sqn, SqnConfig,
    UsimFailure, UsimSqnState,
};
use ims_core::ifc::parse_ims_subscription_bytes;
use ims_hss::Hss;
use ims_store::{RegistrationState, ServiceProfile};
use md5::Digest as _;

const ALICE: &str = "alice@ims.test";
const ALICE_IMPU: &str = "sip:alice@ims.test";
const BOB_IMPU: &str = "sip:bob@ims.test";

fn demo_milenage() -> Milenage {
    Milenage::with_op(
        &Key::new(*b"0123456789abcdef"),
        &Op::new(*b"fedcba9876543210"),
    )
}

fn server_name(ans: &Message) -> Option<String> {
    ans.get(&x::SERVER_NAME)
        .unwrap()
        .map(|s| s.as_str().to_owned())
}

fn items(ans: &Message) -> Vec<GroupedAvps> {
    ans.get_all(&x::SIP_AUTH_DATA_ITEM).unwrap()
}

/// (RAND, AUTN, XRES, CK, IK) of an AKA SIP-Auth-Data-Item.
fn aka_parts(item: &GroupedAvps) -> (Rand, Autn, Vec<u8>, Vec<u8>, Vec<u8>) {
    let auth = item.require(&x::SIP_AUTHENTICATE).unwrap();
    assert_eq!(auth.len(), 32);
    let rand = Rand::from_slice(&auth[..16]).unwrap();
    let autn = Autn::from_slice(&auth[16..]).unwrap();
    let xres = item.require(&x::SIP_AUTHORIZATION).unwrap().to_vec();
    let ck = item.require(&x::CONFIDENTIALITY_KEY).unwrap().to_vec();
    let ik = item.require(&x::INTEGRITY_KEY).unwrap().to_vec();
    (rand, autn, xres, ck, ik)
}

async fn register(hss: &Hss, impu: &str) {
    let ans = ask(
        hss,
        sar(None, Some(impu), Sat::REGISTRATION, SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), base(2001));
}

async fn uar_outcomes(hss: Hss) {
    let a = |impi: &'static str, impu: &'static str, v: &'static str, t| {
        ask_uar(&hss, impi, impu, v, t)
    };
    assert_eq!(
        result(&a("nobody@ims.test", ALICE_IMPU, "ims.test", None).await),
        exp(5001)
    );
    assert_eq!(
        result(&a(ALICE, "sip:nobody@ims.test", "ims.test", None).await),
        exp(5001)
    );
    assert_eq!(
        result(&a(ALICE, BOB_IMPU, "ims.test", None).await),
        exp(5002)
    );
    assert_eq!(
        result(&a(ALICE, ALICE_IMPU, "evil.test", None).await),
        exp(5004)
    );

    // First registration, no S-CSCF: capabilities with the configured S-CSCF.
    let ans = a(ALICE, ALICE_IMPU, "visited.test", None).await;
    assert_eq!(result(&ans), exp(2001));
    assert_eq!(server_name(&ans), None);
    let caps = ans.require(&x::SERVER_CAPABILITIES).unwrap();
    assert_eq!(caps.get_all(&x::OPTIONAL_CAPABILITY).unwrap(), vec![7]);
    assert!(caps.get_all(&x::MANDATORY_CAPABILITY).unwrap().is_empty());
    let names = caps.get_all(&x::SERVER_NAME).unwrap();
    assert_eq!(names.len(), 1);
    assert_eq!(names[0], SCSCF);

    // De-registration of a not registered identity.
    let ans = a(ALICE, ALICE_IMPU, "ims.test", Some(Uat::DE_REGISTRATION)).await;
    assert_eq!(result(&ans), exp(5003));

    // A MAR stores the S-CSCF name: then 2001 with Server-Name.
    let _ = ask(
        &hss,
        mar(ALICE, ALICE_IMPU, "SIP Digest", 1, None),
        &cx::cmd::MAA,
    )
    .await;
    let ans = a(ALICE, ALICE_IMPU, "ims.test", None).await;
    assert_eq!(
        (result(&ans), server_name(&ans)),
        (exp(2001), Some(SCSCF.into()))
    );

    register(&hss, ALICE_IMPU).await;
    let ans = a(ALICE, ALICE_IMPU, "ims.test", None).await;
    assert_eq!(
        (result(&ans), server_name(&ans)),
        (exp(2002), Some(SCSCF.into()))
    );
    let ans = a(
        ALICE,
        ALICE_IMPU,
        "ims.test",
        Some(Uat::REGISTRATION_AND_CAPABILITIES),
    )
    .await;
    assert_eq!(result(&ans), exp(2001));
    assert!(ans.get(&x::SERVER_CAPABILITIES).unwrap().is_some());
    let ans = a(ALICE, ALICE_IMPU, "ims.test", Some(Uat::DE_REGISTRATION)).await;
    assert_eq!(
        (result(&ans), server_name(&ans)),
        (base(2001), Some(SCSCF.into()))
    );

    // Unregistered service: 2003 with the S-CSCF name.
    let ans = ask(
        &hss,
        sar(None, Some(BOB_IMPU), Sat::UNREGISTERED_USER, SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), base(2001));
    let ans = a("bob@ims.test", BOB_IMPU, "ims.test", None).await;
    assert_eq!(
        (result(&ans), server_name(&ans)),
        (exp(2003), Some(SCSCF.into()))
    );

    // Barred: DIAMETER_AUTHORIZATION_REJECTED as Result-Code, but de-registration passes.
    let mut carol = hss
        .store()
        .find_public("sip:carol@ims.test")
        .await
        .unwrap()
        .unwrap();
    carol.barred = true;
    hss.store().put_public(&carol).await.unwrap();
    let ans = a("carol@ims.test", "sip:carol@ims.test", "ims.test", None).await;
    assert_eq!(result(&ans), base(5003));
    let ans = a(
        "carol@ims.test",
        "sip:carol@ims.test",
        "ims.test",
        Some(Uat::DE_REGISTRATION),
    )
    .await;
    assert_eq!(result(&ans), exp(5003));
}

async fn ask_uar(hss: &Hss, impi: &str, impu: &str, v: &str, t: Option<Uat>) -> Message {
    ask(hss, uar(impi, impu, v, t), &cx::cmd::UAA).await
}

async fn mar_aka_vectors_verify(hss: Hss) {
    let m = demo_milenage();
    let mut usim = UsimSqnState::new(SqnConfig::default());
    let mut last = Sqn::new(0);
    for round in 0..2 {
        let ans = ask(
            &hss,
            mar(ALICE, ALICE_IMPU, "Digest-AKAv1-MD5", 1, None),
            &cx::cmd::MAA,
        )
        .await;
        assert_eq!(result(&ans), base(2001), "round {round}");
        assert_eq!(ans.require(&b::USER_NAME).unwrap(), ALICE);
        assert_eq!(ans.require(&x::SIP_NUMBER_AUTH_ITEMS).unwrap(), 1);
        let its = items(&ans);
        assert_eq!(its.len(), 1);
        assert_eq!(
            its[0].require(&x::SIP_AUTHENTICATION_SCHEME).unwrap(),
            "Digest-AKAv1-MD5"
        );
        assert_eq!(its[0].require(&x::SIP_ITEM_NUMBER).unwrap(), 1);
        let (rand, autn, xres, ck, ik) = aka_parts(&its[0]);
        assert_eq!(autn.amf(), Amf::new(*b"00"));
        let r = usim_authenticate(&m, &mut usim, &rand, &autn).expect("USIM accepts");
        assert_eq!(r.res.as_bytes().as_slice(), xres.as_slice());
        assert_eq!(r.ck.as_bytes().as_slice(), ck.as_slice());
        assert_eq!(r.ik.as_bytes().as_slice(), ik.as_slice());
        assert!(r.sqn > last, "SQN increments");
        last = r.sqn;
        let stored = hss.store().get_private(ALICE).await.unwrap().unwrap();
        assert_eq!(stored.sqn, r.sqn.value());
    }
    // Several vectors, capped by the configuration (5), in SQN order, all accepted.
    let ans = ask(
        &hss,
        mar(ALICE, ALICE_IMPU, "Digest-AKAv1-MD5", 50, None),
        &cx::cmd::MAA,
    )
    .await;
    assert_eq!(ans.require(&x::SIP_NUMBER_AUTH_ITEMS).unwrap(), 5);
    let its = items(&ans);
    assert_eq!(its.len(), 5);
    let mut rands = Vec::new();
    for (i, it) in (1u32..).zip(&its) {
        assert_eq!(it.require(&x::SIP_ITEM_NUMBER).unwrap(), i);
        let (rand, autn, xres, _, _) = aka_parts(it);
        let r = usim_authenticate(&m, &mut usim, &rand, &autn).expect("USIM accepts");
        assert_eq!(r.res.as_bytes().as_slice(), xres.as_slice());
        assert!(r.sqn > last);
        last = r.sqn;
        rands.push(rand);
    }
    rands.dedup();
    assert_eq!(rands.len(), 5, "fresh RAND per vector");
    // The S-CSCF name is stored by the MAR, the state unchanged.
    let reg = hss.store().registration(ALICE_IMPU).await.unwrap();
    assert_eq!(reg.scscf_name.as_deref(), Some(SCSCF));
    assert_eq!(reg.origin_host.as_deref(), Some(SCSCF_HOST));
    assert_eq!(reg.state, RegistrationState::NotRegistered);
}

async fn mar_resync(hss: Hss) {
    let m = demo_milenage();
    let cfg = SqnConfig::default();
    // The USIM has seen a much higher SQN than the HSS (e.g. another HSS / restored DB).
    let mut usim = UsimSqnState::new(cfg);
    assert!(usim.accept(cfg.compose(1000, 0)));
    let ans = ask(
        &hss,
        mar(ALICE, ALICE_IMPU, "Digest-AKAv1-MD5", 1, None),
        &cx::cmd::MAA,
    )
    .await;
    let (rand, autn, _, _, _) = aka_parts(&items(&ans)[0]);
    let Err(UsimFailure::SyncFailure { auts }) = usim_authenticate(&m, &mut usim, &rand, &autn)
    else {
        panic!("USIM must report a synchronisation failure");
    };
    let rr = ResyncRequest { rand, auts }.to_bytes();

    // A forged AUTS (MAC-S altered) is rejected and the SQN left alone.
    let before = hss.store().get_private(ALICE).await.unwrap().unwrap().sqn;
    let mut forged = rr;
    forged[29] ^= 0x01;
    let ans = ask(
        &hss,
        mar(ALICE, ALICE_IMPU, "Digest-AKAv1-MD5", 1, Some(&forged)),
        &cx::cmd::MAA,
    )
    .await;
    assert_eq!(result(&ans), base(5003));
    assert!(items(&ans).is_empty());
    assert_eq!(
        hss.store().get_private(ALICE).await.unwrap().unwrap().sqn,
        before
    );
    // A truncated RAND||AUTS is an invalid value, with Failed-AVP.
    let ans = ask(
        &hss,
        mar(ALICE, ALICE_IMPU, "Digest-AKAv1-MD5", 1, Some(&rr[..20])),
        &cx::cmd::MAA,
    )
    .await;
    assert_eq!(result(&ans), base(5004));
    let failed = ans.require(&b::FAILED_AVP).unwrap();
    assert_eq!(
        failed.avps().next().unwrap().unwrap().code(),
        x::SIP_AUTH_DATA_ITEM.code()
    );

    // The genuine AUTS resynchronises: the fresh vectors are accepted by the USIM. A MAR
    // reporting a synchronisation failure never re-assigns the S-CSCF (TS 29.228 §8.1).
    let req = mar_from(
        ALICE,
        ALICE_IMPU,
        "Digest-AKAv1-MD5",
        2,
        Some(&rr),
        OTHER_SCSCF,
    );
    let ans = ask(&hss, req, &cx::cmd::MAA).await;
    let reg = hss.store().registration(ALICE_IMPU).await.unwrap();
    assert_eq!(reg.scscf_name.as_deref(), Some(SCSCF));
    assert_eq!(result(&ans), base(2001));
    let its = items(&ans);
    assert_eq!(its.len(), 2);
    for it in &its {
        let (rand, autn, xres, _, _) = aka_parts(it);
        let r = usim_authenticate(&m, &mut usim, &rand, &autn).expect("accepted after resync");
        assert_eq!(r.res.as_bytes().as_slice(), xres.as_slice());
        assert!(cfg.seq(r.sqn) > 1000);
    }
}

async fn mar_digest_and_schemes(hss: Hss) {
    let ans = ask(
        &hss,
        mar(ALICE, ALICE_IMPU, "SIP Digest", 3, None),
        &cx::cmd::MAA,
    )
    .await;
    assert_eq!(result(&ans), base(2001));
    let its = items(&ans);
    assert_eq!(its.len(), 1);
    assert_eq!(
        its[0].require(&x::SIP_AUTHENTICATION_SCHEME).unwrap(),
        "SIP Digest"
    );
    let d = its[0].require(&x::SIP_DIGEST_AUTHENTICATE).unwrap();
    assert_eq!(d.require(&x::DIGEST_REALM).unwrap(), "ims.test");
    assert_eq!(d.require(&x::DIGEST_QOP).unwrap(), "auth");
    assert_eq!(d.require(&x::DIGEST_ALGORITHM).unwrap(), "MD5");
    let want: String = md5::Md5::digest(b"alice@ims.test:ims.test:alice-secret")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(d.require(&x::DIGEST_HA1).unwrap(), want.as_str());

    // "Unknown" → the subscriber's default scheme (AKA).
    let ans = ask(
        &hss,
        mar(ALICE, ALICE_IMPU, "Unknown", 1, None),
        &cx::cmd::MAA,
    )
    .await;
    assert_eq!(result(&ans), base(2001));
    let its = items(&ans);
    assert_eq!(
        its[0].require(&x::SIP_AUTHENTICATION_SCHEME).unwrap(),
        "Digest-AKAv1-MD5"
    );
    assert_eq!(its[0].require(&x::SIP_AUTHENTICATE).unwrap().len(), 32);

    // Schemes the subscriber may not use, or nobody implements.
    for s in ["Digest-AKAv2-MD5", "NASS-Bundled"] {
        let ans = ask(&hss, mar(ALICE, ALICE_IMPU, s, 1, None), &cx::cmd::MAA).await;
        assert_eq!(result(&ans), exp(5006), "{s}");
    }
    let ans = ask(
        &hss,
        mar(ALICE, BOB_IMPU, "SIP Digest", 1, None),
        &cx::cmd::MAA,
    )
    .await;
    assert_eq!(result(&ans), exp(5002));
    let ans = ask(
        &hss,
        mar("x@ims.test", ALICE_IMPU, "SIP Digest", 1, None),
        &cx::cmd::MAA,
    )
    .await;
    assert_eq!(result(&ans), exp(5001));

    // A MAR from another S-CSCF re-assigns a registered identity (§6.3.1).
    register(&hss, ALICE_IMPU).await;
    let ans = ask(
        &hss,
        mar_from(ALICE, ALICE_IMPU, "SIP Digest", 1, None, OTHER_SCSCF),
        &cx::cmd::MAA,
    )
    .await;
    assert_eq!(result(&ans), base(2001));
    let reg = hss.store().registration(ALICE_IMPU).await.unwrap();
    assert_eq!(reg.scscf_name.as_deref(), Some(OTHER_SCSCF));
    assert_eq!(reg.state, RegistrationState::Registered);
}

async fn sar_registration_and_deregistration(hss: Hss) {
    let ans = ask(
        &hss,
        sar(Some(ALICE), Some(ALICE_IMPU), Sat::REGISTRATION, SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), base(2001));
    assert_eq!(ans.require(&b::USER_NAME).unwrap(), ALICE);
    let xml = ans.require(&x::USER_DATA).unwrap();
    let sub = parse_ims_subscription_bytes(&xml).expect("User-Data parses");
    assert_eq!(sub.private_id, ALICE);
    assert_eq!(sub.service_profiles.len(), 1);
    let ids: Vec<&str> = sub.service_profiles[0]
        .public_identities
        .iter()
        .map(|p| p.identity.as_str())
        .collect();
    assert_eq!(ids, vec![ALICE_IMPU]);
    let ch = ans.require(&x::CHARGING_INFORMATION).unwrap();
    assert_eq!(
        ch.require(&x::PRIMARY_CHARGING_COLLECTION_FUNCTION_NAME)
            .unwrap(),
        "aaa://cdf.ims.test:3868"
    );
    assert_eq!(
        ch.require(&x::PRIMARY_EVENT_CHARGING_FUNCTION_NAME)
            .unwrap(),
        "aaa://ocs.ims.test:3868"
    );
    let reg = hss.store().registration(ALICE_IMPU).await.unwrap();
    assert_eq!(reg.state, RegistrationState::Registered);
    assert_eq!(reg.scscf_name.as_deref(), Some(SCSCF));
    assert_eq!(reg.origin_host.as_deref(), Some(SCSCF_HOST));

    // Another S-CSCF may not take a registered identity.
    let ans = ask(
        &hss,
        sar(None, Some(ALICE_IMPU), Sat::REGISTRATION, OTHER_SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), exp(5005));
    assert_eq!(server_name(&ans).as_deref(), Some(SCSCF));
    // Re-registration with data already available: no User-Data.
    let mut r = request(&cx::cmd::SAR, SCSCF_HOST);
    r.put(&x::PUBLIC_IDENTITY, ALICE_IMPU)
        .put(&x::SERVER_NAME, SCSCF)
        .put(&x::SERVER_ASSIGNMENT_TYPE, &Sat::RE_REGISTRATION)
        .put(
            &x::USER_DATA_ALREADY_AVAILABLE,
            &cx::UserDataAlreadyAvailable::USER_DATA_ALREADY_AVAILABLE,
        );
    let ans = ask(&hss, r.finish(), &cx::cmd::SAA).await;
    assert_eq!(result(&ans), base(2001));
    assert!(ans.get(&x::USER_DATA).unwrap().is_none());
    // NO_ASSIGNMENT from the assigned S-CSCF downloads the data; from another it fails.
    let ans = ask(
        &hss,
        sar(None, Some(ALICE_IMPU), Sat::NO_ASSIGNMENT, SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert!(ans.get(&x::USER_DATA).unwrap().is_some());
    let ans = ask(
        &hss,
        sar(None, Some(ALICE_IMPU), Sat::NO_ASSIGNMENT, OTHER_SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), base(5012));

    let ans = ask(
        &hss,
        sar(Some(ALICE), None, Sat::USER_DEREGISTRATION, SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), base(2001));
    assert!(ans.get(&x::USER_DATA).unwrap().is_none());
    let reg = hss.store().registration(ALICE_IMPU).await.unwrap();
    assert_eq!(reg.state, RegistrationState::NotRegistered);
    assert_eq!(reg.scscf_name, None);

    // Store-server-name variants keep the name, the identity "unregistered" (TS 24.228).
    register(&hss, BOB_IMPU).await;
    let ans = ask(
        &hss,
        sar(
            None,
            Some(BOB_IMPU),
            Sat::TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME,
            SCSCF,
        ),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), base(2001));
    let reg = hss.store().registration(BOB_IMPU).await.unwrap();
    assert_eq!(
        (reg.state, reg.scscf_name.as_deref()),
        (RegistrationState::Unregistered, Some(SCSCF))
    );
    // Authentication failure of a not registered user forgets the name a MAR stored.
    let carol = "sip:carol@ims.test";
    let _ = ask(
        &hss,
        mar("carol@ims.test", carol, "SIP Digest", 1, None),
        &cx::cmd::MAA,
    )
    .await;
    assert_eq!(
        hss.store()
            .registration(carol)
            .await
            .unwrap()
            .scscf_name
            .as_deref(),
        Some(SCSCF)
    );
    let ans = ask(
        &hss,
        sar(None, Some(carol), Sat::AUTHENTICATION_FAILURE, SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), base(2001));
    assert_eq!(
        hss.store().registration(carol).await.unwrap().scscf_name,
        None
    );
    // Every de-registration type clears.
    for sat in [
        Sat::TIMEOUT_DEREGISTRATION,
        Sat::ADMINISTRATIVE_DEREGISTRATION,
        Sat::DEREGISTRATION_TOO_MUCH_DATA,
        Sat::USER_DEREGISTRATION_STORE_SERVER_NAME,
        Sat::AUTHENTICATION_TIMEOUT,
    ] {
        register(&hss, BOB_IMPU).await;
        let ans = ask(&hss, sar(None, Some(BOB_IMPU), sat, SCSCF), &cx::cmd::SAA).await;
        assert_eq!(result(&ans), base(2001), "{sat:?}");
        let reg = hss.store().registration(BOB_IMPU).await.unwrap();
        let want = match sat {
            Sat::AUTHENTICATION_TIMEOUT => RegistrationState::Registered,
            Sat::USER_DEREGISTRATION_STORE_SERVER_NAME => RegistrationState::Unregistered,
            _ => RegistrationState::NotRegistered,
        };
        assert_eq!(reg.state, want, "{sat:?}");
    }

    // Unknown users, unknown and out-of-interface assignment types.
    let ans = ask(
        &hss,
        sar(None, Some("sip:nobody@ims.test"), Sat::REGISTRATION, SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), exp(5001));
    let ans = ask(
        &hss,
        sar(None, Some(ALICE_IMPU), Sat::PGW_UPDATE, SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), exp(5007));
    let ans = ask(
        &hss,
        sar(None, Some(ALICE_IMPU), Sat(99), SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), base(5004));
    let failed = ans.require(&b::FAILED_AVP).unwrap();
    assert_eq!(
        failed.avps().next().unwrap().unwrap().code(),
        x::SERVER_ASSIGNMENT_TYPE.code()
    );
    let ans = ask(
        &hss,
        sar(None, None, Sat::REGISTRATION, SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), base(5005));
}

async fn lir_outcomes(hss: Hss) {
    let ans = ask(&hss, lir("sip:nobody@ims.test"), &cx::cmd::LIA).await;
    assert_eq!(result(&ans), exp(5001));
    let ans = ask(&hss, lir(ALICE_IMPU), &cx::cmd::LIA).await;
    assert_eq!(result(&ans), exp(5003));
    register(&hss, ALICE_IMPU).await;
    let ans = ask(&hss, lir(ALICE_IMPU), &cx::cmd::LIA).await;
    assert_eq!(
        (result(&ans), server_name(&ans)),
        (base(2001), Some(SCSCF.into()))
    );

    // A profile with services for the unregistered state: 2003 and capabilities.
    hss.store()
        .put_service_profile(&ServiceProfile {
            id: "voicemail".into(),
            ifc_xml: "<ServiceProfile><InitialFilterCriteria><Priority>1</Priority>\
                <ApplicationServer><ServerName>sip:vm.ims.test</ServerName>\
                <DefaultHandling>0</DefaultHandling></ApplicationServer>\
                <ProfilePartIndicator>1</ProfilePartIndicator></InitialFilterCriteria></ServiceProfile>"
                .into(),
        })
        .await
        .unwrap();
    let mut bob = hss.store().find_public(BOB_IMPU).await.unwrap().unwrap();
    bob.service_profile = "voicemail".into();
    hss.store().put_public(&bob).await.unwrap();
    let ans = ask(&hss, lir(BOB_IMPU), &cx::cmd::LIA).await;
    assert_eq!(result(&ans), exp(2003));
    assert_eq!(server_name(&ans), None);
    let caps = ans.require(&x::SERVER_CAPABILITIES).unwrap();
    assert_eq!(caps.get_all(&x::SERVER_NAME).unwrap().len(), 1);
    // ... and its User-Data carries the iFC.
    let ans = ask(
        &hss,
        sar(None, Some(BOB_IMPU), Sat::UNREGISTERED_USER, SCSCF),
        &cx::cmd::SAA,
    )
    .await;
    let sub = parse_ims_subscription_bytes(&ans.require(&x::USER_DATA).unwrap()).unwrap();
    let ifc = &sub.service_profiles[0].initial_filter_criteria;
    assert_eq!(ifc.len(), 1);
    assert_eq!(ifc[0].application_server.server_name, "sip:vm.ims.test");
    let ans = ask(&hss, lir(BOB_IMPU), &cx::cmd::LIA).await;
    assert_eq!(
        (result(&ans), server_name(&ans)),
        (exp(2003), Some(SCSCF.into()))
    );
}

async fn malformed_requests(hss: Hss) {
    // Missing User-Name: 5005 with Failed-AVP naming it, answer still a valid UAA.
    let mut r = request(&cx::cmd::UAR, "icscf.ims.test");
    r.put(&x::PUBLIC_IDENTITY, ALICE_IMPU)
        .put(&x::VISITED_NETWORK_IDENTIFIER, b"ims.test");
    let ans = ask(&hss, r.finish(), &cx::cmd::UAA).await;
    assert_eq!(result(&ans), base(5005));
    let failed = ans.require(&b::FAILED_AVP).unwrap();
    assert_eq!(
        failed.avps().next().unwrap().unwrap().code(),
        b::USER_NAME.code()
    );
    assert_eq!(ans.require(&b::SESSION_ID).unwrap(), "peer.ims.test;1;42");

    // Unknown User-Authorization-Type value: 5004 with the AVP.
    let ans = ask(
        &hss,
        uar(ALICE, ALICE_IMPU, "ims.test", Some(Uat(9))),
        &cx::cmd::UAA,
    )
    .await;
    assert_eq!(result(&ans), base(5004));
    let failed = ans.require(&b::FAILED_AVP).unwrap();
    assert_eq!(
        failed.avps().next().unwrap().unwrap().code(),
        x::USER_AUTHORIZATION_TYPE.code()
    );

    // Missing SIP-Auth-Data-Item in a MAR.
    let mut r = request(&cx::cmd::MAR, SCSCF_HOST);
    r.put(&b::USER_NAME, ALICE)
        .put(&x::PUBLIC_IDENTITY, ALICE_IMPU)
        .put(&x::SIP_NUMBER_AUTH_ITEMS, &1)
        .put(&x::SERVER_NAME, SCSCF);
    let ans = ask(&hss, r.finish(), &cx::cmd::MAA).await;
    assert_eq!(result(&ans), base(5005));
    assert!(ans.get(&b::FAILED_AVP).unwrap().is_some());

    // Wrong-length Unsigned32 (SIP-Number-Auth-Items of 2 bytes): 5014 INVALID_AVP_LENGTH.
    let mut r = request(&cx::cmd::MAR, SCSCF_HOST);
    r.put(&b::USER_NAME, ALICE)
        .put(&x::PUBLIC_IDENTITY, ALICE_IMPU);
    r.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
        g.put(&x::SIP_AUTHENTICATION_SCHEME, "SIP Digest");
    });
    r.put_raw_parts(
        x::SIP_NUMBER_AUTH_ITEMS.code(),
        x::SIP_NUMBER_AUTH_ITEMS.meta.flags(),
        &[0, 1],
    );
    r.put(&x::SERVER_NAME, SCSCF);
    let ans = ask(&hss, r.finish(), &cx::cmd::MAA).await;
    assert!(
        matches!(result(&ans), ims_hss::Outcome::Base(5004 | 5014)),
        "{:?}",
        result(&ans)
    );
    assert!(ans.get(&b::FAILED_AVP).unwrap().is_some());

    // Unsupported command and application: protocol errors with the E bit.
    let mut r = request(&cx::cmd::RTR, "x.ims.test");
    r.put(&b::USER_NAME, ALICE);
    let req = Message::decode(r.finish()).unwrap();
    let ans = Message::decode(hss.handle(&req).await).unwrap();
    assert!(ans.header().flags.is_error());
    assert_eq!(ans.require(&b::RESULT_CODE).unwrap(), 3001);
    let mut r = MessageBuilder::request(&diameter_codec::generated::base::cmd::STR, 1, 2);
    r.put(&b::SESSION_ID, "s;1");
    let req = Message::decode(r.finish()).unwrap();
    let ans = Message::decode(hss.handle(&req).await).unwrap();
    assert!(ans.header().flags.is_error());
    assert_eq!(ans.require(&b::RESULT_CODE).unwrap(), 3007);
}

async fn rtr_and_ppr(hss: Hss) {
    assert!(hss
        .build_rtr(
            ALICE_IMPU,
            ReasonCode::PERMANENT_TERMINATION,
            None,
            "s;1",
            1,
            2
        )
        .await
        .is_err());
    register(&hss, ALICE_IMPU).await;
    let rtr = hss
        .build_rtr(
            ALICE_IMPU,
            ReasonCode::PERMANENT_TERMINATION,
            Some("operator"),
            "hss.ims.test;9;1",
            7,
            8,
        )
        .await
        .unwrap();
    assert_eq!(rtr.destination_host, SCSCF_HOST);
    assert_eq!(rtr.impus, vec![ALICE_IMPU.to_owned()]);
    let m = Message::decode(rtr.message.clone()).unwrap();
    diameter_codec::validate(&m, &cx::cmd::RTR).unwrap();
    assert_eq!(m.require(&b::DESTINATION_HOST).unwrap(), SCSCF_HOST);
    assert_eq!(m.require(&b::USER_NAME).unwrap(), ALICE);
    assert_eq!(m.get_all(&x::PUBLIC_IDENTITY).unwrap().len(), 1);
    let reason = m.require(&x::DEREGISTRATION_REASON).unwrap();
    assert_eq!(
        reason.require(&x::REASON_CODE).unwrap(),
        ReasonCode::PERMANENT_TERMINATION
    );
    assert_eq!(reason.require(&x::REASON_INFO).unwrap(), "operator");

    // PPR carries the current User-Data.
    let ppr = hss
        .build_ppr(ALICE_IMPU, "hss.ims.test;9;2", 9, 10)
        .await
        .unwrap();
    let pm = Message::decode(ppr.message.clone()).unwrap();
    diameter_codec::validate(&pm, &cx::cmd::PPR).unwrap();
    let sub = parse_ims_subscription_bytes(&pm.require(&x::USER_DATA).unwrap()).unwrap();
    assert_eq!(sub.private_id, ALICE);
    let ppa = answer_to(&pm, 2001);
    assert_eq!(hss.handle_ppa(&ppa).unwrap(), base(2001));

    // An RTA error leaves the registration; success clears it.
    let rta = answer_to(&m, 5012);
    assert_eq!(hss.handle_rta(&rtr, &rta).await.unwrap(), base(5012));
    assert_eq!(
        hss.store().registration(ALICE_IMPU).await.unwrap().state,
        RegistrationState::Registered
    );
    let rta = answer_to(&m, 2001);
    assert_eq!(hss.handle_rta(&rtr, &rta).await.unwrap(), base(2001));
    let reg = hss.store().registration(ALICE_IMPU).await.unwrap();
    assert_eq!(
        (reg.state, reg.scscf_name),
        (RegistrationState::NotRegistered, None)
    );
}

/// The S-CSCF's answer to an HSS-initiated request.
fn answer_to(req: &Message, code: u32) -> Message {
    let mut a = MessageBuilder::answer(req.header());
    a.put_raw(&req.find(b::SESSION_ID.code()).unwrap().unwrap());
    a.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
        g.put(&b::VENDOR_ID, &10415)
            .put(&b::AUTH_APPLICATION_ID, &cx::APPLICATION_ID.0);
    });
    a.put(&b::RESULT_CODE, &code)
        .put(
            &b::AUTH_SESSION_STATE,
            &diameter_codec::generated::base::AuthSessionState::NO_STATE_MAINTAINED,
        )
        .put(&b::ORIGIN_HOST, SCSCF_HOST)
        .put(&b::ORIGIN_REALM, "ims.test");
    Message::decode(a.finish()).unwrap()
}

on_all_backends!(
    uar_outcomes,
    mar_aka_vectors_verify,
    mar_resync,
    mar_digest_and_schemes,
    sar_registration_and_deregistration,
    lir_outcomes,
    malformed_requests,
    rtr_and_ppr,
);
