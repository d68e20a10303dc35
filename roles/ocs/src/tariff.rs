//! Tariffs: how used units become money (TS 32.299 §5.2.2 rating), configured in TOML and
//! selected per request by Service-Identifier, Service-Context-Id or SIP-Method.
//!
//! Money is integer micro-units of the account currency (1 unit = 1 000 000 micro-units).

use serde::Deserialize;

use crate::error::OcsError;

/// What a tariff charges for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TariffKind {
    /// Session charging by time (CC-Time, RFC 4006 §8.21): voice and video calls.
    Time {
        /// Price of one minute, micro-units (exclusive with `rate_per_second`).
        #[serde(default)]
        rate_per_minute: Option<i64>,
        /// Price of one second, micro-units.
        #[serde(default)]
        rate_per_second: Option<i64>,
        /// Seconds billed for any started call (60 in a 60/60 tariff, 1 in 1/1).
        #[serde(default = "one")]
        first_unit: u32,
        /// Rounding unit after the first unit, seconds (60 in 60/60, 1 in 1/1).
        #[serde(default = "one")]
        increment: u32,
        /// Lowest price of a call with any use, micro-units.
        #[serde(default)]
        minimum_charge: i64,
    },
    /// Event charging (RFC 4006 §6.3): one price per event, e.g. a MESSAGE.
    Event {
        /// Price of one event, micro-units.
        price: i64,
    },
}

const fn one() -> u32 {
    1
}

/// When a tariff applies: every listed criterion must match (an empty list matches anything).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffMatch {
    /// Service-Identifier values (RFC 4006 §8.28).
    #[serde(default)]
    pub service_identifier: Vec<u32>,
    /// Service-Context-Id values (RFC 4006 §8.42), e.g. `32260@3gpp.org`.
    #[serde(default)]
    pub service_context_id: Vec<String>,
    /// SIP-Method values from IMS-Information/Event-Type (TS 32.299 §7.2.180), e.g. `INVITE`.
    #[serde(default)]
    pub sip_method: Vec<String>,
}

/// One tariff of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tariff {
    /// Name, recorded on reservations and debits.
    pub name: String,
    /// When it applies.
    #[serde(default, rename = "match")]
    pub selector: TariffMatch,
    /// How it prices.
    pub kind: TariffKind,
}

/// What a request says about the service, used to select the tariff.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServiceKey<'a> {
    /// Service-Identifier of the MSCC or of the request.
    pub service_identifier: Option<u32>,
    /// Service-Context-Id of the request.
    pub service_context_id: &'a str,
    /// SIP-Method from Service-Information/IMS-Information/Event-Type.
    pub sip_method: Option<&'a str>,
}

impl TariffMatch {
    fn matches(&self, key: &ServiceKey<'_>) -> bool {
        let sid = self.service_identifier.is_empty()
            || key
                .service_identifier
                .is_some_and(|s| self.service_identifier.contains(&s));
        let ctx = self.service_context_id.is_empty()
            || self
                .service_context_id
                .iter()
                .any(|c| c == key.service_context_id);
        let method = self.sip_method.is_empty()
            || key
                .sip_method
                .is_some_and(|m| self.sip_method.iter().any(|t| t.eq_ignore_ascii_case(m)));
        sid && ctx && method
    }
}

/// Ceiling of `a / b` for non-negative operands (`b > 0`).
fn div_ceil(a: i128, b: i128) -> i128 {
    if b <= 0 {
        return a;
    }
    (a + b - 1) / b
}

