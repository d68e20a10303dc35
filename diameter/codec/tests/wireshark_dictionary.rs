//! Holds our dictionary against Wireshark's independent one (DESIGN.md principle 3): for every
//! AVP we declare, Wireshark's `diameter/*.xml` must agree on code, vendor, data format and the
//! M/V flag rules, unless the difference is listed in `JUSTIFIED` with the clause that decides.
//! The XML is read with a tiny attribute scanner (no XML crate).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;

use diameter_codec::dict::{DataType, FlagRule};
use diameter_codec::generated::ALL_AVPS;

/// Differences from Wireshark that the specifications justify: (AVP name, clause).
const JUSTIFIED: &[(&str, &str)] = &[
    // Wireshark types these as Enumerated to print value names; on the wire they are Unsigned32.
    ("Result-Code", "RFC 6733 §7.1: Unsigned32"),
    ("Experimental-Result-Code", "RFC 6733 §7.7: Unsigned32"),
    ("Inband-Security-Id", "RFC 6733 §6.10: Unsigned32"),
    ("Session-Binding", "RFC 6733 §8.17: Unsigned32 (bit field)"),
    ("Authorization-Lifetime", "RFC 6733 §8.9: Unsigned32"),
    (
        "Framed-IP-Address",
        "RFC 7155 §4.4.10.5.1: OctetString (RADIUS encoding, no family)",
    ),
    // TS 29.229 table 6.3.1: AVPs added after Rel-6 have the M bit "must not".
    (
        "Supported-Features",
        "TS 29.229 §6.3.29, table 6.3.1: M must not",
    ),
    (
        "Feature-List-ID",
        "TS 29.229 §6.3.30, table 6.3.1: M must not",
    ),
    ("Feature-List", "TS 29.229 §6.3.31, table 6.3.1: M must not"),
    (
        "Supported-Applications",
        "TS 29.229 §6.3.32, table 6.3.1: M must not",
    ),
    (
        "Associated-Identities",
        "TS 29.229 §6.3.33, table 6.3.1: M must not",
    ),
    (
        "Wildcarded-Public-Identity",
        "TS 29.229 §6.3.35, table 6.3.1: M must not",
    ),
    ("LIA-Flags", "TS 29.229 §6.3.59, table 6.3.1: M must not"),
    (
        "Initial-CSeq-Sequence-Number",
        "TS 29.229 §6.3.60, table 6.3.1: M must not",
    ),
    ("SAR-Flags", "TS 29.229 §6.3.61, table 6.3.1: M must not"),
    (
        "WebRTC-Authentication-Function-Name",
        "TS 29.229 §6.3.63, table 6.3.1: M must not",
    ),
    (
        "WebRTC-Web-Server-Function-Name",
        "TS 29.229 §6.3.64, table 6.3.1: M must not",
    ),
    // Later releases than Wireshark's dictionary.
    ("RTR-Flags", "TS 29.229 §6.3.65 (Rel-13), not in Wireshark"),
    (
        "P-CSCF-Subscription-Info",
        "TS 29.229 §6.3.66 (Rel-14), not in Wireshark",
    ),
    (
        "Registration-Time-Out",
        "TS 29.229 §6.3.67 (Rel-15), not in Wireshark",
    ),
    (
        "IMS-Emergency-Indicator",
        "TS 32.299 §7.2.80 (Rel-11), not in Wireshark",
    ),
    // TS 32.299 table 7.2 and the AVP clauses.
    (
        "Event-Type",
        "TS 32.299 table 7.2: V must (3GPP vendor AVP 823)",
    ),
    (
        "Cause-Code",
        "TS 32.299 §7.2.35: Integer32 (negative values are SIP-side causes)",
    ),
    (
        "Access-Network-Information",
        "TS 32.299 §7.2.3: OctetString",
    ),
];

#[derive(Debug, Clone)]
struct WsAvp {
    name: String,
    code: u32,
    vendor: u32,
    data_type: String,
    mandatory: String,
    vendor_bit: String,
}

/// Value of `attr="..."` inside one tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    loop {
        let i = rest.find(name)?;
        let before_ok = i == 0 || rest[..i].ends_with(|c: char| c.is_whitespace());
        let after = &rest[i + name.len()..];
        let after_trim = after.trim_start();
        if before_ok && after_trim.starts_with('=') {
            let v = after_trim[1..].trim_start();
            let q = v.chars().next()?;
            let v = &v[1..];
            let end = v.find(q)?;
            return Some(&v[..end]);
        }
        rest = after;
    }
}

/// Every `<name ...>` tag text in `xml`, with its byte offset.
fn tags<'a>(xml: &'a str, name: &str) -> Vec<(usize, &'a str)> {
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = xml[pos..].find(&open) {
        let start = pos + i;
        let after = xml[start + open.len()..].chars().next();
        let Some(end) = xml[start..].find('>') else {
            break;
        };
        if matches!(after, Some(c) if c.is_whitespace() || c == '>' || c == '/') {
            out.push((start, &xml[start..start + end + 1]));
        }
        pos = start + end + 1;
    }
    out
}

