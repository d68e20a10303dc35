//! The P-CSCF over real UDP sockets: a UE registers through it (the test plays the I-CSCF),
//! calls out along its Service-Route (the test plays the S-CSCF), is called through its Path,
//! and de-registers; unregistered UEs and unknown contacts are refused.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ack, answer, invite, recv, recv_from, register, send, socket, start, Lab};
use sip_types::ims::{has_token, ChargingVector};
use sip_types::{HeaderName, Message, Method, StatusCode};
use tokio::net::UdpSocket;

fn parse(text: &str) -> Message {
    Message::parse(bytes::Bytes::from(text.to_owned())).unwrap()
}

/// Register alice from `ue` through the P-CSCF; returns the REGISTER as the I-CSCF saw it.
async fn register_alice(lab: &Lab, ue: &UdpSocket, cseq: u32, expires: u32) -> Message {
    let ue_addr = ue.local_addr().unwrap();
    send(
        ue,
        lab.addr,
        register("alice", ue_addr, "reg-alice", cseq, expires, ""),
    )
    .await;
    let (relayed, _) = recv_from(&lab.icscf).await;
    let scscf = lab.scscf.local_addr().unwrap().port();
    let contact = format!("<sip:alice@{ue_addr}>;expires={expires}");
    let service_route = format!("<sip:orig@scscf.ims.test:{scscf};lr>");
    let ok = if expires > 0 {
        answer(
            &relayed,
            200,
            &[
                ("Contact", contact.as_str()),
                ("Service-Route", service_route.as_str()),
                ("P-Associated-URI", "<sip:alice@ims.test>, <tel:+15550001>"),
                ("P-Charging-Vector", "icid-value=from-core"),
            ],
        )
    } else {
        answer(&relayed, 200, &[])
    };
    send(&lab.icscf, lab.addr, ok).await;
    let got = recv(ue).await;
    assert_eq!(got.status(), Some(StatusCode::OK));
    assert!(got.header(HeaderName::P_CHARGING_VECTOR).is_none());
    relayed
}

