//! Proxy rules (RFC 3261 §16), sans-IO: a stateful proxy over the transaction layer (§16.2–
//! §16.10: validation, Route processing, Record-Route, forwarding to targets in series, response
//! context and selection, CANCEL) and the stateless variant (§16.11).
//!
//! The driver feeds every received message with [`Proxy::handle_message`], timer expiry with
//! [`Proxy::handle_timeout`] and send failures with [`Proxy::handle_transport_error`]; after any
//! of these it drains [`Proxy::poll_transmit`] and re-arms its timer from
//! [`Proxy::poll_timeout`].

mod app;
#[cfg(test)]
mod app_tests;
mod branch;
mod context;
#[cfg(test)]
mod fork_tests;
mod local;
mod locate;
mod reject;
mod request;
mod routes;
mod stateful;
mod stateless;
#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::time::Instant;

use bytes::Bytes;
use sip_types::Message;

pub use app::{AppEvent, AppRequest, Decision, Fork, ForkBranch, Forward, LocalResponse};
pub use branch::{loop_hash, loop_hash_of_branch, BranchGenerator, MAGIC_COOKIE};
pub use local::{HostPort, LocalAddr, LocalAddrs};
pub use locate::{HostTable, Target};
pub use request::{plan, plan_for_role, response_destination, Plan, Rejection, RoutingContext};
pub use routes::{RouteTable, StaticRoute};

use crate::flow::Flow;
use crate::transaction::{
    ClientTransactionId, ServerTransactionId, TimerConfig, TransactionLayer, Transmit,
};
use branch::IdMap;
use context::ResponseContext;

/// How the proxy keeps state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Transaction-stateful (§16.2): 100 Trying, retransmissions, serial failover, CANCEL.
    Stateful,
    /// Stateless (§16.11): every message is forwarded on its own.
    Stateless,
    /// Stateful, with a role deciding each request (see [`AppEvent`]).
    Application,
}

/// Proxy configuration.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Stateful or stateless.
    pub mode: Mode,
    /// Our listeners and host names.
    pub locals: LocalAddrs,
    /// Insert Record-Route in initial dialog-forming requests.
    pub record_route: bool,
    /// Static routes.
    pub routes: RouteTable,
    /// Names resolved by the driver.
    pub hosts: HostTable,
    /// Transaction timers.
    pub timers: TimerConfig,
    /// Per-process random seed for branches and tags.
    pub seed: u64,
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Requests received (well formed).
    pub requests: u64,
    /// Responses received (well formed).
    pub responses: u64,
    /// Requests forwarded (every branch counts).
    pub forwarded_requests: u64,
    /// Responses forwarded upstream.
    pub forwarded_responses: u64,
    /// Requests answered with 400/505 for being malformed.
    pub bad_requests: u64,
    /// Malformed responses dropped.
    pub bad_responses: u64,
    /// Messages that could not be parsed at all and got no answer.
    pub dropped: u64,
    /// Requests answered by the proxy itself (404, 420, 482, 483, 503...).
    pub rejected: u64,
    /// Responses dropped because the top Via was not ours or the next Via was unusable.
    pub unroutable_responses: u64,
}

/// A SIP proxy core. See the module docs for the calling contract.
#[derive(Debug)]
pub struct Proxy {
    config: ProxyConfig,
    transactions: TransactionLayer,
    branches: BranchGenerator,
    contexts: IdMap<ServerTransactionId, ResponseContext>,
    client_branches: IdMap<ClientTransactionId, ServerTransactionId>,
    cancels: HashSet<ClientTransactionId, std::hash::BuildHasherDefault<branch::Fnv64>>,
    out: VecDeque<Transmit>,
    stats: ProxyStats,
    /// Application mode: requests waiting for the role, events for it, requests it sent.
    pending: IdMap<ServerTransactionId, app::Pending>,
    app_events: VecDeque<AppEvent>,
    originated: HashSet<ClientTransactionId, std::hash::BuildHasherDefault<branch::Fnv64>>,
    /// Branch deadlines: give-up timers ([`Forward::give_up_after`]) and Timer C. Entries of
    /// branches that answered or ended stay until due and are then skipped; a Timer C pushed
    /// back by a provisional is queued again when its old entry comes due.
    give_ups: BinaryHeap<Reverse<(Instant, ClientTransactionId)>>,
    /// Cancelled INVITE branches, destroyed if still without a final response when due
    /// (64·T1 after the CANCEL, RFC 3261 §9.1).
    cancelled: BinaryHeap<Reverse<(Instant, ClientTransactionId)>>,
    /// Given-up INVITE branches that outlived their context, with the request sent and its
    /// flow: cancelled if they send a provisional (§9.1), dropped at their final or timeout.
    orphans: IdMap<ClientTransactionId, (Bytes, Flow)>,
}

