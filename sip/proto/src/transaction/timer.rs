//! The RFC 3261 §17 timers (Table 4 of Appendix A) plus RFC 6026's L and M, and the deadline
//! queue: a binary heap with lazy deletion. Each transaction remembers, per slot, a token for
//! the one timer armed there (4 bytes, where the deadline itself took 24); a popped heap entry
//! fires only if its token is still the slot's.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// A transaction timer (RFC 3261 Appendix A; RFC 6026 §8.4 for L and M).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// INVITE request retransmission (client, unreliable only), T1 doubling.
    A,
    /// INVITE transaction timeout (client), 64·T1.
    B,
    /// Wait for response retransmissions (client INVITE, Completed): 32 s unreliable, 0 reliable.
    D,
    /// Non-INVITE request retransmission (client, unreliable only), T1 doubling up to T2.
    E,
    /// Non-INVITE transaction timeout (client), 64·T1.
    F,
    /// INVITE final response retransmission (server, unreliable only), T1 doubling up to T2.
    G,
    /// Wait for ACK (server INVITE, Completed), 64·T1.
    H,
    /// Wait for ACK retransmissions (server INVITE, Confirmed): T4 unreliable, 0 reliable.
    I,
    /// Wait for request retransmissions (server non-INVITE, Completed): 64·T1 unreliable, 0
    /// reliable.
    J,
    /// Wait for response retransmissions (client non-INVITE, Completed): T4 unreliable, 0
    /// reliable.
    K,
    /// Wait for ACK retransmissions / 2xx retransmissions from the TU (server INVITE,
    /// Accepted), 64·T1 (RFC 6026 §8.7).
    L,
    /// Wait for 2xx retransmissions (client INVITE, Accepted), 64·T1 (RFC 6026 §8.4).
    M,
}

impl Timer {
    /// A code in 1..=12 for tokens (see [`Deadlines`]).
    fn code(self) -> u32 {
        self as u32 + 1
    }

    /// The slot the timer occupies: retransmission (A, E, G), timeout (B, F, H) or wait (the
    /// rest). A transaction runs at most one timer per slot.
    fn slot(self) -> usize {
        match self {
            Self::A | Self::E | Self::G => 0,
            Self::B | Self::F | Self::H => 1,
            Self::D | Self::I | Self::J | Self::K | Self::L | Self::M => 2,
        }
    }
}

/// Which table a timer's transaction lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Side {
    Client,
    Server,
}

/// The timers a transaction has armed, one token per slot (0: none). A token is the arming's
/// serial number shifted left four bits, or'ed with the timer's code: it names the timer and
/// tells this arming from earlier ones of the same slot, whose heap entries are then stale.
#[derive(Debug, Clone, Default)]
pub(crate) struct Deadlines([u32; 3]);

/// The low four bits of a token: which timer.
const TIMER_BITS: u32 = 0xf;

impl Deadlines {
    /// True if `timer` is armed with `token` (the heap entry is live); disarms it.
    pub(crate) fn take_if_due(&mut self, timer: Timer, token: u32) -> bool {
        match self.0.get_mut(timer.slot()) {
            Some(slot) if *slot == token && token != 0 => {
                *slot = 0;
                true
            }
            _ => false,
        }
    }

    /// Disarm `timer` (its heap entry becomes stale).
    pub(crate) fn cancel(&mut self, timer: Timer) {
        if let Some(slot) = self.0.get_mut(timer.slot()) {
            if *slot != 0 && *slot & TIMER_BITS == timer.code() {
                *slot = 0;
            }
        }
    }

    /// True if `timer` is armed with `token` (a heap entry for it is live).
    pub(crate) fn is_armed_at(&self, timer: Timer, token: u32) -> bool {
        token != 0 && self.0.get(timer.slot()) == Some(&token)
    }

    /// True if `timer` is armed.
    #[cfg(test)]
    pub(crate) fn is_armed(&self, timer: Timer) -> bool {
        matches!(self.0.get(timer.slot()), Some(&t) if t != 0 && t & TIMER_BITS == timer.code())
    }
}

/// One heap entry: fire `timer` of transaction `id` on `side` at `at`, if the transaction's
/// slot still holds `token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entry {
    pub(crate) at: Instant,
    pub(crate) side: Side,
    pub(crate) id: u64,
    pub(crate) timer: Timer,
    pub(crate) token: u32,
}

/// Every armed deadline, earliest first, stale entries included until they surface.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    /// Serial number of the last arming (wraps after 2^28: a transaction lives for seconds).
    serial: u32,
}

impl TimerQueue {
    /// An empty queue with room for `capacity` deadlines before it grows.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(capacity),
            serial: 0,
        }
    }

    /// Arm `timer` of transaction (`side`, `id`) at `at`, replacing whatever its slot held.
    pub(crate) fn arm(
        &mut self,
        deadlines: &mut Deadlines,
        side: Side,
        id: u64,
        timer: Timer,
        at: Instant,
    ) {
        self.serial = self.serial.wrapping_add(1) & (u32::MAX >> 4);
        // Never zero: the code of every timer is at least 1.
        let token = (self.serial << 4) | timer.code();
        if let Some(slot) = deadlines.0.get_mut(timer.slot()) {
            *slot = token;
        }
        self.heap.push(Reverse(Entry {
            at,
            side,
            id,
            timer,
            token,
        }));
    }

    /// The earliest entry (possibly stale: waking for it is harmless).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    /// Pop the earliest entry if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Entry> {
        match self.heap.peek() {
            Some(Reverse(e)) if e.at <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    /// Entries held, stale ones included.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Drop the entries `live` rejects (stale ones), in O(n).
    pub(crate) fn retain(&mut self, mut live: impl FnMut(&Entry) -> bool) {
        self.heap.retain(|Reverse(e)| live(e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn lazy_deletion() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        let mut d = Deadlines::default();
        q.arm(
            &mut d,
            Side::Client,
            7,
            Timer::E,
            t0 + Duration::from_millis(500),
        );
        q.arm(
            &mut d,
            Side::Client,
            7,
            Timer::F,
            t0 + Duration::from_secs(32),
        );
        // Re-arming E leaves a stale entry behind.
        q.arm(
            &mut d,
            Side::Client,
            7,
            Timer::E,
            t0 + Duration::from_secs(1),
        );
        assert_eq!(q.len(), 3);
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_millis(500)));

        let stale = q.pop_due(t0 + Duration::from_secs(1)).expect("due");
        assert_eq!(stale.at, t0 + Duration::from_millis(500));
        assert!(d.is_armed(Timer::E));
        assert!(!d.is_armed_at(Timer::E, stale.token));
        assert!(!d.take_if_due(Timer::E, stale.token));

        let live = q.pop_due(t0 + Duration::from_secs(1)).expect("due");
        assert!(matches!(
            live,
            Entry {
                timer: Timer::E,
                id: 7,
                ..
            }
        ));
        assert!(d.is_armed_at(Timer::E, live.token));
        assert!(d.take_if_due(Timer::E, live.token));
        assert!(!d.take_if_due(Timer::E, live.token), "once");
        assert!(!d.is_armed(Timer::E));
        assert!(q.pop_due(t0 + Duration::from_secs(1)).is_none());

        // Cancelling another timer of the slot leaves F armed; cancelling F does not.
        d.cancel(Timer::H);
        assert!(d.is_armed(Timer::F));
        d.cancel(Timer::F);
        assert!(!d.is_armed(Timer::F));
        let f = q.pop_due(t0 + Duration::from_secs(40)).expect("due");
        assert_eq!(f.timer, Timer::F);
        assert!(!d.take_if_due(Timer::F, f.token));
    }
}
