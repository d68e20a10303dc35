//! The RFC 6733 §5.6 peer state machine with election (§5.6.4), the capabilities exchange
//! (§5.3) and disconnection (§5.4). Each arm is headed by its row of the §5.6 table:
//! `state / event → action(s) → new state`.

use std::time::Instant;

use bytes::Bytes;
use diameter_codec::generated::base::{self, avp as b, DisconnectCause};
use diameter_codec::{
    error_answer, error_answer_for, validate, AvpContainer, CommandCode, Header, Message,
    ResultCode,
};

use crate::capabilities::{negotiate, PeerCaps};
use crate::config::{ConnectionId, PeerConfig, PeerId};
use crate::event::{NodeEvent, PeerState, WatchdogState};
use crate::node::{after, Conn, Node};
use crate::peer::Elect;
use crate::wire;

/// The base protocol commands handled by the peer layer itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BaseCommand {
    /// Capabilities-Exchange (§5.3).
    Ce,
    /// Device-Watchdog (§5.5).
    Dw,
    /// Disconnect-Peer (§5.4).
    Dp,
    /// Anything else: an application message.
    Other,
}

/// Classifies a command code against the dictionary's base commands.
fn base_command(code: CommandCode) -> BaseCommand {
    if code == base::cmd::CER.code {
        BaseCommand::Ce
    } else if code == base::cmd::DWR.code {
        BaseCommand::Dw
    } else if code == base::cmd::DPR.code {
        BaseCommand::Dp
    } else {
        BaseCommand::Other
    }
}

/// Why a peer went to Closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// Transport loss, timeout, rejection: reconnect with backoff, REOPEN next time.
    Failure,
    /// DPR/DPA exchange: reconnect per Disconnect-Cause.
    Graceful,
}

impl Node {
    /// Start / Tc expiry: Closed → I-Snd-Conn-Req → Wait-Conn-Ack.
    pub(crate) fn connect(&mut self, now: Instant, id: PeerId) {
        let Some(p) = self.peer_mut(id) else { return };
        p.state = PeerState::WaitConnAck;
        p.reconnect_at = None;
        p.fsm_deadline = Some(after(now, p.cfg.tc));
        self.events.push_back(NodeEvent::Connect { peer: id });
    }

    /// Whether the local node wins the election against `peer_host` (§5.6.4): the higher
    /// Origin-Host, compared as ASCII case-insensitively, wins.
    fn wins_election(&self, peer_host: &str) -> bool {
        let mine = self.local.origin_host.to_ascii_lowercase();
        mine.as_bytes() > peer_host.to_ascii_lowercase().as_bytes()
    }

    pub(crate) fn i_rcv_conn_ack(&mut self, now: Instant, id: PeerId, conn: ConnectionId) {
        let Some(state) = self.peer(id).map(|p| p.state) else {
            self.events.push_back(NodeEvent::Close { conn });
            return;
        };
        if self.conns.contains_key(&conn) {
            return;
        }
        match state {
            // Wait-Conn-Ack / I-Rcv-Conn-Ack → I-Snd-CER → Wait-I-CEA
            PeerState::WaitConnAck => {
                self.conns.insert(
                    conn,
                    Conn {
                        peer: Some(id),
                        cer_deadline: None,
                    },
                );
                self.i_snd_cer(now, id, conn);
                if let Some(p) = self.peer_mut(id) {
                    p.state = PeerState::WaitICea;
                }
            }
            // Wait-Conn-Ack/Elect / I-Rcv-Conn-Ack → I-Snd-CER, Elect → Wait-Returns
            // (a won election goes straight on: I-Disc, R-Snd-CEA → R-Open)
            PeerState::WaitConnAckElect => {
                let host = self
                    .peer(id)
                    .and_then(|p| p.elect.as_ref())
                    .map(|e| e.caps.host.clone())
                    .unwrap_or_default();
                if self.wins_election(&host) {
                    self.events.push_back(NodeEvent::Close { conn });
                    self.r_snd_cea_open(now, id);
                } else {
                    self.conns.insert(
                        conn,
                        Conn {
                            peer: Some(id),
                            cer_deadline: None,
                        },
                    );
                    self.i_snd_cer(now, id, conn);
                    if let Some(p) = self.peer_mut(id) {
                        p.state = PeerState::WaitReturns;
                    }
                }
            }
            // Any other state: a stale connect completes; close it.
            _ => self.events.push_back(NodeEvent::Close { conn }),
        }
    }

