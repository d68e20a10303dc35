//! The Pair/Net harness: Nodes wired by an in-memory driver loop on a virtual clock. Frames
//! move between ConnectionIds; Connect/Close events open and close in-memory links.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    unreachable_pub
)]

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use diameter_codec::generated::base::{avp as b, AuthSessionState};
use diameter_codec::generated::cx;
use diameter_codec::{AvpContainer, Message, MessageBuilder, WriteAvps};
use diameter_proto::{
    Application, ConnectionId, LocalNode, Node, NodeConfig, NodeEvent, PeerConfig, PeerId,
};

/// Cx/Dx (TS 29.229), vendor-specific auth application.
pub const CX: u32 = 16_777_216;
pub const CX_APP: Application = Application::VendorAuth {
    vendor: 10415,
    app: CX,
};

/// One frame moved by the harness.
#[derive(Debug, Clone)]
pub struct Frame {
    pub at: Instant,
    pub from: usize,
    pub to: usize,
    pub bytes: Bytes,
}

impl Frame {
    pub fn msg(&self) -> Message {
        Message::decode(self.bytes.clone()).unwrap()
    }
    pub fn code(&self) -> u32 {
        u32::from_be_bytes([0, self.bytes[5], self.bytes[6], self.bytes[7]])
    }
    pub fn is_request(&self) -> bool {
        self.bytes[4] & 0x80 != 0
    }
    pub fn result_code(&self) -> Option<u32> {
        self.msg().get(&b::RESULT_CODE).unwrap()
    }
}

pub struct Net {
    pub now: Instant,
    pub nodes: Vec<Node>,
    pub hosts: Vec<String>,
    links: HashMap<(usize, ConnectionId), (usize, ConnectionId)>,
    next_conn: u64,
    pub events: Vec<Vec<(Instant, NodeEvent)>>,
    pub trace: Vec<Frame>,
    /// Frames sent by these nodes are lost.
    pub mute: HashSet<usize>,
    /// Connections to these nodes fail.
    pub unreachable: HashSet<usize>,
}

