//! The transaction layer (RFC 3261 §17): routes each received message to its transaction in
//! O(1), runs the four machines and their timers, and queues what to send and what to tell the
//! TU. Sans-IO: after any `handle_*` or `send_*` call, drain [`TransactionLayer::poll_transmit`]
//! and [`TransactionLayer::poll_event`], then sleep until [`TransactionLayer::poll_timeout`]
//! and call [`TransactionLayer::handle_timeout`].

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use sip_types::{Message, Method, StatusCode};

use super::client::{ClientState, ClientTransaction};
use super::client_invite::ClientInvite;
use super::client_non_invite::ClientNonInvite;
use super::config::TimerConfig;
use super::event::{TransactionEvent, Transmit};
use super::id::{ClientTransactionId, ServerTransactionId};
use super::key::{self, StoredKey};
use super::keyed_hash::KeyedState;
use super::output::{Output, Step};
use super::server::{ServerState, ServerTransaction};
use super::server_invite::ServerInvite;
use super::server_non_invite::ServerNonInvite;
use super::slab::Slab;
use super::timer::{Side, Timer, TimerQueue};
use crate::flow::Flow;

/// Transactions the tables hold before they first grow. Growing a hash table rehashes every
/// entry at once: with tens of thousands of transactions waiting on Timers J/L that is a
/// pause of milliseconds on the hot path (it showed as a 3 ms p99 forwarding delay at 1,000
/// calls/s), so the key maps start large (their entries are small). The transactions
/// themselves live in [`Slab`]s, filled in order: untouched capacity there is address space.
const INITIAL_CAPACITY: usize = 1 << 15;

/// Below this many heap entries stale timers are not worth sweeping.
const COMPACT_FLOOR: usize = 4096;

/// Lend the layer's queues to a machine (split borrows of `self`).
macro_rules! output {
    ($self:ident, $now:expr) => {
        &mut Output {
            now: $now,
            config: &$self.config,
            transmits: &mut $self.transmits,
            events: &mut $self.events,
            timers: &mut $self.timers,
        }
    };
}

/// Every client and server transaction of a node (RFC 3261 §17), sans-IO.
#[derive(Debug)]
pub struct TransactionLayer {
    config: TimerConfig,
    clients: Slab<ClientTransaction>,
    client_keys: HashMap<StoredKey, u64, KeyedState>,
    servers: Slab<ServerTransaction>,
    server_keys: HashMap<StoredKey, u64, KeyedState>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<TransactionEvent>,
    timers: TimerQueue,
    /// Where lookup keys are encoded (reused: a lookup allocates nothing).
    scratch: Vec<u8>,
}

impl TransactionLayer {
    /// An empty layer with the given base timers. Its key maps are keyed from the standard
    /// library's per-process random hash keys; see [`TransactionLayer::with_hash_seed`].
    pub fn new(config: TimerConfig) -> Self {
        Self::with_hash_seed(config, KeyedState::std_seed())
    }

    /// An empty layer whose transaction-key maps (keys are peer-chosen Via branches) hash with
    /// `seed`, which must be random and secret per process (HashDoS resistance).
    pub fn with_hash_seed(config: TimerConfig, seed: u64) -> Self {
        let state = KeyedState::new(seed);
        Self {
            config,
            clients: Slab::with_capacity(INITIAL_CAPACITY),
            client_keys: HashMap::with_capacity_and_hasher(INITIAL_CAPACITY, state),
            servers: Slab::with_capacity(INITIAL_CAPACITY),
            server_keys: HashMap::with_capacity_and_hasher(INITIAL_CAPACITY, state),
            transmits: VecDeque::with_capacity(8),
            events: VecDeque::with_capacity(8),
            timers: TimerQueue::with_capacity(4 * INITIAL_CAPACITY),
            scratch: Vec::with_capacity(256),
        }
    }

    /// The base timers.
    pub fn config(&self) -> &TimerConfig {
        &self.config
    }

    /// A received, already `validate()`d message. Request retransmissions are absorbed (the
    /// last response is retransmitted); an ACK for a non-2xx final is absorbed (§17.2.1).
    /// A request whose matching fields do not parse is dropped.
    pub fn handle_message(&mut self, now: Instant, msg: Message, flow: Flow) {
        if msg.is_request() {
            self.handle_request(now, msg, flow);
        } else {
            self.handle_response(now, msg, flow);
        }
    }

