//! P-Charging-Vector creation (TS 24.229 §5.2.2.1, §5.2.6.3.3; RFC 7315 §4.6): a fresh ICID
//! per REGISTER and per originating request that has none, with `orig-ioi`.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use ims_core::charging::{generate_icid, ChargingVectorValue};

/// Makes P-Charging-Vector values with ICIDs unique to this node (TS 32.260 §5.2.4).
#[derive(Debug)]
pub struct ChargingVectors {
    node: String,
    orig_ioi: String,
    counter: AtomicU64,
}

impl ChargingVectors {
    /// ICIDs named after `node`; `orig_ioi` is our network's identifier.
    pub fn new(node: impl Into<String>, orig_ioi: impl Into<String>) -> Self {
        Self {
            node: node.into(),
            orig_ioi: orig_ioi.into(),
            counter: AtomicU64::new(0),
        }
    }

    /// A fresh vector generated at `at` (our address): `icid-value`, `icid-generated-at`,
    /// `orig-ioi`.
    pub fn fresh(&self, at: IpAddr) -> ChargingVectorValue {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let counter = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut vector = ChargingVectorValue::new(
            generate_icid(&self.node, seconds, counter),
            Some(at.to_string()),
        );
        vector.orig_ioi = Some(self.orig_ioi.clone());
        vector
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icids_differ_and_carry_the_ioi() {
        let v = ChargingVectors::new("pcscf.ims.test", "ims.test");
        let a = v.fresh(IpAddr::from([127, 0, 0, 1]));
        let b = v.fresh(IpAddr::from([127, 0, 0, 1]));
        assert_ne!(a.icid, b.icid);
        assert!(a.icid.starts_with("pcscf.ims.test-"));
        let text = a.to_header_value();
        assert!(text.contains("orig-ioi=ims.test"), "{text}");
        assert!(text.contains("icid-generated-at=127.0.0.1"), "{text}");
        assert_eq!(ChargingVectorValue::parse(&text).unwrap(), a);
    }
}
