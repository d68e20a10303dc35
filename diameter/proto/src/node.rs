//! The node: peer table, connections, routing table, pending requests and the output queues;
//! the public driver and user API. The state machines live in `fsm.rs` (RFC 6733 §5.6),
//! `watchdog.rs` (RFC 3539) and `dispatch.rs` (§6: delivery, relay, answers, failover).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::base::DisconnectCause;
use diameter_codec::{AvpContainer, Header, Message};

use crate::config::{ConnectionId, LocalNode, NodeConfig, PeerConfig, PeerId, RequestRef};
use crate::dup::{DupKey, DuplicateCache};
use crate::event::{NodeEvent, PeerState, SendError, WatchdogState};
use crate::peer::Peer;
use crate::pending::{Origin, Pending, PendingTable};
use crate::routing::RouteTable;
use crate::wire;

/// How long an accepted connection may stay silent before its CER (RFC 6733 §5.6: the
/// responder times out connections that never send one).
pub(crate) const CER_TIMEOUT: Duration = Duration::from_secs(10);

/// Most accepted connections that have not yet completed the CER exchange. Beyond it new
/// connections are closed at once (pre-authentication resource bound).
pub(crate) const MAX_PRE_CER_CONNS: usize = 1024;

/// Most peers created from CERs of unknown hosts (`accept_unknown_peers`); beyond it closed
/// ones are recycled, and with none closed the CER is answered DIAMETER_TOO_BUSY.
pub(crate) const MAX_DYNAMIC_PEERS: usize = 1024;

/// Most requests delivered to the user and not yet answered; beyond it new requests are
/// answered DIAMETER_TOO_BUSY (3004, RFC 6733 §7.1.3).
pub(crate) const MAX_INCOMING: usize = 1 << 16;

/// A transport connection known to the node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Conn {
    /// The peer, once known (our connect, or a CER naming it).
    pub(crate) peer: Option<PeerId>,
    /// Deadline for the CER on an accepted connection.
    pub(crate) cer_deadline: Option<Instant>,
}

/// The sans-IO Diameter node (RFC 6733). Feed it driver inputs (`handle_*`), user requests
/// and answers (`send_*`), and drain `poll_transmit` (before `poll_event`, so that frames
/// queued for a connection are written before its `Close`), `poll_event` and `poll_timeout`.
#[derive(Debug)]
pub struct Node {
    pub(crate) local: LocalNode,
    pub(crate) config: NodeConfig,
    pub(crate) peers: Vec<Peer>,
    pub(crate) conns: HashMap<ConnectionId, Conn>,
    pub(crate) routes: RouteTable,
    pub(crate) pending: PendingTable,
    /// Requests delivered to the user and not yet answered, with their duplicate key.
    pub(crate) incoming: HashMap<RequestRef, Option<DupKey>>,
    pub(crate) dups: DuplicateCache,
    /// Retransmissions (T flag) of requests still being answered: they get the same answer.
    pub(crate) dup_waiters: HashMap<DupKey, RequestRef>,
    pub(crate) transmits: VecDeque<(ConnectionId, Bytes)>,
    pub(crate) events: VecDeque<NodeEvent>,
    next_hbh: u32,
    next_e2e: u32,
    started: bool,
    pub(crate) shutting_down: bool,
    pub(crate) pre_cer: usize,
}

impl Node {
    /// A node with an empty peer table.
    pub fn new(local: LocalNode, config: NodeConfig) -> Self {
        let seed = local.origin_state_id;
        Self {
            dups: DuplicateCache::new(config.duplicate_cache),
            local,
            config,
            peers: Vec::new(),
            conns: HashMap::new(),
            routes: RouteTable::default(),
            pending: PendingTable::default(),
            incoming: HashMap::new(),
            dup_waiters: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            next_hbh: seed.wrapping_mul(0x9e37_79b9),
            next_e2e: 0,
            started: false,
            shutting_down: false,
            pre_cer: 0,
        }
    }

    /// Seeds the Hop-by-Hop and End-to-End counters (RFC 6733 §3: identifiers should not be
    /// predictable across restarts). The driver passes a random value; without it the seed
    /// is derived from Origin-State-Id.
    pub fn seed_identifiers(&mut self, seed: u64) {
        self.next_hbh = (seed & 0xffff_ffff) as u32;
        self.next_e2e = (seed >> 32) as u32;
    }

