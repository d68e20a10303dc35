//! Application mode: the proxy core keeps the transactions, the RFC 3261 §16 checks, Route
//! processing, response selection and CANCEL, while a role (a registrar, a CSCF) decides what
//! happens to each request: answer it, or forward it with its own edits and targets. Roles may
//! also send requests of their own (a third-party REGISTER, a BYE, a NOTIFY).
//!
//! The calling contract adds two calls to the proxy's: drain [`Proxy::poll_app_event`] after
//! feeding the core, and give each [`AppEvent::Request`] a [`Decision`] through
//! [`Proxy::decide`] (later is fine: the core has sent 100 Trying for an INVITE, and the
//! transaction layer absorbs retransmissions meanwhile).

use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_types::{Edits, HeaderName, Message, Method, ResponseBuilder, StatusCode};

use super::context::ResponseContext;
use super::locate::Target;
use super::request::{plan_for_role, Plan};
use super::stateful::local_tag;
use super::Proxy;
use crate::flow::Flow;
use crate::transaction::{ClientTransactionId, ServerTransactionId};

/// A request handed to the role: the request as received, where it came from, and the plan
/// the §16 rules made (Max-Forwards, our Route values popped, received/rport; targets from the
/// next Route value, or none when `plan.by_request_uri` says the role must choose).
#[derive(Debug)]
pub struct AppRequest {
    /// The server transaction; pass it back to [`Proxy::decide`].
    pub id: ServerTransactionId,
    /// The request as received.
    pub request: Message,
    /// Where it came from.
    pub flow: Flow,
    /// What the proxy rules would do.
    pub plan: Plan,
}

/// What the proxy core tells the role.
#[derive(Debug)]
pub enum AppEvent {
    /// A request that needs a [`Decision`].
    Request(AppRequest),
    /// The final response sent upstream for a request forwarded with `observe` set: the one
    /// received (`response`), or one the proxy made (408 on timeout, 500...; `response` None).
    /// Every 2xx of a forked INVITE is reported.
    Final {
        /// The server transaction.
        id: ServerTransactionId,
        /// The request as received.
        request: Message,
        /// The status sent upstream.
        status: StatusCode,
        /// The response received from downstream, when it came from there.
        response: Option<Message>,
    },
    /// The final outcome of a request the role sent with [`Proxy::originate`]: the response,
    /// or 408 (timeout) / 503 (transport error) with no response.
    Originated {
        /// The client transaction [`Proxy::originate`] returned.
        id: ClientTransactionId,
        /// Final status.
        status: StatusCode,
        /// The response, when one arrived.
        response: Option<Message>,
    },
}

/// A response the role makes itself.
#[derive(Debug, Clone)]
pub struct LocalResponse {
    /// Status code.
    pub status: StatusCode,
    /// Reason phrase; the canonical one when `None`.
    pub reason: Option<String>,
    /// Extra headers, in order.
    pub headers: Vec<(String, String)>,
    /// Content type and body.
    pub body: Option<(String, Bytes)>,
}

impl LocalResponse {
    /// A response with `status` and nothing else.
    pub fn new(status: StatusCode) -> Self {
        Self {
            status,
            reason: None,
            headers: Vec::new(),
            body: None,
        }
    }

    /// With a reason phrase naming the cause.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// With one more header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// With a body.
    pub fn body(mut self, content_type: impl Into<String>, body: impl Into<Bytes>) -> Self {
        self.body = Some((content_type.into(), body.into()));
        self
    }
}

/// How to forward a request.
#[derive(Debug, Clone)]
pub struct Forward {
    /// Edits applied to the received request (start from the plan's; add Path, P-Asserted-
    /// Identity, a new Request-URI, Route values...).
    pub edits: Edits,
    /// Targets, tried in series on 408/5xx/transport failure.
    pub targets: Vec<Target>,
    /// Insert our Record-Route (§16.6 step 4).
    pub record_route: bool,
    /// Report the final response with [`AppEvent::Final`].
    pub observe: bool,
    /// Headers removed from every response before it goes upstream (e.g. P-CSCF towards UE).
    pub strip_from_responses: Vec<HeaderName>,
    /// Give up on `targets[i]` after `give_up_after[i]` without an answer (Kamailio's per-route
    /// `fr_timer`; the ISC timer of an S-CSCF): for an INVITE, without any response (a 1xx,
    /// 100 included, disarms it: the next hop is alive and the transaction's own rules
    /// apply); for other methods, without a final response. The branch then counts as a 408
    /// (RFC 3261 §16.8) and the serial failover goes on; a provisional arriving later on a
    /// given-up INVITE branch is answered with CANCEL (§9.1), a later non-2xx final is
    /// ignored. Missing or `None` entries: Timer B/F only.
    pub give_up_after: Vec<Option<Duration>>,
}

