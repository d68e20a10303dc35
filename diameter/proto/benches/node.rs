//! Per-message cost of the node on an open connection: a Cx UAR delivered to the user and
//! answered (server side), a DWR answered, and a request sent and its answer matched (client
//! side). Run: `cargo bench -p diameter-proto --bench node`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    missing_docs,
    unreachable_pub
)]

use std::hint::black_box;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use diameter_codec::generated::base::{self, avp as b, AuthSessionState};
use diameter_codec::generated::cx;
use diameter_codec::{Message, MessageBuilder, WriteAvps};
use diameter_proto::{
    Application, ConnectionId, LocalNode, Node, NodeConfig, NodeEvent, PeerConfig,
};

const CX: u32 = 16_777_216;
const APP: Application = Application::VendorAuth {
    vendor: 10415,
    app: CX,
};

fn local(host: &str, realm: &str) -> LocalNode {
    LocalNode {
        origin_host: host.into(),
        origin_realm: realm.into(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 0,
        product_name: "bench".into(),
        firmware_revision: None,
        origin_state_id: 1,
        applications: vec![APP],
        supported_vendor_ids: vec![10415],
    }
}

fn cer(host: &str) -> Bytes {
    let mut m = MessageBuilder::request(&base::cmd::CER, 1, 1);
    m.put(&b::ORIGIN_HOST, host)
        .put(&b::ORIGIN_REALM, "a.test")
        .put(
            &b::HOST_IP_ADDRESS,
            &diameter_codec::format::AddressValue::V4([127, 0, 0, 2].into()),
        )
        .put(&b::VENDOR_ID, &0)
        .put(&b::PRODUCT_NAME, "bench")
        .put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
            g.put(&b::VENDOR_ID, &10415)
                .put(&b::AUTH_APPLICATION_ID, &CX);
        });
    m.finish()
}

fn uar(hbh: u32) -> Bytes {
    let mut m = MessageBuilder::request(&cx::cmd::UAR, hbh, hbh);
    m.put(&b::SESSION_ID, "pcscf.a.test;1;2")
        .put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
            g.put(&b::VENDOR_ID, &10415)
                .put(&b::AUTH_APPLICATION_ID, &CX);
        })
        .put(
            &b::AUTH_SESSION_STATE,
            &AuthSessionState::NO_STATE_MAINTAINED,
        )
        .put(&b::ORIGIN_HOST, "pcscf.a.test")
        .put(&b::ORIGIN_REALM, "a.test")
        .put(&b::DESTINATION_REALM, "b.test")
        .put(&b::USER_NAME, "alice@ims.test")
        .put(&cx::avp::PUBLIC_IDENTITY, "sip:alice@ims.test")
        .put(&cx::avp::VISITED_NETWORK_IDENTIFIER, b"ims.test");
    m.finish()
}

fn uaa(req: &Message) -> Bytes {
    let mut m = MessageBuilder::answer(req.header());
    m.put(&b::SESSION_ID, "pcscf.a.test;1;2")
        .put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
            g.put(&b::VENDOR_ID, &10415)
                .put(&b::AUTH_APPLICATION_ID, &CX);
        })
        .put(&b::RESULT_CODE, &2001)
        .put(
            &b::AUTH_SESSION_STATE,
            &AuthSessionState::NO_STATE_MAINTAINED,
        )
        .put(&b::ORIGIN_HOST, "hss.b.test")
        .put(&b::ORIGIN_REALM, "b.test");
    m.finish()
}

/// A server node with `pcscf.a.test` open on connection 1.
fn server(now: Instant) -> Node {
    let mut n = Node::new(
        local("hss.b.test", "b.test"),
        NodeConfig {
            duplicate_cache: 0,
            ..NodeConfig::default()
        },
    );
    n.add_peer(PeerConfig::new("pcscf.a.test", "a.test", false));
    n.start(now);
    n.handle_accepted(now, ConnectionId(1), SocketAddr::from(([127, 0, 0, 2], 1)));
    n.handle_frame(now, ConnectionId(1), cer("pcscf.a.test"));
    while n.poll_transmit().is_some() {}
    while n.poll_event().is_some() {}
    n
}

fn bench(c: &mut Criterion) {
    let now = Instant::now();
    let mut g = c.benchmark_group("node");
    g.throughput(Throughput::Elements(1));

    let mut srv = server(now);
    let req = uar(7);
    g.bench_function("server_uar_delivered_and_answered", |bch| {
        bch.iter(|| {
            srv.handle_frame(now, ConnectionId(1), black_box(req.clone()));
            let Some(NodeEvent::Request { request, from }) = srv.poll_event() else {
                panic!("no request");
            };
            srv.send_answer(now, from, uaa(&request)).unwrap();
            black_box(srv.poll_transmit().unwrap());
        });
    });

    let mut dw = MessageBuilder::request(&base::cmd::DWR, 9, 9);
    dw.put(&b::ORIGIN_HOST, "pcscf.a.test")
        .put(&b::ORIGIN_REALM, "a.test");
    let dwr = dw.finish();
    g.bench_function("server_dwr_answered", |bch| {
        bch.iter(|| {
            srv.handle_frame(now, ConnectionId(1), black_box(dwr.clone()));
            black_box(srv.poll_transmit().unwrap());
        });
    });

    // Client: the same server node sends requests to its open peer and matches answers.
    srv.add_route("a.test", None, diameter_proto::PeerId(0), 1);
    let mut m = MessageBuilder::request(&cx::cmd::UAR, 0, 0);
    m.put(&b::SESSION_ID, "s;1")
        .put(&b::ORIGIN_HOST, "hss.b.test")
        .put(&b::ORIGIN_REALM, "b.test")
        .put(&b::DESTINATION_REALM, "a.test");
    let request = m.finish();
    g.bench_function("client_request_sent_and_answer_matched", |bch| {
        bch.iter(|| {
            srv.send_request(now, black_box(request.clone()), 1)
                .unwrap();
            let (_, sent) = srv.poll_transmit().unwrap();
            let sent = Message::decode(sent).unwrap();
            srv.handle_frame(now, ConnectionId(1), uaa(&sent));
            black_box(srv.poll_event().unwrap());
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