    /// Adds a peer to the peer table (RFC 6733 §2.6). Added after [`Node::start`], a
    /// connecting peer asks for its connection at the next [`Node::handle_timeout`].
    pub fn add_peer(&mut self, config: PeerConfig) -> PeerId {
        self.add_peer_inner(config)
    }

    /// A peer entry for an unknown host that passed the CER exchange, bounded by
    /// [`MAX_DYNAMIC_PEERS`] (closed dynamic entries are recycled).
    pub(crate) fn add_dynamic_peer(&mut self, config: PeerConfig) -> Option<PeerId> {
        let dynamic = self.peers.iter().filter(|p| p.dynamic).count();
        if dynamic < MAX_DYNAMIC_PEERS {
            let id = self.add_peer_inner(config);
            if let Some(p) = self.peer_mut(id) {
                p.dynamic = true;
            }
            return Some(id);
        }
        let slot = self.peers.iter().position(|p| {
            p.dynamic && p.state == PeerState::Closed && p.conn.is_none() && p.elect.is_none()
        })?;
        let index = u32::try_from(slot).ok()?;
        let mut peer = Peer::new(config, index);
        peer.dynamic = true;
        *self.peers.get_mut(slot)? = peer;
        Some(PeerId(index))
    }

    pub(crate) fn add_peer_inner(&mut self, config: PeerConfig) -> PeerId {
        let index = u32::try_from(self.peers.len()).unwrap_or(u32::MAX);
        let mut peer = Peer::new(config, index);
        if self.started && peer.cfg.connect {
            self.events.push_back(NodeEvent::Connect {
                peer: PeerId(index),
            });
            peer.state = PeerState::WaitConnAck;
        }
        self.peers.push(peer);
        PeerId(index)
    }

    /// Realm routing table entry (RFC 6733 §2.7): realm + application (None = any) → peer,
    /// lower metric first.
    pub fn add_route(&mut self, realm: &str, application: Option<u32>, peer: PeerId, metric: u32) {
        self.routes.add(realm, application, peer, metric);
    }

    /// Start: peers with `connect` ask for a connection ([`NodeEvent::Connect`]).
    pub fn start(&mut self, now: Instant) {
        self.started = true;
        for i in 0..self.peers.len() {
            let id = PeerId(u32::try_from(i).unwrap_or(u32::MAX));
            if let Some(p) = self.peers.get(i) {
                if p.cfg.connect && p.state == PeerState::Closed {
                    self.connect(now, id);
                }
            }
        }
    }

    // --- driver inputs ---

    /// The transport asked for by [`NodeEvent::Connect`] is up (I-Rcv-Conn-Ack).
    pub fn handle_connected(&mut self, now: Instant, peer: PeerId, conn: ConnectionId) {
        self.i_rcv_conn_ack(now, peer, conn);
    }

    /// The transport asked for by [`NodeEvent::Connect`] failed (I-Rcv-Conn-Nack).
    pub fn handle_connect_failed(&mut self, now: Instant, peer: PeerId) {
        self.i_rcv_conn_nack(now, peer);
    }

    /// A peer connected to us; it must send a CER within 10 s (R-Conn-CER follows).
    pub fn handle_accepted(&mut self, now: Instant, conn: ConnectionId, remote: SocketAddr) {
        let _ = remote;
        if self.shutting_down || self.pre_cer >= MAX_PRE_CER_CONNS || self.conns.contains_key(&conn)
        {
            self.events.push_back(NodeEvent::Close { conn });
            return;
        }
        self.pre_cer += 1;
        self.conns.insert(
            conn,
            Conn {
                peer: None,
                cer_deadline: Some(after(now, CER_TIMEOUT)),
            },
        );
    }

    /// One whole received message (the driver frames by Message Length and bounds its size).
    pub fn handle_frame(&mut self, now: Instant, conn: ConnectionId, frame: Bytes) {
        let Some(c) = self.conns.get(&conn).copied() else {
            return;
        };
        match c.peer {
            None => self.pre_cer_frame(now, conn, frame),
            Some(peer) => self.peer_frame(now, peer, conn, frame),
        }
    }

