//! A UE on TCP: it registers over one connection, calls out over another (recognised by its
//! source address and registered Contact), and is called back over the first.
#![allow(clippy::unwrap_used)]

mod common;

use common::{answer, invite, read_stream, recv, recv_from, send, start};
use sip_types::{HeaderName, Method, StatusCode};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn registered_over_tcp_reached_over_the_same_connection() {
    let lab = start().await;
    let mut first = TcpStream::connect(lab.tcp).await.unwrap();
    let mut pending = Vec::new();
    let ue_addr = first.local_addr().unwrap();
    let contact = format!("sip:alice@{ue_addr};transport=tcp");
    let register = format!(
        "REGISTER sip:ims.test SIP/2.0\r\n\
         Via: SIP/2.0/TCP {ue_addr};branch=z9hG4bK-tcp-1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@ims.test>;tag=t\r\n\
         To: <sip:alice@ims.test>\r\n\
         Call-ID: tcp-reg\r\n\
         CSeq: 1 REGISTER\r\n\
         Contact: <{contact}>;expires=600\r\n\
         Content-Length: 0\r\n\r\n"
    );
    first.write_all(register.as_bytes()).await.unwrap();
    let (relayed, _) = recv_from(&lab.icscf).await;
    assert_eq!(
        relayed.header(HeaderName::PATH),
        Some(format!("<sip:term@{};transport=tcp;lr>", lab.tcp).as_str())
    );
    let scscf_port = lab.scscf.local_addr().unwrap().port();
    let service_route = format!("<sip:orig@scscf.ims.test:{scscf_port};lr>");
    let granted = format!("<{contact}>;expires=600");
    send(
        &lab.icscf,
        lab.addr,
        answer(
            &relayed,
            200,
            &[
                ("Contact", granted.as_str()),
                ("Service-Route", service_route.as_str()),
            ],
        ),
    )
    .await;
    let ok = read_stream(&mut first, &mut pending).await;
    assert_eq!(ok.status(), Some(StatusCode::OK));

    // A second connection from the same address with the registered Contact: accepted.
    let mut second = TcpStream::connect(lab.tcp).await.unwrap();
    let second_addr = second.local_addr().unwrap();
    let call = invite("sip:bob@ims.test", "alice", second_addr, "tcp-out", "")
        .replace("SIP/2.0/UDP", "SIP/2.0/TCP")
        .replace(
            &format!("Contact: <sip:alice@{second_addr}>"),
            &format!("Contact: <{contact}>"),
        );
    second.write_all(call.as_bytes()).await.unwrap();
    let out = recv(&lab.scscf).await;
    assert_eq!(out.call_id().unwrap(), "tcp-out");
    assert_eq!(
        out.header(HeaderName::P_ASSERTED_IDENTITY),
        Some("<sip:alice@ims.test>")
    );

    // Terminating: back over the connection the UE registered on.
    let scscf_addr = lab.scscf.local_addr().unwrap();
    send(
        &lab.scscf,
        lab.addr,
        invite(
            &contact,
            "bob",
            scscf_addr,
            "tcp-in",
            &format!("Route: <sip:term@{};transport=tcp;lr>\r\n", lab.tcp),
        ),
    )
    .await;
    let at_ue = read_stream(&mut first, &mut pending).await;
    assert_eq!(at_ue.method(), Some(&Method::INVITE));
    assert_eq!(at_ue.call_id().unwrap(), "tcp-in");
    assert!(at_ue
        .header(HeaderName::VIA)
        .unwrap()
        .starts_with("SIP/2.0/TCP"));
    lab.pcscf.stop().await;
}