    /// I-Snd-CER: sends our CER on `conn` and arms the CEA timeout.
    fn i_snd_cer(&mut self, now: Instant, id: PeerId, conn: ConnectionId) {
        let hbh = self.alloc_hbh();
        let e2e = self.alloc_e2e();
        let frame = wire::cer(&self.local, hbh, e2e);
        self.send(conn, frame);
        if let Some(p) = self.peer_mut(id) {
            p.conn = Some(conn);
            p.fsm_deadline = Some(after(now, p.cfg.request_timeout));
        }
    }

    pub(crate) fn i_rcv_conn_nack(&mut self, now: Instant, id: PeerId) {
        match self.peer(id).map(|p| p.state) {
            // Wait-Conn-Ack / I-Rcv-Conn-Nack → Cleanup → Closed
            Some(PeerState::WaitConnAck) => self.peer_closed(now, id, Why::Failure),
            // Wait-Conn-Ack/Elect / I-Rcv-Conn-Nack → R-Snd-CEA → R-Open
            Some(PeerState::WaitConnAckElect) => self.r_snd_cea_open(now, id),
            _ => {}
        }
    }

    /// R-Snd-CEA on the held responder connection, then R-Open.
    fn r_snd_cea_open(&mut self, now: Instant, id: PeerId) {
        let Some(e) = self.peer_mut(id).and_then(|p| p.elect.take()) else {
            self.peer_closed(now, id, Why::Failure);
            return;
        };
        let cea = wire::cea(&self.local, &e.cer, ResultCode::DIAMETER_SUCCESS);
        self.send(e.conn, cea);
        self.open_peer(now, id, e.conn, e.caps);
    }

    /// Enters R-Open/I-Open on `conn`: the watchdog starts in OKAY, or REOPEN after a failure
    /// (RFC 3539 §3.4.1: DWR sent at once, three DWAs needed).
    pub(crate) fn open_peer(
        &mut self,
        now: Instant,
        id: PeerId,
        conn: ConnectionId,
        caps: PeerCaps,
    ) {
        let Some(p) = self.peer_mut(id) else { return };
        p.state = PeerState::Open;
        p.conn = Some(conn);
        p.elect = None;
        p.fsm_deadline = None;
        p.reconnect_at = None;
        p.failures = 0;
        p.applications = caps.common;
        p.relay = caps.relay;
        p.wd_pending = false;
        p.reopen_dwas = 0;
        p.wd_deadline = Some(after(now, p.tw()));
        if p.reopen_next {
            p.wd = WatchdogState::Reopen;
            self.send_dwr(id);
        } else {
            p.wd = WatchdogState::Okay;
            self.emit_up(id);
        }
    }

    /// Reports PeerUp once.
    pub(crate) fn emit_up(&mut self, id: PeerId) {
        let Some(p) = self.peer_mut(id) else { return };
        if p.up {
            return;
        }
        p.up = true;
        let ev = NodeEvent::PeerUp {
            peer: id,
            host: p.cfg.host.clone(),
            applications: p.applications.clone(),
        };
        self.events.push_back(ev);
    }