impl Forward {
    /// Forward as the plan says (in-dialog requests, requests with a Route to follow).
    pub fn from_plan(plan: Plan) -> Self {
        Self {
            edits: plan.edits,
            targets: plan.targets,
            record_route: plan.record_route,
            observe: false,
            strip_from_responses: Vec::new(),
            give_up_after: Vec::new(),
        }
    }
}

/// One branch of a fork: its own edits (typically a Request-URI and Route set per contact),
/// where it goes and its serial group.
#[derive(Debug, Clone)]
pub struct ForkBranch {
    /// Edits applied to the received request for this branch.
    pub edits: Edits,
    /// Where this branch goes.
    pub target: Target,
    /// Serial group (RFC 3261 §16.6 step 1, a target set tried by decreasing q): lower groups
    /// go first; branches of one group go in parallel. 0 everywhere: one parallel fork.
    pub group: u32,
}

impl ForkBranch {
    /// A branch of group 0.
    pub fn new(edits: Edits, target: Target) -> Self {
        Self {
            edits,
            target,
            group: 0,
        }
    }
}

/// Forward to several destinations (RFC 3261 §16.6 forking, §16.7 response selection): the
/// branches of the lowest [`ForkBranch::group`] are sent at once; only when every one of them
/// has a final non-2xx response (or timed out) does the next group start. The first 2xx goes
/// upstream and the other branches are cancelled; a 6xx, or a CANCEL from upstream, cancels
/// the current group and starts no further one. Otherwise the best final response of all
/// groups wins.
#[derive(Debug, Clone)]
pub struct Fork {
    /// The branches.
    pub branches: Vec<ForkBranch>,
    /// Insert our Record-Route (§16.6 step 4).
    pub record_route: bool,
    /// Report the final response with [`AppEvent::Final`].
    pub observe: bool,
    /// Headers removed from every response before it goes upstream.
    pub strip_from_responses: Vec<HeaderName>,
}

/// The role's answer to an [`AppEvent::Request`].
#[derive(Debug, Clone)]
pub enum Decision {
    /// Answer the request.
    Respond(LocalResponse),
    /// Forward it (targets in series).
    Forward(Forward),
    /// Fork it (in parallel, or in serial groups).
    Fork(Fork),
}

/// A request waiting for the role's decision.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) request: Message,
    pub(super) flow: Flow,
    pub(super) loop_hash: u32,
    /// A CANCEL answered it (487) before the role decided.
    pub(super) cancelled: bool,
}

impl Proxy {
    /// The next event for the role (application mode).
    pub fn poll_app_event(&mut self) -> Option<AppEvent> {
        self.app_events.pop_front()
    }

    /// Requests waiting for a decision.
    pub fn pending_decisions(&self) -> usize {
        self.pending.len()
    }

    /// Hand a request to the role (application mode), after the §16.3 checks.
    pub(super) fn request_to_role(
        &mut self,
        now: Instant,
        id: ServerTransactionId,
        request: Message,
        flow: Flow,
    ) {
        match plan_for_role(self.routing(), &request, &flow) {
            Err(rejection) => {
                self.stats.rejected += 1;
                self.reject(now, id, &request, &rejection);
            }
            Ok(plan) => {
                if request.method() == Some(&Method::INVITE) {
                    self.respond(now, id, &request, StatusCode::TRYING, None, None);
                }
                self.pending.insert(
                    id,
                    Pending {
                        request: request.clone(),
                        flow,
                        loop_hash: plan.loop_hash,
                        cancelled: false,
                    },
                );
                self.app_events.push_back(AppEvent::Request(AppRequest {
                    id,
                    request,
                    flow,
                    plan,
                }));
            }
        }
    }

