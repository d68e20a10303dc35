//! Session-Id generation (RFC 6733 §8.8): `<DiameterIdentity>;<high 32 bits>;<low 32 bits>
//! [;<optional value>]`. Pure: the caller seeds the high word (e.g. boot time) and the low word
//! (e.g. a random start), so ids stay unique across reboots.

/// Generates Session-Ids for one Origin-Host.
#[derive(Debug, Clone)]
pub struct SessionIdGenerator {
    origin_host: String,
    high: u32,
    low: u32,
}

impl SessionIdGenerator {
    /// A generator for `origin_host` with the high word `high` (§8.8 suggests the boot time)
    /// and the first low word `low`.
    pub fn new(origin_host: &str, high: u32, low: u32) -> Self {
        Self {
            origin_host: origin_host.to_owned(),
            high,
            low,
        }
    }

    /// The next id; the low word increments and carries into the high word on wrap.
    pub fn next_id(&mut self, optional: Option<&str>) -> String {
        let id = format_session_id(&self.origin_host, self.high, self.low, optional);
        let (low, carry) = self.low.overflowing_add(1);
        self.low = low;
        if carry {
            self.high = self.high.wrapping_add(1);
        }
        id
    }
}

/// Formats one Session-Id from its parts (§8.8).
pub fn format_session_id(origin_host: &str, high: u32, low: u32, optional: Option<&str>) -> String {
    match optional {
        Some(o) => format!("{origin_host};{high};{low};{o}"),
        None => format!("{origin_host};{high};{low}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increments_and_carries() {
        let mut g = SessionIdGenerator::new("scscf.ims.test", 1_700_000_000, u32::MAX);
        assert_eq!(g.next_id(None), "scscf.ims.test;1700000000;4294967295");
        assert_eq!(g.next_id(Some("ro")), "scscf.ims.test;1700000001;0;ro");
        assert_eq!(g.next_id(None), "scscf.ims.test;1700000001;1");
    }
}
