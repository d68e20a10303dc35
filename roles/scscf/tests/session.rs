//! Session routing of the S-CSCF over real UDP sockets with the real HSS: originating and
//! terminating requests, Path and P-Called-Party-ID, in-dialog routing, iFCs sending requests
//! through an application server (ODI) with default handling, third-party REGISTER.
#![allow(clippy::unwrap_used)]

mod session_lab;

use bytes::Bytes;
use session_lab::{
    ifc, proxy_on, quiet, record_routes, recv, relay_response, request, response, routes, start,
    udp,
};
use sip_types::{HeaderName, Message, Method, StatusCode};

/// alice calls bob: the INVITE reaches bob's P-CSCF (his Path hop) retargeted to his contact,
/// with our Record-Route and P-Called-Party-ID; 180/200 flow back; ACK and BYE follow the
/// Route set; the 2xx opens a dialog record and the BYE closes it.
#[tokio::test]
async fn invite_alice_to_bob_and_the_dialog() {
    let lab = start(None).await;
    let (orig, orig_addr) = udp().await;
    let (term, term_addr) = udp().await;
    let (_bob_ue, bob_ue) = udp().await;
    lab.register("alice", &orig, "127.0.0.1:40001".parse().unwrap())
        .await;
    lab.register("bob", &term, bob_ue).await;
    let scscf = lab.addr;

    let invite = request(
        "INVITE",
        "sip:bob@ims.test",
        "sip:alice@ims.test",
        orig_addr,
        scscf,
        "call-1",
        true,
    );
    orig.send_to(invite.as_bytes(), scscf).await.unwrap();
    let (got, from) = recv(&term).await;
    assert_eq!(from, scscf);
    assert_eq!(got.method(), Some(&Method::INVITE));
    assert_eq!(
        got.request_uri(),
        Some(format!("sip:bob@{bob_ue}").as_str())
    );
    assert_eq!(routes(&got), vec![format!("<sip:term@{term_addr};lr>")]);
    assert_eq!(record_routes(&got), vec![format!("<sip:{scscf};lr>")]);
    assert_eq!(
        got.header(HeaderName::P_CALLED_PARTY_ID),
        Some("<sip:bob@ims.test>")
    );
    assert!(got.header(HeaderName::P_SERVED_USER).is_none());

    // 180 and 200 back to alice's side.
    let bob_contact = format!("sip:bob@{bob_ue}");
    term.send_to(&response(&got, 180, "b1", Some(&bob_contact)), scscf)
        .await
        .unwrap();
    let (ringing, _) = recv(&orig).await;
    assert_eq!(ringing.status(), Some(StatusCode::RINGING));
    term.send_to(&response(&got, 200, "b1", Some(&bob_contact)), scscf)
        .await
        .unwrap();
    let (ok, _) = recv(&orig).await;
    assert_eq!(ok.status(), Some(StatusCode::OK));
    assert_eq!(record_routes(&ok), vec![format!("<sip:{scscf};lr>")]);
    let shared = lab.scscf.shared();
    for _ in 0..100 {
        if shared.sessions.dialogs.get("call-1").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let record = shared
        .sessions
        .dialogs
        .get("call-1")
        .expect("dialog record");
    assert_eq!(record.served_user, "sip:alice@ims.test");

    // ACK and BYE in the dialog: Route set = our Record-Route, then bob's P-CSCF.
    let in_dialog = |method: &str, cseq: u32| {
        format!(
            "{method} {bob_contact} SIP/2.0\r\nVia: SIP/2.0/UDP {orig_addr};branch=z9hG4bK-{method}-1\r\n\
             Route: <sip:{scscf};lr>, <sip:term@{term_addr};lr>\r\nMax-Forwards: 70\r\n\
             From: <sip:alice@ims.test>;tag=f-call-1\r\nTo: <sip:bob@ims.test>;tag=b1\r\n\
             Call-ID: call-1\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
        )
    };
    orig.send_to(in_dialog("ACK", 1).as_bytes(), scscf)
        .await
        .unwrap();
    let (ack, _) = recv(&term).await;
    assert_eq!(ack.method(), Some(&Method::ACK));
    assert_eq!(routes(&ack), vec![format!("<sip:term@{term_addr};lr>")]);
    orig.send_to(in_dialog("BYE", 2).as_bytes(), scscf)
        .await
        .unwrap();
    let (bye, _) = recv(&term).await;
    assert_eq!(bye.method(), Some(&Method::BYE));
    assert_eq!(bye.request_uri(), Some(bob_contact.as_str()));
    term.send_to(&response(&bye, 200, "b1", None), scscf)
        .await
        .unwrap();
    let (bye_ok, _) = recv(&orig).await;
    assert_eq!(bye_ok.status(), Some(StatusCode::OK));
    assert!(
        shared.sessions.dialogs.get("call-1").is_none(),
        "BYE closed it"
    );
    lab.stop().await;
}

/// A MESSAGE from alice reaches bob's P-CSCF; its 200 comes back.
#[tokio::test]
async fn message_alice_to_bob() {
    let lab = start(None).await;
    let (orig, orig_addr) = udp().await;
    let (term, term_addr) = udp().await;
    let (_ue, bob_ue) = udp().await;
    lab.register("alice", &orig, "127.0.0.1:40001".parse().unwrap())
        .await;
    lab.register("bob", &term, bob_ue).await;
    let m = request(
        "MESSAGE",
        "sip:bob@ims.test",
        "sip:alice@ims.test",
        orig_addr,
        lab.addr,
        "msg-1",
        true,
    );
    orig.send_to(m.as_bytes(), lab.addr).await.unwrap();
    let (got, _) = recv(&term).await;
    assert_eq!(got.method(), Some(&Method::MESSAGE));
    assert_eq!(
        got.request_uri(),
        Some(format!("sip:bob@{bob_ue}").as_str())
    );
    assert_eq!(got.body(), b"hello");
    assert_eq!(routes(&got), vec![format!("<sip:term@{term_addr};lr>")]);
    assert!(record_routes(&got).is_empty(), "MESSAGE forms no dialog");
    term.send_to(&response(&got, 200, "m1", None), lab.addr)
        .await
        .unwrap();
    let (ok, _) = recv(&orig).await;
    assert_eq!(ok.status(), Some(StatusCode::OK));
    lab.stop().await;
}

/// carol is known but not registered: 480; an unknown user: 404; an originating request from
/// a user who is not registered here: 403. A terminating INVITE from the I-CSCF (no `orig`
/// Route) reaches bob.
#[tokio::test]
async fn unregistered_unknown_and_terminating_from_icscf() {
    let lab = start(None).await;
    let (orig, orig_addr) = udp().await;
    let (term, term_addr) = udp().await;
    let (_ue, bob_ue) = udp().await;
    lab.register("alice", &orig, "127.0.0.1:40001".parse().unwrap())
        .await;
    lab.register("bob", &term, bob_ue).await;
    let cases = [
        ("sip:carol@ims.test", "sip:alice@ims.test", "c-1", 480),
        ("sip:unknown@ims.test", "sip:alice@ims.test", "c-2", 404),
        ("sip:bob@ims.test", "sip:carol@ims.test", "c-3", 403),
        ("sip:bob@other.test", "sip:alice@ims.test", "c-4", 404),
        ("tel:+15550100", "sip:alice@ims.test", "c-5", 404),
    ];
    for (ruri, from, call, status) in cases {
        let m = request("INVITE", ruri, from, orig_addr, lab.addr, call, true);
        orig.send_to(m.as_bytes(), lab.addr).await.unwrap();
        let (answer, _) = recv(&orig).await;
        assert_eq!(
            answer.status().map(|s| s.0),
            Some(status),
            "{ruri} from {from}"
        );
        let ack = format!(
            "ACK {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {orig_addr};branch=z9hG4bK-{call}\r\n\
             Max-Forwards: 70\r\nFrom: <{from}>;tag=f-{call}\r\nTo: <{ruri}>;tag={}\r\n\
             Call-ID: {call}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
            answer.to().unwrap().tag().unwrap()
        );
        orig.send_to(ack.as_bytes(), lab.addr).await.unwrap();
    }
    // OPTIONS to the S-CSCF itself: 200.
    let options = format!(
        "OPTIONS sip:{scscf} SIP/2.0\r\nVia: SIP/2.0/UDP {orig_addr};branch=z9hG4bK-opt\r\n\
         Max-Forwards: 70\r\nFrom: <sip:pcscf.ims.test>;tag=o\r\nTo: <sip:{scscf}>\r\n\
         Call-ID: opt-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
        scscf = lab.addr
    );
    orig.send_to(options.as_bytes(), lab.addr).await.unwrap();
    let (pong, _) = recv(&orig).await;
    assert_eq!(pong.status(), Some(StatusCode::OK));
    assert_eq!(pong.call_id().unwrap(), "opt-1");

    // From the I-CSCF: no Route, terminating for bob.
    let (icscf, icscf_addr) = udp().await;
    let m = request(
        "INVITE",
        "sip:bob@ims.test",
        "sip:alice@ims.test",
        icscf_addr,
        lab.addr,
        "t-1",
        false,
    );
    icscf.send_to(m.as_bytes(), lab.addr).await.unwrap();
    let (got, _) = recv(&term).await;
    assert_eq!(routes(&got), vec![format!("<sip:term@{term_addr};lr>")]);
    assert_eq!(
        got.request_uri(),
        Some(format!("sip:bob@{bob_ue}").as_str())
    );
    assert_eq!(
        got.header(HeaderName::P_CALLED_PARTY_ID),
        Some("<sip:bob@ims.test>")
    );
    lab.stop().await;
}

/// alice's originating iFC sends her INVITE to an AS with our ODI Route; the AS proxies it
/// back; it then reaches bob, and the responses come back through the AS.
#[tokio::test]
async fn originating_ifc_routes_through_the_application_server() {
    let lab = start(None).await;
    let (orig, orig_addr) = udp().await;
    let (term, term_addr) = udp().await;
    let (asock, as_addr) = udp().await;
    let (_ue, bob_ue) = udp().await;
    lab.provision_ifcs(
        "alice",
        "alice-as",
        &ifc(1, "INVITE", 0, &format!("sip:{as_addr}"), 0),
    )
    .await;
    lab.register("alice", &orig, "127.0.0.1:40001".parse().unwrap())
        .await;
    lab.register("bob", &term, bob_ue).await;
    let scscf = lab.addr;
    let invite = request(
        "INVITE",
        "sip:bob@ims.test",
        "sip:alice@ims.test",
        orig_addr,
        scscf,
        "as-1",
        true,
    );
    orig.send_to(invite.as_bytes(), scscf).await.unwrap();

    let (at_as, _) = recv(&asock).await;
    let r = routes(&at_as);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[0], format!("<sip:{as_addr};lr>"));
    assert!(
        r[1].starts_with("<sip:odi-") && r[1].ends_with(&format!("@{scscf};lr>")),
        "{}",
        r[1]
    );
    assert_eq!(
        at_as.header(HeaderName::P_SERVED_USER),
        Some("<sip:alice@ims.test>;sescase=orig;regstate=reg")
    );
    assert_eq!(record_routes(&at_as), vec![format!("<sip:{scscf};lr>")]);
    proxy_on(&asock, as_addr, &at_as, scscf).await;

    let (got, _) = recv(&term).await;
    assert_eq!(
        got.request_uri(),
        Some(format!("sip:bob@{bob_ue}").as_str())
    );
    assert_eq!(routes(&got), vec![format!("<sip:term@{term_addr};lr>")]);
    assert!(got.header(HeaderName::P_SERVED_USER).is_none());
    assert_eq!(record_routes(&got).len(), 2, "both passes Record-Route");

    term.send_to(&response(&got, 486, "b1", None), scscf)
        .await
        .unwrap();
    // The response goes S-CSCF (second pass) -> AS -> S-CSCF (first pass) -> alice.
    let (at_as, _) = recv(&asock).await;
    assert_eq!(at_as.status(), Some(StatusCode(486)));
    relay_response(&asock, &at_as).await;
    let (busy, _) = recv(&orig).await;
    assert_eq!(busy.status(), Some(StatusCode(486)));
    lab.stop().await;
}

