//! S-CSCF selection by capabilities (TS 29.228 §6.7, TS 24.229 §5.3.1.2): from the configured
//! S-CSCFs, those offering every mandatory capability, most optional ones first; the names the
//! HSS lists in Server-Capabilities come first among equals, and those we do not know follow.

use ims_cx::ServerCapabilities;

use crate::config::ScscfEntry;

/// The S-CSCF names suitable for `wanted`, in preference order (best first). Empty when none
/// is suitable.
pub fn suitable_scscfs(configured: &[ScscfEntry], wanted: &ServerCapabilities) -> Vec<String> {
    let named_by_hss = |name: &str| {
        wanted
            .server_names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
    };
    let mut ranked: Vec<(usize, bool, usize, &str)> = configured
        .iter()
        .enumerate()
        .filter(|(_, s)| wanted.is_met_by(&s.capabilities))
        .map(|(i, s)| {
            (
                wanted.optional_score(&s.capabilities),
                named_by_hss(&s.name),
                i,
                s.name.as_str(),
            )
        })
        .collect();
    // Most optional capabilities, then named by the HSS, then configuration order.
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let mut names: Vec<String> = ranked.into_iter().map(|r| r.3.to_owned()).collect();
    // S-CSCFs the HSS names but we were not told about: it only names suitable ones
    // (TS 29.229 §6.3.4), their other capabilities are unknown to us.
    for n in &wanted.server_names {
        if !names.iter().any(|m| m.eq_ignore_ascii_case(n)) {
            names.push(n.clone());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, caps: &[u32]) -> ScscfEntry {
        ScscfEntry {
            name: name.into(),
            capabilities: caps.to_vec(),
        }
    }

    fn caps(mandatory: &[u32], optional: &[u32], names: &[&str]) -> ServerCapabilities {
        ServerCapabilities {
            mandatory: mandatory.to_vec(),
            optional: optional.to_vec(),
            server_names: names.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    #[test]
    fn mandatory_filter_then_most_optional() {
        let configured = [
            entry("sip:a", &[1]),
            entry("sip:b", &[1, 2, 3]),
            entry("sip:c", &[2, 3]),
            entry("sip:d", &[1, 2]),
        ];
        let got = suitable_scscfs(&configured, &caps(&[1], &[2, 3], &[]));
        assert_eq!(got, ["sip:b", "sip:d", "sip:a"]);
    }

    #[test]
    fn no_capabilities_keeps_configuration_order() {
        let configured = [entry("sip:a", &[]), entry("sip:b", &[5])];
        let got = suitable_scscfs(&configured, &ServerCapabilities::default());
        assert_eq!(got, ["sip:a", "sip:b"]);
    }

    #[test]
    fn hss_names_break_ties_and_unknown_names_follow() {
        let configured = [entry("sip:a", &[1]), entry("sip:b", &[1])];
        let got = suitable_scscfs(&configured, &caps(&[1], &[], &["sip:x", "SIP:B"]));
        assert_eq!(got, ["sip:b", "sip:a", "sip:x"]);
    }

    #[test]
    fn none_suitable() {
        let configured = [entry("sip:a", &[2])];
        assert!(suitable_scscfs(&configured, &caps(&[1], &[], &[])).is_empty());
    }
}
