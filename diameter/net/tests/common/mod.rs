//! Shared helpers for the loopback tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use diameter_codec::generated::base::{avp as b, AuthSessionState};
use diameter_codec::generated::cx;
use diameter_codec::{AvpContainer, Message, MessageBuilder, WriteAvps};
use diameter_net::{ClientHandle, Listen, NetConfig, Peer, Route, Transport};
use diameter_proto::{Application, LocalNode, PeerConfig, PeerState};

pub const CX: u32 = 16_777_216;

pub fn local(host: &str) -> LocalNode {
    LocalNode {
        origin_host: host.to_owned(),
        origin_realm: "ims.test".to_owned(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 0,
        product_name: "dnet-test".to_owned(),
        firmware_revision: None,
        origin_state_id: 7,
        applications: vec![Application::VendorAuth {
            vendor: 10415,
            app: CX,
        }],
        supported_vendor_ids: vec![10415],
    }
}

pub fn server_config(transport: Transport) -> NetConfig {
    let mut c = NetConfig::new(local("hss.ims.test"));
    c.listen.push(Listen {
        addr: "127.0.0.1:0".parse().unwrap(),
        transport,
    });
    let mut p = PeerConfig::new("icscf.ims.test", "ims.test", false);
    p.tw = Duration::from_millis(400);
    c.peers.push(Peer {
        config: p,
        address: None,
        transport,
        tls_name: None,
    });
    c
}

pub fn client_config(server: SocketAddr, transport: Transport) -> NetConfig {
    let mut c = NetConfig::new(local("icscf.ims.test"));
    let mut p = PeerConfig::new("hss.ims.test", "ims.test", true);
    p.tw = Duration::from_millis(400);
    p.tc = Duration::from_millis(300);
    p.request_timeout = Duration::from_secs(2);
    c.peers.push(Peer {
        config: p,
        address: Some(server),
        transport,
        tls_name: Some("localhost".to_owned()),
    });
    c.routes.push(Route {
        realm: "ims.test".to_owned(),
        application: None,
        peer_host: "hss.ims.test".to_owned(),
        metric: 1,
    });
    c
}

pub fn uar(user: &str) -> Bytes {
    let mut m = MessageBuilder::request(&cx::cmd::UAR, 0, 0);
    m.put(&b::SESSION_ID, format!("icscf;{user}").as_str())
        .put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
            g.put(&b::VENDOR_ID, &10415)
                .put(&b::AUTH_APPLICATION_ID, &CX);
        })
        .put(
            &b::AUTH_SESSION_STATE,
            &AuthSessionState::NO_STATE_MAINTAINED,
        )
        .put(&b::ORIGIN_HOST, "icscf.ims.test")
        .put(&b::ORIGIN_REALM, "ims.test")
        .put(&b::DESTINATION_REALM, "ims.test")
        .put(&b::USER_NAME, user)
        .put(&cx::avp::PUBLIC_IDENTITY, format!("sip:{user}").as_str())
        .put(&cx::avp::VISITED_NETWORK_IDENTIFIER, b"ims.test".as_slice());
    m.finish()
}

/// A Cx handler answering 2001 and echoing User-Name in Server-Name.
pub fn uaa(req: &Message) -> Bytes {
    let mut a = MessageBuilder::answer(req.header());
    if let Ok(Some(sid)) = req.find(b::SESSION_ID.code()) {
        a.put_raw(&sid);
    }
    a.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
        g.put(&b::VENDOR_ID, &10415)
            .put(&b::AUTH_APPLICATION_ID, &CX);
    })
    .put(&b::RESULT_CODE, &2001)
    .put(
        &b::AUTH_SESSION_STATE,
        &AuthSessionState::NO_STATE_MAINTAINED,
    )
    .put(&b::ORIGIN_HOST, "hss.ims.test")
    .put(&b::ORIGIN_REALM, "ims.test");
    let user = req
        .get(&b::USER_NAME)
        .ok()
        .flatten()
        .map(|u| format!("sip:scscf-for-{}", u.as_str()))
        .unwrap_or_default();
    a.put(&cx::avp::SERVER_NAME, user.as_str());
    a.finish()
}

pub async fn wait_state(h: &ClientHandle, want: PeerState, within: Duration) -> bool {
    let end = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < end {
        if h.peers().await.first().map(|p| p.state) == Some(want) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

pub fn result_code(m: &Message) -> Option<u32> {
    m.get(&b::RESULT_CODE).ok().flatten()
}