#[tokio::test]
async fn register_call_out_called_and_deregister() {
    let lab = start().await;
    let ue = socket().await;
    let ue_addr = ue.local_addr().unwrap();

    // REGISTER: Path, Require, P-Visited-Network-ID and a fresh vector at the I-CSCF; the
    // UE's forged P-Asserted-Identity is gone; a 401 passes through untouched.
    send(
        &ue,
        lab.addr,
        register(
            "alice",
            ue_addr,
            "reg-alice",
            1,
            600,
            "P-Asserted-Identity: <sip:mallory@ims.test>\r\n",
        ),
    )
    .await;
    let (relayed, _) = recv_from(&lab.icscf).await;
    assert_eq!(relayed.request_uri(), Some("sip:ims.test"));
    assert_eq!(
        relayed.header(HeaderName::PATH),
        Some(format!("<sip:term@{};lr>", lab.addr).as_str())
    );
    assert!(has_token(&relayed, HeaderName::REQUIRE, "path"));
    assert!(has_token(&relayed, HeaderName::SUPPORTED, "path"));
    assert_eq!(
        relayed.header(HeaderName::P_VISITED_NETWORK_ID),
        Some("ims.test")
    );
    let pcv =
        ChargingVector::parse(relayed.header(HeaderName::P_CHARGING_VECTOR).unwrap()).unwrap();
    assert!(pcv.icid.starts_with("pcscf.ims.test-"));
    assert_eq!(pcv.orig_ioi, Some("ims.test"));
    assert!(relayed.header(HeaderName::P_ASSERTED_IDENTITY).is_none());
    assert_eq!(relayed.header_values(HeaderName::VIA).count(), 2);
    let challenge =
        "Digest realm=\"ims.test\", nonce=\"n1\", algorithm=AKAv1-MD5, ck=\"00\", ik=\"11\"";
    send(
        &lab.icscf,
        lab.addr,
        answer(&relayed, 401, &[("WWW-Authenticate", challenge)]),
    )
    .await;
    let got = recv(&ue).await;
    assert_eq!(got.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(got.header(HeaderName::WWW_AUTHENTICATE), Some(challenge));
    // Not registered by a 401.
    let early = invite("sip:bob@ims.test", "alice", ue_addr, "early", "");
    send(&ue, lab.addr, &early).await;
    let refused = recv(&ue).await;
    assert_eq!(refused.status(), Some(StatusCode::FORBIDDEN));
    send(&ue, lab.addr, ack(&parse(&early), &refused)).await;

    // The 200 OK registers alice.
    register_alice(&lab, &ue, 2, 600).await;

    // Originating INVITE: P-Asserted-Identity from the preferred identity, the Service-Route
    // as Route, our Record-Route, a vector; sent to the Service-Route hop.
    send(
        &ue,
        lab.addr,
        invite(
            "sip:bob@ims.test",
            "alice",
            ue_addr,
            "call-out",
            &format!(
                "Route: <sip:{};lr>\r\nP-Preferred-Identity: <tel:+15550001>\r\n",
                lab.addr
            ),
        ),
    )
    .await;
    let (out, _) = recv_from(&lab.scscf).await;
    assert_eq!(out.method(), Some(&Method::INVITE));
    assert_eq!(out.request_uri(), Some("sip:bob@ims.test"));
    assert_eq!(
        out.header(HeaderName::P_ASSERTED_IDENTITY),
        Some("<tel:+15550001>")
    );
    assert!(out.header(HeaderName::P_PREFERRED_IDENTITY).is_none());
    let routes: Vec<_> = out
        .header_values(HeaderName::ROUTE)
        .map(|v| v.text.to_owned())
        .collect();
    let scscf_port = lab.scscf.local_addr().unwrap().port();
    assert_eq!(
        routes,
        [format!("<sip:orig@scscf.ims.test:{scscf_port};lr>")]
    );
    assert_eq!(
        out.header(HeaderName::RECORD_ROUTE),
        Some(format!("<sip:{};lr>", lab.addr).as_str())
    );
    assert!(out.header(HeaderName::P_CHARGING_VECTOR).is_some());
    // The answer reaches the UE without the charging headers.
    send(
        &lab.scscf,
        lab.addr,
        answer(
            &out,
            486,
            &[
                ("P-Charging-Vector", "icid-value=x"),
                ("P-Charging-Function-Addresses", "ccf=192.0.2.1"),
            ],
        ),
    )
    .await;
    let busy = recv(&ue).await;
    assert_eq!(busy.status(), Some(StatusCode(486)));
    let sent = parse(&invite(
        "sip:bob@ims.test",
        "alice",
        ue_addr,
        "call-out",
        &format!(
            "Route: <sip:{};lr>\r\nP-Preferred-Identity: <tel:+15550001>\r\n",
            lab.addr
        ),
    ));
    send(&ue, lab.addr, ack(&sent, &busy)).await;
    assert!(busy.header(HeaderName::P_CHARGING_VECTOR).is_none());
    assert!(busy
        .header(HeaderName::P_CHARGING_FUNCTION_ADDRESSES)
        .is_none());

    // Terminating INVITE through our Path to alice's contact: reaches the UE's address,
    // without charging headers, record-routed.
    let scscf_addr = lab.scscf.local_addr().unwrap();
    let call_in = invite(
        &format!("sip:alice@{ue_addr}"),
        "bob",
        scscf_addr,
        "call-in",
        &format!(
            "Route: <sip:term@{};lr>\r\nP-Charging-Vector: icid-value=core-1\r\n\
             P-Charging-Function-Addresses: ccf=192.0.2.1\r\n\
             P-Asserted-Identity: <sip:bob@ims.test>\r\n",
            lab.addr
        ),
    );
    send(&lab.scscf, lab.addr, &call_in).await;
    let (at_ue, from) = recv_from(&ue).await;
    assert_eq!(from, lab.addr);
    assert_eq!(at_ue.method(), Some(&Method::INVITE));
    assert_eq!(
        at_ue.request_uri(),
        Some(format!("sip:alice@{ue_addr}").as_str())
    );
    assert!(at_ue.header(HeaderName::ROUTE).is_none());
    assert!(at_ue.header(HeaderName::P_CHARGING_VECTOR).is_none());
    assert!(at_ue
        .header(HeaderName::P_CHARGING_FUNCTION_ADDRESSES)
        .is_none());
    assert_eq!(
        at_ue.header(HeaderName::P_ASSERTED_IDENTITY),
        Some("<sip:bob@ims.test>")
    );
    assert!(at_ue.header(HeaderName::RECORD_ROUTE).is_some());
    send(&ue, lab.addr, answer(&at_ue, 486, &[])).await;
    let busy = recv(&lab.scscf).await;
    assert_eq!(busy.status(), Some(StatusCode(486)));
    let sent = parse(&call_in);
    send(&lab.scscf, lab.addr, ack(&sent, &busy)).await;

    // De-registration: the 200 without the contact removes it; calls to it get 480 and the
    // UE can no longer call out.
    register_alice(&lab, &ue, 3, 0).await;
    send(
        &lab.scscf,
        lab.addr,
        call_in.replace("call-in", "call-in-2"),
    )
    .await;
    let refused = recv(&lab.scscf).await;
    assert_eq!(refused.status(), Some(StatusCode::TEMPORARILY_UNAVAILABLE));
    send(
        &ue,
        lab.addr,
        invite("sip:bob@ims.test", "alice", ue_addr, "late", ""),
    )
    .await;
    assert_eq!(recv(&ue).await.status(), Some(StatusCode::FORBIDDEN));
    lab.pcscf.stop().await;
}

#[tokio::test]
async fn unregistered_source_gets_403() {
    let lab = start().await;
    let ue = socket().await;
    let ue_addr = ue.local_addr().unwrap();
    register_alice(&lab, &ue, 1, 600).await;
    // Another source claiming to be alice, with a preloaded route into the core.
    let intruder = socket().await;
    let intruder_addr = intruder.local_addr().unwrap();
    let scscf_port = lab.scscf.local_addr().unwrap().port();
    send(
        &intruder,
        lab.addr,
        invite(
            "sip:bob@ims.test",
            "alice",
            intruder_addr,
            "intrude",
            &format!(
                "Route: <sip:{};lr>, <sip:orig@scscf.ims.test:{scscf_port};lr>\r\n",
                lab.addr
            ),
        ),
    )
    .await;
    let got = recv(&intruder).await;
    assert_eq!(got.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(got.reason(), Some("Forbidden (not registered)"));
    // Nothing reached the core; the registered UE still calls out.
    send(
        &ue,
        lab.addr,
        invite("sip:bob@ims.test", "alice", ue_addr, "ok", ""),
    )
    .await;
    let (out, _) = recv_from(&lab.scscf).await;
    assert_eq!(out.call_id().unwrap(), "ok");
    assert_eq!(
        out.header(HeaderName::P_ASSERTED_IDENTITY),
        Some("<sip:alice@ims.test>")
    );
    lab.pcscf.stop().await;
}

#[tokio::test]
async fn unknown_contact_gets_480() {
    let lab = start().await;
    let scscf_addr = lab.scscf.local_addr().unwrap();
    send(
        &lab.scscf,
        lab.addr,
        invite(
            "sip:carol@127.0.0.1:9",
            "bob",
            scscf_addr,
            "nobody",
            &format!("Route: <sip:term@{};lr>\r\n", lab.addr),
        ),
    )
    .await;
    let got = recv(&lab.scscf).await;
    assert_eq!(got.status(), Some(StatusCode::TEMPORARILY_UNAVAILABLE));
    assert!(got.reason().unwrap().contains("no registration"));
    lab.pcscf.stop().await;
}

#[test]
fn example_config_passes_check_config() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/pcscf.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ims-pcscf"))
        .args(["--config", config, "--check-config"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let bad = std::env::temp_dir().join(format!("pcscf-bad-{}.toml", std::process::id()));
    std::fs::write(
        &bad,
        std::fs::read_to_string(config)
            .unwrap()
            .replace("sip:icscf.ims.test:5070", "sip:nowhere.test"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ims-pcscf"))
        .args(["--config", bad.to_str().unwrap(), "--check-config"])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&bad);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pcscf.icscf"));
}