    /// Leaves whatever state for Closed: closes the connections, reports PeerDown, fails
    /// over the pending requests and arms the reconnect timer (Tc with backoff).
    pub(crate) fn peer_closed(&mut self, now: Instant, id: PeerId, why: Why) {
        let shutting_down = self.shutting_down;
        let Some(p) = self.peer_mut(id) else { return };
        let was_open = p.state == PeerState::Open;
        let conns = [p.conn.take(), p.elect.take().map(|e| e.conn)];
        p.state = PeerState::Closed;
        p.fsm_deadline = None;
        p.wd_deadline = None;
        p.wd_pending = false;
        p.reopen_dwas = 0;
        match why {
            Why::Failure if was_open || p.wd == WatchdogState::Reopen => {
                p.reopen_next = true;
                p.wd = WatchdogState::Down;
            }
            Why::Failure => {}
            Why::Graceful => {
                p.reopen_next = false;
                p.wd = WatchdogState::Initial;
            }
        }
        let was_up = std::mem::take(&mut p.up);
        if p.cfg.connect && !p.no_reconnect && !shutting_down {
            p.reconnect_at = Some(after(now, p.reconnect_delay()));
            if why == Why::Failure {
                p.failures = p.failures.saturating_add(1);
            }
        }
        for c in conns.into_iter().flatten() {
            self.close_conn(c);
        }
        if was_up {
            self.events.push_back(NodeEvent::PeerDown { peer: id });
        }
        self.failover(now, id, true);
    }

    /// Stop (shutdown): Open → Snd-DPR → Closing; other states are closed at once.
    pub(crate) fn stop_peer(&mut self, now: Instant, id: PeerId, cause: DisconnectCause) {
        let Some(p) = self.peer_mut(id) else { return };
        p.reconnect_at = None;
        match p.state {
            // R-Open, I-Open / Stop → Snd-DPR → Closing
            PeerState::Open => {
                let Some(conn) = p.conn else { return };
                p.state = PeerState::Closing;
                p.fsm_deadline = Some(after(now, p.cfg.request_timeout));
                p.wd_deadline = None;
                let was_up = std::mem::take(&mut p.up);
                let hbh = self.alloc_hbh();
                let e2e = self.alloc_e2e();
                let dpr = wire::dpr(&self.local, hbh, e2e, cause);
                self.send(conn, dpr);
                if was_up {
                    self.events.push_back(NodeEvent::PeerDown { peer: id });
                }
                self.failover(now, id, false);
            }
            PeerState::Closed | PeerState::Closing => {}
            // Wait-* / Stop → Error → Closed
            _ => self.peer_closed(now, id, Why::Graceful),
        }
    }

    /// The transport of a known peer closed under us.
    pub(crate) fn peer_disc(&mut self, now: Instant, id: PeerId, conn: ConnectionId) {
        let Some(p) = self.peer_mut(id) else { return };
        let is_main = p.conn == Some(conn);
        let is_elect = p.elect.as_ref().is_some_and(|e| e.conn == conn);
        if is_main {
            p.conn = None;
        }
        match (p.state, is_main, is_elect) {
            // Wait-Returns / I-Peer-Disc → I-Disc, R-Snd-CEA → R-Open
            (PeerState::WaitReturns, true, _) => self.r_snd_cea_open(now, id),
            // Closing / Peer-Disc → Disc → Closed
            (PeerState::Closing, true, _) => self.peer_closed(now, id, Why::Graceful),
            // Wait-I-CEA / I-Peer-Disc → I-Disc → Closed
            // R-Open, I-Open / Peer-Disc → Disc → Closed
            (_, true, _) => self.peer_closed(now, id, Why::Failure),
            // Wait-Conn-Ack/Elect / R-Peer-Disc → R-Disc → Wait-Conn-Ack
            (PeerState::WaitConnAckElect, _, true) => {
                p.elect = None;
                p.state = PeerState::WaitConnAck;
            }
            // Wait-Returns / R-Peer-Disc → R-Disc → Wait-I-CEA
            (PeerState::WaitReturns, _, true) => {
                p.elect = None;
                p.state = PeerState::WaitICea;
            }
            _ => {}
        }
    }

