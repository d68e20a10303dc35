//! The S-CSCF's registrar and session edges against the whole lab (127.0.7.0/24), over real
//! sockets: a refused authentication is reported to the HSS (SAR AUTHENTICATION_FAILURE,
//! TS 29.228 §6.1.2), an application server originates for an unregistered user (session
//! case ORIGINATING_UNREGISTERED, TS 24.229 §5.4.3.2), and a failed third-party REGISTER to
//! an AS with SESSION_TERMINATED de-registers the user (TS 24.229 §5.4.1.7).
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use ims_e2e::Credentials;
use ims_store::{RegistrationState, ServiceProfile};
use sip_types::{HeaderName, Message, Method, StatusCode};
use tokio::net::UdpSocket;

mod common;
use common::Bed;

/// The S-CSCF's Server-Name in the lab (roles/config/scscf.toml).
const SCSCF_NAME: &str = "sip:scscf.ims.test:5080";

/// The HSS's record of `impu`: (state, assigned S-CSCF).
async fn hss_state(bed: &Bed, impu: &str) -> (RegistrationState, Option<String>) {
    let reg = bed
        .lab()
        .hss
        .hss()
        .store()
        .registration(impu)
        .await
        .unwrap();
    (reg.state, reg.scscf_name)
}

/// Waits (at most 3 s) until the HSS's record of `impu` is `want`; returns the last one seen.
async fn hss_state_becomes(
    bed: &Bed,
    impu: &str,
    want: (RegistrationState, Option<String>),
) -> (RegistrationState, Option<String>) {
    let mut seen = hss_state(bed, impu).await;
    for _ in 0..30 {
        if seen == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        seen = hss_state(bed, impu).await;
    }
    seen
}

/// Gives `name`'s public identity a service profile of its own holding `ifc_xml`.
async fn set_profile(bed: &Bed, name: &str, ifc_xml: String) {
    let store = bed.lab().hss.hss().store();
    let id = format!("{name}-services");
    store
        .put_service_profile(&ServiceProfile {
            id: id.clone(),
            ifc_xml,
        })
        .await
        .unwrap();
    let mut public = store
        .find_public(&format!("sip:{name}@ims.test"))
        .await
        .unwrap()
        .unwrap();
    public.service_profile = id;
    store.put_public(&public).await.unwrap();
}

/// One iFC: `method` in `session_case` goes to `as_addr` with `default_handling`.
fn ifc(
    method: &str,
    session_case: Option<u8>,
    as_addr: SocketAddr,
    default_handling: u8,
) -> String {
    let case = session_case
        .map(|c| {
            format!(
                "<SPT><ConditionNegated>0</ConditionNegated><Group>0</Group>\
                 <SessionCase>{c}</SessionCase></SPT>"
            )
        })
        .unwrap_or_default();
    format!(
        "<ServiceProfile><InitialFilterCriteria><Priority>1</Priority><TriggerPoint>\
         <ConditionTypeCNF>0</ConditionTypeCNF>\
         <SPT><ConditionNegated>0</ConditionNegated><Group>0</Group><Method>{method}</Method></SPT>\
         {case}</TriggerPoint><ApplicationServer><ServerName>sip:{as_addr}</ServerName>\
         <DefaultHandling>{default_handling}</DefaultHandling></ApplicationServer>\
         </InitialFilterCriteria></ServiceProfile>"
    )
}

fn scscf_udp(bed: &Bed) -> SocketAddr {
    bed.lab()
        .scscf
        .sip_listeners()
        .into_iter()
        .find(|(t, _)| *t == sip_proto::Transport::Udp)
        .map(|(_, a)| a)
        .unwrap()
}

/// The next message on `socket` other than 100 Trying (within [`ims_e2e::WAIT`]).
async fn next(socket: &UdpSocket) -> Message {
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, _) = tokio::time::timeout(ims_e2e::WAIT, socket.recv_from(&mut buf))
            .await
            .expect("a message within WAIT")
            .unwrap();
        let msg = Message::parse(Bytes::copy_from_slice(&buf[..n])).unwrap();
        if msg.status() != Some(StatusCode::TRYING) {
            return msg;
        }
    }
}