    fn handle_request(&mut self, now: Instant, msg: Message, flow: Flow) {
        let Some(method_at) = key::server_key(&msg, &mut self.scratch) else {
            return;
        };
        let is = |m: &Method| msg.method() == Some(m);
        if is(&Method::ACK) {
            // §17.2.3: an ACK matches the INVITE transaction (its key counts ACK as INVITE).
            let target = self.server_keys.get(self.scratch.as_slice()).copied();
            if let Some(id) = target {
                if let Some(ServerTransaction::Invite(tx)) = self.servers.get_mut(&id) {
                    if tx.on_ack(msg, flow, output!(self, now)) == Step::Terminated {
                        self.remove_server(id);
                    }
                    return;
                }
            }
            self.events
                .push_back(TransactionEvent::Ack { request: msg, flow });
            return;
        }
        if let Some(id) = self.server_keys.get(self.scratch.as_slice()).copied() {
            if let Some(tx) = self.servers.get(&id) {
                tx.on_retransmission(output!(self, now));
            }
            return;
        }
        let id = self.servers.next_id();
        let key: StoredKey = Arc::from(self.scratch.as_slice());
        let cancels = if is(&Method::CANCEL) {
            // §9.2: the CANCEL matches its INVITE by the §17.2.3 rules, method aside.
            key::set_method(&mut self.scratch, method_at, &Method::INVITE)
                .and_then(|()| self.server_keys.get(self.scratch.as_slice()))
                .map(|&target| ServerTransactionId(target))
        } else {
            None
        };
        let tx = if is(&Method::INVITE) {
            ServerTransaction::Invite(ServerInvite::new(id, key.clone(), flow))
        } else {
            ServerTransaction::NonInvite(ServerNonInvite::new(id, key.clone(), flow))
        };
        self.server_keys.insert(key, id);
        let stored = self.servers.insert(tx);
        debug_assert_eq!(stored, id);
        self.events.push_back(TransactionEvent::Request {
            id: ServerTransactionId(id),
            request: msg,
            flow,
            cancels,
        });
    }

    fn handle_response(&mut self, now: Instant, msg: Message, flow: Flow) {
        let id = key::client_key_of_response(&msg, &mut self.scratch)
            .and_then(|()| self.client_keys.get(self.scratch.as_slice()).copied());
        let Some(tx) = id.and_then(|id| self.clients.get_mut(&id)) else {
            self.events.push_back(TransactionEvent::StrayResponse {
                response: msg,
                flow,
            });
            return;
        };
        if tx.on_response(msg, output!(self, now)) == Step::Terminated {
            if let Some(id) = id {
                self.remove_client(id);
            }
        }
    }

    /// Start a client transaction for `request` (its top Via carries our fresh branch) towards
    /// `flow`, sending it. For ACK (to a 2xx) no transaction is made: it is just sent, and
    /// `None` returned. `None` too, with nothing sent, for a response, a request without a top
    /// Via branch, or a branch and method already in use by a live client transaction.
    pub fn send_request(
        &mut self,
        now: Instant,
        request: Message,
        flow: Flow,
    ) -> Option<ClientTransactionId> {
        let method = request.method()?.clone();
        if method == Method::ACK {
            self.transmits.push_back(Transmit {
                flow,
                bytes: request.as_bytes().clone(),
            });
            return None;
        }
        key::client_key_of_request(&request, &mut self.scratch)?;
        self.start_client(now, method, request.as_bytes().clone(), flow)
    }

    /// [`TransactionLayer::send_request`] for a request the caller has just printed and whose
    /// top Via branch and method it knows (a proxy's forwarded request): no parsing. The
    /// caller guarantees that `bytes` is a well-formed request with that branch and method.
    pub fn send_request_bytes(
        &mut self,
        now: Instant,
        bytes: Bytes,
        flow: Flow,
        branch: &[u8],
        method: Method,
    ) -> Option<ClientTransactionId> {
        if method == Method::ACK {
            self.transmits.push_back(Transmit { flow, bytes });
            return None;
        }
        key::client_key(branch, &method, &mut self.scratch)?;
        self.start_client(now, method, bytes, flow)
    }

