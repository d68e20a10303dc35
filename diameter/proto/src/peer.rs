//! One entry of the peer table: the RFC 6733 §5.6 state, its connections, the RFC 3539
//! watchdog and the reconnect timer (Tc, §2.1).

use std::time::{Duration, Instant};

use diameter_codec::Header;

use crate::capabilities::PeerCaps;
use crate::config::{Application, ConnectionId, PeerConfig};
use crate::event::{PeerState, WatchdogState};

/// DWAs needed in REOPEN before the connection is used again (RFC 3539 §3.4.1).
pub(crate) const REOPEN_DWAS: u8 = 3;

/// Floor of Tw and Tc, so that a zero in the configuration cannot make the timers spin.
const MIN_TIMER: Duration = Duration::from_secs(1);

/// Largest reconnect backoff as a multiple of Tc.
const MAX_BACKOFF_SHIFT: u32 = 3;

/// An incoming CER held while the election is pending (§5.6.4).
#[derive(Debug, Clone)]
pub(crate) struct Elect {
    /// The responder connection.
    pub(crate) conn: ConnectionId,
    /// The CER header (for the CEA).
    pub(crate) cer: Header,
    /// What the CER negotiated.
    pub(crate) caps: PeerCaps,
}

/// A peer.
#[derive(Debug)]
pub(crate) struct Peer {
    /// Its configuration.
    pub(crate) cfg: PeerConfig,
    /// §5.6 state.
    pub(crate) state: PeerState,
    /// The connection in use: our initiator connection until the election resolves, then the
    /// one kept (I-Open or R-Open).
    pub(crate) conn: Option<ConnectionId>,
    /// A responder connection waiting for the election.
    pub(crate) elect: Option<Elect>,
    /// Timeout of the current §5.6 state (Wait-Conn-Ack, Wait-I-CEA, Closing, ...).
    pub(crate) fsm_deadline: Option<Instant>,
    /// When to reconnect (Tc).
    pub(crate) reconnect_at: Option<Instant>,
    /// Consecutive failed attempts (backoff).
    pub(crate) failures: u32,
    /// DPR with DO_NOT_WANT_TO_TALK_TO_YOU received: no reconnect (§5.4.3).
    pub(crate) no_reconnect: bool,
    /// Created from the CER of an unknown host (`accept_unknown_peers`).
    pub(crate) dynamic: bool,
    /// RFC 3539 state.
    pub(crate) wd: WatchdogState,
    /// Watchdog timer.
    pub(crate) wd_deadline: Option<Instant>,
    /// A DWR is outstanding.
    pub(crate) wd_pending: bool,
    /// DWAs received in REOPEN.
    pub(crate) reopen_dwas: u8,
    /// The next open goes through REOPEN (the last connection failed, RFC 3539 §3.4.1).
    pub(crate) reopen_next: bool,
    /// Applications in common.
    pub(crate) applications: Vec<Application>,
    /// The peer is a relay (§2.4).
    pub(crate) relay: bool,
    /// PeerUp was reported and PeerDown not yet.
    pub(crate) up: bool,
    /// Deterministic Tw jitter in milliseconds (RFC 3539 §3.4.1: ±2 s).
    pub(crate) jitter_ms: i64,
}

impl Peer {
    /// A closed peer; `index` seeds the Tw jitter.
    pub(crate) fn new(cfg: PeerConfig, index: u32) -> Self {
        // Spread over [-2000, 2000] ms, deterministic per peer.
        let jitter_ms = i64::from(index.wrapping_mul(7919) % 4001) - 2000;
        Self {
            cfg,
            state: PeerState::Closed,
            conn: None,
            elect: None,
            fsm_deadline: None,
            reconnect_at: None,
            failures: 0,
            no_reconnect: false,
            dynamic: false,
            wd: WatchdogState::Initial,
            wd_deadline: None,
            wd_pending: false,
            reopen_dwas: 0,
            reopen_next: false,
            applications: Vec::new(),
            relay: false,
            up: false,
            jitter_ms,
        }
    }

    /// Tw with its jitter, bounded to a fifth of Tw so short test timers stay positive.
    pub(crate) fn tw(&self) -> Duration {
        let tw = self.cfg.tw.max(MIN_TIMER);
        let bound = i64::try_from(tw.as_millis() / 5)
            .unwrap_or(i64::MAX)
            .min(2000);
        let j = self.jitter_ms.clamp(-bound, bound);
        if j >= 0 {
            tw.saturating_add(Duration::from_millis(j.unsigned_abs()))
        } else {
            tw.saturating_sub(Duration::from_millis(j.unsigned_abs()))
        }
    }

    /// The reconnect delay: Tc doubled per consecutive failure, at most 8 Tc.
    pub(crate) fn reconnect_delay(&self) -> Duration {
        self.cfg
            .tc
            .max(MIN_TIMER)
            .saturating_mul(1u32 << self.failures.min(MAX_BACKOFF_SHIFT))
    }

    /// Whether requests may be routed to this peer: Open and watchdog OKAY (RFC 3539 §3.4).
    pub(crate) fn available(&self) -> bool {
        self.state == PeerState::Open && self.wd == WatchdogState::Okay
    }

    /// The earliest timer of this peer.
    pub(crate) fn next_timer(&self) -> Option<Instant> {
        [self.fsm_deadline, self.reconnect_at, self.wd_deadline]
            .into_iter()
            .flatten()
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_and_backoff() {
        let mut p = Peer::new(PeerConfig::new("h", "r", true), 1);
        let tw = p.tw();
        assert!(tw >= Duration::from_secs(28) && tw <= Duration::from_secs(32));
        assert_ne!(tw, Duration::from_secs(30));
        p.cfg.tw = Duration::from_secs(1);
        assert!(p.tw() >= Duration::from_millis(800) && p.tw() <= Duration::from_millis(1200));
        assert_eq!(p.reconnect_delay(), Duration::from_secs(30));
        p.failures = 2;
        assert_eq!(p.reconnect_delay(), Duration::from_secs(120));
        p.failures = 10;
        assert_eq!(p.reconnect_delay(), Duration::from_secs(240));
        p.cfg.tc = Duration::ZERO;
        p.cfg.tw = Duration::ZERO;
        assert_eq!(p.reconnect_delay(), Duration::from_secs(8));
        assert!(p.tw() >= Duration::from_millis(800));
    }
}
