//! q-value serial forking (RFC 3261 §16.6 step 1) and the ISC timer (`[isc] timeout_ms`) of
//! the S-CSCF over real UDP sockets with the real HSS, every socket on 127.0.6.0/24.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod session_lab;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diameter_codec::generated::cx;
use diameter_codec::Message as DiameterMessage;
use diameter_net::{DiameterNode, Handlers, Listen, NetConfig, Peer, Route, Transport};
use diameter_proto::{Application, LocalNode, PeerConfig};
use ims_cx::{SarRequest, ServerAssignmentType};
use ims_hss::{CounterRandSource, Hss, HssConfig};
use ims_scscf::Scscf;
use ims_store::MemorySubscriberStore;
use session_lab::{
    ifc, quiet, recv, request, response, scscf_config, Lab, HSS_HOST, REALM, SCSCF_HOST, SCSCF_NAME,
};
use sip_proto::Transport as SipTransport;
use sip_types::{HeaderName, Message, Method, StatusCode};
use tokio::net::UdpSocket;

/// The HSS's Diameter node on `ip`.
fn hss_net(ip: IpAddr) -> NetConfig {
    let local = LocalNode {
        origin_host: HSS_HOST.to_owned(),
        origin_realm: REALM.to_owned(),
        host_ip_addresses: vec![ip],
        vendor_id: 0,
        product_name: "scscf-serial-fork-test-hss".to_owned(),
        firmware_revision: None,
        origin_state_id: 1,
        applications: vec![Application::VendorAuth {
            vendor: ims_cx::VENDOR_3GPP,
            app: cx::APPLICATION_ID.0,
        }],
        supported_vendor_ids: vec![ims_cx::VENDOR_3GPP],
    };
    let mut server = NetConfig::new(local);
    server.listen.push(Listen {
        addr: SocketAddr::new(ip, 0),
        transport: Transport::Tcp,
    });
    let mut p = PeerConfig::new(SCSCF_HOST, REALM, false);
    p.request_timeout = Duration::from_secs(3);
    server.peers.push(Peer {
        config: p,
        address: None,
        transport: Transport::Tcp,
        tls_name: None,
    });
    server.routes.push(Route {
        realm: REALM.to_owned(),
        application: None,
        peer_host: SCSCF_HOST.to_owned(),
        metric: 1,
    });
    server
}