    /// The transport closed (by the peer or on error); not reported for our own `Close`.
    pub fn handle_closed(&mut self, now: Instant, conn: ConnectionId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        self.incoming.retain(|r, _| r.conn != conn);
        match c.peer {
            None => self.pre_cer = self.pre_cer.saturating_sub(1),
            Some(peer) => self.peer_disc(now, peer, conn),
        }
    }

    /// Runs every timer due at `now`: reconnect (Tc), watchdog (Tw), state timeouts, CER
    /// deadlines and request timeouts.
    pub fn handle_timeout(&mut self, now: Instant) {
        for i in 0..self.peers.len() {
            let id = PeerId(u32::try_from(i).unwrap_or(u32::MAX));
            self.peer_timers(now, id);
        }
        let late: Vec<ConnectionId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.cer_deadline.is_some_and(|d| d <= now))
            .map(|(id, _)| *id)
            .collect();
        for conn in late {
            self.close_conn(conn);
        }
        for p in self.pending.expire(now) {
            self.fail_pending(p);
        }
    }

    // --- user API ---

    /// Routes and sends a request (RFC 6733 §6.1), encoded by the caller with any identifiers:
    /// the node sets the Hop-by-Hop Identifier, and the End-to-End Identifier if zero. `token`
    /// comes back in [`NodeEvent::Answer`] or [`NodeEvent::Timeout`].
    pub fn send_request(
        &mut self,
        now: Instant,
        request: Bytes,
        token: u64,
    ) -> Result<(), SendError> {
        let msg = Message::decode(request).map_err(|_| SendError::Malformed)?;
        let h = *msg.header();
        if !h.flags.is_request() {
            return Err(SendError::Malformed);
        }
        let dest_host = text(&msg, &b::DESTINATION_HOST).map_err(|()| SendError::Malformed)?;
        let dest_realm = text(&msg, &b::DESTINATION_REALM).map_err(|()| SendError::Malformed)?;
        let app = h.application_id.0;
        let Some(peer) = self.select_peer(dest_host.as_deref(), dest_realm.as_deref(), app, &[])
        else {
            let known = dest_realm.as_deref().is_some_and(|r| self.routes.serves(r))
                || dest_host
                    .as_deref()
                    .and_then(|x| self.peer_by_host(x))
                    .is_some();
            return Err(if known {
                SendError::NotOpen
            } else {
                SendError::NoRoute
            });
        };
        let Some(conn) = self.peer(peer).and_then(|p| p.conn) else {
            return Err(SendError::NotOpen);
        };
        let hbh = self.alloc_hbh();
        let e2e = (h.end_to_end == 0).then(|| self.alloc_e2e());
        let frame = wire::with_ids(msg.as_bytes(), hbh, e2e);
        let timeout = self
            .peer(peer)
            .map_or(Duration::ZERO, |p| p.cfg.request_timeout);
        self.transmits.push_back((conn, frame.clone()));
        self.pending.insert(
            hbh,
            Pending {
                origin: Origin::Local(token),
                frame,
                tried: vec![peer],
                deadline: after(now, timeout),
                dest_host,
                dest_realm,
                app,
            },
        );
        Ok(())
    }

    /// Answers a request delivered by [`NodeEvent::Request`]. The Hop-by-Hop Identifier is set
    /// from `to`; the answer is remembered for duplicate detection (§5.5.4).
    pub fn send_answer(
        &mut self,
        now: Instant,
        to: RequestRef,
        answer: Bytes,
    ) -> Result<(), SendError> {
        let _ = now;
        let Ok(h) = Header::decode(&answer) else {
            return Err(SendError::Malformed);
        };
        if h.flags.is_request() {
            return Err(SendError::Malformed);
        }
        let Some(key) = self.incoming.remove(&to) else {
            return Err(SendError::UnknownRequest);
        };
        let frame = if h.hop_by_hop == to.hop_by_hop {
            answer
        } else {
            wire::with_ids(&answer, to.hop_by_hop, None)
        };
        let mut waiter = None;
        if let Some(k) = key {
            self.dups.answered(&k, frame.clone());
            waiter = self.dup_waiters.remove(&k);
        }
        let open = self.conns.contains_key(&to.conn);
        if open {
            self.transmits.push_back((to.conn, frame.clone()));
        }
        if let Some(w) = waiter.filter(|w| self.conns.contains_key(&w.conn)) {
            let again = wire::with_ids(&frame, w.hop_by_hop, None);
            self.transmits.push_back((w.conn, again));
        }
        if open {
            Ok(())
        } else {
            Err(SendError::NotOpen)
        }
    }

    /// Graceful stop (RFC 6733 §5.4): DPR (Disconnect-Cause REBOOTING) to every open peer,
    /// then Close on its DPA; other connections are closed at once; no reconnects.
    pub fn shutdown(&mut self, now: Instant) {
        self.shutting_down = true;
        for i in 0..self.peers.len() {
            let id = PeerId(u32::try_from(i).unwrap_or(u32::MAX));
            self.stop_peer(now, id, DisconnectCause::REBOOTING);
        }
        let pre: Vec<ConnectionId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.peer.is_none())
            .map(|(id, _)| *id)
            .collect();
        for conn in pre {
            self.close_conn(conn);
        }
    }

    /// The RFC 6733 §5.6 state of `peer` (Closed for an unknown id).
    pub fn peer_state(&self, peer: PeerId) -> PeerState {
        self.peer(peer).map_or(PeerState::Closed, |p| p.state)
    }

    /// The RFC 3539 watchdog state of `peer` (Initial for an unknown id).
    pub fn watchdog_state(&self, peer: PeerId) -> WatchdogState {
        self.peer(peer).map_or(WatchdogState::Initial, |p| p.wd)
    }

    /// The configured (or, for a dynamic peer, received) Origin-Host of `peer`.
    pub fn peer_host(&self, peer: PeerId) -> &str {
        self.peer(peer).map_or("", |p| p.cfg.host.as_str())
    }

    /// The peer whose host is `host` (case-insensitive, RFC 6733 §4.3.1 DiameterIdentity).
    pub fn peer_by_host(&self, host: &str) -> Option<PeerId> {
        self.peers
            .iter()
            .position(|p| p.cfg.host.eq_ignore_ascii_case(host))
            .and_then(|i| u32::try_from(i).ok())
            .map(PeerId)
    }

    /// Requests sent and not yet answered or timed out.
    pub fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    // --- outputs ---

    /// The next frame to write.
    pub fn poll_transmit(&mut self) -> Option<(ConnectionId, Bytes)> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<NodeEvent> {
        self.events.pop_front()
    }

    /// When [`Node::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let peers = self.peers.iter().filter_map(Peer::next_timer).min();
        let cer = self.conns.values().filter_map(|c| c.cer_deadline).min();
        [peers, cer, self.pending.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    // --- helpers shared by the state machines ---

    pub(crate) fn peer(&self, id: PeerId) -> Option<&Peer> {
        self.peers.get(id.0 as usize)
    }

    pub(crate) fn peer_mut(&mut self, id: PeerId) -> Option<&mut Peer> {
        self.peers.get_mut(id.0 as usize)
    }

    /// Queues `frame` on `conn`.
    pub(crate) fn send(&mut self, conn: ConnectionId, frame: Bytes) {
        self.transmits.push_back((conn, frame));
    }

    /// Forgets `conn` and asks the driver to close it.
    pub(crate) fn close_conn(&mut self, conn: ConnectionId) {
        if let Some(c) = self.conns.remove(&conn) {
            if c.peer.is_none() {
                self.pre_cer = self.pre_cer.saturating_sub(1);
            }
            self.incoming.retain(|r, _| r.conn != conn);
            self.events.push_back(NodeEvent::Close { conn });
        }
    }

    /// A fresh Hop-by-Hop Identifier not in use (§3).
    pub(crate) fn alloc_hbh(&mut self) -> u32 {
        loop {
            self.next_hbh = self.next_hbh.wrapping_add(1);
            if !self.pending.contains(self.next_hbh) {
                return self.next_hbh;
            }
        }
    }

    /// A fresh End-to-End Identifier (§3): high 12 bits from Origin-State-Id, low 20 a counter.
    pub(crate) fn alloc_e2e(&mut self) -> u32 {
        self.next_e2e = self.next_e2e.wrapping_add(1);
        ((self.local.origin_state_id & 0xfff) << 20) | (self.next_e2e & 0x000f_ffff)
    }
}