    /// Timers of one peer: reconnect (Tc), state timeouts, watchdog (Tw).
    pub(crate) fn peer_timers(&mut self, now: Instant, id: PeerId) {
        let Some(p) = self.peer(id) else { return };
        if p.reconnect_at.is_some_and(|t| t <= now) {
            if p.state == PeerState::Closed && !self.shutting_down {
                self.connect(now, id);
            } else if let Some(p) = self.peer_mut(id) {
                p.reconnect_at = None;
            }
        }
        let Some(p) = self.peer(id) else { return };
        if p.fsm_deadline.is_some_and(|t| t <= now) {
            match p.state {
                // Closing / Timeout → Error → Closed
                PeerState::Closing => self.peer_closed(now, id, Why::Graceful),
                // Wait-Conn-Ack, Wait-I-CEA, Wait-Conn-Ack/Elect, Wait-Returns / Timeout →
                // Error → Closed
                PeerState::Closed | PeerState::Open => {
                    if let Some(p) = self.peer_mut(id) {
                        p.fsm_deadline = None;
                    }
                }
                _ => self.peer_closed(now, id, Why::Failure),
            }
        }
        if self
            .peer(id)
            .is_some_and(|p| p.wd_deadline.is_some_and(|t| t <= now))
        {
            self.watchdog_timer(now, id);
        }
    }

    /// A frame on an accepted connection before the CER exchange. Only a CER is accepted;
    /// nothing is kept beyond this one message unless the CER succeeds (R-Conn-CER).
    pub(crate) fn pre_cer_frame(&mut self, now: Instant, conn: ConnectionId, frame: Bytes) {
        let Some(raw) = wire::raw_header(&frame) else {
            self.close_conn(conn);
            return;
        };
        if !raw.flags.is_request() || base_command(raw.code) != BaseCommand::Ce {
            // A frame before CER: no answer, no state; the connection is dropped.
            self.close_conn(conn);
            return;
        }
        let msg = match Message::decode(frame) {
            Ok(m) => m,
            Err(e) => {
                let a = error_answer(&raw, &e, &self.local.origin_host, &self.local.origin_realm);
                self.send(conn, a);
                self.close_conn(conn);
                return;
            }
        };
        // A CER lacking Host-IP-Address (Kamailio's cdp) is answered 5005 with Failed-AVP.
        if let Err(e) = validate(&msg, &base::cmd::CER) {
            let a = error_answer_for(&msg, &e, &self.local.origin_host, &self.local.origin_realm);
            self.send(conn, a);
            self.close_conn(conn);
            return;
        }
        let caps = match negotiate(&msg, &self.local) {
            Ok(c) => c,
            Err(rc) => {
                let a = wire::cea(&self.local, msg.header(), rc);
                self.send(conn, a);
                self.close_conn(conn);
                return;
            }
        };
        let id = match self.peer_by_host(&caps.host) {
            Some(id) => id,
            None if self.config.accept_unknown_peers => {
                let realm = msg
                    .get(&b::ORIGIN_REALM)
                    .ok()
                    .flatten()
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default();
                let cfg = PeerConfig::new(caps.host.clone(), realm, false);
                if let Some(id) = self.add_dynamic_peer(cfg) {
                    id
                } else {
                    let a = wire::cea(&self.local, msg.header(), ResultCode::DIAMETER_TOO_BUSY);
                    self.send(conn, a);
                    self.close_conn(conn);
                    return;
                }
            }
            None => {
                let a = wire::cea(&self.local, msg.header(), ResultCode::DIAMETER_UNKNOWN_PEER);
                self.send(conn, a);
                self.close_conn(conn);
                return;
            }
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            c.peer = Some(id);
            c.cer_deadline = None;
            self.pre_cer = self.pre_cer.saturating_sub(1);
        }
        self.r_conn_cer(now, id, conn, *msg.header(), caps);
    }

