//! Counters of the driver.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the counters ([`crate::Network::stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Messages received and reported.
    pub received: u64,
    /// Messages written to a socket.
    pub sent: u64,
    /// Streams closed because their bytes could not be framed.
    pub framing_errors: u64,
    /// Messages over `max_message_size` (datagrams dropped, connections closed).
    pub oversized: u64,
    /// Connections currently open.
    pub connections_open: u64,
    /// Connections closed since start.
    pub connections_closed: u64,
    /// Messages that could not be delivered.
    pub send_failures: u64,
}

/// The live counters, shared by every task.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) received: AtomicU64,
    pub(crate) sent: AtomicU64,
    pub(crate) framing_errors: AtomicU64,
    pub(crate) oversized: AtomicU64,
    pub(crate) connections_open: AtomicU64,
    pub(crate) connections_closed: AtomicU64,
    pub(crate) send_failures: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection went away: open − 1 (saturating), closed + 1.
    pub(crate) fn connection_closed(&self) {
        let _ = self
            .connections_open
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(1))
            });
        Self::inc(&self.connections_closed);
    }

    pub(crate) fn snapshot(&self) -> NetStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        NetStats {
            received: get(&self.received),
            sent: get(&self.sent),
            framing_errors: get(&self.framing_errors),
            oversized: get(&self.oversized),
            connections_open: get(&self.connections_open),
            connections_closed: get(&self.connections_closed),
            send_failures: get(&self.send_failures),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_moves_open_to_closed_without_underflow() {
        let c = Counters::default();
        Counters::inc(&c.connections_open);
        Counters::add(&c.sent, 3);
        c.connection_closed();
        c.connection_closed();
        let s = c.snapshot();
        assert_eq!(s.connections_open, 0);
        assert_eq!(s.connections_closed, 2);
        assert_eq!(s.sent, 3);
        assert_eq!(s.received, 0);
    }
}
