//! The application-mode driver over real UDP sockets: a role answers one request itself,
//! forwards another with its own header, and sends a request of its own.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use sip_net::{ListenerConfig, NetConfig, SipApp};
use sip_proto::proxy::{
    AppEvent, Decision, Forward, HostTable, LocalAddr, LocalAddrs, LocalResponse, Mode,
    ProxyConfig, RouteTable, Target,
};
use sip_proto::transaction::TimerConfig;
use sip_proto::Transport;
use sip_types::{HeaderName, Message, Method, RequestBuilder, StatusCode};
use tokio::net::UdpSocket;

async fn start() -> SipApp {
    let listeners = [ListenerConfig {
        transport: Transport::Udp,
        addr: "127.0.0.1:0".parse().unwrap(),
        tls: None,
    }];
    SipApp::start(&listeners, NetConfig::default(), |bound| ProxyConfig {
        mode: Mode::Application,
        locals: LocalAddrs::new(
            bound
                .iter()
                .map(|(transport, addr)| LocalAddr {
                    transport: *transport,
                    addr: *addr,
                })
                .collect(),
            vec![],
        ),
        record_route: true,
        routes: RouteTable::new(vec![]),
        hosts: HostTable::new(),
        timers: TimerConfig::default(),
        seed: 7,
    })
    .await
    .unwrap()
}

async fn recv(sock: &UdpSocket) -> Message {
    let mut buf = vec![0u8; 65_535];
    let (n, _) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
        .await
        .expect("a message in time")
        .unwrap();
    Message::parse(Bytes::copy_from_slice(&buf[..n])).unwrap()
}

fn request(method: &str, uri: &str, ua: SocketAddr, call: &str) -> String {
    format!(
        "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {ua};branch=z9hG4bK-{call};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@ims.test>;tag=a\r\nTo: <sip:bob@ims.test>\r\n\
         Call-ID: {call}\r\nCSeq: 1 {method}\r\nContact: <sip:alice@{ua}>\r\nContent-Length: 0\r\n\r\n"
    )
}

#[tokio::test]
async fn role_answers_forwards_and_originates() {
    let mut app = start().await;
    let node = app.handle.local_addr(Transport::Udp).unwrap();
    let ue = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let uas = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let ue_addr = ue.local_addr().unwrap();
    let uas_addr = uas.local_addr().unwrap();

    // A REGISTER the role answers itself, after "thinking" on another task.
    ue.send_to(
        request("REGISTER", "sip:ims.test", ue_addr, "r1").as_bytes(),
        node,
    )
    .await
    .unwrap();
    let Some(AppEvent::Request(req)) = app.events.recv().await else {
        panic!("expected a request")
    };
    assert_eq!(req.request.method(), Some(&Method::REGISTER));
    let handle = app.handle.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        handle.respond(
            req.id,
            LocalResponse::new(StatusCode::OK).header("Contact", "<sip:alice@x>;expires=600"),
        );
    });
    let ok = recv(&ue).await;
    assert_eq!(ok.status(), Some(StatusCode::OK));
    assert!(ok.header(HeaderName::CONTACT).is_some());

    // A MESSAGE forwarded to the UAS with a header of the role's.
    ue.send_to(
        request("MESSAGE", "sip:bob@ims.test", ue_addr, "m1").as_bytes(),
        node,
    )
    .await
    .unwrap();
    let Some(AppEvent::Request(req)) = app.events.recv().await else {
        panic!("expected a request")
    };
    let mut forward = Forward::from_plan(req.plan);
    forward
        .edits
        .append_header(&req.request, "P-Asserted-Identity", "<sip:alice@ims.test>");
    forward.targets = vec![Target {
        transport: Transport::Udp,
        addr: uas_addr,
    }];
    forward.observe = true;
    app.handle.decide(req.id, Decision::Forward(forward));
    let relayed = recv(&uas).await;
    assert_eq!(
        relayed.header(HeaderName::P_ASSERTED_IDENTITY),
        Some("<sip:alice@ims.test>")
    );
    let reply = sip_types::ResponseBuilder::new(&relayed, StatusCode(202))
        .to_tag("b")
        .build();
    uas.send_to(&reply, node).await.unwrap();
    assert_eq!(recv(&ue).await.status(), Some(StatusCode(202)));
    match app.events.recv().await {
        Some(AppEvent::Final { status, .. }) => assert_eq!(status, StatusCode(202)),
        other => panic!("expected the final, got {other:?}"),
    }

    // A NOTIFY of the role's own, answered by the UE.
    let notify = RequestBuilder::new(Method::NOTIFY, format!("sip:alice@{ue_addr}"))
        .header("Max-Forwards", "70")
        .header("From", "<sip:alice@ims.test>;tag=s")
        .header("To", "<sip:alice@ims.test>;tag=u")
        .header("Call-ID", "sub-1")
        .header("CSeq", "1 NOTIFY")
        .header("Event", "reg")
        .build();
    let handle = app.handle.clone();
    let outcome = tokio::spawn(async move {
        handle
            .originate(
                notify,
                Target {
                    transport: Transport::Udp,
                    addr: ue_addr,
                },
            )
            .await
    });
    let got = recv(&ue).await;
    assert_eq!(got.method(), Some(&Method::NOTIFY));
    let reply = sip_types::ResponseBuilder::new(&got, StatusCode::OK).build();
    ue.send_to(&reply, node).await.unwrap();
    let outcome = outcome.await.unwrap().unwrap();
    assert_eq!(outcome.status, StatusCode::OK);

    let stats = app.stop().await;
    assert_eq!(stats.requests, 2);
}
