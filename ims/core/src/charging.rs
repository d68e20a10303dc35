//! IMS charging correlation (TS 32.260 §5.2.4, TS 24.229 §7.2A.5; RFC 7315 §4.5, §4.6):
//! ICID generation and P-Charging-Vector / P-Charging-Function-Addresses values.
//!
//! Pure: the node name, the time and a per-node counter are inputs.

use sip_types::ims::{ChargingFunctionAddresses, ChargingVector};
use sip_types::{HeaderName, Message};

/// Why a charging header value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChargingError {
    /// The header value does not follow RFC 7315 §5 (e.g. no `icid-value`).
    #[error("malformed {header} value")]
    Malformed {
        /// Which header.
        header: &'static str,
    },
}

/// True for an RFC 3261 §25.1 token character.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// Generate an IMS Charging Identity (TS 32.260 §5.2.4: globally unique across time and
/// nodes). The value is `<node>-<unix seconds, hex>-<counter, hex>`; characters of `node`
/// outside the token set become `-`, so the result is always a valid `icid-value` token.
/// The caller guarantees that `counter` does not repeat within one second on one node.
pub fn generate_icid(node: &str, unix_seconds: u64, counter: u64) -> String {
    let node: String = node
        .chars()
        .map(|c| if is_token_char(c) { c } else { '-' })
        .collect();
    let node = if node.is_empty() {
        "ims".to_owned()
    } else {
        node
    };
    format!("{node}-{unix_seconds:x}-{counter:x}")
}

/// A gen-value: token or host as is, anything else as a quoted string (RFC 3261 §25.1).
fn gen_value(v: &str) -> String {
    let host_like = !v.is_empty()
        && v.chars()
            .all(|c| is_token_char(c) || matches!(c, ':' | '[' | ']'));
    if host_like {
        return v.to_owned();
    }
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars().filter(|c| !c.is_control()) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// An owned P-Charging-Vector (RFC 7315 §4.6): what a P-CSCF creates and the S-CSCF extends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChargingVectorValue {
    /// `icid-value`.
    pub icid: String,
    /// `icid-generated-at`.
    pub icid_generated_at: Option<String>,
    /// `orig-ioi`.
    pub orig_ioi: Option<String>,
    /// `term-ioi`.
    pub term_ioi: Option<String>,
    /// Other parameters in order (e.g. access-network-charging-info), name and value.
    pub other: Vec<(String, Option<String>)>,
}

impl ChargingVectorValue {
    /// A vector with only the ICID and where it was generated.
    pub fn new(icid: impl Into<String>, generated_at: Option<String>) -> Self {
        Self {
            icid: icid.into(),
            icid_generated_at: generated_at,
            ..Self::default()
        }
    }

    /// Parse a header value through the `sip_types` view.
    pub fn parse(value: &str) -> Result<Self, ChargingError> {
        let v = ChargingVector::parse(value).map_err(|_| ChargingError::Malformed {
            header: "P-Charging-Vector",
        })?;
        let known = ["icid-value", "icid-generated-at", "orig-ioi", "term-ioi"];
        Ok(Self {
            icid: v.icid.to_owned(),
            icid_generated_at: v.icid_generated_at.map(str::to_owned),
            orig_ioi: v.orig_ioi.map(str::to_owned),
            term_ioi: v.term_ioi.map(str::to_owned),
            other: v
                .params
                .iter()
                .filter(|(n, _)| !known.iter().any(|k| k.eq_ignore_ascii_case(n)))
                .map(|(n, val)| (n.to_owned(), val.map(str::to_owned)))
                .collect(),
        })
    }

    /// The P-Charging-Vector of `msg`, if it has one.
    pub fn from_message(msg: &Message) -> Option<Result<Self, ChargingError>> {
        msg.header(HeaderName::P_CHARGING_VECTOR).map(Self::parse)
    }

    /// The header value: `icid-value=...;icid-generated-at=...;orig-ioi=...;term-ioi=...`.
    pub fn to_header_value(&self) -> String {
        let mut out = format!("icid-value={}", gen_value(&self.icid));
        let mut put = |name: &str, v: Option<&str>| {
            out.push(';');
            out.push_str(name);
            if let Some(v) = v {
                out.push('=');
                out.push_str(&gen_value(v));
            }
        };
        if let Some(v) = &self.icid_generated_at {
            put("icid-generated-at", Some(v));
        }
        if let Some(v) = &self.orig_ioi {
            put("orig-ioi", Some(v));
        }
        if let Some(v) = &self.term_ioi {
            put("term-ioi", Some(v));
        }
        for (n, v) in &self.other {
            put(n, v.as_deref());
        }
        out
    }
}