/// An AS that fails (500): with SESSION_CONTINUED the next step runs (the INVITE reaches
/// bob); with SESSION_TERMINATED the error goes back to alice.
#[tokio::test]
async fn application_server_failure_and_default_handling() {
    let lab = start(None).await;
    let (orig, orig_addr) = udp().await;
    let (term, term_addr) = udp().await;
    let (asock, as_addr) = udp().await;
    let (_ue, bob_ue) = udp().await;
    let server = format!("sip:{as_addr}");
    lab.provision_ifcs("alice", "alice-as", &ifc(1, "INVITE", 0, &server, 0))
        .await;
    lab.provision_ifcs("carol", "carol-as", &ifc(1, "INVITE", 0, &server, 1))
        .await;
    lab.register("alice", &orig, "127.0.0.1:40001".parse().unwrap())
        .await;
    lab.register("carol", &orig, "127.0.0.1:40003".parse().unwrap())
        .await;
    lab.register("bob", &term, bob_ue).await;
    let scscf = lab.addr;

    // SESSION_CONTINUED.
    let invite = request(
        "INVITE",
        "sip:bob@ims.test",
        "sip:alice@ims.test",
        orig_addr,
        scscf,
        "dh-1",
        true,
    );
    orig.send_to(invite.as_bytes(), scscf).await.unwrap();
    let (at_as, _) = recv(&asock).await;
    asock
        .send_to(&response(&at_as, 500, "as", None), scscf)
        .await
        .unwrap();
    let (got, _) = recv(&term).await;
    assert_eq!(got.method(), Some(&Method::INVITE));
    assert_eq!(
        got.request_uri(),
        Some(format!("sip:bob@{bob_ue}").as_str())
    );
    assert_eq!(routes(&got), vec![format!("<sip:term@{term_addr};lr>")]);
    term.send_to(&response(&got, 486, "b1", None), scscf)
        .await
        .unwrap();
    // The 486 travels back through our own failover hop to alice.
    let (busy, _) = loop {
        let (m, from) = recv(&orig).await;
        if m.status().is_some() {
            break (m, from);
        }
    };
    assert_eq!(busy.status(), Some(StatusCode(486)));

    // SESSION_TERMINATED.
    let invite = request(
        "INVITE",
        "sip:bob@ims.test",
        "sip:carol@ims.test",
        orig_addr,
        scscf,
        "dh-2",
        true,
    );
    orig.send_to(invite.as_bytes(), scscf).await.unwrap();
    let (at_as, _) = loop {
        let (m, from) = recv(&asock).await;
        if m.method() == Some(&Method::INVITE) {
            break (m, from);
        }
    };
    assert_eq!(at_as.call_id().unwrap(), "dh-2");
    asock
        .send_to(&response(&at_as, 500, "as", None), scscf)
        .await
        .unwrap();
    let (failed, _) = recv(&orig).await;
    assert_eq!(failed.status(), Some(StatusCode::SERVER_INTERNAL_ERROR));
    assert!(
        quiet(&term, "INVITE", "dh-2", 300).await,
        "bob is not called"
    );
    lab.stop().await;
}