impl Proxy {
    /// A proxy with `config`.
    pub fn new(config: ProxyConfig) -> Self {
        Self {
            transactions: TransactionLayer::with_hash_seed(
                config.timers,
                config.seed.rotate_left(17),
            ),
            branches: BranchGenerator::new(config.seed),
            config,
            contexts: IdMap::default(),
            client_branches: IdMap::default(),
            cancels: HashSet::default(),
            out: VecDeque::new(),
            stats: ProxyStats::default(),
            pending: IdMap::default(),
            app_events: VecDeque::new(),
            originated: HashSet::default(),
            give_ups: BinaryHeap::new(),
            cancelled: BinaryHeap::new(),
            orphans: IdMap::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ProxyConfig {
        &self.config
    }

    /// Replace the static routes and host table (hot reload).
    pub fn set_routes(&mut self, routes: RouteTable, hosts: HostTable) {
        self.config.routes = routes;
        self.config.hosts = hosts;
    }

    /// Counters.
    pub fn stats(&self) -> ProxyStats {
        self.stats
    }

    /// Response contexts alive (stateful mode).
    pub fn context_count(&self) -> usize {
        self.contexts.len()
    }

    /// A message received on `flow`.
    pub fn handle_message(&mut self, now: Instant, data: Bytes, flow: Flow) {
        let msg = match Message::parse(data.clone()) {
            Ok(m) => m,
            Err(e) => {
                if let Some(answer) = reject::answer_unparsable(&data, &e) {
                    self.stats.bad_requests += 1;
                    self.out.push_back(Transmit {
                        flow,
                        bytes: answer,
                    });
                } else {
                    self.stats.dropped += 1;
                }
                return;
            }
        };
        if let Err(e) = msg.validate_for_relay() {
            if msg.is_request() {
                if msg.method() != Some(&sip_types::Method::ACK) {
                    self.stats.bad_requests += 1;
                    let answer =
                        sip_types::ResponseBuilder::new(&msg, sip_types::StatusCode(e.status()))
                            .reason(e.reason_phrase())
                            .build();
                    self.out.push_back(Transmit {
                        flow,
                        bytes: answer,
                    });
                } else {
                    self.stats.dropped += 1;
                }
            } else {
                self.stats.bad_responses += 1;
            }
            return;
        }
        if msg.is_request() {
            self.stats.requests += 1;
        } else {
            self.stats.responses += 1;
        }
        match self.config.mode {
            Mode::Stateful | Mode::Application => {
                self.transactions.handle_message(now, msg, flow);
                self.drain(now);
            }
            Mode::Stateless => {
                if msg.is_request() {
                    self.stateless_request(msg, flow);
                } else {
                    self.forward_response_statelessly(msg);
                }
            }
        }
    }

    /// The driver failed to send on `flow`.
    pub fn handle_transport_error(&mut self, now: Instant, flow: &Flow) {
        if self.config.mode != Mode::Stateless {
            self.transactions.handle_transport_error(now, flow);
            self.drain(now);
        }
    }

    /// Call when the deadline from [`Proxy::poll_timeout`] has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.config.mode != Mode::Stateless {
            self.transactions.handle_timeout(now);
            self.drain(now);
            self.give_up_due(now);
            self.drain(now);
            self.destroy_cancelled_due(now);
            self.drain(now);
        }
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out
            .pop_front()
            .or_else(|| self.transactions.poll_transmit())
    }

    /// When to call [`Proxy::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let give_up = self.give_ups.peek().map(|Reverse((at, _))| *at);
        let cancelled = self.cancelled.peek().map(|Reverse((at, _))| *at);
        [self.transactions.poll_timeout(), give_up, cancelled]
            .into_iter()
            .flatten()
            .min()
    }
}
