//! End-to-end flows through the whole lab (P-CSCF → I-CSCF → S-CSCF → HSS over Cx), each test
//! on its own loopback address with its own data directory: registration with IMS AKA and with
//! digest, re-registration, de-registration, wrong credentials, unknown users, SQN resync,
//! MESSAGE and a whole call between registered users, a call cancelled by Timer C, and the
//! refusals around them.
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;

use ims_e2e::{Credentials, Ue};
use sip_types::{HeaderName, Method, StatusCode};

mod common;
use common::Bed;

/// alice (AKA) and bob (digest) registered through the lab.
async fn alice_and_bob(bed: &Bed) -> (Ue, Ue) {
    let mut alice = bed.ue("alice", Credentials::demo_aka()).await;
    let mut bob = bed
        .ue("bob", Credentials::Password("bob-secret".into()))
        .await;
    assert_eq!(
        alice.register(600, "AKAv1-MD5").await.unwrap().status(),
        Some(StatusCode::OK)
    );
    assert_eq!(
        bob.register(600, "MD5").await.unwrap().status(),
        Some(StatusCode::OK)
    );
    (alice, bob)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aka_registration_reregistration_and_deregistration() {
    let bed = Bed::start(IpAddr::from([127, 0, 3, 1]), "e2e").await;
    let mut alice = bed.ue("alice", Credentials::demo_aka()).await;
    let ok = alice.register(600, "AKAv1-MD5").await.unwrap();
    assert_eq!(ok.status(), Some(StatusCode::OK), "{ok:?}");
    assert!(
        alice.service_route.iter().any(|r| r.contains("orig")),
        "Service-Route: {:?}",
        alice.service_route
    );
    assert!(alice
        .associated
        .iter()
        .any(|u| u.contains("sip:alice@ims.test")));
    assert!(ok
        .header_values(HeaderName::CONTACT)
        .any(|c| c.text.contains(&alice.addr.to_string()) && c.text.contains("expires=")));
    assert_eq!(bed.bindings("sip:alice@ims.test").await, 1);

    let again = alice.register(600, "AKAv1-MD5").await.unwrap();
    assert_eq!(again.status(), Some(StatusCode::OK));
    assert_eq!(bed.bindings("sip:alice@ims.test").await, 1);

    let gone = alice.register(0, "AKAv1-MD5").await.unwrap();
    assert_eq!(gone.status(), Some(StatusCode::OK));
    assert_eq!(bed.bindings("sip:alice@ims.test").await, 0);
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_registration_and_wrong_password() {
    let bed = Bed::start(IpAddr::from([127, 0, 3, 2]), "e2e").await;
    let mut bob = bed
        .ue("bob", Credentials::Password("bob-secret".into()))
        .await;
    let ok = bob.register(600, "MD5").await.unwrap();
    assert_eq!(ok.status(), Some(StatusCode::OK), "{ok:?}");
    assert_eq!(bed.bindings("sip:bob@ims.test").await, 1);

    let mut mallory_as_carol = bed
        .ue("carol", Credentials::Password("not-her-secret".into()))
        .await;
    let refused = mallory_as_carol.register(600, "MD5").await.unwrap();
    assert_eq!(refused.status(), Some(StatusCode::FORBIDDEN), "{refused:?}");
    assert_eq!(bed.bindings("sip:carol@ims.test").await, 0);
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_user_is_forbidden() {
    let bed = Bed::start(IpAddr::from([127, 0, 3, 3]), "e2e").await;
    let mut mallory = bed.ue("mallory", Credentials::demo_aka()).await;
    let refused = mallory.register(600, "AKAv1-MD5").await.unwrap();
    assert_eq!(refused.status(), Some(StatusCode::FORBIDDEN), "{refused:?}");
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqn_resynchronisation() {
    let bed = Bed::start(IpAddr::from([127, 0, 3, 4]), "e2e").await;
    let mut alice = bed.ue("alice", Credentials::demo_aka()).await;
    // The USIM has seen SQNs far ahead of the HSS (e.g. another network's).
    assert!(alice.advance_sqn(1 << 20));
    let ok = alice.register(600, "AKAv1-MD5").await.unwrap();
    assert_eq!(ok.status(), Some(StatusCode::OK), "{ok:?}");
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_and_call_between_registered_users() {
    let bed = Bed::start(IpAddr::from([127, 0, 3, 5]), "e2e").await;
    let (mut alice, bob) = alice_and_bob(&bed).await;

    // MESSAGE alice → bob.
    let (message, _) = alice.request(
        Method::MESSAGE,
        "sip:bob@ims.test",
        "",
        Some(("text/plain", "hello bob")),
    );
    alice.send(message.as_bytes()).await.unwrap();
    let got = bob.recv("MESSAGE at bob").await.unwrap();
    assert_eq!(got.method(), Some(&Method::MESSAGE));
    assert_eq!(got.request_uri(), Some(bob.contact().as_str()));
    assert_eq!(got.body(), &b"hello bob"[..]);
    assert!(got
        .header(HeaderName::P_ASSERTED_IDENTITY)
        .is_some_and(|p| p.contains("alice")));
    assert!(got.header(HeaderName::P_CHARGING_VECTOR).is_none());
    bob.send(bob.response(&got, 200, "b1").as_bytes())
        .await
        .unwrap();
    let answer = alice.final_response("200 to MESSAGE").await.unwrap();
    assert_eq!(answer.status(), Some(StatusCode::OK));

    // INVITE / 180 / 200 / ACK / BYE.
    let sdp = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let (invite_text, _) = alice.request(
        Method::INVITE,
        "sip:bob@ims.test",
        "",
        Some(("application/sdp", sdp)),
    );
    let invite = sip_types::Message::parse(bytes::Bytes::from(invite_text.clone())).unwrap();
    alice.send(invite_text.as_bytes()).await.unwrap();
    let at_bob = bob.recv("INVITE at bob").await.unwrap();
    assert_eq!(at_bob.method(), Some(&Method::INVITE));
    assert!(at_bob.header_values(HeaderName::RECORD_ROUTE).count() >= 2);
    bob.send(bob.response(&at_bob, 180, "b2").as_bytes())
        .await
        .unwrap();
    bob.send(bob.response(&at_bob, 200, "b2").as_bytes())
        .await
        .unwrap();
    let mut ringing = false;
    let ok = loop {
        let m = alice.recv("answer at alice").await.unwrap();
        match m.status() {
            Some(StatusCode::RINGING) => ringing = true,
            Some(s) if s.is_final() => break m,
            _ => {}
        }
    };
    assert!(ringing, "180 reached alice");
    assert_eq!(ok.status(), Some(StatusCode::OK));
    let cseq = invite.cseq().unwrap().seq;
    let ack = alice.in_dialog(Method::ACK, &invite, &ok, cseq);
    alice.send(ack.as_bytes()).await.unwrap();
    let ack_at_bob = bob.recv("ACK at bob").await.unwrap();
    assert_eq!(ack_at_bob.method(), Some(&Method::ACK));
    let bye = alice.in_dialog(Method::BYE, &invite, &ok, cseq + 1);
    alice.send(bye.as_bytes()).await.unwrap();
    let bye_at_bob = bob.recv("BYE at bob").await.unwrap();
    assert_eq!(bye_at_bob.method(), Some(&Method::BYE));
    bob.send(bob.response(&bye_at_bob, 200, "b2").as_bytes())
        .await
        .unwrap();
    let bye_ok = alice.final_response("200 to BYE").await.unwrap();
    assert_eq!(bye_ok.status(), Some(StatusCode::OK));
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_that_cannot_connect() {
    let bed = Bed::start(IpAddr::from([127, 0, 3, 6]), "e2e").await;
    let mut alice = bed.ue("alice", Credentials::demo_aka()).await;
    // Not registered yet: the P-CSCF refuses.
    let (invite, _) = alice.request(Method::INVITE, "sip:bob@ims.test", "", None);
    alice.send(invite.as_bytes()).await.unwrap();
    let refused = alice.final_response("403").await.unwrap();
    assert_eq!(refused.status(), Some(StatusCode::FORBIDDEN), "{refused:?}");

    assert_eq!(
        alice.register(600, "AKAv1-MD5").await.unwrap().status(),
        Some(StatusCode::OK)
    );
    // carol exists but is not registered: 480.
    let (invite, _) = alice.request(Method::INVITE, "sip:carol@ims.test", "", None);
    alice.send(invite.as_bytes()).await.unwrap();
    let unavailable = alice.final_response("480").await.unwrap();
    assert_eq!(
        unavailable.status(),
        Some(StatusCode::TEMPORARILY_UNAVAILABLE),
        "{unavailable:?}"
    );
    // nobody@ims.test does not exist: 404.
    let (invite, _) = alice.request(Method::INVITE, "sip:nobody@ims.test", "", None);
    alice.send(invite.as_bytes()).await.unwrap();
    let missing = alice.final_response("404").await.unwrap();
    assert_eq!(missing.status(), Some(StatusCode::NOT_FOUND), "{missing:?}");
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_rings_too_long_is_cancelled_by_timer_c() {
    // The S-CSCF's Timer C (RFC 3261 §16.6 step 11) at 2 s; the P-CSCF keeps the default.
    let bed = Bed::start_with(IpAddr::from([127, 0, 3, 10]), "e2e", |c| {
        c.scscf.sip.timers.timer_c_ms = 2000;
    })
    .await;
    let (mut alice, bob) = alice_and_bob(&bed).await;
    let (invite, _) = alice.request(Method::INVITE, "sip:bob@ims.test", "", None);
    alice.send(invite.as_bytes()).await.unwrap();
    let at_bob = bob.recv("INVITE at bob").await.unwrap();
    let rang = std::time::Instant::now();
    bob.send(bob.response(&at_bob, 180, "b1").as_bytes())
        .await
        .unwrap();
    // Bob rings and never answers: Timer C cancels his branch (§16.8) ...
    let cancel = bob.recv("CANCEL at bob").await.unwrap();
    assert_eq!(cancel.method(), Some(&Method::CANCEL));
    assert!(rang.elapsed() >= std::time::Duration::from_millis(1500));
    bob.send(bob.response(&cancel, 200, "b1").as_bytes())
        .await
        .unwrap();
    bob.send(bob.response(&at_bob, 487, "b1").as_bytes())
        .await
        .unwrap();
    // ... and the caller hears a 408, once: bob's late 487 does not follow it.
    let timeout = alice.final_response("408 at alice").await.unwrap();
    assert_eq!(
        timeout.status(),
        Some(StatusCode::REQUEST_TIMEOUT),
        "{timeout:?}"
    );
    let later = alice
        .recv_within(std::time::Duration::from_millis(800), "nothing more")
        .await;
    assert!(
        later
            .as_ref()
            .map_or(true, |m| m.status() != Some(StatusCode(487))),
        "{later:?}"
    );
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_forks_to_every_registered_contact() {
    let bed = Bed::start(IpAddr::from([127, 0, 3, 7]), "e2e").await;
    let mut alice = bed.ue("alice", Credentials::demo_aka()).await;
    let mut phone = bed
        .ue("bob", Credentials::Password("bob-secret".into()))
        .await;
    let mut tablet = bed
        .ue("bob", Credentials::Password("bob-secret".into()))
        .await;
    for ue in [&mut alice] {
        assert_eq!(
            ue.register(600, "AKAv1-MD5").await.unwrap().status(),
            Some(StatusCode::OK)
        );
    }
    for ue in [&mut phone, &mut tablet] {
        assert_eq!(
            ue.register(600, "MD5").await.unwrap().status(),
            Some(StatusCode::OK)
        );
    }
    assert_eq!(bed.bindings("sip:bob@ims.test").await, 2);
    let (invite, _) = alice.request(Method::INVITE, "sip:bob@ims.test", "", None);
    alice.send(invite.as_bytes()).await.unwrap();
    let at_phone = phone.recv("INVITE at the phone").await.unwrap();
    let at_tablet = tablet.recv("INVITE at the tablet").await.unwrap();
    assert_eq!(at_phone.method(), Some(&Method::INVITE));
    assert_eq!(at_tablet.method(), Some(&Method::INVITE));
    assert_eq!(at_phone.request_uri(), Some(phone.contact().as_str()));
    assert_eq!(at_tablet.request_uri(), Some(tablet.contact().as_str()));
    // The tablet rings, the phone answers: the tablet's branch is cancelled.
    tablet
        .send(tablet.response(&at_tablet, 180, "t1").as_bytes())
        .await
        .unwrap();
    phone
        .send(phone.response(&at_phone, 200, "p1").as_bytes())
        .await
        .unwrap();
    let ok = loop {
        let m = alice.recv("200 at alice").await.unwrap();
        if m.status().is_some_and(|s| s.is_final()) {
            break m;
        }
    };
    assert_eq!(ok.status(), Some(StatusCode::OK));
    let cancel = tablet.recv("CANCEL at the tablet").await.unwrap();
    assert_eq!(cancel.method(), Some(&Method::CANCEL));
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_hostile_requests_change_nothing() {
    let bed = Bed::start(IpAddr::from([127, 0, 3, 8]), "e2e").await;
    let mut alice = bed.ue("alice", Credentials::demo_aka()).await;
    let mut bob = bed
        .ue("bob", Credentials::Password("bob-secret".into()))
        .await;
    // A malformed CSeq: 400 naming the fault, from the P-CSCF's core.
    let bad = format!(
        "REGISTER sip:ims.test SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKbad1\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@ims.test>;tag=x\r\nTo: <sip:alice@ims.test>\r\n\
         Call-ID: bad1\r\nCSeq: one REGISTER\r\nContact: <sip:alice@{a}>\r\nContent-Length: 0\r\n\r\n",
        a = alice.addr
    );
    alice.send(bad.as_bytes()).await.unwrap();
    let answer = alice.final_response("400").await.unwrap();
    assert_eq!(answer.status(), Some(StatusCode::BAD_REQUEST));
    assert!(
        answer.reason().is_some_and(|r| r.contains("CSeq")),
        "{:?}",
        answer.reason()
    );
    // Garbage credentials: refused, and no binding appears.
    let garbage = format!(
        "REGISTER sip:ims.test SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKbad2\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@ims.test>;tag=x\r\nTo: <sip:alice@ims.test>\r\n\
         Call-ID: bad2\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@{a}>\r\n\
         Authorization: Digest username=\"alice@ims.test\", realm=\"ims.test\", nonce=\"AAAA\", uri=\"sip:ims.test\", response=\"00000000000000000000000000000000\", algorithm=AKAv1-MD5\r\n\
         Content-Length: 0\r\n\r\n",
        a = alice.addr
    );
    alice.send(garbage.as_bytes()).await.unwrap();
    let answer = alice.final_response("challenge or refusal").await.unwrap();
    assert!(
        matches!(
            answer.status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        ),
        "{answer:?}"
    );
    assert_eq!(bed.bindings("sip:alice@ims.test").await, 0);

    // A registered UE claiming someone else's identity: the P-CSCF asserts its own.
    assert_eq!(
        alice.register(600, "AKAv1-MD5").await.unwrap().status(),
        Some(StatusCode::OK)
    );
    assert_eq!(
        bob.register(600, "MD5").await.unwrap().status(),
        Some(StatusCode::OK)
    );
    let (message, _) = alice.request(
        Method::MESSAGE,
        "sip:bob@ims.test",
        "P-Asserted-Identity: <sip:carol@ims.test>\r\nP-Preferred-Identity: <sip:carol@ims.test>\r\n",
        Some(("text/plain", "it is carol, honest")),
    );
    alice.send(message.as_bytes()).await.unwrap();
    let got = bob.recv("MESSAGE at bob").await.unwrap();
    let asserted: Vec<&str> = got
        .header_values(HeaderName::P_ASSERTED_IDENTITY)
        .map(|v| v.text)
        .collect();
    assert!(
        asserted.iter().all(|a| a.contains("alice")),
        "asserted {asserted:?}"
    );
    bed.stop().await;
}

/// A proxy application server on a UDP socket: it relays what it gets, adding its Via and
/// popping its Route on requests, removing its Via on responses (RFC 3261 §16 at its barest).
async fn relay_as(
    socket: &tokio::net::UdpSocket,
    scscf: std::net::SocketAddr,
) -> sip_types::Message {
    let me = socket.local_addr().unwrap();
    let mut buf = vec![0u8; 65_535];
    let msg = loop {
        let (n, _) = tokio::time::timeout(ims_e2e::WAIT, socket.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let msg = sip_types::Message::parse(bytes::Bytes::copy_from_slice(&buf[..n])).unwrap();
        // 100 Trying is hop by hop (RFC 3261 §16.7 step 5): not relayed.
        if msg.status() != Some(StatusCode::TRYING) {
            break msg;
        }
    };
    let mut edits = sip_types::Edits::new();
    if msg.is_request() {
        let top = msg.header_values(HeaderName::ROUTE).next().unwrap();
        edits.remove_value(&msg, &top);
        edits.prepend_header(
            &msg,
            HeaderName::VIA,
            &format!(
                "SIP/2.0/UDP {me};branch=z9hG4bKas{}",
                msg.call_id().unwrap()
            ),
        );
    } else {
        let top = msg.header_values(HeaderName::VIA).next().unwrap();
        edits.remove_value(&msg, &top);
    }
    socket.send_to(&edits.apply(&msg), scscf).await.unwrap();
    msg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn originating_ifc_sends_the_invite_through_an_application_server() {
    let bed = Bed::start(IpAddr::from([127, 0, 3, 9]), "e2e").await;
    let app_server = tokio::net::UdpSocket::bind((bed.ip, 0)).await.unwrap();
    let as_addr = app_server.local_addr().unwrap();
    // alice's profile: INVITEs she originates (session case 0) go to the AS.
    let store = bed.lab().hss.hss().store();
    store
        .put_service_profile(&ims_store::ServiceProfile {
            id: "alice-mmtel".into(),
            ifc_xml: format!(
                "<ServiceProfile><InitialFilterCriteria><Priority>1</Priority><TriggerPoint>\
                 <ConditionTypeCNF>0</ConditionTypeCNF>\
                 <SPT><ConditionNegated>0</ConditionNegated><Group>0</Group><Method>INVITE</Method></SPT>\
                 <SPT><ConditionNegated>0</ConditionNegated><Group>0</Group><SessionCase>0</SessionCase></SPT>\
                 </TriggerPoint><ApplicationServer><ServerName>sip:{as_addr}</ServerName>\
                 <DefaultHandling>0</DefaultHandling></ApplicationServer></InitialFilterCriteria></ServiceProfile>"
            ),
        })
        .await
        .unwrap();
    let mut public = store
        .find_public("sip:alice@ims.test")
        .await
        .unwrap()
        .unwrap();
    public.service_profile = "alice-mmtel".into();
    store.put_public(&public).await.unwrap();

    let (mut alice, bob) = alice_and_bob(&bed).await;
    let scscf = bed
        .lab()
        .scscf
        .sip_listeners()
        .into_iter()
        .find(|(t, _)| *t == sip_proto::Transport::Udp)
        .map(|(_, a)| a)
        .unwrap();
    let (invite, _) = alice.request(Method::INVITE, "sip:bob@ims.test", "", None);
    alice.send(invite.as_bytes()).await.unwrap();
    // The INVITE visits the AS with the S-CSCF's ODI Route under the AS's own.
    let at_as = relay_as(&app_server, scscf).await;
    assert_eq!(at_as.method(), Some(&Method::INVITE));
    let routes: Vec<&str> = at_as
        .header_values(HeaderName::ROUTE)
        .map(|v| v.text)
        .collect();
    assert!(routes.len() >= 2 && routes[1].contains("odi"), "{routes:?}");
    // ... then reaches bob, whose answer goes back through the AS.
    let at_bob = bob.recv("INVITE at bob").await.unwrap();
    assert_eq!(at_bob.method(), Some(&Method::INVITE));
    assert!(at_bob
        .header_values(HeaderName::VIA)
        .any(|v| v.text.contains(&as_addr.to_string())));
    bob.send(bob.response(&at_bob, 200, "b9").as_bytes())
        .await
        .unwrap();
    let via_as = relay_as(&app_server, scscf).await;
    assert_eq!(via_as.status(), Some(StatusCode::OK));
    let ok = alice.final_response("200 at alice").await.unwrap();
    assert_eq!(ok.status(), Some(StatusCode::OK));
    bed.stop().await;
}