/// bob registers through the registrar; the AS whose iFC matches REGISTER receives our
/// third-party REGISTER with the UE's REGISTER as message/sip body.
#[tokio::test]
async fn third_party_register_reaches_the_application_server() {
    let lab = start(None).await;
    let (asock, as_addr) = udp().await;
    let (pcscf, _) = udp().await;
    let xml = format!(
        "<InitialFilterCriteria><Priority>0</Priority><TriggerPoint>\
         <ConditionTypeCNF>0</ConditionTypeCNF>\
         <SPT><ConditionNegated>0</ConditionNegated><Group>0</Group><Method>REGISTER</Method></SPT>\
         </TriggerPoint><ApplicationServer><ServerName>sip:{as_addr}</ServerName>\
         <DefaultHandling>0</DefaultHandling><Extension><IncludeRegisterRequest/></Extension>\
         </ApplicationServer></InitialFilterCriteria>"
    );
    lab.provision_ifcs("bob", "bob-reg", &xml).await;
    lab.register("bob", &pcscf, "127.0.0.1:40002".parse().unwrap())
        .await;
    let (got, _) = recv(&asock).await;
    assert_eq!(got.method(), Some(&Method::REGISTER));
    assert_eq!(got.request_uri(), Some(format!("sip:{as_addr}").as_str()));
    assert_eq!(got.to().unwrap().uri, "sip:bob@ims.test");
    assert_eq!(got.from().unwrap().uri, session_lab::SCSCF_NAME);
    assert_eq!(
        got.header(HeaderName::CONTACT),
        Some("<sip:scscf.ims.test:5080>")
    );
    let expires: u32 = got.header(HeaderName::EXPIRES).unwrap().parse().unwrap();
    assert!((590..=600).contains(&expires), "{expires}");
    assert_eq!(got.header(HeaderName::CONTENT_TYPE), Some("message/sip"));
    let inner = Message::parse(Bytes::copy_from_slice(got.body())).unwrap();
    assert_eq!(inner.method(), Some(&Method::REGISTER));
    assert!(inner.header(HeaderName::AUTHORIZATION).is_some());
    asock
        .send_to(&response(&got, 200, "as", None), lab.addr)
        .await
        .unwrap();

    // A re-registration: the same third-party registration (Call-ID), the next CSeq.
    lab.register("bob", &pcscf, "127.0.0.1:40002".parse().unwrap())
        .await;
    let (again, _) = recv(&asock).await;
    assert_eq!(again.method(), Some(&Method::REGISTER));
    assert_eq!(again.call_id().unwrap(), got.call_id().unwrap());
    assert_eq!(again.cseq().unwrap().seq, got.cseq().unwrap().seq + 1);
    asock
        .send_to(&response(&again, 200, "as", None), lab.addr)
        .await
        .unwrap();
    lab.stop().await;
}