/// A response to `request` with `status` (RFC 3261 §8.2.6: Via, From, To with a tag,
/// Call-ID and CSeq copied).
fn response_to(request: &Message, status: u16) -> String {
    let mut out = format!(
        "SIP/2.0 {status} {}\r\n",
        StatusCode(status).canonical_reason()
    );
    for v in request.header_values(HeaderName::VIA) {
        out.push_str(&format!("Via: {}\r\n", v.text));
    }
    for (name, header) in [("From", HeaderName::FROM), ("Call-ID", HeaderName::CALL_ID)] {
        out.push_str(&format!("{name}: {}\r\n", request.header(header).unwrap()));
    }
    out.push_str(&format!(
        "To: {};tag=as{status}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        request.header(HeaderName::TO).unwrap(),
        request.header(HeaderName::CSEQ).unwrap()
    ));
    out
}

/// A request an application server originates towards the S-CSCF for `served` (TS 24.229
/// §5.7.3): `route` is the Route value naming the S-CSCF.
fn as_request(from: SocketAddr, route: &str, served: &str, target: &str, tag: &str) -> String {
    format!(
        "INVITE {target} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from};branch=z9hG4bK{tag};rport\r\n\
         Max-Forwards: 70\r\n\
         Route: {route}\r\n\
         P-Asserted-Identity: <{served}>\r\n\
         From: <{served}>;tag={tag}\r\n\
         To: <{target}>\r\n\
         Call-ID: {tag}@{from}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:as@{from}>\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentication_clears_the_hss_assignment_of_an_unregistered_user() {
    let bed = Bed::start(IpAddr::from([127, 0, 7, 1]), "e2e-registrar").await;
    let carol = "sip:carol@ims.test";
    assert_eq!(
        hss_state(&bed, carol).await,
        (RegistrationState::NotRegistered, None)
    );
    let mut mallory = bed
        .ue("carol", Credentials::Password("not-her-secret".into()))
        .await;
    // Initial REGISTER, then two wrong answers: each gets a fresh challenge.
    let first = mallory.register_answering(600, "MD5", 2).await.unwrap();
    assert_eq!(first.status(), Some(StatusCode::UNAUTHORIZED), "{first:?}");
    // The MAR stored our name at the HSS.
    assert_eq!(
        hss_state(&bed, carol).await,
        (RegistrationState::NotRegistered, Some(SCSCF_NAME.into()))
    );
    // The third wrong answer: 403, and the HSS is told (SAR AUTHENTICATION_FAILURE).
    let refused = mallory.register(600, "MD5").await.unwrap();
    assert_eq!(refused.status(), Some(StatusCode::FORBIDDEN), "{refused:?}");
    assert_eq!(bed.bindings(carol).await, 0);
    assert_eq!(
        hss_state_becomes(&bed, carol, (RegistrationState::NotRegistered, None)).await,
        (RegistrationState::NotRegistered, None)
    );

    // A registered user's failed re-registration leaves the registration and the HSS alone.
    let bob = "sip:bob@ims.test";
    let mut real_bob = bed
        .ue("bob", Credentials::Password("bob-secret".into()))
        .await;
    let ok = real_bob.register(600, "MD5").await.unwrap();
    assert_eq!(ok.status(), Some(StatusCode::OK), "{ok:?}");
    let mut fake_bob = bed.ue("bob", Credentials::Password("wrong".into())).await;
    let refused = fake_bob.register(600, "MD5").await.unwrap();
    assert_eq!(refused.status(), Some(StatusCode::FORBIDDEN), "{refused:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bed.bindings(bob).await, 1);
    assert_eq!(
        hss_state(&bed, bob).await,
        (RegistrationState::Registered, Some(SCSCF_NAME.into()))
    );
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_challenge_clears_the_hss_assignment() {
    let bed = Bed::start_with(IpAddr::from([127, 0, 7, 4]), "e2e-registrar", |c| {
        c.scscf.scscf.auth_vector_timeout_s = 1;
    })
    .await;
    let carol = "sip:carol@ims.test";
    let mut ue = bed
        .ue("carol", Credentials::Password("carol-secret".into()))
        .await;
    let challenged = ue.register_answering(600, "MD5", 0).await.unwrap();
    assert_eq!(
        challenged.status(),
        Some(StatusCode::UNAUTHORIZED),
        "{challenged:?}"
    );
    assert_eq!(
        hss_state(&bed, carol).await,
        (RegistrationState::NotRegistered, Some(SCSCF_NAME.into()))
    );
    // Left unanswered past its lifetime: SAR AUTHENTICATION_TIMEOUT (TS 29.228 §6.1.2) and
    // the HSS forgets the S-CSCF the MAR stored.
    assert_eq!(
        hss_state_becomes(&bed, carol, (RegistrationState::NotRegistered, None)).await,
        (RegistrationState::NotRegistered, None)
    );
    assert_eq!(bed.lab().scscf.shared().auth.in_flight(), 0);
    // The user can still register afterwards.
    let ok = ue.register(600, "MD5").await.unwrap();
    assert_eq!(ok.status(), Some(StatusCode::OK), "{ok:?}");
    assert_eq!(
        hss_state(&bed, carol).await,
        (RegistrationState::Registered, Some(SCSCF_NAME.into()))
    );
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_server_originates_for_an_unregistered_user() {
    let bed = Bed::start(IpAddr::from([127, 0, 7, 2]), "e2e-registrar").await;
    let scscf = scscf_udp(&bed);
    // The AS that originates, and the AS of carol's originating-unregistered iFC (case 3).
    let originator = UdpSocket::bind((bed.ip, 0)).await.unwrap();
    let from = originator.local_addr().unwrap();
    let app_server = UdpSocket::bind((bed.ip, 0)).await.unwrap();
    let as_addr = app_server.local_addr().unwrap();
    set_profile(&bed, "carol", ifc("INVITE", Some(3), as_addr, 0)).await;
    let mut bob = bed
        .ue("bob", Credentials::Password("bob-secret".into()))
        .await;
    let ok = bob.register(600, "MD5").await.unwrap();
    assert_eq!(ok.status(), Some(StatusCode::OK), "{ok:?}");
    let carol = "sip:carol@ims.test";
    assert_eq!(bed.bindings(carol).await, 0);

    // As a UE's request through the P-CSCF (our Service-Route, no `orig` parameter): refused.
    let service_route = format!("<sip:orig@{scscf};lr>");
    let request = as_request(from, &service_route, carol, "sip:bob@ims.test", "ue1");
    originator.send_to(request.as_bytes(), scscf).await.unwrap();
    let refused = next(&originator).await;
    assert_eq!(refused.status(), Some(StatusCode::FORBIDDEN), "{refused:?}");

    // An unknown user on behalf of whom an AS originates: 404.
    let on_behalf = format!("<sip:orig@{scscf};lr;orig>");
    let request = as_request(
        from,
        &on_behalf,
        "sip:nobody@ims.test",
        "sip:bob@ims.test",
        "as0",
    );
    originator.send_to(request.as_bytes(), scscf).await.unwrap();
    let unknown = next(&originator).await;
    assert_eq!(unknown.status(), Some(StatusCode::NOT_FOUND), "{unknown:?}");

    // On behalf of carol: SAR UNREGISTERED_USER, her case-3 iFC sends it to the AS.
    let request = as_request(from, &on_behalf, carol, "sip:bob@ims.test", "as1");
    originator.send_to(request.as_bytes(), scscf).await.unwrap();
    let at_as = next(&app_server).await;
    assert_eq!(at_as.method(), Some(&Method::INVITE), "{at_as:?}");
    let served = at_as.header_by_name("P-Served-User").unwrap();
    assert!(
        served.contains(carol)
            && served.contains("sescase=orig")
            && served.contains("regstate=unreg"),
        "{served}"
    );
    assert_eq!(
        hss_state(&bed, carol).await,
        (RegistrationState::Unregistered, Some(SCSCF_NAME.into()))
    );
    // The AS sends it back along the Route it got (its own value popped): on to bob.
    let mut edits = sip_types::Edits::new();
    let top = at_as.header_values(HeaderName::ROUTE).next().unwrap();
    edits.remove_value(&at_as, &top);
    edits.prepend_header(
        &at_as,
        HeaderName::VIA,
        &format!("SIP/2.0/UDP {as_addr};branch=z9hG4bKas1relay"),
    );
    app_server
        .send_to(&edits.apply(&at_as), scscf)
        .await
        .unwrap();
    let at_bob = bob.recv("INVITE at bob").await.unwrap();
    assert_eq!(at_bob.method(), Some(&Method::INVITE), "{at_bob:?}");
    assert!(at_bob
        .header_values(HeaderName::VIA)
        .any(|v| v.text.contains(&as_addr.to_string())));
    bob.send(bob.response(&at_bob, 486, "b1").as_bytes())
        .await
        .unwrap();

    // alice has no originating-unregistered service: her request goes straight on to bob.
    let request = as_request(
        from,
        &on_behalf,
        "sip:alice@ims.test",
        "sip:bob@ims.test",
        "as2",
    );
    originator.send_to(request.as_bytes(), scscf).await.unwrap();
    let mut for_alice = None;
    for _ in 0..5 {
        let msg = bob.recv("alice's INVITE at bob").await.unwrap();
        if msg.method() == Some(&Method::INVITE) && msg.call_id().unwrap().starts_with("as2@") {
            for_alice = Some(msg);
            break;
        }
    }
    let for_alice = for_alice.expect("alice's INVITE reaches bob");
    assert!(!for_alice
        .header_values(HeaderName::VIA)
        .any(|v| v.text.contains(&as_addr.to_string())));
    bob.send(bob.response(&for_alice, 486, "b2").as_bytes())
        .await
        .unwrap();
    let busy = next(&originator).await;
    assert_eq!(busy.status(), Some(StatusCode(486)), "{busy:?}");
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_essential_third_party_register_deregisters_the_user() {
    let bed = Bed::start(IpAddr::from([127, 0, 7, 3]), "e2e-registrar").await;
    let app_server = UdpSocket::bind((bed.ip, 0)).await.unwrap();
    let as_addr = app_server.local_addr().unwrap();
    let bob = "sip:bob@ims.test";
    let mut ue = bed
        .ue("bob", Credentials::Password("bob-secret".into()))
        .await;

    // SESSION_CONTINUED: the AS's error is only logged.
    set_profile(&bed, "bob", ifc("REGISTER", None, as_addr, 0)).await;
    let ok = ue.register(600, "MD5").await.unwrap();
    assert_eq!(ok.status(), Some(StatusCode::OK), "{ok:?}");
    let third_party = next(&app_server).await;
    assert_eq!(third_party.method(), Some(&Method::REGISTER));
    app_server
        .send_to(response_to(&third_party, 500).as_bytes(), scscf_udp(&bed))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bed.bindings(bob).await, 1);
    assert_eq!(
        hss_state(&bed, bob).await,
        (RegistrationState::Registered, Some(SCSCF_NAME.into()))
    );
    let gone = ue.register(0, "MD5").await.unwrap();
    assert_eq!(gone.status(), Some(StatusCode::OK), "{gone:?}");
    let third_party = next(&app_server).await;
    app_server
        .send_to(response_to(&third_party, 200).as_bytes(), scscf_udp(&bed))
        .await
        .unwrap();

    // SESSION_TERMINATED: the AS refuses, the S-CSCF de-registers bob.
    set_profile(&bed, "bob", ifc("REGISTER", None, as_addr, 1)).await;
    let ok = ue.register(600, "MD5").await.unwrap();
    assert_eq!(ok.status(), Some(StatusCode::OK), "{ok:?}");
    assert_eq!(bed.bindings(bob).await, 1);
    let third_party = next(&app_server).await;
    assert_eq!(third_party.method(), Some(&Method::REGISTER));
    app_server
        .send_to(response_to(&third_party, 403).as_bytes(), scscf_udp(&bed))
        .await
        .unwrap();
    // The AS then hears of the de-registration (Expires 0, same registration's Call-ID).
    let dereg = next(&app_server).await;
    assert_eq!(dereg.method(), Some(&Method::REGISTER), "{dereg:?}");
    assert_eq!(dereg.header(HeaderName::EXPIRES), Some("0"), "{dereg:?}");
    assert_eq!(dereg.call_id(), third_party.call_id());
    app_server
        .send_to(response_to(&dereg, 200).as_bytes(), scscf_udp(&bed))
        .await
        .unwrap();
    assert_eq!(
        hss_state_becomes(&bed, bob, (RegistrationState::NotRegistered, None)).await,
        (RegistrationState::NotRegistered, None)
    );
    assert_eq!(bed.bindings(bob).await, 0);
    assert!(bed.lab().scscf.shared().profiles.get(bob).is_none());
    bed.stop().await;
}
