//! Application messages on an open connection (RFC 6733 §6): validation with error answers,
//! local delivery or relay (§6.1.8, Route-Record, 3002/3003/3005), duplicate detection
//! (§5.5.4), answers matched by Hop-by-Hop (§6.2), request timeouts and failover with the T
//! flag (§5.5.4).

use std::time::Instant;

use diameter_codec::dict;
use diameter_codec::generated::base::avp as b;
use diameter_codec::{error_answer_for, validate, AvpContainer, Message, ResultCode};

use crate::capabilities::supports;
use crate::config::{ConnectionId, PeerId, RequestRef};
use crate::dup::Seen;
use crate::event::NodeEvent;
use crate::node::{after, text, Node, MAX_INCOMING};
use crate::pending::{Origin, Pending};
use crate::wire;

impl Node {
    /// Sends `frame` as the answer to `request` on `conn`.
    fn answer_error(&mut self, conn: ConnectionId, request: &Message, code: ResultCode) {
        let a = wire::protocol_error(&self.local, request, code);
        self.send(conn, a);
    }

    /// The next hop for a request (§6.1.4-§6.1.6): the peer named by Destination-Host if
    /// open, else the realm routing table by metric. Peers in `exclude` are skipped.
    pub(crate) fn select_peer(
        &self,
        dest_host: Option<&str>,
        dest_realm: Option<&str>,
        app: u32,
        exclude: &[PeerId],
    ) -> Option<PeerId> {
        let usable = |id: PeerId| {
            !exclude.contains(&id)
                && self
                    .peer(id)
                    .is_some_and(|p| p.available() && supports(&p.applications, p.relay, app))
        };
        if let Some(id) = dest_host.and_then(|h| self.peer_by_host(h)) {
            if usable(id) {
                return Some(id);
            }
        }
        let realm = dest_realm?;
        self.routes.candidates(realm, app).find(|id| usable(*id))
    }

    /// Rcv-Message (request) from an open peer.
    pub(crate) fn app_request(
        &mut self,
        now: Instant,
        id: PeerId,
        conn: ConnectionId,
        msg: Message,
    ) {
        let h = *msg.header();
        let from = RequestRef {
            conn,
            hop_by_hop: h.hop_by_hop,
        };
        let (Ok(dest_host), Ok(dest_realm)) = (
            text(&msg, &b::DESTINATION_HOST),
            text(&msg, &b::DESTINATION_REALM),
        ) else {
            // A bad Destination-* value: the validator names it (5004).
            self.validate_or_answer(conn, &msg);
            return;
        };
        let for_us = match (&dest_host, &dest_realm) {
            (Some(dh), _) => dh.eq_ignore_ascii_case(&self.local.origin_host),
            (None, Some(dr)) => dr.eq_ignore_ascii_case(&self.local.origin_realm),
            (None, None) => true,
        };
        if !for_us && h.flags.is_proxiable() {
            if self.config.relay {
                self.relay(now, id, from, &msg, dest_host, dest_realm);
            } else {
                let ours = dest_realm
                    .as_deref()
                    .is_none_or(|r| r.eq_ignore_ascii_case(&self.local.origin_realm));
                let code = if ours {
                    ResultCode::DIAMETER_UNABLE_TO_DELIVER
                } else {
                    ResultCode::DIAMETER_REALM_NOT_SERVED
                };
                self.answer_error(conn, &msg, code);
            }
            return;
        }
        // Local delivery: the application must be ours (§6.1.5), the command known and the
        // message valid (§7), before the user sees it.
        let app = h.application_id.0;
        if app != 0 && !self.local.applications.iter().any(|a| a.id() == app) {
            self.answer_error(conn, &msg, ResultCode::DIAMETER_APPLICATION_UNSUPPORTED);
            return;
        }
        if !self.validate_or_answer(conn, &msg) {
            return;
        }
        if self.incoming.len() >= MAX_INCOMING {
            self.answer_error(conn, &msg, ResultCode::DIAMETER_TOO_BUSY);
            return;
        }
        let key = msg.get(&b::ORIGIN_HOST).ok().flatten().map(|o| {
            (
                o.as_str().to_ascii_lowercase().into_boxed_str(),
                h.end_to_end,
            )
        });
        if let Some(k) = &key {
            match self.dups.check(k) {
                Seen::New => {}
                // §5.5.4: a retransmission of an answered request gets the same answer.
                Seen::Answered(a) if h.flags.is_retransmit() => {
                    self.send(conn, wire::with_ids(&a, h.hop_by_hop, None));
                    return;
                }
                // Still being processed: this copy gets the answer too (§5.5.4).
                Seen::InProgress if h.flags.is_retransmit() => {
                    if self.dup_waiters.len() < self.config.duplicate_cache {
                        self.dup_waiters.insert(k.clone(), from);
                    }
                    return;
                }
                // Same identifiers without the T flag: a new request (the peer reused them).
                Seen::Answered(_) | Seen::InProgress => {}
            }
        }
        self.incoming.insert(from, key);
        self.events
            .push_back(NodeEvent::Request { request: msg, from });
    }

    /// Validates a request for local delivery; on failure answers it and returns false.
    fn validate_or_answer(&mut self, conn: ConnectionId, msg: &Message) -> bool {
        let h = msg.header();
        let Some(cmd) = dict::command(h.code, h.application_id, true) else {
            self.answer_error(conn, msg, ResultCode::DIAMETER_COMMAND_UNSUPPORTED);
            return false;
        };
        match validate(msg, cmd) {
            Ok(()) => true,
            Err(e) => {
                let a =
                    error_answer_for(msg, &e, &self.local.origin_host, &self.local.origin_realm);
                self.send(conn, a);
                false
            }
        }
    }