    /// Start a client transaction whose key [`key::client_key`] has just put in `scratch`.
    fn start_client(
        &mut self,
        now: Instant,
        method: Method,
        bytes: Bytes,
        flow: Flow,
    ) -> Option<ClientTransactionId> {
        if self.client_keys.contains_key(self.scratch.as_slice()) {
            return None;
        }
        let key: StoredKey = Arc::from(self.scratch.as_slice());
        let invite = method == Method::INVITE;
        let id = self.clients.next_id();
        let out = output!(self, now);
        let tx = if invite {
            ClientTransaction::Invite(ClientInvite::start(id, key.clone(), bytes, flow, out))
        } else {
            ClientTransaction::NonInvite(ClientNonInvite::start(id, key.clone(), bytes, flow, out))
        };
        self.client_keys.insert(key, id);
        let stored = self.clients.insert(tx);
        debug_assert_eq!(stored, id);
        Some(ClientTransactionId(id))
    }

    /// Send a response through server transaction `id` (1xx or final; a 2xx to INVITE moves
    /// it to Accepted per RFC 6026). Returns false, sending nothing, for an unknown id, a
    /// request, or a response the transaction's state does not allow (a second final).
    ///
    /// The response goes back on the flow the request came from: the same connection on
    /// reliable transports (RFC 3261 §18.2.2), the source address and port on UDP (the RFC 3581
    /// symmetric response; a TU wanting the Via `received`/sent-by rule sends statelessly).
    pub fn send_response(
        &mut self,
        now: Instant,
        id: ServerTransactionId,
        response: Message,
    ) -> bool {
        let Some(status) = response.status() else {
            return false;
        };
        self.send_response_bytes(now, id, status, response.as_bytes().clone())
    }

    /// [`TransactionLayer::send_response`] for a response the caller has just printed and whose
    /// status it knows: no parsing. The caller guarantees `bytes` is that response.
    pub fn send_response_bytes(
        &mut self,
        now: Instant,
        id: ServerTransactionId,
        status: StatusCode,
        bytes: Bytes,
    ) -> bool {
        let Some(tx) = self.servers.get_mut(&id.0) else {
            return false;
        };
        let (sent, step) = tx.send_response(status, bytes, output!(self, now));
        if step == Step::Terminated {
            self.remove_server(id.0);
        }
        sent
    }