    /// Carry out the role's decision on request `id`. Unknown or cancelled ids are ignored.
    pub fn decide(&mut self, now: Instant, id: ServerTransactionId, decision: Decision) {
        let Some(pending) = self.pending.remove(&id) else {
            return;
        };
        if pending.cancelled {
            return;
        }
        match decision {
            Decision::Respond(answer) => {
                let bytes = build_local_response(self.config.seed, &pending.request, &answer);
                self.transactions
                    .send_response_bytes(now, id, answer.status, bytes);
            }
            Decision::Forward(forward) => {
                let plan = Plan {
                    edits: forward.edits,
                    targets: forward.targets,
                    record_route: forward.record_route,
                    loop_hash: pending.loop_hash,
                    route: None,
                    by_request_uri: false,
                };
                let mut ctx = ResponseContext::new(pending.request, pending.flow, plan);
                ctx.observe = forward.observe;
                ctx.strip_from_responses = forward.strip_from_responses;
                ctx.give_up_after = forward.give_up_after;
                self.contexts.insert(id, ctx);
                if !self.try_next_target(now, id) {
                    self.finish(now, id);
                }
            }
            Decision::Fork(fork) => {
                let mut branches = fork.branches;
                // Stable: within a group the role's order is kept.
                branches.sort_by_key(|b| b.group);
                let groups: Vec<u32> = branches.iter().map(|b| b.group).collect();
                let (targets, edits): (Vec<Target>, Vec<Edits>) =
                    branches.into_iter().map(|b| (b.target, b.edits)).unzip();
                let plan = Plan {
                    edits: Edits::new(),
                    targets,
                    record_route: fork.record_route,
                    loop_hash: pending.loop_hash,
                    route: None,
                    by_request_uri: false,
                };
                let mut ctx = ResponseContext::new(pending.request, pending.flow, plan);
                ctx.observe = fork.observe;
                ctx.strip_from_responses = fork.strip_from_responses;
                ctx.branch_edits = edits;
                ctx.groups = groups;
                self.contexts.insert(id, ctx);
                if !self.start_group(now, id) {
                    // Nothing of the first group could be sent: the next group, or the answer.
                    self.finish(now, id);
                }
            }
        }
    }

    /// A CANCEL for a request still waiting for the role: answer it 487 now (§16.10) and drop
    /// the role's decision when it comes. True when `id` was pending.
    pub(super) fn cancel_pending_decision(
        &mut self,
        now: Instant,
        id: ServerTransactionId,
    ) -> bool {
        let Some(pending) = self.pending.get_mut(&id) else {
            return false;
        };
        pending.cancelled = true;
        let request = pending.request.clone();
        self.respond(
            now,
            id,
            &request,
            StatusCode::REQUEST_TERMINATED,
            None,
            None,
        );
        true
    }

    /// Send a request of the role's own (a NOTIFY, a BYE, a third-party REGISTER) to `target`
    /// through a client transaction, with our Via on top. The outcome comes back as
    /// [`AppEvent::Originated`]. `None` when no listener serves the target's transport or the
    /// request cannot be parsed.
    pub fn originate(
        &mut self,
        now: Instant,
        request: Bytes,
        target: Target,
    ) -> Option<ClientTransactionId> {
        let parsed = Message::parse(request).ok()?;
        let method = parsed.method()?.clone();
        let local = self.config.locals.for_transport(target.transport)?.clone();
        let branch = self.branches.stateful(0);
        let mut edits = Edits::new();
        edits.prepend_header(
            &parsed,
            HeaderName::VIA,
            &self.config.locals.via_for(&local, &branch),
        );
        let flow = Flow {
            transport: target.transport,
            remote: target.addr,
            local: local.addr,
            connection: None,
        };
        let id = self.transactions.send_request_bytes(
            now,
            edits.apply(&parsed),
            flow,
            branch.as_bytes(),
            method,
        )?;
        self.originated.insert(id);
        Some(id)
    }

    /// Report the final outcome of an originated request; true when `id` was one.
    pub(super) fn originated_outcome(
        &mut self,
        id: ClientTransactionId,
        status: StatusCode,
        response: Option<Message>,
    ) -> bool {
        if !status.is_final() {
            return self.originated.contains(&id);
        }
        if !self.originated.remove(&id) {
            return false;
        }
        self.app_events.push_back(AppEvent::Originated {
            id,
            status,
            response,
        });
        true
    }
}

/// Build a response the role asked for, with our To tag (stable across retransmissions).
fn build_local_response(seed: u64, request: &Message, answer: &LocalResponse) -> Bytes {
    let tag = local_tag(seed, request);
    let mut builder = ResponseBuilder::new(request, answer.status);
    if let Some(reason) = answer.reason.as_deref() {
        builder = builder.reason(reason);
    }
    if answer.status != StatusCode::TRYING && request.to().ok().and_then(|t| t.tag()).is_none() {
        builder = builder.to_tag(&tag);
    }
    for (name, value) in &answer.headers {
        builder = builder.header(name, value.as_str());
    }
    if let Some((content_type, body)) = &answer.body {
        builder = builder.body(content_type, body.clone());
    }
    builder.build()
}
