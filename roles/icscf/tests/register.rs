//! REGISTER through the I-CSCF over real UDP sockets, with the real HSS answering the UAR:
//! to the S-CSCF the HSS names or one selected by capabilities, failover to the next suitable
//! S-CSCF, and the refusals of TS 24.229 §5.3.1.2.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{answer, recv_from, silent};
use sip_types::{HeaderName, Method, StatusCode};

#[tokio::test]
async fn register_reaches_the_selected_scscf_and_the_answer_comes_back() {
    let lab = common::start().await;
    lab.send(&lab.register("alice", "reg1", "")).await;
    let scscf = &lab.scscfs[0].socket;
    let (got, from) = recv_from(scscf).await;
    assert_eq!(got.method(), Some(&Method::REGISTER));
    assert_eq!(got.request_uri(), Some("sip:ims.test"), "R-URI unchanged");
    assert_eq!(from, lab.icscf_addr);
    let vias: Vec<_> = got.header_values(HeaderName::VIA).collect();
    assert_eq!(vias.len(), 2, "our Via on top of the P-CSCF's");
    assert!(vias[0].text.contains(&lab.icscf_addr.to_string()));
    assert!(
        got.header(HeaderName::RECORD_ROUTE).is_none(),
        "never record-routes"
    );
    assert_eq!(
        got.header(HeaderName::PATH),
        Some("<sip:term@pcscf.ims.test;lr>")
    );
    assert_eq!(got.max_forwards().unwrap(), Some(68));

    answer(scscf, &got, StatusCode::UNAUTHORIZED, lab.icscf_addr).await;
    let resp = lab.final_response().await;
    assert_eq!(resp.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(resp.call_id().unwrap(), "reg1");
    lab.stop().await;
}

#[tokio::test]
async fn unknown_user_and_mismatched_identities_are_forbidden() {
    let lab = common::start().await;
    lab.send(&lab.register("nobody", "reg2", "")).await;
    let resp = lab.final_response().await;
    assert_eq!(resp.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(resp.reason(), Some("Forbidden (user unknown)"));

    // alice's private identity registering bob's public one: 5002.
    let auth = "Authorization: Digest username=\"alice@ims.test\", realm=\"ims.test\", \
                nonce=\"\", uri=\"sip:ims.test\", response=\"\"\r\n";
    lab.send(&lab.register("bob", "reg3", auth)).await;
    let resp = lab.final_response().await;
    assert_eq!(resp.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(resp.reason(), Some("Forbidden (identities don't match)"));
    assert!(silent(&lab.scscfs[0].socket, Duration::from_millis(100)).await);
    lab.stop().await;
}

#[tokio::test]
async fn failed_scscf_fails_over_to_the_next_suitable_one() {
    let lab = common::start_with(2, "[1]").await;
    lab.send(&lab.register("alice", "reg4", "")).await;
    // The S-CSCF the HSS names comes first; it is out of service.
    let (first, _) = recv_from(&lab.scscfs[0].socket).await;
    answer(
        &lab.scscfs[0].socket,
        &first,
        StatusCode::SERVICE_UNAVAILABLE,
        lab.icscf_addr,
    )
    .await;
    let (second, _) = recv_from(&lab.scscfs[1].socket).await;
    assert_eq!(second.method(), Some(&Method::REGISTER));
    assert_eq!(second.call_id().unwrap(), "reg4");
    answer(
        &lab.scscfs[1].socket,
        &second,
        StatusCode::OK,
        lab.icscf_addr,
    )
    .await;
    assert_eq!(lab.final_response().await.status(), Some(StatusCode::OK));
    lab.stop().await;
}

#[tokio::test]
async fn no_failover_to_an_scscf_without_the_mandatory_capability() {
    // The second S-CSCF offers capability 2 only; the demo users need 1.
    let lab = common::start_with(2, "[2]").await;
    lab.send(&lab.register("alice", "reg5", "")).await;
    let (first, _) = recv_from(&lab.scscfs[0].socket).await;
    answer(
        &lab.scscfs[0].socket,
        &first,
        StatusCode::SERVICE_UNAVAILABLE,
        lab.icscf_addr,
    )
    .await;
    // A 503 is not relayed as such (RFC 3261 §16.7 step 6): the proxy core answers 500.
    assert_eq!(
        lab.final_response().await.status(),
        Some(StatusCode::SERVER_INTERNAL_ERROR)
    );
    assert!(silent(&lab.scscfs[1].socket, Duration::from_millis(100)).await);
    lab.stop().await;
}

#[tokio::test]
async fn registered_user_goes_to_its_scscf_and_deregistration_too() {
    let lab = common::start_with(2, "[1]").await;
    // Not registered: a de-registration is refused (UAR DE_REGISTRATION → 5003).
    let dereg = "Expires: 0\r\n";
    lab.send(
        &lab.register("bob", "reg6", dereg)
            .replace(";expires=600", ""),
    )
    .await;
    let resp = lab.final_response().await;
    assert_eq!(resp.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(resp.reason(), Some("Forbidden (identity not registered)"));

    // bob registered at the second S-CSCF: re-registration (2002) and de-registration go there.
    let name = lab.scscfs[1].name.clone();
    lab.register_at_hss("bob@ims.test", "sip:bob@ims.test", &name)
        .await;
    lab.send(&lab.register("bob", "reg7", "")).await;
    let (got, _) = recv_from(&lab.scscfs[1].socket).await;
    assert_eq!(got.call_id().unwrap(), "reg7");
    answer(&lab.scscfs[1].socket, &got, StatusCode::OK, lab.icscf_addr).await;
    assert_eq!(lab.final_response().await.status(), Some(StatusCode::OK));

    lab.send(
        &lab.register("bob", "reg8", dereg)
            .replace(";expires=600", ""),
    )
    .await;
    let (got, _) = recv_from(&lab.scscfs[1].socket).await;
    assert_eq!(got.call_id().unwrap(), "reg8");
    assert!(silent(&lab.scscfs[0].socket, Duration::from_millis(50)).await);
    lab.stop().await;
}

#[tokio::test]
async fn hss_down_answers_480_naming_the_hss() {
    let mut lab = common::start().await;
    lab.hss_node.take().unwrap().shutdown().await;
    lab.send(&lab.register("alice", "reg9", "")).await;
    let resp = lab.final_response().await;
    assert_eq!(resp.status(), Some(StatusCode::TEMPORARILY_UNAVAILABLE));
    let reason = resp.reason().unwrap();
    assert!(reason.contains("HSS"), "{reason}");
    lab.stop().await;
}
