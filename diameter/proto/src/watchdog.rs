//! The RFC 3539 §3.4 watchdog over an open connection, in the manner of Erlang/OTP's
//! `diameter_watchdog`: OKAY, SUSPECT, DOWN and REOPEN (three DWAs before reuse). Each arm is
//! headed by its RFC 3539 row: `state / event → action(s) → new state`.

use std::time::Instant;

use crate::config::PeerId;
use crate::event::{PeerState, WatchdogState};
use crate::fsm::Why;
use crate::node::{after, Node};
use crate::peer::REOPEN_DWAS;
use crate::wire;

impl Node {
    /// SendWatchdog: a DWR on the peer's connection, Pending = TRUE.
    pub(crate) fn send_dwr(&mut self, id: PeerId) {
        let Some(conn) = self.peer(id).and_then(|p| p.conn) else {
            return;
        };
        let hbh = self.alloc_hbh();
        let e2e = self.alloc_e2e();
        let dwr = wire::dwr(&self.local, hbh, e2e);
        self.send(conn, dwr);
        if let Some(p) = self.peer_mut(id) {
            p.wd_pending = true;
        }
    }

    /// Any message received on the open connection (`dwa`: it was a DWA).
    pub(crate) fn watchdog_receive(&mut self, now: Instant, id: PeerId, dwa: bool) {
        let Some(p) = self.peer_mut(id) else { return };
        let tw = p.tw();
        match p.wd {
            // OKAY / Receive DWA → Pending = FALSE, SetWatchdog → OKAY
            // OKAY / Receive non-DWA → SetWatchdog → OKAY
            WatchdogState::Okay => {
                if dwa {
                    p.wd_pending = false;
                }
                p.wd_deadline = Some(after(now, tw));
            }
            // SUSPECT / Receive DWA → Pending = FALSE, Failback, SetWatchdog → OKAY
            // SUSPECT / Receive non-DWA → Failback, SetWatchdog → OKAY
            WatchdogState::Suspect => {
                if dwa {
                    p.wd_pending = false;
                }
                p.wd = WatchdogState::Okay;
                p.wd_deadline = Some(after(now, tw));
            }
            // REOPEN / Receive DWA & NumDWA == 2 → NumDWA++, Failback → OKAY
            // REOPEN / Receive DWA & NumDWA < 2 → NumDWA++ → REOPEN
            // REOPEN / Receive non-DWA → Throwaway → REOPEN
            WatchdogState::Reopen => {
                if dwa {
                    p.wd_pending = false;
                    p.reopen_dwas = p.reopen_dwas.saturating_add(1);
                    if p.reopen_dwas >= REOPEN_DWAS {
                        p.wd = WatchdogState::Okay;
                        p.wd_deadline = Some(after(now, tw));
                        self.emit_up(id);
                    }
                }
            }
            WatchdogState::Initial | WatchdogState::Down => {}
        }
    }

    /// The watchdog timer expired.
    pub(crate) fn watchdog_timer(&mut self, now: Instant, id: PeerId) {
        let Some(p) = self.peer_mut(id) else { return };
        if p.state != PeerState::Open {
            p.wd_deadline = None;
            return;
        }
        let tw = p.tw();
        match (p.wd, p.wd_pending) {
            // OKAY / Timer expires & !Pending → SendWatchdog, SetWatchdog, Pending = TRUE → OKAY
            // REOPEN / Timer expires & !Pending → SendWatchdog, SetWatchdog, Pending = TRUE
            (WatchdogState::Okay | WatchdogState::Reopen, false) => {
                p.wd_deadline = Some(after(now, tw));
                self.send_dwr(id);
            }
            // OKAY / Timer expires & Pending → SetWatchdog, Failover → SUSPECT
            (WatchdogState::Okay, true) => {
                p.wd = WatchdogState::Suspect;
                p.wd_deadline = Some(after(now, tw));
                self.failover(now, id, false);
            }
            // SUSPECT / Timer expires → CloseConnection → DOWN
            // REOPEN / Timer expires & Pending → CloseConnection → DOWN
            (WatchdogState::Suspect, _) | (WatchdogState::Reopen, true) => {
                self.peer_closed(now, id, Why::Failure);
            }
            (WatchdogState::Initial | WatchdogState::Down, _) => p.wd_deadline = None,
        }
    }
}