/// The HSS and an S-CSCF on `ip` (ISC timer 300 ms, T1 = 100 ms so Timer B = 6.4 s).
async fn start_on(ip: IpAddr) -> Lab {
    let store = Arc::new(MemorySubscriberStore::new());
    ims_hss::seed_demo(store.as_ref()).await.unwrap();
    let mut cfg = HssConfig::new(HSS_HOST, REALM);
    cfg.scscf.push(ims_hss::ScscfConfig {
        name: SCSCF_NAME.into(),
        capabilities: vec![1],
    });
    let hss = Hss::new(cfg, store.clone(), Arc::new(CounterRandSource::new(1))).unwrap();
    let handlers = Handlers::new().with(cx::APPLICATION_ID.0, move |req: DiameterMessage| {
        let h = hss.clone();
        async move { h.handle(&req).await }
    });
    let hss_node = DiameterNode::start(hss_net(ip), handlers).await.unwrap();
    let mut config = scscf_config(hss_node.local_addrs()[0], None);
    config.sip.listen[0].addr = SocketAddr::new(ip, 0);
    config.diameter.host_ip_addresses = vec![ip];
    config.isc.timeout_ms = 300;
    let scscf = Scscf::start(config).await.unwrap();
    let addr = scscf
        .sip_listeners()
        .iter()
        .find(|(t, _)| *t == SipTransport::Udp)
        .map(|(_, a)| *a)
        .unwrap();
    let lab = Lab {
        store,
        hss_node,
        scscf,
        addr,
    };
    // Cx is up once a SAR gets an answer.
    let shared = lab.scscf.shared();
    for _ in 0..200 {
        let ids = ["sip:nobody@ims.test"];
        let sar = SarRequest {
            impi: None,
            public_identities: &ids,
            server_name: SCSCF_NAME,
            assignment_type: ServerAssignmentType::NoAssignment,
            user_data_already_available: true,
        };
        if shared.cx.sar(&sar).await.is_ok() {
            return lab;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the Cx connection to the HSS never opened");
}

async fn udp_on(ip: IpAddr) -> (UdpSocket, SocketAddr) {
    let s = UdpSocket::bind(SocketAddr::new(ip, 0)).await.unwrap();
    let a = s.local_addr().unwrap();
    (s, a)
}

/// Register `name` with one REGISTER carrying every contact of `contacts` (UE address, q)
/// through the P-CSCF socket `pcscf` (Path `<sip:term@pcscf;lr>`), SIP Digest MD5.
async fn register(lab: &Lab, name: &str, pcscf: &UdpSocket, contacts: &[(SocketAddr, &str)]) {
    let pcscf_addr = pcscf.local_addr().unwrap();
    let impu = format!("sip:{name}@{REALM}");
    let impi = format!("{name}@{REALM}");
    let contact_lines: String = contacts
        .iter()
        .map(|(ue, q)| format!("Contact: <sip:{name}@{ue}>;q={q};expires=600\r\n"))
        .collect();
    let send = |cseq: u32, authorization: String| {
        format!(
            "REGISTER sip:{REALM} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {pcscf_addr};branch=z9hG4bK-reg-{name}-{cseq}\r\n\
             Max-Forwards: 70\r\nFrom: <{impu}>;tag=reg-{name}\r\nTo: <{impu}>\r\n\
             Call-ID: reg-{name}-{pcscf_addr}\r\nCSeq: {cseq} REGISTER\r\n\
             Path: <sip:term@{pcscf_addr};lr>\r\nSupported: path\r\n\
             {contact_lines}Authorization: {authorization}\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let initial = format!(
        "Digest username=\"{impi}\", realm=\"{REALM}\", nonce=\"\", uri=\"sip:{REALM}\", \
         response=\"\", algorithm=MD5"
    );
    pcscf
        .send_to(send(1, initial).as_bytes(), lab.addr)
        .await
        .unwrap();
    let (r401, _) = recv(pcscf).await;
    assert_eq!(r401.status().map(|s| s.0), Some(401));
    let challenge =
        sip_types::auth::Challenge::parse(r401.header(HeaderName::WWW_AUTHENTICATE).unwrap())
            .unwrap();
    let password = format!("{name}-secret");
    let authorization = sip_proto::digest::DigestClient::new(&impi, password.as_bytes())
        .authorization(
            &challenge,
            "REGISTER",
            &format!("sip:{REALM}"),
            "0a4f113b",
            1,
        )
        .unwrap();
    pcscf
        .send_to(send(2, authorization).as_bytes(), lab.addr)
        .await
        .unwrap();
    let (ok, _) = recv(pcscf).await;
    assert_eq!(ok.status().map(|s| s.0), Some(200), "{:?}", ok.reason());
    assert_eq!(
        ok.header_values(HeaderName::CONTACT).count(),
        contacts.len()
    );
}

/// The next INVITE on `sock` (ACKs of earlier branches skipped).
async fn next_invite(sock: &UdpSocket) -> Message {
    for _ in 0..20 {
        let (m, _) = recv(sock).await;
        if m.method() == Some(&Method::INVITE) {
            return m;
        }
    }
    panic!("no INVITE");
}

/// The next INVITE to Request-URI `uri` on `sock` (retransmissions to others skipped).
async fn invite_for(sock: &UdpSocket, uri: &str) -> Message {
    for _ in 0..50 {
        let m = next_invite(sock).await;
        if m.request_uri() == Some(uri) {
            return m;
        }
    }
    panic!("no INVITE for {uri}");
}

/// No INVITE to Request-URI `uri` arrives on `sock` within `ms`.
async fn no_invite_for(sock: &UdpSocket, uri: &str, ms: u64) -> bool {
    let until = tokio::time::Instant::now() + Duration::from_millis(ms);
    loop {
        let Ok((m, _)) = tokio::time::timeout_at(until, recv(sock)).await else {
            return true;
        };
        if m.method() == Some(&Method::INVITE) && m.request_uri() == Some(uri) {
            return false;
        }
    }
}

/// The next final response on `sock`.
async fn next_final(sock: &UdpSocket) -> Message {
    for _ in 0..20 {
        let (m, _) = recv(sock).await;
        if m.status().is_some_and(|s| s.is_final()) {
            return m;
        }
    }
    panic!("no final response");
}

/// bob has two contacts of q=1.0 and one of q=0.5: a terminating INVITE reaches the two
/// q=1.0 contacts at once and nothing else; when they answer 486 and 480 the q=0.5 contact
/// gets it; its 200 goes to the caller, who saw no earlier final.
#[tokio::test]
async fn contacts_are_tried_by_decreasing_q() {
    let ip: IpAddr = [127, 0, 6, 1].into();
    let lab = start_on(ip).await;
    let (caller, caller_addr) = udp_on(ip).await;
    let (term, _) = udp_on(ip).await;
    let (_ue1, ue1) = udp_on(ip).await;
    let (_ue2, ue2) = udp_on(ip).await;
    let (_ue3, ue3) = udp_on(ip).await;
    register(
        &lab,
        "bob",
        &term,
        &[(ue1, "1.0"), (ue3, "0.5"), (ue2, "1.0")],
    )
    .await;

    // From the I-CSCF (no orig Route): terminating for bob.
    let invite = request(
        "INVITE",
        "sip:bob@ims.test",
        "sip:alice@ims.test",
        caller_addr,
        lab.addr,
        "q-call-1",
        false,
    );
    caller.send_to(invite.as_bytes(), lab.addr).await.unwrap();
    let first = next_invite(&term).await;
    let second = next_invite(&term).await;
    let mut uris = vec![
        first.request_uri().unwrap().to_owned(),
        second.request_uri().unwrap().to_owned(),
    ];
    uris.sort();
    let mut expected = vec![format!("sip:bob@{ue1}"), format!("sip:bob@{ue2}")];
    expected.sort();
    assert_eq!(uris, expected, "the q=1.0 group in parallel");
    let low = format!("sip:bob@{ue3}");
    // 180 from both (no more retransmissions), then nothing for the q=0.5 contact.
    for (branch, tag) in [(&first, "b1"), (&second, "b2")] {
        term.send_to(&response(branch, 180, tag, None), lab.addr)
            .await
            .unwrap();
    }
    assert!(
        no_invite_for(&term, &low, 300).await,
        "the q=0.5 contact waits for the q=1.0 group"
    );

    term.send_to(&response(&first, 486, "b1", None), lab.addr)
        .await
        .unwrap();
    assert!(
        no_invite_for(&term, &low, 200).await,
        "one branch of the group is still ringing"
    );
    term.send_to(&response(&second, 480, "b2", None), lab.addr)
        .await
        .unwrap();
    let third = invite_for(&term, &low).await;
    assert_eq!(
        third.header(HeaderName::P_CALLED_PARTY_ID),
        Some("<sip:bob@ims.test>")
    );
    let contact = format!("sip:bob@{ue3}");
    term.send_to(&response(&third, 200, "b3", Some(&contact)), lab.addr)
        .await
        .unwrap();
    let answer = next_final(&caller).await;
    assert_eq!(answer.status(), Some(StatusCode::OK), "no earlier final");
    assert_eq!(answer.to().unwrap().tag(), Some("b3"));
    lab.stop().await;
}

/// bob's and carol's terminating iFCs point at an AS that receives the INVITE and never
/// answers. With the ISC timer at 300 ms (Timer B would be 6.4 s): SESSION_CONTINUED (bob)
/// → the INVITE reaches bob after the timer and his 200 reaches the caller;
/// SESSION_TERMINATED (carol) → the caller gets 408 and carol nothing.
#[tokio::test]
async fn a_silent_application_server_is_given_up_after_the_isc_timer() {
    let ip: IpAddr = [127, 0, 6, 2].into();
    let lab = start_on(ip).await;
    let (caller, caller_addr) = udp_on(ip).await;
    let (term, _) = udp_on(ip).await;
    let (silent_as, as_addr) = udp_on(ip).await;
    let (_bob_ue, bob_ue) = udp_on(ip).await;
    let (_carol_ue, carol_ue) = udp_on(ip).await;
    let server = format!("sip:{as_addr}");
    lab.provision_ifcs("bob", "bob-term", &ifc(1, "INVITE", 1, &server, 0))
        .await;
    lab.provision_ifcs("carol", "carol-term", &ifc(1, "INVITE", 1, &server, 1))
        .await;
    register(&lab, "bob", &term, &[(bob_ue, "1.0")]).await;
    register(&lab, "carol", &term, &[(carol_ue, "1.0")]).await;

    // SESSION_CONTINUED.
    let started = Instant::now();
    let invite = request(
        "INVITE",
        "sip:bob@ims.test",
        "sip:alice@ims.test",
        caller_addr,
        lab.addr,
        "isc-1",
        false,
    );
    caller.send_to(invite.as_bytes(), lab.addr).await.unwrap();
    let at_as = next_invite(&silent_as).await;
    assert_eq!(at_as.call_id().unwrap(), "isc-1");
    let got = next_invite(&term).await;
    let waited = started.elapsed();
    assert_eq!(
        got.request_uri(),
        Some(format!("sip:bob@{bob_ue}").as_str())
    );
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "after the ISC timer, well before Timer B: {waited:?}"
    );
    let contact = format!("sip:bob@{bob_ue}");
    term.send_to(&response(&got, 200, "b1", Some(&contact)), lab.addr)
        .await
        .unwrap();
    let answer = next_final(&caller).await;
    assert_eq!(answer.status(), Some(StatusCode::OK));
    assert_eq!(answer.call_id().unwrap(), "isc-1");

    // SESSION_TERMINATED.
    let started = Instant::now();
    let invite = request(
        "INVITE",
        "sip:carol@ims.test",
        "sip:alice@ims.test",
        caller_addr,
        lab.addr,
        "isc-2",
        false,
    );
    caller.send_to(invite.as_bytes(), lab.addr).await.unwrap();
    let answer = next_final(&caller).await;
    let waited = started.elapsed();
    assert_eq!(answer.call_id().unwrap(), "isc-2");
    assert_eq!(answer.status(), Some(StatusCode::REQUEST_TIMEOUT));
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert!(
        quiet(&term, "INVITE", "isc-2", 200).await,
        "carol gets nothing"
    );
    lab.stop().await;
}