    /// The driver could not send on `flow` (connection refused or reset, ICMP unreachable,
    /// TLS failure): every transaction on it ends (RFC 3261 §17.1.4, §17.2.4). Client
    /// transactions still waiting for a final response report
    /// [`TransactionEvent::TransportError`].
    pub fn handle_transport_error(&mut self, now: Instant, flow: &Flow) {
        let ids: Vec<u64> = self
            .clients
            .iter()
            .filter(|(_, tx)| same_path(tx.flow(), flow))
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            if let Some(tx) = self.clients.get_mut(&id) {
                if tx.on_transport_error(output!(self, now)) == Step::Terminated {
                    self.remove_client(id);
                }
            }
        }
        let ids: Vec<u64> = self
            .servers
            .iter()
            .filter(|(_, tx)| same_path(tx.flow(), flow))
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            self.remove_server(id);
        }
    }

    /// Fire every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(entry) = self.timers.pop_due(now) {
            match entry.side {
                Side::Client => {
                    let Some(tx) = self.clients.get_mut(&entry.id) else {
                        continue;
                    };
                    if !tx.deadlines_mut().take_if_due(entry.timer, entry.token) {
                        continue;
                    }
                    if tx.on_timer(entry.timer, output!(self, now)) == Step::Terminated {
                        self.remove_client(entry.id);
                    }
                }
                Side::Server => {
                    let Some(tx) = self.servers.get_mut(&entry.id) else {
                        continue;
                    };
                    if !tx.deadlines_mut().take_if_due(entry.timer, entry.token) {
                        continue;
                    }
                    if tx.on_timer(entry.timer, output!(self, now)) == Step::Terminated {
                        self.remove_server(entry.id);
                    }
                }
            }
        }
    }

    /// Stop resending client transaction `id`'s request (Timers A and E): the TU has given up
    /// on it. The transaction stays, to absorb a late response, until Timer B or F ends it.
    pub fn stop_retransmitting(&mut self, id: ClientTransactionId) {
        if let Some(tx) = self.clients.get_mut(&id.0) {
            let deadlines = tx.deadlines_mut();
            deadlines.cancel(Timer::A);
            deadlines.cancel(Timer::E);
        }
    }

    /// Destroy client transaction `id` without waiting for its final response: what the TU
    /// does 64·T1 after cancelling an INVITE that never answered (RFC 3261 §9.1). No event
    /// follows. False when it had already ended.
    pub fn abandon_client(&mut self, id: ClientTransactionId) -> bool {
        self.remove_client(id.0)
    }

    /// Drops client transaction `id`; false when it had already ended.
    fn remove_client(&mut self, id: u64) -> bool {
        let removed = self.clients.remove(&id);
        if let Some(tx) = &removed {
            self.client_keys.remove(tx.key().as_ref());
        }
        self.compact_timers();
        removed.is_some()
    }

    fn remove_server(&mut self, id: u64) {
        if let Some(tx) = self.servers.remove(&id) {
            self.server_keys.remove(tx.key().as_ref());
            self.events.push_back(TransactionEvent::ServerTerminated {
                id: ServerTransactionId(id),
            });
        }
        self.compact_timers();
    }

    /// Transactions that end early (a final response over TCP) leave their Timer B/F/H
    /// entries behind until those would have fired. When stale entries outnumber live ones
    /// four to one, sweep them: O(n), paid for by the 3n pushes since the last sweep.
    fn compact_timers(&mut self) {
        let live = (self.clients.len() + self.servers.len()) * 3;
        if self.timers.len() <= COMPACT_FLOOR.max(live * 4) {
            return;
        }
        let (clients, servers) = (&self.clients, &self.servers);
        self.timers.retain(|e| match e.side {
            Side::Client => clients
                .get(&e.id)
                .is_some_and(|t| t.deadlines().is_armed_at(e.timer, e.token)),
            Side::Server => servers
                .get(&e.id)
                .is_some_and(|t| t.deadlines().is_armed_at(e.timer, e.token)),
        });
    }

    /// The next message to send. Drain after every input.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the TU. Drain after every input.
    pub fn poll_event(&mut self) -> Option<TransactionEvent> {
        self.events.pop_front()
    }

    /// When to call [`TransactionLayer::handle_timeout`] next (may be early: a cancelled
    /// timer's deadline is reported until it passes).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// Live server transactions.
    pub fn server_count(&self) -> usize {
        self.servers.len()
    }

    /// Live client transactions.
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    /// The state of client transaction `id`, `None` once terminated.
    pub fn client_state(&self, id: ClientTransactionId) -> Option<ClientState> {
        self.clients.get(&id.0).map(ClientTransaction::state)
    }

    /// Heap entries held, stale ones included.
    #[cfg(test)]
    pub(crate) fn timer_entries(&self) -> usize {
        self.timers.len()
    }

    /// Bytes of messages (requests, responses, ACKs) client transaction `id` holds.
    #[cfg(test)]
    pub(crate) fn client_held_bytes(&self, id: ClientTransactionId) -> Option<usize> {
        self.clients.get(&id.0).map(ClientTransaction::held_bytes)
    }

    /// Bytes of messages every live transaction holds, summed.
    #[cfg(test)]
    pub(crate) fn held_bytes(&self) -> usize {
        let clients: usize = self
            .clients
            .values()
            .map(ClientTransaction::held_bytes)
            .sum();
        let servers: usize = self
            .servers
            .values()
            .map(ServerTransaction::held_bytes)
            .sum();
        clients + servers
    }

    /// Bytes of messages server transaction `id` holds.
    #[cfg(test)]
    pub(crate) fn server_held_bytes(&self, id: ServerTransactionId) -> Option<usize> {
        self.servers.get(&id.0).map(ServerTransaction::held_bytes)
    }

    /// The state of server transaction `id`, `None` once terminated.
    pub fn server_state(&self, id: ServerTransactionId) -> Option<ServerState> {
        self.servers.get(&id.0).map(ServerTransaction::state)
    }
}

/// Whether a transport failure reported on `failed` concerns a transaction sent on `sent`
/// (RFC 3261 §18.4): same transport and remote address, and the same connection when both
/// name one. A request sent with no connection gets one from the driver when it connects, so
/// the failure comes back naming a connection (and possibly another local address).
fn same_path(sent: &Flow, failed: &Flow) -> bool {
    sent.transport == failed.transport
        && sent.remote == failed.remote
        && match (sent.connection, failed.connection) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
}