pub fn local(host: &str, realm: &str, apps: Vec<Application>) -> LocalNode {
    LocalNode {
        origin_host: host.into(),
        origin_realm: realm.into(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        vendor_id: 0,
        product_name: "diameter-proto-test".into(),
        firmware_revision: Some(1),
        origin_state_id: 1_700_000_000,
        applications: apps,
        supported_vendor_ids: vec![10415],
    }
}

pub fn cfg() -> NodeConfig {
    NodeConfig {
        accept_unknown_peers: false,
        duplicate_cache: 128,
        relay: false,
    }
}

impl Net {
    pub fn new() -> Self {
        Self {
            now: Instant::now(),
            nodes: Vec::new(),
            hosts: Vec::new(),
            links: HashMap::new(),
            next_conn: 1,
            events: Vec::new(),
            trace: Vec::new(),
            mute: HashSet::new(),
            unreachable: HashSet::new(),
        }
    }

    pub fn add(&mut self, host: &str, realm: &str, apps: Vec<Application>, c: NodeConfig) -> usize {
        let mut l = local(host, realm, apps);
        l.origin_state_id += self.nodes.len() as u32;
        self.nodes.push(Node::new(l, c));
        self.hosts.push(host.into());
        self.events.push(Vec::new());
        self.nodes.len() - 1
    }

    /// Node `i` gets a peer entry for node `j`.
    pub fn peer(&mut self, i: usize, j: usize, realm: &str, connect: bool) -> PeerId {
        let host = self.hosts[j].clone();
        self.nodes[i].add_peer(PeerConfig::new(host, realm, connect))
    }

    pub fn start(&mut self) {
        for n in &mut self.nodes {
            n.start(self.now);
        }
        self.run();
    }

    fn deliver(&mut self, i: usize, conn: ConnectionId, bytes: Bytes) {
        if self.mute.contains(&i) {
            return;
        }
        if let Some(&(j, c2)) = self.links.get(&(i, conn)) {
            self.trace.push(Frame {
                at: self.now,
                from: i,
                to: j,
                bytes: bytes.clone(),
            });
            self.nodes[j].handle_frame(self.now, c2, bytes);
        }
    }

    fn event(&mut self, i: usize, ev: NodeEvent) {
        match ev {
            NodeEvent::Connect { peer } => {
                let host = self.nodes[i].peer_host(peer).to_owned();
                let j = self.hosts.iter().position(|h| *h == host);
                match j {
                    Some(j) if !self.unreachable.contains(&j) => {
                        let c1 = ConnectionId(self.next_conn);
                        let c2 = ConnectionId(self.next_conn + 1);
                        self.next_conn += 2;
                        self.links.insert((i, c1), (j, c2));
                        self.links.insert((j, c2), (i, c1));
                        let addr = SocketAddr::from(([127, 0, 0, 1], 3868));
                        self.nodes[j].handle_accepted(self.now, c2, addr);
                        self.nodes[i].handle_connected(self.now, peer, c1);
                    }
                    _ => self.nodes[i].handle_connect_failed(self.now, peer),
                }
            }
            NodeEvent::Close { conn } => {
                if let Some((j, c2)) = self.links.remove(&(i, conn)) {
                    self.links.remove(&(j, c2));
                    self.nodes[j].handle_closed(self.now, c2);
                }
            }
            other => self.events[i].push((self.now, other)),
        }
    }

    /// Moves frames and events until nothing is left.
    pub fn run(&mut self) {
        for _ in 0..100_000 {
            let mut progress = false;
            for i in 0..self.nodes.len() {
                while let Some((c, f)) = self.nodes[i].poll_transmit() {
                    progress = true;
                    self.deliver(i, c, f);
                }
                while let Some(ev) = self.nodes[i].poll_event() {
                    progress = true;
                    self.event(i, ev);
                }
            }
            if !progress {
                return;
            }
        }
        panic!("driver loop does not settle");
    }

    /// Advances the virtual clock by `d`, firing every timer on the way.
    pub fn advance(&mut self, d: Duration) {
        let target = self.now + d;
        for _ in 0..100_000 {
            self.run();
            let next = self.nodes.iter().filter_map(Node::poll_timeout).min();
            match next {
                Some(t) if t <= target => {
                    self.now = self.now.max(t);
                    for n in &mut self.nodes {
                        n.handle_timeout(self.now);
                    }
                }
                _ => {
                    self.now = target;
                    for n in &mut self.nodes {
                        n.handle_timeout(self.now);
                    }
                    self.run();
                    return;
                }
            }
        }
        panic!("timers do not settle");
    }

    /// Transport failure between `i` and `j`: both sides see the close.
    pub fn cut(&mut self, i: usize, j: usize) {
        let found: Vec<_> = self
            .links
            .iter()
            .filter(|((a, _), (b, _))| *a == i && *b == j)
            .map(|(k, v)| (*k, *v))
            .collect();
        for ((a, c1), (b2, c2)) in found {
            self.links.remove(&(a, c1));
            self.links.remove(&(b2, c2));
            self.nodes[a].handle_closed(self.now, c1);
            self.nodes[b2].handle_closed(self.now, c2);
        }
        self.run();
    }

    /// Number of live links between `i` and `j`.
    pub fn link_count(&self, i: usize, j: usize) -> usize {
        self.links
            .keys()
            .filter(|(a, c)| *a == i && self.links.get(&(*a, *c)).is_some_and(|(b2, _)| *b2 == j))
            .count()
    }

    /// Delivers `bytes` to `j` as if `i` sent it on their link.
    pub fn inject(&mut self, i: usize, j: usize, bytes: Bytes) {
        let link = self
            .links
            .iter()
            .find(|((a, _), (b2, _))| *a == i && *b2 == j)
            .map(|(_, v)| *v)
            .expect("no link");
        self.trace.push(Frame {
            at: self.now,
            from: i,
            to: j,
            bytes: bytes.clone(),
        });
        self.nodes[link.0].handle_frame(self.now, link.1, bytes);
        self.run();
    }

    /// Frames from `i` to `j` with command `code` (requests if `request`).
    pub fn frames(&self, i: usize, j: usize, code: u32, request: bool) -> Vec<Frame> {
        self.trace
            .iter()
            .filter(|f| f.from == i && f.to == j && f.code() == code && f.is_request() == request)
            .cloned()
            .collect()
    }

    /// Takes the events collected for node `i`.
    pub fn take(&mut self, i: usize) -> Vec<NodeEvent> {
        std::mem::take(&mut self.events[i])
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    }
}

/// A valid Cx UAR (TS 29.229 §6.1.1) with End-to-End 0 (the node allocates it).
pub fn uar(origin: &str, origin_realm: &str, dest_realm: &str, dest_host: Option<&str>) -> Bytes {
    uar_with(origin, origin_realm, dest_realm, dest_host, |_| {})
}

/// As [`uar`], with extra AVPs appended by `extra`.
pub fn uar_with(
    origin: &str,
    origin_realm: &str,
    dest_realm: &str,
    dest_host: Option<&str>,
    extra: impl FnOnce(&mut MessageBuilder),
) -> Bytes {
    let mut m = MessageBuilder::request(&cx::cmd::UAR, 0, 0);
    m.put(&b::SESSION_ID, &format!("{origin};1;2"))
        .put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
            g.put(&b::VENDOR_ID, &10415)
                .put(&b::AUTH_APPLICATION_ID, &CX);
        })
        .put(
            &b::AUTH_SESSION_STATE,
            &AuthSessionState::NO_STATE_MAINTAINED,
        )
        .put(&b::ORIGIN_HOST, origin)
        .put(&b::ORIGIN_REALM, origin_realm);
    if let Some(h) = dest_host {
        m.put(&b::DESTINATION_HOST, h);
    }
    m.put(&b::DESTINATION_REALM, dest_realm)
        .put(&b::USER_NAME, "alice@ims.test")
        .put(&cx::avp::PUBLIC_IDENTITY, "sip:alice@ims.test")
        .put(&cx::avp::VISITED_NETWORK_IDENTIFIER, b"ims.test");
    extra(&mut m);
    m.finish()
}

