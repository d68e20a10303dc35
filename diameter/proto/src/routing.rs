//! The realm routing table (RFC 6733 §2.7): Destination-Realm and Application-Id to peers,
//! ordered by metric (lower first) for selection and failover.

use crate::config::PeerId;

/// One entry of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    /// Realm, lower-cased.
    realm: String,
    /// Application-Id, `None` for any.
    application: Option<u32>,
    /// Next hop.
    pub(crate) peer: PeerId,
    /// Preference: lower first.
    metric: u32,
}

/// The table, kept sorted by metric (stable: equal metrics keep insertion order).
#[derive(Debug, Default)]
pub(crate) struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    /// Adds an entry.
    pub(crate) fn add(&mut self, realm: &str, application: Option<u32>, peer: PeerId, metric: u32) {
        let at = self.routes.partition_point(|r| r.metric <= metric);
        self.routes.insert(
            at,
            Route {
                realm: realm.to_ascii_lowercase(),
                application,
                peer,
                metric,
            },
        );
    }

    /// Whether any entry serves `realm` (3003 vs 3002).
    pub(crate) fn serves(&self, realm: &str) -> bool {
        self.routes
            .iter()
            .any(|r| r.realm.eq_ignore_ascii_case(realm))
    }

    /// Candidate next hops for `realm` and `application`, best first.
    pub(crate) fn candidates<'a>(
        &'a self,
        realm: &'a str,
        application: u32,
    ) -> impl Iterator<Item = PeerId> + 'a {
        self.routes
            .iter()
            .filter(move |r| {
                r.realm.eq_ignore_ascii_case(realm)
                    && r.application.is_none_or(|a| a == application)
            })
            .map(|r| r.peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_order_and_application_filter() {
        let mut t = RouteTable::default();
        t.add("ims.test", Some(4), PeerId(2), 20);
        t.add("IMS.test", None, PeerId(1), 10);
        t.add("ims.test", Some(16_777_216), PeerId(3), 5);
        t.add("other", None, PeerId(4), 1);
        let c: Vec<_> = t.candidates("ims.TEST", 4).collect();
        assert_eq!(c, vec![PeerId(1), PeerId(2)]);
        let c: Vec<_> = t.candidates("ims.test", 16_777_216).collect();
        assert_eq!(c, vec![PeerId(3), PeerId(1)]);
        assert!(t.serves("Other"));
        assert!(!t.serves("nowhere"));
        assert_eq!(t.candidates("nowhere", 4).count(), 0);
    }
}
