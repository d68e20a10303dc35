//! Requests sent and awaiting their answer, keyed by our Hop-by-Hop Identifier (RFC 6733 §3,
//! §6.1.3), with deadlines and the peers tried so far for failover (§5.5.4).

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use bytes::Bytes;

use crate::config::{PeerId, RequestRef};

/// Who is waiting for the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The local user, with its token.
    Local(u64),
    /// A relayed request: the answer goes back there with the original Hop-by-Hop (§6.2.2).
    Relay(RequestRef),
}

/// One outstanding request.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// Who waits.
    pub(crate) origin: Origin,
    /// The frame as sent (our Hop-by-Hop; T flag once failed over).
    pub(crate) frame: Bytes,
    /// Peers it was sent to, last is current.
    pub(crate) tried: Vec<PeerId>,
    /// When it times out.
    pub(crate) deadline: Instant,
    /// Destination-Host, for re-routing.
    pub(crate) dest_host: Option<String>,
    /// Destination-Realm, for re-routing.
    pub(crate) dest_realm: Option<String>,
    /// Application-Id.
    pub(crate) app: u32,
}

impl Pending {
    /// The peer it is currently waiting on.
    pub(crate) fn current(&self) -> Option<PeerId> {
        self.tried.last().copied()
    }
}

/// The table of outstanding requests with a deadline index.
#[derive(Debug, Default)]
pub(crate) struct PendingTable {
    by_hbh: HashMap<u32, Pending>,
    deadlines: BTreeSet<(Instant, u32)>,
}

impl PendingTable {
    /// Whether `hbh` is in use.
    pub(crate) fn contains(&self, hbh: u32) -> bool {
        self.by_hbh.contains_key(&hbh)
    }

    /// Adds a request under `hbh`.
    pub(crate) fn insert(&mut self, hbh: u32, p: Pending) {
        self.deadlines.insert((p.deadline, hbh));
        if let Some(old) = self.by_hbh.insert(hbh, p) {
            self.deadlines.remove(&(old.deadline, hbh));
        }
    }

    /// Removes and returns the request `hbh`.
    pub(crate) fn remove(&mut self, hbh: u32) -> Option<Pending> {
        let p = self.by_hbh.remove(&hbh)?;
        self.deadlines.remove(&(p.deadline, hbh));
        Some(p)
    }

    /// The request `hbh`.
    pub(crate) fn get(&self, hbh: u32) -> Option<&Pending> {
        self.by_hbh.get(&hbh)
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(t, _)| *t)
    }

    /// Removes and returns every request whose deadline is at or before `now`.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<Pending> {
        let mut out = Vec::new();
        while let Some(&(t, hbh)) = self.deadlines.first() {
            if t > now {
                break;
            }
            self.deadlines.pop_first();
            if let Some(p) = self.by_hbh.remove(&hbh) {
                out.push(p);
            }
        }
        out
    }

    /// Hop-by-Hop identifiers of the requests currently waiting on `peer`.
    pub(crate) fn waiting_on(&self, peer: PeerId) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .by_hbh
            .iter()
            .filter(|(_, p)| p.current() == Some(peer))
            .map(|(h, _)| *h)
            .collect();
        v.sort_unstable();
        v
    }

    /// Number of outstanding requests.
    pub(crate) fn len(&self) -> usize {
        self.by_hbh.len()
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // a base Instant for the virtual clock
mod tests {
    use super::*;
    use std::time::Duration;

    fn p(deadline: Instant, peer: u32) -> Pending {
        Pending {
            origin: Origin::Local(7),
            frame: Bytes::new(),
            tried: vec![PeerId(peer)],
            deadline,
            dest_host: None,
            dest_realm: Some("r".into()),
            app: 4,
        }
    }

    #[test]
    fn expiry_in_deadline_order() {
        let t0 = Instant::now();
        let mut t = PendingTable::default();
        t.insert(1, p(t0 + Duration::from_secs(5), 1));
        t.insert(2, p(t0 + Duration::from_secs(1), 2));
        t.insert(3, p(t0 + Duration::from_secs(9), 1));
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(t.waiting_on(PeerId(1)), vec![1, 3]);
        let e = t.expire(t0 + Duration::from_secs(5));
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].current(), Some(PeerId(2)));
        assert!(t.contains(3) && !t.contains(1));
        assert!(t.remove(3).is_some());
        assert_eq!(t.len(), 0);
        assert_eq!(t.next_deadline(), None);
    }
}