/// Build a P-Charging-Function-Addresses value (RFC 7315 §4.5): `ccf=...;ecf=...`, CCFs first.
pub fn charging_function_addresses(ccf: &[&str], ecf: &[&str]) -> String {
    let parts: Vec<String> = ccf
        .iter()
        .map(|a| format!("ccf={}", gen_value(a)))
        .chain(ecf.iter().map(|a| format!("ecf={}", gen_value(a))))
        .collect();
    parts.join(";")
}

/// The CCF and ECF addresses of a P-Charging-Function-Addresses value, through the
/// `sip_types` view.
pub fn parse_charging_function_addresses(
    value: &str,
) -> Result<(Vec<String>, Vec<String>), ChargingError> {
    let v = ChargingFunctionAddresses::parse(value).map_err(|_| ChargingError::Malformed {
        header: "P-Charging-Function-Addresses",
    })?;
    Ok((
        v.ccf().map(str::to_owned).collect(),
        v.ecf().map(str::to_owned).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icid_is_unique_per_input_and_a_token() {
        let a = generate_icid("pcscf1.ims.example.net", 0x6566_a1b2, 42);
        assert_eq!(a, "pcscf1.ims.example.net-6566a1b2-2a");
        assert_ne!(a, generate_icid("pcscf1.ims.example.net", 0x6566_a1b2, 43));
        assert_ne!(a, generate_icid("pcscf2.ims.example.net", 0x6566_a1b2, 42));
        let odd = generate_icid("node:5060 [x]", 1, 1);
        assert_eq!(odd, "node-5060--x--1-1");
        assert_eq!(generate_icid("", 1, 2), "ims-1-2");
    }

    #[test]
    fn vector_builds_and_parses_back() {
        let mut v =
            ChargingVectorValue::new(generate_icid("pcscf", 0x10, 1), Some("192.0.2.1".into()));
        v.orig_ioi = Some("home1.net".into());
        assert_eq!(
            v.to_header_value(),
            "icid-value=pcscf-10-1;icid-generated-at=192.0.2.1;orig-ioi=home1.net"
        );
        let back = ChargingVectorValue::parse(&v.to_header_value()).unwrap();
        assert_eq!(back, v);
        // The S-CSCF of the terminating side adds term-ioi.
        let mut t = back.clone();
        t.term_ioi = Some("home2.net".into());
        assert_eq!(
            ChargingVectorValue::parse(&t.to_header_value())
                .unwrap()
                .term_ioi
                .as_deref(),
            Some("home2.net")
        );
    }

    #[test]
    fn rfc7315_example_keeps_other_params() {
        let v = ChargingVectorValue::parse(
            "icid-value=1234bc9876e;icid-generated-at=192.0.6.8;orig-ioi=home1.net;ggsn=192.0.2.5",
        )
        .unwrap();
        assert_eq!(v.icid, "1234bc9876e");
        assert_eq!(v.icid_generated_at.as_deref(), Some("192.0.6.8"));
        assert_eq!(
            v.other,
            vec![("ggsn".to_owned(), Some("192.0.2.5".to_owned()))]
        );
        assert!(v.to_header_value().ends_with(";ggsn=192.0.2.5"));
    }

    #[test]
    fn malformed_vector_is_refused() {
        assert_eq!(
            ChargingVectorValue::parse("orig-ioi=x"),
            Err(ChargingError::Malformed {
                header: "P-Charging-Vector"
            })
        );
        assert!(ChargingVectorValue::parse("").is_err());
    }

    #[test]
    fn quoted_values_for_non_tokens() {
        let v = ChargingVectorValue::new("a b\"c", None);
        assert_eq!(v.to_header_value(), "icid-value=\"a b\\\"c\"");
    }

    #[test]
    fn function_addresses_round_trip() {
        let text =
            charging_function_addresses(&["ccf1.home1.net", "[2001:db8::1]"], &["ecf1.home1.net"]);
        assert_eq!(
            text,
            "ccf=ccf1.home1.net;ccf=[2001:db8::1];ecf=ecf1.home1.net"
        );
        let (ccf, ecf) = parse_charging_function_addresses(&text).unwrap();
        assert_eq!(ccf, vec!["ccf1.home1.net", "[2001:db8::1]"]);
        assert_eq!(ecf, vec!["ecf1.home1.net"]);
        assert!(parse_charging_function_addresses("foo=bar").is_err());
    }
}