/// `now + d`, saturating far in the future instead of overflowing on absurd configured
/// durations.
pub(crate) fn after(now: Instant, d: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(d.min(FAR))
        .or_else(|| now.checked_add(Duration::from_secs(24 * 3600)))
        .unwrap_or(now)
}

/// The text of a DiameterIdentity AVP, `Err` when its value is invalid.
pub(crate) fn text(
    msg: &Message,
    def: &diameter_codec::AvpDef<diameter_codec::format::DiameterIdentity>,
) -> Result<Option<String>, ()> {
    msg.get(def)
        .map(|v| v.map(|s| s.as_str().to_owned()))
        .map_err(drop)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // a base Instant for the virtual clock
mod tests {
    use super::*;
    use crate::config::Application;

    fn node() -> Node {
        Node::new(
            LocalNode {
                origin_host: "n.test".into(),
                origin_realm: "test".into(),
                host_ip_addresses: vec![],
                vendor_id: 0,
                product_name: "t".into(),
                firmware_revision: None,
                origin_state_id: 0xabc_1234,
                applications: vec![Application::Auth(4)],
                supported_vendor_ids: vec![],
            },
            NodeConfig::default(),
        )
    }

    #[test]
    fn absurd_durations_do_not_overflow() {
        let now = Instant::now();
        assert!(after(now, Duration::MAX) > now);
        assert_eq!(
            after(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
    }

    #[test]
    fn identifiers() {
        let mut n = node();
        let e1 = n.alloc_e2e();
        let e2 = n.alloc_e2e();
        assert_eq!(e1 >> 20, 0x234, "high 12 bits from Origin-State-Id");
        assert_eq!(e2, e1 + 1);
        let h1 = n.alloc_hbh();
        assert_ne!(h1, n.alloc_hbh());
        n.seed_identifiers(0x0000_0005_ffff_fff0);
        assert_eq!(n.alloc_hbh(), 0xffff_fff1);
        assert_eq!(n.alloc_e2e() & 0xf_ffff, 6);
    }

    #[test]
    fn start_asks_for_connections_and_unknown_ids_are_safe() {
        let mut n = node();
        let now = Instant::now();
        let p = n.add_peer(PeerConfig::new("peer.test", "test", true));
        let q = n.add_peer(PeerConfig::new("wait.test", "test", false));
        assert_eq!(n.poll_event(), None);
        n.start(now);
        assert_eq!(n.poll_event(), Some(NodeEvent::Connect { peer: p }));
        assert_eq!(n.poll_event(), None);
        assert_eq!(n.peer_state(p), PeerState::WaitConnAck);
        assert_eq!(n.peer_state(q), PeerState::Closed);
        assert_eq!(n.peer_by_host("PEER.test"), Some(p));
        assert_eq!(n.poll_timeout(), Some(now + Duration::from_secs(30)));
        // Unknown ids and connections do nothing and do not panic.
        let ghost = PeerId(99);
        assert_eq!(n.peer_state(ghost), PeerState::Closed);
        assert_eq!(n.peer_host(ghost), "");
        n.handle_connect_failed(now, ghost);
        n.handle_closed(now, ConnectionId(5));
        n.handle_frame(now, ConnectionId(5), Bytes::from_static(b"x"));
        n.handle_connected(now, ghost, ConnectionId(6));
        assert_eq!(
            n.poll_event(),
            Some(NodeEvent::Close {
                conn: ConnectionId(6)
            })
        );
        // Connect timeout (Tc) in Wait-Conn-Ack → Closed, retry later.
        n.handle_timeout(now + Duration::from_secs(30));
        assert_eq!(n.peer_state(p), PeerState::Closed);
        assert!(n
            .poll_timeout()
            .is_some_and(|t| t > now + Duration::from_secs(30)));
    }
}