/// A successful UAA to `req`.
pub fn uaa(req: &Message, host: &str, realm: &str) -> Bytes {
    let mut m = MessageBuilder::answer(req.header());
    m.put(
        &b::SESSION_ID,
        req.require(&b::SESSION_ID).unwrap().as_str(),
    )
    .put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
        g.put(&b::VENDOR_ID, &10415)
            .put(&b::AUTH_APPLICATION_ID, &CX);
    })
    .put(&b::RESULT_CODE, &2001)
    .put(
        &b::AUTH_SESSION_STATE,
        &AuthSessionState::NO_STATE_MAINTAINED,
    )
    .put(&b::ORIGIN_HOST, host)
    .put(&b::ORIGIN_REALM, realm);
    m.finish()
}

/// Two nodes, `a` (client, connects) and `b` (server), both Cx, open.
pub fn open_pair() -> (Net, usize, usize, PeerId, PeerId) {
    let mut net = Net::new();
    let a = net.add("pcscf.a.test", "a.test", vec![CX_APP], cfg());
    let b_ = net.add("hss.b.test", "b.test", vec![CX_APP], cfg());
    let pa = net.peer(a, b_, "b.test", true);
    let pb = net.peer(b_, a, "a.test", false);
    net.nodes[a].add_route("b.test", Some(CX), pa, 10);
    net.start();
    (net, a, b_, pa, pb)
}

/// The Request events in `evs`.
pub fn requests(evs: &[NodeEvent]) -> Vec<(Message, diameter_proto::RequestRef)> {
    evs.iter()
        .filter_map(|e| match e {
            NodeEvent::Request { request, from } => Some((request.clone(), *from)),
            _ => None,
        })
        .collect()
}