    /// R-Conn-CER for a known peer (§5.6).
    fn r_conn_cer(
        &mut self,
        now: Instant,
        id: PeerId,
        conn: ConnectionId,
        cer: Header,
        caps: PeerCaps,
    ) {
        let Some(state) = self.peer(id).map(|p| p.state) else {
            return;
        };
        match state {
            // Closed / R-Conn-CER → R-Accept, Process-CER, R-Snd-CEA → R-Open
            PeerState::Closed => {
                let a = wire::cea(&self.local, &cer, ResultCode::DIAMETER_SUCCESS);
                self.send(conn, a);
                self.open_peer(now, id, conn, caps);
            }
            // Wait-Conn-Ack / R-Conn-CER → R-Accept, Process-CER → Wait-Conn-Ack/Elect
            PeerState::WaitConnAck => {
                if let Some(p) = self.peer_mut(id) {
                    p.elect = Some(Elect { conn, cer, caps });
                    p.state = PeerState::WaitConnAckElect;
                }
            }
            // Wait-I-CEA / R-Conn-CER → R-Accept, Process-CER, Elect → Wait-Returns
            // Wait-Returns / Win-Election → I-Disc, R-Snd-CEA → R-Open
            PeerState::WaitICea => {
                let win = self.wins_election(&caps.host);
                if let Some(p) = self.peer_mut(id) {
                    p.elect = Some(Elect { conn, cer, caps });
                    p.state = PeerState::WaitReturns;
                }
                if win {
                    if let Some(i) = self.peer_mut(id).and_then(|p| p.conn.take()) {
                        self.close_conn(i);
                    }
                    self.r_snd_cea_open(now, id);
                }
            }
            // Wait-Conn-Ack/Elect, Wait-Returns, R-Open, I-Open, Closing / R-Conn-CER →
            // R-Reject
            _ => self.close_conn(conn),
        }
    }

    /// A frame on a connection of a known peer.
    pub(crate) fn peer_frame(
        &mut self,
        now: Instant,
        id: PeerId,
        conn: ConnectionId,
        frame: Bytes,
    ) {
        let Some(p) = self.peer(id) else { return };
        let state = p.state;
        if p.conn != Some(conn) {
            // The responder connection held for the election carries nothing until it wins.
            return;
        }
        match state {
            PeerState::WaitICea | PeerState::WaitReturns => {
                self.wait_cea_frame(now, id, conn, frame)
            }
            PeerState::Open | PeerState::Closing => self.open_frame(now, id, conn, frame),
            _ => {}
        }
    }

    /// Wait-I-CEA and Wait-Returns on the initiator connection: only a CEA is expected.
    fn wait_cea_frame(&mut self, now: Instant, id: PeerId, conn: ConnectionId, frame: Bytes) {
        let msg = match Message::decode(frame) {
            Ok(m)
                if !m.header().flags.is_request()
                    && base_command(m.header().code) == BaseCommand::Ce =>
            {
                m
            }
            // Wait-I-CEA / I-Rcv-Non-CEA → Error → Closed
            _ => {
                self.peer_closed(now, id, Why::Failure);
                return;
            }
        };
        let ok = validate(&msg, &base::cmd::CEA).is_ok()
            && msg.get(&b::RESULT_CODE).ok().flatten() == Some(ResultCode::DIAMETER_SUCCESS.0);
        let caps = negotiate(&msg, &self.local).ok().filter(|c| {
            self.peer(id)
                .is_some_and(|p| p.cfg.host.eq_ignore_ascii_case(&c.host))
        });
        let (true, Some(caps)) = (ok, caps) else {
            // Process-CEA failed (rejected, no common application, wrong host) → Closed
            self.peer_closed(now, id, Why::Failure);
            return;
        };
        // Wait-Returns / I-Rcv-CEA → R-Disc → I-Open
        if let Some(e) = self.peer_mut(id).and_then(|p| p.elect.take()) {
            self.close_conn(e.conn);
        }
        // Wait-I-CEA / I-Rcv-CEA → Process-CEA → I-Open
        self.open_peer(now, id, conn, caps);
    }