fn strip_comments(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        match rest[i..].find("-->") {
            Some(j) => rest = &rest[i + j + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

fn load(dir: &Path) -> Vec<WsAvp> {
    let main = std::fs::read_to_string(dir.join("dictionary.xml")).unwrap();
    let mut texts = vec![strip_comments(&main)];
    for (_, t) in tags(&main, "!ENTITY") {
        if let Some(i) = t.find("SYSTEM") {
            let file = t[i + 6..]
                .trim()
                .trim_end_matches('>')
                .trim()
                .trim_matches('"');
            if let Ok(s) = std::fs::read_to_string(dir.join(file)) {
                texts.push(strip_comments(&s));
            }
        }
    }
    let mut vendors: HashMap<String, u32> = HashMap::new();
    for text in &texts {
        for (_, t) in tags(text, "vendor") {
            if let (Some(id), Some(code)) = (attr(t, "vendor-id"), attr(t, "code")) {
                vendors.insert(id.to_owned(), code.parse().unwrap_or(0));
            }
        }
    }
    let mut avps = Vec::new();
    for text in &texts {
        for (start, t) in tags(text, "avp") {
            let (Some(name), Some(code)) = (attr(t, "name"), attr(t, "code")) else {
                continue;
            };
            let body_end = text[start..]
                .find("</avp>")
                .map_or(text.len(), |e| start + e);
            let body = &text[start..body_end];
            let data_type = if body.contains("<grouped") {
                "Grouped".to_owned()
            } else {
                tags(body, "type")
                    .first()
                    .and_then(|(_, t)| attr(t, "type-name"))
                    .unwrap_or("?")
                    .to_owned()
            };
            let vendor =
                attr(t, "vendor-id").map_or(0, |v| vendors.get(v).copied().unwrap_or(u32::MAX));
            avps.push(WsAvp {
                name: name.to_owned(),
                code: code.parse().unwrap_or(u32::MAX),
                vendor,
                data_type,
                mandatory: attr(t, "mandatory").unwrap_or("").to_owned(),
                vendor_bit: attr(t, "vendor-bit").unwrap_or("").to_owned(),
            });
        }
    }
    avps
}

fn ws_type(t: &str) -> Option<DataType> {
    Some(match t {
        // Wireshark's display hint for OctetStrings that usually hold text.
        "OctetString" | "OctetStringOrUTF8" => DataType::OctetString,
        "UTF8String" => DataType::Utf8String,
        "Integer32" => DataType::Integer32,
        "Integer64" => DataType::Integer64,
        "Unsigned32" | "AppId" | "VendorId" => DataType::Unsigned32,
        "Unsigned64" => DataType::Unsigned64,
        "Float32" => DataType::Float32,
        "Float64" => DataType::Float64,
        "Grouped" => DataType::Grouped,
        "IPAddress" | "Address" => DataType::Address,
        "Time" => DataType::Time,
        "DiameterIdentity" => DataType::DiameterIdentity,
        "DiameterURI" => DataType::DiameterUri,
        "Enumerated" => DataType::Enumerated,
        "IPFilterRule" => DataType::IpFilterRule,
        _ => return None,
    })
}

fn flag_ok(ours: FlagRule, theirs: &str) -> bool {
    !matches!(
        (ours, theirs),
        (FlagRule::Must, "mustnot") | (FlagRule::MustNot, "must")
    )
}

fn differences(ws: &[WsAvp]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for ours in ALL_AVPS {
        let candidates: Vec<&WsAvp> = ws
            .iter()
            .filter(|w| w.code == ours.code.code && w.vendor == ours.code.vendor)
            .collect();
        if candidates.is_empty() {
            out.push((
                ours.name.to_owned(),
                format!("{} absent from Wireshark", ours.code),
            ));
            continue;
        }
        let mut reasons = Vec::new();
        let agrees = candidates.iter().any(|w| {
            let mut why = Vec::new();
            if ws_type(&w.data_type) != Some(ours.data_type) {
                why.push(format!(
                    "type {:?} vs Wireshark {}",
                    ours.data_type, w.data_type
                ));
            }
            if !flag_ok(ours.m, &w.mandatory) {
                why.push(format!("M {:?} vs Wireshark {}", ours.m, w.mandatory));
            }
            if !flag_ok(ours.v, &w.vendor_bit) {
                why.push(format!("V {:?} vs Wireshark {}", ours.v, w.vendor_bit));
            }
            let ok = why.is_empty();
            reasons.push(format!("[{}] {}", w.name, why.join(", ")));
            ok
        });
        if !agrees {
            out.push((ours.name.to_owned(), reasons.join(" | ")));
        }
    }
    out
}

#[test]
fn our_dictionary_matches_wireshark() {
    let dir = Path::new("/usr/share/wireshark/diameter");
    if !dir.join("dictionary.xml").exists() {
        eprintln!(
            "NOTICE: {} missing; Wireshark dictionary check skipped",
            dir.display()
        );
        assert!(
            std::env::var_os("IMS_REQUIRE_WIRESHARK").is_none(),
            "IMS_REQUIRE_WIRESHARK is set but Wireshark's diameter dictionary is not installed"
        );
        return;
    }
    let ws = load(dir);
    assert!(ws.len() > 1000, "scanner found only {} AVPs", ws.len());
    let diffs = differences(&ws);
    let unexplained: Vec<_> = diffs
        .iter()
        .filter(|(name, _)| !JUSTIFIED.iter().any(|(n, _)| n == name))
        .collect();
    for (name, why) in &unexplained {
        eprintln!("{name}: {why}");
    }
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences",
        unexplained.len()
    );
    // Every justification must still be needed.
    for (name, clause) in JUSTIFIED {
        assert!(
            diffs.iter().any(|(n, _)| n == name),
            "{name} is justified ({clause}) but agrees with Wireshark now"
        );
    }
}

#[test]
fn scanner_reads_attributes() {
    let t = r#"<avp name="A" code="1" mandatory="must" vendor-bit='mustnot'>"#;
    assert_eq!(attr(t, "name"), Some("A"));
    assert_eq!(attr(t, "code"), Some("1"));
    assert_eq!(attr(t, "vendor-bit"), Some("mustnot"));
    assert_eq!(attr(t, "bit"), None);
    let x = "<a><avp name=\"B\" code=\"2\"><grouped/></avp><!-- <avp name=\"C\"> --></a>";
    assert_eq!(tags(&strip_comments(x), "avp").len(), 1);
}
