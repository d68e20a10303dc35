//! Terminating requests through the I-CSCF over real UDP sockets, with the real HSS answering
//! the LIR (TS 24.229 §5.3.2.1): to the S-CSCF serving the user, reselection when its name
//! leads nowhere, the refusals, and requests with a Route left.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{answer, recv_from, silent};
use sip_types::{HeaderName, Method, StatusCode};

#[tokio::test]
async fn unregistered_and_unknown_users_are_refused() {
    let lab = common::start().await;
    // carol has no unregistered services (the demo profile has no iFCs): LIA 5003.
    lab.send(&lab.invite("sip:carol@ims.test", "inv1", ""))
        .await;
    let resp = lab.final_response().await;
    assert_eq!(resp.status(), Some(StatusCode::TEMPORARILY_UNAVAILABLE));
    assert_eq!(
        resp.reason(),
        Some("Temporarily Unavailable (not registered)")
    );

    for (ruri, call) in [("sip:nobody@ims.test", "inv2"), ("tel:+4930123456", "inv3")] {
        lab.send(&lab.invite(ruri, call, "")).await;
        let resp = lab.final_response().await;
        assert_eq!(resp.status(), Some(StatusCode::NOT_FOUND), "{ruri}");
        assert_eq!(resp.reason(), Some("Not Found (user unknown)"));
    }
    assert!(silent(&lab.scscfs[0].socket, Duration::from_millis(100)).await);
    lab.stop().await;
}

#[tokio::test]
async fn invite_to_a_registered_user_reaches_its_scscf() {
    let lab = common::start_with(2, "[1]").await;
    let name = lab.scscfs[1].name.clone();
    lab.register_at_hss("bob@ims.test", "sip:bob@ims.test", &name)
        .await;
    lab.send(&lab.invite("sip:bob@ims.test;transport=udp", "inv4", ""))
        .await;
    let scscf = &lab.scscfs[1].socket;
    let (got, from) = recv_from(scscf).await;
    assert_eq!(got.method(), Some(&Method::INVITE));
    assert_eq!(
        got.request_uri(),
        Some("sip:bob@ims.test;transport=udp"),
        "R-URI unchanged"
    );
    assert!(
        got.header(HeaderName::RECORD_ROUTE).is_none(),
        "never record-routes"
    );
    answer(scscf, &got, StatusCode(486), from).await;
    assert_eq!(lab.final_response().await.status(), Some(StatusCode(486)));
    assert!(silent(&lab.scscfs[0].socket, Duration::from_millis(50)).await);
    lab.stop().await;
}

#[tokio::test]
async fn unresolvable_server_name_is_reselected_by_capabilities() {
    let lab = common::start().await;
    lab.register_at_hss("bob@ims.test", "sip:bob@ims.test", "sip:gone.ims.test:5999")
        .await;
    lab.send(&lab.invite("sip:bob@ims.test", "inv5", "")).await;
    let (got, from) = recv_from(&lab.scscfs[0].socket).await;
    assert_eq!(got.call_id().unwrap(), "inv5");
    answer(&lab.scscfs[0].socket, &got, StatusCode(486), from).await;
    assert_eq!(lab.final_response().await.status(), Some(StatusCode(486)));
    lab.stop().await;
}

#[tokio::test]
async fn a_route_left_is_followed_without_asking_the_hss() {
    let lab = common::start_with(2, "[1]").await;
    let next = lab.scscfs[1].socket.local_addr().unwrap();
    let from = lab.pcscf.local_addr().unwrap();
    // Our own Route value is popped, the next one is followed; nobody is a user the HSS knows.
    let message = format!(
        "MESSAGE sip:nobody@elsewhere.test SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from};branch=z9hG4bK-msg1;rport\r\n\
         Max-Forwards: 70\r\nRoute: <sip:icscf.ims.test;lr>, <sip:{next};lr>\r\n\
         From: <sip:alice@ims.test>;tag=m\r\nTo: <sip:nobody@elsewhere.test>\r\n\
         Call-ID: msg1\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n"
    );
    lab.send(&message).await;
    let (got, _) = recv_from(&lab.scscfs[1].socket).await;
    assert_eq!(got.method(), Some(&Method::MESSAGE));
    assert_eq!(
        got.header(HeaderName::ROUTE),
        Some(format!("<sip:{next};lr>").as_str())
    );
    answer(&lab.scscfs[1].socket, &got, StatusCode(202), lab.icscf_addr).await;
    assert_eq!(lab.final_response().await.status(), Some(StatusCode(202)));
    lab.stop().await;
}

#[tokio::test]
async fn stray_in_dialog_request_goes_to_its_request_uri_or_404() {
    let lab = common::start().await;
    let peer = lab.scscfs[0].socket.local_addr().unwrap();
    let from = lab.pcscf.local_addr().unwrap();
    let bye = |ruri: &str, call: &str| {
        format!(
            "BYE {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bK-{call};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:alice@ims.test>;tag=a\r\n\
             To: <sip:bob@ims.test>;tag=b\r\nCall-ID: {call}\r\nCSeq: 2 BYE\r\n\
             Content-Length: 0\r\n\r\n"
        )
    };
    lab.send(&bye(&format!("sip:bob@{peer}"), "bye1")).await;
    let (got, _) = recv_from(&lab.scscfs[0].socket).await;
    assert_eq!(got.method(), Some(&Method::BYE));
    answer(&lab.scscfs[0].socket, &got, StatusCode::OK, lab.icscf_addr).await;
    assert_eq!(lab.final_response().await.status(), Some(StatusCode::OK));

    lab.send(&bye("sip:bob@nowhere.test", "bye2")).await;
    assert_eq!(
        lab.final_response().await.status(),
        Some(StatusCode::NOT_FOUND)
    );
    lab.stop().await;
}

#[tokio::test]
async fn options_for_the_node_is_answered_without_the_hss() {
    let mut lab = common::start().await;
    // With the HSS gone an LIR would fail: the 200 comes from the I-CSCF itself.
    lab.hss_node.take().unwrap().shutdown().await;
    let from = lab.pcscf.local_addr().unwrap();
    let options = format!(
        "OPTIONS sip:icscf.ims.test SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bK-opt1;rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:probe@edge.ims.test>;tag=p\r\n\
         To: <sip:icscf.ims.test>\r\nCall-ID: opt1\r\nCSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    );
    lab.send(&options).await;
    assert_eq!(lab.final_response().await.status(), Some(StatusCode::OK));
    lab.stop().await;
}