/// After a restart the profile is gone but the binding is stored: an originating request
/// restores the profile from the HSS (SAR NO_ASSIGNMENT) instead of refusing it.
#[tokio::test]
async fn profile_restored_after_restart() {
    let lab = start(None).await;
    let (orig, _) = udp().await;
    let (term, term_addr) = udp().await;
    let (_ue, alice_ue) = udp().await;
    lab.register("bob", &orig, "127.0.0.1:40002".parse().unwrap())
        .await;
    lab.register("alice", &term, alice_ue).await;
    let shared = lab.scscf.shared();
    assert!(shared.profiles.remove("sip:bob@ims.test").is_some());
    let m = request(
        "MESSAGE",
        "sip:alice@ims.test",
        "sip:bob@ims.test",
        orig.local_addr().unwrap(),
        lab.addr,
        "restore-1",
        true,
    );
    orig.send_to(m.as_bytes(), lab.addr).await.unwrap();
    let (got, _) = recv(&term).await;
    assert_eq!(
        got.request_uri(),
        Some(format!("sip:alice@{alice_ue}").as_str())
    );
    assert_eq!(routes(&got), vec![format!("<sip:term@{term_addr};lr>")]);
    assert!(
        shared.profiles.get("sip:bob@ims.test").is_some(),
        "cached again"
    );
    lab.stop().await;
}