fn saturate(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Tariff {
    /// Checks the tariff (positive units, exactly one rate, non-negative prices).
    pub fn check(&self) -> Result<(), OcsError> {
        let bad = |what: &str| OcsError::Config(format!("tariff {:?}: {what}", self.name));
        match &self.kind {
            TariffKind::Time {
                rate_per_minute,
                rate_per_second,
                first_unit,
                increment,
                minimum_charge,
            } => {
                match (rate_per_minute, rate_per_second) {
                    (Some(r), None) | (None, Some(r)) if *r >= 0 => {}
                    _ => return Err(bad("set one of rate_per_minute / rate_per_second (>= 0)")),
                }
                if *first_unit == 0 || *increment == 0 {
                    return Err(bad("first_unit and increment must be >= 1 second"));
                }
                if *minimum_charge < 0 {
                    return Err(bad("minimum_charge must be >= 0"));
                }
            }
            TariffKind::Event { price } => {
                if *price < 0 {
                    return Err(bad("price must be >= 0"));
                }
            }
        }
        Ok(())
    }

    /// Whether this is a time (session) tariff.
    pub fn is_time(&self) -> bool {
        matches!(self.kind, TariffKind::Time { .. })
    }

    /// Seconds billed for `seconds` of use: 0 for none, else the first unit then whole
    /// increments (TS 32.299 rating, e.g. 61 s in 60/60 → 120 s).
    pub fn billed_seconds(&self, seconds: u64) -> u64 {
        match self.kind {
            TariffKind::Time {
                first_unit,
                increment,
                ..
            } => {
                if seconds == 0 {
                    return 0;
                }
                let (first, inc) = (u64::from(first_unit), u64::from(increment.max(1)));
                if seconds <= first {
                    first
                } else {
                    first.saturating_add((seconds - first).div_ceil(inc).saturating_mul(inc))
                }
            }
            TariffKind::Event { .. } => seconds,
        }
    }

    /// Price in micro-units of a session's cumulative use (`seconds`) or of `seconds` events.
    /// Session debits are differences of this function, so rounding applies once per call.
    pub fn price(&self, seconds: u64) -> i64 {
        match self.kind {
            TariffKind::Time {
                rate_per_minute,
                rate_per_second,
                minimum_charge,
                ..
            } => {
                let billed = i128::from(self.billed_seconds(seconds));
                if billed == 0 {
                    return 0;
                }
                let cost = match (rate_per_second, rate_per_minute) {
                    (Some(s), _) => billed * i128::from(s),
                    (None, Some(m)) => div_ceil(billed * i128::from(m), 60),
                    (None, None) => 0,
                };
                saturate(cost.max(i128::from(minimum_charge)))
            }
            TariffKind::Event { price } => saturate(i128::from(price) * i128::from(seconds)),
        }
    }

    /// The rounding step of grants: the increment of a time tariff, 1 for events.
    pub fn step(&self) -> u64 {
        match self.kind {
            TariffKind::Time { increment, .. } => u64::from(increment.max(1)),
            TariffKind::Event { .. } => 1,
        }
    }

    /// The most units (≤ `requested`) that can be added to `used` units already consumed
    /// (of which `charged` is already paid) without the extra price exceeding `available`.
    pub fn affordable(&self, used: u64, charged: i64, requested: u64, available: i64) -> u64 {
        let extra = |g: u64| self.price(used.saturating_add(g)).saturating_sub(charged);
        if extra(requested) <= available {
            return requested;
        }
        // Price is monotone in units: binary search the largest affordable grant.
        let (mut lo, mut hi) = (0u64, requested);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if extra(mid) <= available {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }
}

/// The tariff table: first matching tariff wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffTable {
    /// Tariffs in priority order.
    #[serde(default, rename = "tariff")]
    pub tariffs: Vec<Tariff>,
}

impl TariffTable {
    /// Parses `[[tariff]]` tables from TOML and checks them.
    pub fn from_toml(text: &str) -> Result<Self, OcsError> {
        let table: Self = toml::from_str(text).map_err(|e| OcsError::Config(e.to_string()))?;
        table.check()?;
        Ok(table)
    }

    /// Checks every tariff and that names are unique.
    pub fn check(&self) -> Result<(), OcsError> {
        for (i, t) in self.tariffs.iter().enumerate() {
            t.check()?;
            if self.tariffs.iter().take(i).any(|o| o.name == t.name) {
                return Err(OcsError::Config(format!("duplicate tariff {:?}", t.name)));
            }
        }
        Ok(())
    }

    /// The first tariff matching `key` (none: DIAMETER_RATING_FAILED, RFC 4006 §9.1).
    pub fn select(&self, key: &ServiceKey<'_>) -> Option<&Tariff> {
        self.tariffs.iter().find(|t| t.selector.matches(key))
    }

    /// The tariff called `name`.
    pub fn by_name(&self, name: &str) -> Option<&Tariff> {
        self.tariffs.iter().find(|t| t.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
        [[tariff]]
        name = "voice"
        match = { sip_method = ["INVITE"] }
        kind = { time = { rate_per_minute = 120000, first_unit = 60, increment = 60 } }

        [[tariff]]
        name = "sms"
        match = { sip_method = ["MESSAGE"] }
        kind = { event = { price = 50000 } }

        [[tariff]]
        name = "video"
        match = { service_identifier = [7], service_context_id = ["32260@3gpp.org"] }
        kind = { time = { rate_per_second = 3000, minimum_charge = 10000 } }
    "#;

    fn table() -> TariffTable {
        TariffTable::from_toml(TOML).unwrap()
    }

    #[test]
    fn sixty_sixty_rounds_up_per_minute() {
        let t = table();
        let v = t.by_name("voice").unwrap();
        assert_eq!(v.billed_seconds(0), 0);
        assert_eq!(v.billed_seconds(1), 60);
        assert_eq!(v.billed_seconds(60), 60);
        assert_eq!(v.billed_seconds(61), 120);
        assert_eq!(v.price(61), 240_000);
        assert_eq!(v.price(0), 0);
    }

    #[test]
    fn per_second_with_minimum() {
        let t = table();
        let v = t.by_name("video").unwrap();
        assert_eq!(v.price(1), 10_000);
        assert_eq!(v.price(10), 30_000);
    }

    #[test]
    fn selection_by_method_service_and_context() {
        let t = table();
        let key = |sid, ctx, m| ServiceKey {
            service_identifier: sid,
            service_context_id: ctx,
            sip_method: m,
        };
        let name = |k: ServiceKey<'_>| t.select(&k).map(|t| t.name.clone());
        assert_eq!(
            name(key(None, "x", Some("invite"))).as_deref(),
            Some("voice")
        );
        assert_eq!(
            name(key(None, "x", Some("MESSAGE"))).as_deref(),
            Some("sms")
        );
        assert_eq!(
            name(key(Some(7), "32260@3gpp.org", None)).as_deref(),
            Some("video")
        );
        assert_eq!(name(key(Some(7), "other", None)), None);
    }

    #[test]
    fn affordable_grants_stop_at_the_balance() {
        let t = table();
        let v = t.by_name("voice").unwrap();
        // 2 €/min at 60/60 with 0.30 left: nothing affordable beyond 0.
        assert_eq!(v.affordable(0, 0, 120, 100_000), 0);
        // Exactly one minute affordable.
        assert_eq!(v.affordable(0, 0, 300, 120_000), 60);
        // Already used 30 s (paid 120 000): the rest of the minute is free.
        assert_eq!(v.affordable(30, 120_000, 300, 0), 30);
        assert_eq!(v.affordable(0, 0, 30, 1_000_000), 30);
    }

    #[test]
    fn bad_tariffs_are_rejected() {
        let both = r#"[[tariff]]
            name = "x"
            kind = { time = { rate_per_minute = 1, rate_per_second = 1 } }"#;
        assert!(TariffTable::from_toml(both).is_err());
        let zero = r#"[[tariff]]
            name = "x"
            kind = { time = { rate_per_second = 1, increment = 0 } }"#;
        assert!(TariffTable::from_toml(zero).is_err());
        let unknown = r#"[[tariff]]
            name = "x"
            colour = 1
            kind = { event = { price = 1 } }"#;
        assert!(TariffTable::from_toml(unknown).is_err());
    }
}