    /// Relay agent forwarding (§6.1.8): loop check on Route-Record (3005), next hop by
    /// Destination-Host/Realm (3002/3003), Route-Record of the previous hop appended, new
    /// Hop-by-Hop remembered for the answer.
    fn relay(
        &mut self,
        now: Instant,
        from_peer: PeerId,
        from: RequestRef,
        msg: &Message,
        dest_host: Option<String>,
        dest_realm: Option<String>,
    ) {
        let me = self.local.origin_host.as_str();
        let looped = msg
            .get(&b::ORIGIN_HOST)
            .ok()
            .flatten()
            .is_some_and(|o| o.as_str().eq_ignore_ascii_case(me))
            || msg.avps().map_while(Result::ok).any(|a| {
                a.code() == b::ROUTE_RECORD.code() && a.data().eq_ignore_ascii_case(me.as_bytes())
            });
        if looped {
            self.answer_error(from.conn, msg, ResultCode::DIAMETER_LOOP_DETECTED);
            return;
        }
        // Never back to the sender, nor to a peer the request already went through.
        let mut exclude = vec![from_peer];
        for a in msg.avps().map_while(Result::ok) {
            if a.code() != b::ROUTE_RECORD.code() {
                continue;
            }
            let data = a.data();
            let hop = std::str::from_utf8(&data)
                .ok()
                .and_then(|h| self.peer_by_host(h));
            if let Some(p) = hop.filter(|p| !exclude.contains(p)) {
                exclude.push(p);
            }
        }
        let app = msg.header().application_id.0;
        let Some(next) =
            self.select_peer(dest_host.as_deref(), dest_realm.as_deref(), app, &exclude)
        else {
            let served = dest_realm.as_deref().is_none_or(|r| {
                self.routes.serves(r) || r.eq_ignore_ascii_case(&self.local.origin_realm)
            });
            let code = if served {
                ResultCode::DIAMETER_UNABLE_TO_DELIVER
            } else {
                ResultCode::DIAMETER_REALM_NOT_SERVED
            };
            self.answer_error(from.conn, msg, code);
            return;
        };
        let Some((conn, timeout)) = self
            .peer(next)
            .and_then(|p| Some((p.conn?, p.cfg.request_timeout)))
        else {
            return;
        };
        let from_host = self.peer_host(from_peer).to_owned();
        let hbh = self.alloc_hbh();
        let frame = wire::relayed(msg, hbh, &from_host);
        self.send(conn, frame.clone());
        self.pending.insert(
            hbh,
            Pending {
                origin: Origin::Relay(from),
                frame,
                tried: {
                    exclude.push(next);
                    exclude
                },
                deadline: after(now, timeout),
                dest_host,
                dest_realm,
                app,
            },
        );
    }

    /// Rcv-Message (answer): matched by Hop-by-Hop to a pending request from a peer it was
    /// sent to (§6.2); unknown answers are discarded.
    pub(crate) fn app_answer(&mut self, id: PeerId, msg: Message) {
        let hbh = msg.header().hop_by_hop;
        if !self.pending.get(hbh).is_some_and(|p| p.tried.contains(&id)) {
            return;
        }
        let Some(p) = self.pending.remove(hbh) else {
            return;
        };
        match p.origin {
            Origin::Local(token) => self
                .events
                .push_back(NodeEvent::Answer { token, answer: msg }),
            // §6.2.2: the relay restores the Hop-by-Hop Identifier it received.
            Origin::Relay(from) => {
                if self.conns.contains_key(&from.conn) {
                    let f = wire::with_ids(msg.as_bytes(), from.hop_by_hop, None);
                    self.send(from.conn, f);
                }
            }
        }
    }

    /// A request that will get no answer: Timeout to the user, 3002 to a relayed origin.
    pub(crate) fn fail_pending(&mut self, p: Pending) {
        match p.origin {
            Origin::Local(token) => self.events.push_back(NodeEvent::Timeout { token }),
            Origin::Relay(from) => {
                if !self.conns.contains_key(&from.conn) {
                    return;
                }
                if let Ok(req) = Message::decode(p.frame) {
                    let a = wire::protocol_error(
                        &self.local,
                        &req,
                        ResultCode::DIAMETER_UNABLE_TO_DELIVER,
                    );
                    self.send(from.conn, wire::with_ids(&a, from.hop_by_hop, None));
                }
            }
        }
    }

    /// Failover (§5.5.4, RFC 3539 Failover()): requests waiting on `from` go to an alternate
    /// peer with the T flag. With no alternate they wait on (SUSPECT) or fail (`closed`).
    pub(crate) fn failover(&mut self, now: Instant, from: PeerId, closed: bool) {
        for hbh in self.pending.waiting_on(from) {
            let Some(p) = self.pending.get(hbh) else {
                continue;
            };
            let next = self.select_peer(
                p.dest_host.as_deref(),
                p.dest_realm.as_deref(),
                p.app,
                &p.tried,
            );
            let target = next.and_then(|n| {
                self.peer(n)
                    .and_then(|q| Some((n, q.conn?, q.cfg.request_timeout)))
            });
            match target {
                Some((n, conn, timeout)) => {
                    let Some(mut p) = self.pending.remove(hbh) else {
                        continue;
                    };
                    p.frame = wire::with_retransmit(&p.frame);
                    p.tried.push(n);
                    p.deadline = after(now, timeout);
                    self.send(conn, p.frame.clone());
                    self.pending.insert(hbh, p);
                }
                None if closed => {
                    if let Some(p) = self.pending.remove(hbh) {
                        self.fail_pending(p);
                    }
                }
                None => {}
            }
        }
    }
}