/// bob's terminating iFC sends the INVITE to his AS (P-Served-User sescase=term) before it
/// reaches him.
#[tokio::test]
async fn terminating_ifc_routes_through_the_application_server() {
    let lab = start(None).await;
    let (orig, _) = udp().await;
    let (term, term_addr) = udp().await;
    let (asock, as_addr) = udp().await;
    let (_ue, bob_ue) = udp().await;
    lab.provision_ifcs(
        "bob",
        "bob-term",
        &ifc(5, "INVITE", 1, &format!("sip:{as_addr}"), 0),
    )
    .await;
    lab.register("alice", &orig, "127.0.0.1:40001".parse().unwrap())
        .await;
    lab.register("bob", &term, bob_ue).await;
    let m = request(
        "INVITE",
        "sip:bob@ims.test",
        "sip:alice@ims.test",
        orig.local_addr().unwrap(),
        lab.addr,
        "term-as-1",
        true,
    );
    orig.send_to(m.as_bytes(), lab.addr).await.unwrap();
    let (at_as, _) = recv(&asock).await;
    assert_eq!(at_as.request_uri(), Some("sip:bob@ims.test"));
    assert_eq!(
        at_as.header(HeaderName::P_SERVED_USER),
        Some("<sip:bob@ims.test>;sescase=term;regstate=reg")
    );
    proxy_on(&asock, as_addr, &at_as, lab.addr).await;
    let (got, _) = recv(&term).await;
    assert_eq!(
        got.request_uri(),
        Some(format!("sip:bob@{bob_ue}").as_str())
    );
    assert_eq!(routes(&got), vec![format!("<sip:term@{term_addr};lr>")]);
    assert_eq!(
        got.header(HeaderName::P_CALLED_PARTY_ID),
        Some("<sip:bob@ims.test>")
    );
    lab.stop().await;
}

/// With `scscf.icscf` set, an originating INVITE to a home user this S-CSCF does not serve
/// goes to the I-CSCF, Request-URI unchanged, with a Route to it and our Record-Route.
#[tokio::test]
async fn home_user_served_elsewhere_goes_to_the_icscf() {
    let (icscf, icscf_addr) = udp().await;
    let lab = start(Some(format!("sip:{icscf_addr}"))).await;
    let (orig, orig_addr) = udp().await;
    lab.register("alice", &orig, "127.0.0.1:40001".parse().unwrap())
        .await;
    let m = request(
        "INVITE",
        "sip:carol@ims.test",
        "sip:alice@ims.test",
        orig_addr,
        lab.addr,
        "to-icscf-1",
        true,
    );
    orig.send_to(m.as_bytes(), lab.addr).await.unwrap();
    let (got, from) = recv(&icscf).await;
    assert_eq!(from, lab.addr);
    assert_eq!(got.request_uri(), Some("sip:carol@ims.test"));
    assert_eq!(routes(&got), vec![format!("<sip:{icscf_addr};lr>")]);
    assert_eq!(record_routes(&got), vec![format!("<sip:{};lr>", lab.addr)]);
    assert!(got.header(HeaderName::P_CALLED_PARTY_ID).is_none());
    lab.stop().await;
}
