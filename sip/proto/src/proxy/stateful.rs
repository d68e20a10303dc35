//! The stateful proxy (RFC 3261 §16.2–§16.10) on top of the transaction layer.

use std::cmp::Reverse;
use std::hash::{Hash, Hasher};
use std::time::Instant;

use bytes::BytesMut;

use sip_types::{HeaderName, Message, Method, RequestBuilder, ResponseBuilder, StatusCode};

use super::context::{Branch, Candidate, ResponseContext};
use super::local::{LocalAddr, LocalAddrs};
use super::request::{plan, Rejection, RoutingContext};
use super::Proxy;
use crate::flow::Flow;
use crate::transaction::{
    ClientInviteState, ClientState, ClientTransactionId, ServerTransactionId, TransactionEvent,
};

impl Proxy {
    pub(super) fn routing(&self) -> RoutingContext<'_> {
        RoutingContext {
            locals: &self.config.locals,
            routes: &self.config.routes,
            hosts: &self.config.hosts,
            record_route: self.config.record_route,
        }
    }

    /// Handle every event the transaction layer has queued (handling may queue more).
    pub(super) fn drain(&mut self, now: Instant) {
        while let Some(event) = self.transactions.poll_event() {
            match event {
                TransactionEvent::Request {
                    id,
                    request,
                    flow,
                    cancels,
                } => {
                    self.on_request(now, id, request, flow, cancels);
                }
                // §16.7 step 10 / RFC 6026: the ACK for a 2xx is end to end, forwarded statelessly.
                TransactionEvent::Ack { request, flow } => self.stateless_request(request, flow),
                TransactionEvent::Response { id, response } => self.on_response(now, id, response),
                TransactionEvent::StrayResponse { response, .. } => {
                    self.forward_response_statelessly(response);
                }
                TransactionEvent::Timeout { id } => {
                    self.on_branch_failure(now, id, StatusCode::REQUEST_TIMEOUT);
                }
                TransactionEvent::TransportError { id } => {
                    self.on_branch_failure(now, id, StatusCode::SERVICE_UNAVAILABLE);
                }
                TransactionEvent::ServerTerminated { id } => self.remove_context(id),
            }
        }
    }

    fn on_request(
        &mut self,
        now: Instant,
        id: ServerTransactionId,
        request: Message,
        flow: Flow,
        cancels: Option<ServerTransactionId>,
    ) {
        if request.method() == Some(&Method::CANCEL) {
            // §16.10: answer the CANCEL, then cancel the matching INVITE's branches.
            match cancels {
                Some(invite) if self.pending.contains_key(&invite) => {
                    self.respond(now, id, &request, StatusCode::OK, None, None);
                    self.cancel_pending_decision(now, invite);
                }
                Some(invite) if self.contexts.contains_key(&invite) => {
                    self.respond(now, id, &request, StatusCode::OK, None, None);
                    self.cancel_context(now, invite);
                }
                _ => self.respond(
                    now,
                    id,
                    &request,
                    StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST,
                    None,
                    None,
                ),
            }
            return;
        }
        if self.config.mode == super::Mode::Application {
            self.request_to_role(now, id, request, flow);
            return;
        }
        match plan(self.routing(), &request, &flow) {
            Err(rejection) => {
                self.stats.rejected += 1;
                self.reject(now, id, &request, &rejection);
            }
            Ok(plan) => {
                if request.method() == Some(&Method::INVITE) {
                    // §16.2: a stateful proxy answers an INVITE with 100 at once.
                    self.respond(now, id, &request, StatusCode::TRYING, None, None);
                }
                self.contexts
                    .insert(id, ResponseContext::new(request, flow, plan));
                if !self.try_next_target(now, id) {
                    self.finish(now, id);
                }
            }
        }
    }

    /// Fork to the next untried target (§16.6) of the current group. False when none could be
    /// sent to.
    pub(super) fn try_next_target(&mut self, now: Instant, id: ServerTransactionId) -> bool {
        let Self {
            contexts,
            config,
            branches,
            transactions,
            client_branches,
            stats,
            give_ups,
            ..
        } = self;
        let Some(ctx) = contexts.get_mut(&id) else {
            return false;
        };
        while ctx.next_target < ctx.group_end {
            let Some(target) = ctx.plan.targets.get(ctx.next_target).copied() else {
                break;
            };
            ctx.next_target += 1;
            let Some(local) = config.locals.for_transport(target.transport).cloned() else {
                ctx.offer(StatusCode::SERVICE_UNAVAILABLE, Candidate::Synthetic);
                continue;
            };
            // The Via line is printed once, straight into its own buffer; the branch is a
            // slice of it (the client transaction's key).
            let mut via_line = BytesMut::with_capacity(96);
            let loop_hash = ctx.plan.loop_hash;
            let branch_range = config.locals.write_via_line(&local, &mut via_line, |out| {
                branches.write_stateful(loop_hash, out)
            });
            let via_line = via_line.freeze();
            let branch = via_line.slice(branch_range);
            // A forked branch has edits of its own; otherwise the last target takes the shared
            // edits and earlier ones work on a copy.
            let own = ctx
                .branch_edits
                .get_mut(ctx.next_target - 1)
                .map(std::mem::take);
            let mut edits = match own {
                Some(edits) => edits,
                None if ctx.next_target == ctx.plan.targets.len() => {
                    std::mem::take(&mut ctx.plan.edits)
                }
                None => ctx.plan.edits.clone(),
            };
            edits.insert(ctx.request.headers_start(), via_line);
            if ctx.plan.record_route {
                add_record_route(&config.locals, &mut edits, &ctx.request, &ctx.flow, &local);
            }
            let outgoing = edits.apply(&ctx.request);
            let flow = Flow {
                transport: target.transport,
                remote: target.addr,
                local: local.addr,
                connection: None,
            };
            let method = ctx.request.method().cloned().unwrap_or(Method::OPTIONS);
            let invite = method == Method::INVITE;
            let sent =
                transactions.send_request_bytes(now, outgoing.clone(), flow, &branch, method);
            if let Some(client) = sent {
                client_branches.insert(client, id);
                let give_up_at = ctx
                    .give_up_after
                    .get(ctx.next_target - 1)
                    .copied()
                    .flatten()
                    .map(|after| now + after);
                if let Some(at) = give_up_at {
                    give_ups.push(Reverse((at, client)));
                }
                // §16.6 step 11: Timer C for every proxied INVITE.
                let timer_c_at = invite.then(|| now + config.timers.timer_c());
                if let Some(at) = timer_c_at {
                    give_ups.push(Reverse((at, client)));
                }
                ctx.branches.push(Branch {
                    id: client,
                    request: outgoing,
                    flow,
                    provisional: false,
                    done: false,
                    cancel_sent: false,
                    give_up_at,
                    timer_c_at,
                    abandoned: false,
                });
                stats.forwarded_requests += 1;
                return true;
            }
        }
        false
    }

    /// Forking: send every target of the next group at once (§16.6 step 1: targets of equal
    /// q in parallel, groups in series). False when none of them could be sent to.
    pub(super) fn start_group(&mut self, now: Instant, id: ServerTransactionId) -> bool {
        let Some(ctx) = self.contexts.get_mut(&id) else {
            return false;
        };
        ctx.group_end = ctx.next_group_end();
        let mut sent = false;
        // Each call consumes at least one target of the group: bounded by its size.
        while self.try_next_target(now, id) {
            sent = true;
        }
        sent
    }

    fn on_response(&mut self, now: Instant, client: ClientTransactionId, response: Message) {
        let Some(status) = response.status() else {
            return;
        };
        if self.cancels.contains(&client) {
            if status.is_final() {
                self.cancels.remove(&client);
            }
            return;
        }
        if !self.originated.is_empty() && self.originated.contains(&client) {
            self.originated_outcome(client, status, Some(response));
            return;
        }
        let Some(&id) = self.client_branches.get(&client) else {
            if !self.orphans.is_empty() {
                self.on_orphan_response(now, client, status);
            }
            // The context is gone (final already sent): 2xx retransmissions still go upstream.
            if status.is_success() {
                self.forward_response_statelessly(response);
            }
            return;
        };
        let Some(ctx) = self.contexts.get_mut(&id) else {
            return;
        };
        let Some(index) = ctx.branches.iter().position(|b| b.id == client) else {
            return;
        };
        let invite = ctx.request.method() == Some(&Method::INVITE);
        if status.is_provisional() {
            let branch = &mut ctx.branches[index];
            branch.provisional = true;
            if invite {
                // The next hop is alive: no more giving up on it.
                branch.give_up_at = None;
                if status != StatusCode::TRYING && branch.timer_c_at.is_some() {
                    // §16.7 step 2: a provisional other than 100 resets Timer C.
                    branch.timer_c_at = Some(now + self.config.timers.timer_c());
                }
            }
            if branch.abandoned {
                // §9.1: a given-up INVITE branch is cancelled once it has a provisional.
                if invite && !branch.cancel_sent {
                    self.send_cancel(now, id, index);
                }
                return;
            }
            if ctx.cancelled && !ctx.branches[index].cancel_sent {
                // §16.10 / §9.1: a branch without a provisional answer is cancelled once it has one.
                self.send_cancel(now, id, index);
            }
            // §16.7 step 5: 100 is never forwarded; other 1xx are, until a final went up.
            let final_sent = self.contexts.get(&id).is_some_and(|c| c.final_sent);
            if status != StatusCode::TRYING && !final_sent {
                self.forward_upstream(now, id, &response);
            }
            return;
        }
        let was_done = std::mem::replace(&mut ctx.branches[index].done, true);
        if ctx.branches[index].abandoned && !(invite && status.is_success()) {
            // Given up (it counts as a 408): only a 2xx to an INVITE still goes up (§16.7
            // step 5), the callee having accepted a dialog.
            return;
        }
        if status.is_success() {
            // §16.7 step 5: every 2xx goes upstream at once; other branches are cancelled.
            ctx.final_sent = true;
            let cancel_others = (!was_done || ctx.branches[index].abandoned) && !ctx.cancelled;
            ctx.cancelled = true;
            self.forward_upstream(now, id, &response);
            self.report_final(id, status, Some(&response));
            if cancel_others {
                self.cancel_pending(now, id);
            }
            self.finish(now, id);
            return;
        }
        if was_done {
            return;
        }
        if status.class() == 6 && !ctx.cancelled {
            // §16.7 step 5: a 6xx ends the search.
            ctx.cancelled = true;
            ctx.offer(status, Candidate::Received(response));
            self.cancel_pending(now, id);
        } else {
            ctx.offer(status, Candidate::Received(response));
        }
        self.finish(now, id);
    }

    /// A response on a given-up INVITE branch whose context has ended: a provisional gets it
    /// cancelled (§9.1); any final ends our interest in it.
    fn on_orphan_response(
        &mut self,
        now: Instant,
        client: ClientTransactionId,
        status: StatusCode,
    ) {
        if status.is_provisional() {
            if let Some((request, flow)) = self.orphans.remove(&client) {
                self.cancel_request(now, client, &request, flow);
            }
        } else {
            self.orphans.remove(&client);
        }
    }

    fn on_branch_failure(&mut self, now: Instant, client: ClientTransactionId, status: StatusCode) {
        if self.cancels.remove(&client) {
            return;
        }
        if !self.orphans.is_empty() && self.orphans.remove(&client).is_some() {
            return;
        }
        if self.originated_outcome(client, status, None) {
            return;
        }
        let Some(&id) = self.client_branches.get(&client) else {
            return;
        };
        let Some(ctx) = self.contexts.get_mut(&id) else {
            return;
        };
        let Some(branch) = ctx.branches.iter_mut().find(|b| b.id == client) else {
            return;
        };
        if branch.done {
            return;
        }
        branch.done = true;
        // §16.8: a timeout counts as a 408 from that branch; §16.9: a transport error as a 503.
        ctx.offer(status, Candidate::Synthetic);
        self.finish(now, id);
    }

    /// When no branch is pending: fail over to the next target, or send the best response
    /// upstream (§16.7 step 6) and drop the context.
    pub(super) fn finish(&mut self, now: Instant, id: ServerTransactionId) {
        let Some(ctx) = self.contexts.get(&id) else {
            return;
        };
        if ctx.pending() {
            return;
        }
        let more = !ctx.final_sent && !ctx.cancelled && ctx.targets_left();
        if more && ctx.is_fork() {
            // §16.6 step 1: every branch of the group failed; the next group (q) goes on.
            // Each round consumes a group: bounded by the number of targets.
            while self.contexts.get(&id).is_some_and(|c| c.targets_left()) {
                if self.start_group(now, id) {
                    return;
                }
            }
        } else if more && ctx.best_is_retryable() && self.try_next_target(now, id) {
            return;
        }
        let Some(mut ctx) = self.contexts.remove(&id) else {
            return;
        };
        if !ctx.final_sent {
            ctx.final_sent = true;
            if ctx.observe {
                // Put back for the duration of the answer so the event sees the request.
                let (status, response) = match &ctx.best {
                    Some((s, Candidate::Received(r))) if *s != StatusCode::SERVICE_UNAVAILABLE => {
                        (*s, Some(r.clone()))
                    }
                    Some((StatusCode::REQUEST_TIMEOUT, Candidate::Synthetic)) => {
                        (StatusCode::REQUEST_TIMEOUT, None)
                    }
                    _ => (StatusCode::SERVER_INTERNAL_ERROR, None),
                };
                self.app_events.push_back(super::AppEvent::Final {
                    id,
                    request: ctx.request.clone(),
                    status,
                    response,
                });
            }
            let strip = std::mem::take(&mut ctx.strip_from_responses);
            match ctx.best.take() {
                // §16.7 step 6: a 503 is not passed on (it would make the upstream think this
                // proxy is overloaded): the proxy answers 500 instead.
                Some((status, Candidate::Received(_)))
                    if status == StatusCode::SERVICE_UNAVAILABLE =>
                {
                    self.respond(
                        now,
                        id,
                        &ctx.request,
                        StatusCode::SERVER_INTERNAL_ERROR,
                        Some("Server Internal Error (next hop unavailable)"),
                        None,
                    );
                }
                Some((_, Candidate::Received(response))) => {
                    self.forward_upstream_stripped(now, id, &response, &strip)
                }
                Some((status, Candidate::Synthetic)) => {
                    let (status, reason) = match status {
                        StatusCode::REQUEST_TIMEOUT => {
                            (status, "Request Timeout (no answer from next hop)")
                        }
                        StatusCode::SERVICE_UNAVAILABLE => (
                            StatusCode::SERVER_INTERNAL_ERROR,
                            "Server Internal Error (next hop unreachable)",
                        ),
                        other => (other, other.canonical_reason()),
                    };
                    self.respond(now, id, &ctx.request, status, Some(reason), None);
                }
                None => self.respond(
                    now,
                    id,
                    &ctx.request,
                    StatusCode::SERVER_INTERNAL_ERROR,
                    Some("Server Internal Error (no target)"),
                    None,
                ),
            }
        }
        let invite = ctx.request.method() == Some(&Method::INVITE);
        for branch in ctx.branches {
            self.client_branches.remove(&branch.id);
            if invite && branch.abandoned && !branch.cancel_sent {
                self.orphans
                    .insert(branch.id, (branch.request, branch.flow));
            }
        }
    }

    /// Give up on every branch whose [`super::Forward::give_up_after`] has passed while it was
    /// still silent: it counts as a 408 (§16.8), and the failover or the answer follows.
    pub(super) fn give_up_due(&mut self, now: Instant) {
        while let Some(Reverse((at, client))) = self.give_ups.peek().copied() {
            if at > now {
                break;
            }
            self.give_ups.pop();
            let Some(&id) = self.client_branches.get(&client) else {
                continue;
            };
            let Some(ctx) = self.contexts.get_mut(&id) else {
                continue;
            };
            let Some(index) = ctx.branches.iter().position(|b| b.id == client) else {
                continue;
            };
            let branch = &mut ctx.branches[index];
            if branch.done {
                continue;
            }
            let given_up = branch.give_up_at == Some(at);
            if !given_up {
                match branch.timer_c_at {
                    // Pushed back by a provisional since this entry was queued.
                    Some(c) if c > at => {
                        self.give_ups.push(Reverse((c, client)));
                        continue;
                    }
                    Some(c) if c == at => {}
                    _ => continue,
                }
            }
            // Given up, or Timer C fired (§16.8): it counts as a 408, and an INVITE branch
            // that has had a provisional is cancelled (§9.1).
            branch.done = true;
            branch.abandoned = true;
            branch.give_up_at = None;
            branch.timer_c_at = None;
            let cancel = !given_up && branch.provisional && !branch.cancel_sent;
            ctx.offer(StatusCode::REQUEST_TIMEOUT, Candidate::Synthetic);
            // No more copies of a request given up on; a late answer is still absorbed.
            self.transactions.stop_retransmitting(client);
            if cancel {
                self.send_cancel(now, id, index);
            }
            self.finish(now, id);
        }
    }

    /// Destroy every cancelled INVITE branch still without a final response 64·T1 after its
    /// CANCEL (RFC 3261 §9.1); a context still waiting for it takes it as a 408 (§16.8).
    pub(super) fn destroy_cancelled_due(&mut self, now: Instant) {
        while let Some(Reverse((at, client))) = self.cancelled.peek().copied() {
            if at > now {
                break;
            }
            self.cancelled.pop();
            let waiting = matches!(
                self.transactions.client_state(client),
                Some(ClientState::Invite(ClientInviteState::Proceeding))
            );
            if waiting && self.transactions.abandon_client(client) {
                self.on_branch_failure(now, client, StatusCode::REQUEST_TIMEOUT);
            }
        }
    }

    fn remove_context(&mut self, id: ServerTransactionId) {
        self.pending.remove(&id);
        if let Some(ctx) = self.contexts.remove(&id) {
            for branch in &ctx.branches {
                self.client_branches.remove(&branch.id);
            }
        }
    }

    /// §16.10: a CANCEL for the request of context `id`.
    fn cancel_context(&mut self, now: Instant, id: ServerTransactionId) {
        if let Some(ctx) = self.contexts.get_mut(&id) {
            ctx.cancelled = true;
        }
        self.cancel_pending(now, id);
    }

    /// CANCEL every pending branch that has had a provisional response; the others are
    /// cancelled when theirs arrives (§9.1).
    fn cancel_pending(&mut self, now: Instant, id: ServerTransactionId) {
        let Some(ctx) = self.contexts.get(&id) else {
            return;
        };
        if ctx.request.method() != Some(&Method::INVITE) {
            return;
        }
        let due: Vec<usize> = (0..ctx.branches.len())
            .filter(|&i| {
                let b = &ctx.branches[i];
                !b.done && b.provisional && !b.cancel_sent
            })
            .collect();
        for index in due {
            self.send_cancel(now, id, index);
        }
    }

    /// Build the CANCEL of branch `index` (§9.1: same Request-URI, Call-ID, To, From, CSeq
    /// number and top Via as the request it cancels, and its Route headers).
    fn send_cancel(&mut self, now: Instant, id: ServerTransactionId, index: usize) {
        let Some(ctx) = self.contexts.get_mut(&id) else {
            return;
        };
        let Some(branch) = ctx.branches.get_mut(index) else {
            return;
        };
        branch.cancel_sent = true;
        let (client, request, flow) = (branch.id, branch.request.clone(), branch.flow);
        self.cancel_request(now, client, &request, flow);
    }

    /// Send the CANCEL of `request`, sent on `flow` by client transaction `client`, and
    /// schedule that transaction's end should the final response never come (§9.1).
    fn cancel_request(
        &mut self,
        now: Instant,
        client: ClientTransactionId,
        request: &bytes::Bytes,
        flow: Flow,
    ) {
        self.cancelled
            .push(Reverse((now + self.config.timers.t1_x64(), client)));
        let Ok(sent) = Message::parse(request.clone()) else {
            return;
        };
        let (Some(uri), Ok(cseq), Some(via)) = (
            sent.request_uri(),
            sent.cseq(),
            sent.header_values(HeaderName::VIA).next(),
        ) else {
            return;
        };
        let mut builder = RequestBuilder::new(Method::CANCEL, uri).header("Via", via.text);
        for route in sent.header_values(HeaderName::ROUTE) {
            builder = builder.header("Route", route.text);
        }
        for name in [HeaderName::FROM, HeaderName::TO, HeaderName::CALL_ID] {
            if let Some(value) = sent.header(name) {
                builder = builder.header(name.as_str(), value);
            }
        }
        let builder = builder
            .header("CSeq", format!("{} CANCEL", cseq.seq))
            .header("Max-Forwards", "70");
        let Ok(cancel) = Message::parse(builder.build()) else {
            return;
        };
        if let Some(client) = self.transactions.send_request(now, cancel, flow) {
            self.cancels.insert(client);
        }
    }

    /// Application mode: tell the role which final response went upstream.
    fn report_final(
        &mut self,
        id: ServerTransactionId,
        status: StatusCode,
        response: Option<&Message>,
    ) {
        if let Some(ctx) = self.contexts.get(&id) {
            if ctx.observe {
                self.app_events.push_back(super::AppEvent::Final {
                    id,
                    request: ctx.request.clone(),
                    status,
                    response: response.cloned(),
                });
            }
        }
    }

    /// Send `response` from a branch upstream through server transaction `id`, without our Via
    /// (and without the headers the role asked to strip).
    fn forward_upstream(&mut self, now: Instant, id: ServerTransactionId, response: &Message) {
        let strip = match self.contexts.get(&id) {
            Some(ctx) if !ctx.strip_from_responses.is_empty() => ctx.strip_from_responses.clone(),
            _ => Vec::new(),
        };
        self.forward_upstream_stripped(now, id, response, &strip);
    }

    fn forward_upstream_stripped(
        &mut self,
        now: Instant,
        id: ServerTransactionId,
        response: &Message,
        strip: &[HeaderName],
    ) {
        let Some(top) = response.header_values(HeaderName::VIA).next() else {
            return;
        };
        let Some(status) = response.status() else {
            return;
        };
        let mut edits = sip_types::Edits::new();
        edits.remove_value(response, &top);
        for name in strip {
            edits.remove_header(response, *name);
        }
        if self
            .transactions
            .send_response_bytes(now, id, status, edits.apply(response))
        {
            self.stats.forwarded_responses += 1;
        }
    }

    pub(super) fn reject(
        &mut self,
        now: Instant,
        id: ServerTransactionId,
        request: &Message,
        rejection: &Rejection,
    ) {
        let extra = rejection
            .unsupported
            .as_deref()
            .map(|tags| ("Unsupported", tags));
        self.respond(
            now,
            id,
            request,
            rejection.status,
            Some(rejection.reason),
            extra,
        );
    }

    /// Answer `request` ourselves through server transaction `id`.
    pub(super) fn respond(
        &mut self,
        now: Instant,
        id: ServerTransactionId,
        request: &Message,
        status: StatusCode,
        reason: Option<&str>,
        extra: Option<(&str, &str)>,
    ) {
        // A 100 carries no To tag (RFC 3261 §8.2.6.2): no tag to compute.
        let tag = (status != StatusCode::TRYING).then(|| local_tag(self.config.seed, request));
        let mut builder = ResponseBuilder::new(request, status);
        if let Some(reason) = reason {
            builder = builder.reason(reason);
        }
        if let Some(tag) = &tag {
            builder = builder.to_tag(tag);
        }
        if let Some((name, value)) = extra {
            builder = builder.header(name, value);
        }
        self.transactions
            .send_response_bytes(now, id, status, builder.build());
    }
}

/// Add our Record-Route (§16.6 step 4); two when the request leaves on another interface or
/// transport than it came in on, so that each side sees an address it can reach.
pub(super) fn add_record_route(
    locals: &LocalAddrs,
    edits: &mut sip_types::Edits,
    request: &Message,
    incoming: &Flow,
    outgoing: &LocalAddr,
) {
    edits.insert(request.headers_start(), locals.record_route_line(outgoing));
    let inbound = LocalAddr {
        transport: incoming.transport,
        addr: incoming.local,
    };
    if inbound != *outgoing {
        edits.insert(request.headers_start(), locals.record_route_line(&inbound));
    }
}

/// A To tag for responses this proxy makes, stable across retransmissions of the request.
pub(super) fn local_tag(seed: u64, request: &Message) -> String {
    let mut h = super::branch::Fnv64::default();
    seed.hash(&mut h);
    request.call_id().ok().hash(&mut h);
    request.cseq().ok().map(|c| c.seq).hash(&mut h);
    request.from().ok().and_then(|f| f.tag()).hash(&mut h);
    let mut tag = Vec::with_capacity(16);
    super::branch::put_hex(&mut tag, h.finish(), 1);
    String::from_utf8(tag).unwrap_or_default()
}