    /// R-Open, I-Open and Closing: base protocol messages here, the rest in `dispatch.rs`.
    fn open_frame(&mut self, now: Instant, id: PeerId, conn: ConnectionId, frame: Bytes) {
        let raw = wire::raw_header(&frame);
        let msg = match Message::decode(frame) {
            Ok(m) => m,
            Err(e) => {
                self.watchdog_receive(now, id, false);
                if let Some(h) = raw.filter(|h| h.flags.is_request()) {
                    let a = error_answer(&h, &e, &self.local.origin_host, &self.local.origin_realm);
                    self.send(conn, a);
                }
                return;
            }
        };
        let h = *msg.header();
        let kind = base_command(h.code);
        let is_dwa = !h.flags.is_request() && kind == BaseCommand::Dw;
        self.watchdog_receive(now, id, is_dwa);
        if !h.flags.is_request() {
            match kind {
                // R-Open, I-Open / Rcv-DWA → Process-DWA
                BaseCommand::Dw => {}
                // Closing / Rcv-DPA → Disc → Closed
                BaseCommand::Dp => {
                    if self.peer(id).is_some_and(|p| p.state == PeerState::Closing) {
                        self.peer_closed(now, id, Why::Graceful);
                    }
                }
                // R-Open, I-Open / Rcv-CEA → Process-CEA
                BaseCommand::Ce => {}
                // R-Open, I-Open / Rcv-Message → Process
                _ => self.app_answer(id, msg),
            }
            return;
        }
        match kind {
            // R-Open, I-Open / Rcv-CER → Snd-CEA
            BaseCommand::Ce => {
                let a = match validate(&msg, &base::cmd::CER) {
                    Ok(()) => wire::cea(&self.local, &h, ResultCode::DIAMETER_SUCCESS),
                    Err(e) => error_answer_for(
                        &msg,
                        &e,
                        &self.local.origin_host,
                        &self.local.origin_realm,
                    ),
                };
                self.send(conn, a);
            }
            // R-Open, I-Open / Rcv-DWR → Process-DWR, Snd-DWA
            BaseCommand::Dw => {
                let a = match validate(&msg, &base::cmd::DWR) {
                    Ok(()) => wire::dwa(&self.local, &h),
                    Err(e) => error_answer_for(
                        &msg,
                        &e,
                        &self.local.origin_host,
                        &self.local.origin_realm,
                    ),
                };
                self.send(conn, a);
            }
            // R-Open, I-Open / Rcv-DPR → Snd-DPA, Disc → Closed
            BaseCommand::Dp => {
                if let Err(e) = validate(&msg, &base::cmd::DPR) {
                    let a = error_answer_for(
                        &msg,
                        &e,
                        &self.local.origin_host,
                        &self.local.origin_realm,
                    );
                    self.send(conn, a);
                    return;
                }
                let cause = msg.get(&b::DISCONNECT_CAUSE).ok().flatten();
                let a = wire::dpa(&self.local, &h);
                self.send(conn, a);
                if let Some(p) = self.peer_mut(id) {
                    match cause {
                        // §5.4.3: the peer does not want us back.
                        Some(DisconnectCause::DO_NOT_WANT_TO_TALK_TO_YOU) => p.no_reconnect = true,
                        // Resource constrained: wait longer (2 Tc).
                        Some(DisconnectCause::BUSY) => p.failures = p.failures.max(1),
                        // REBOOTING and others: reconnect after Tc.
                        _ => p.failures = 0,
                    }
                }
                self.peer_closed(now, id, Why::Graceful);
            }
            // REOPEN / Receive non-DWA → Throwaway (RFC 3539 §3.4.1)
            _ if self.peer(id).is_some_and(|p| p.wd == WatchdogState::Reopen) => {}
            // R-Open, I-Open / Rcv-Message → Process
            _ => self.app_request(now, id, conn, msg),
        }
    }
}
