//! Printing a message's AVPs by dictionary name (RFC 6733 §4.3 data formats), Grouped AVPs
//! indented.

use std::fmt::Write as _;

use bytes::Bytes;
use diameter_codec::format::{self, Format};
use diameter_codec::{dict, Avp, AvpContainer, AvpIter, DataType, Message};

/// The AVPs of `m`, one per line.
pub fn render(m: &Message) -> String {
    let mut out = String::new();
    let h = m.header();
    let name =
        dict::command(h.code, h.application_id, h.flags.is_request()).map_or("?", |c| c.name);
    let _ = writeln!(
        out,
        "{name} code={} app={} flags=0x{:02x} hbh=0x{:08x} e2e=0x{:08x} len={}",
        h.code.0, h.application_id.0, h.flags.0, h.hop_by_hop, h.end_to_end, h.length
    );
    render_avps(&mut out, m.avps(), 1);
    out
}

fn render_avps(out: &mut String, avps: AvpIter, depth: usize) {
    for a in avps {
        match a {
            Ok(a) => render_avp(out, &a, depth),
            Err(e) => {
                let _ = writeln!(out, "{:w$}<bad AVP: {e}>", "", w = depth * 2);
                return;
            }
        }
    }
}

fn render_avp(out: &mut String, a: &Avp, depth: usize) {
    let pad = depth * 2;
    let Some(meta) = dict::avp_meta(a.code()) else {
        let _ = writeln!(out, "{:pad$}{} = 0x{}", "", a.code(), hex(&a.data()));
        return;
    };
    if meta.data_type == DataType::Grouped {
        let _ = writeln!(out, "{:pad$}{}:", "", meta.name);
        render_avps(out, AvpIter::new(a.data(), 0), depth + 1);
        return;
    }
    let _ = writeln!(
        out,
        "{:pad$}{} = {}",
        "",
        meta.name,
        value(meta.data_type, &a.data())
    );
}

/// A value as text, by data type.
pub fn value(t: DataType, d: &Bytes) -> String {
    fn s<F: Format>(d: &Bytes) -> Option<String>
    where
        F::Value: std::fmt::Debug,
    {
        F::decode(d).ok().map(|v| format!("{v:?}"))
    }
    let r = match t {
        DataType::Utf8String
        | DataType::DiameterIdentity
        | DataType::DiameterUri
        | DataType::IpFilterRule => std::str::from_utf8(d).ok().map(|v| format!("{v:?}")),
        DataType::Unsigned32 | DataType::Enumerated if d.len() == 4 => s::<format::Unsigned32>(d),
        DataType::Integer32 => s::<format::Integer32>(d),
        DataType::Unsigned64 => s::<format::Unsigned64>(d),
        DataType::Integer64 => s::<format::Integer64>(d),
        DataType::Float32 => s::<format::Float32>(d),
        DataType::Float64 => s::<format::Float64>(d),
        DataType::Address => format::Address::decode(d).ok().map(|v| match v {
            format::AddressValue::V4(a) => a.to_string(),
            format::AddressValue::V6(a) => a.to_string(),
            format::AddressValue::Other { family, address } => {
                format!("family {family}: 0x{}", hex(&address))
            }
        }),
        DataType::Time => format::Time::decode(d).ok().map(|v| format!("{}", v.0)),
        _ => None,
    };
    r.unwrap_or_else(|| format!("0x{}", hex(d)))
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::base::{avp as b, cmd};
    use diameter_codec::{MessageBuilder, WriteAvps};

    #[test]
    fn renders_names_values_and_groups() {
        let mut m = MessageBuilder::request(&cmd::CER, 1, 2);
        m.put(&b::ORIGIN_HOST, "a.b")
            .put(&b::VENDOR_ID, &10415)
            .put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
                g.put(&b::AUTH_APPLICATION_ID, &16_777_216);
            });
        let text = render(&Message::decode(m.finish()).unwrap());
        assert!(text.starts_with("CER code=257"), "{text}");
        assert!(text.contains("  Origin-Host = \"a.b\"\n"), "{text}");
        assert!(text.contains("  Vendor-Id = 10415\n"), "{text}");
        assert!(
            text.contains(
                "  Vendor-Specific-Application-Id:\n    Auth-Application-Id = 16777216\n"
            ),
            "{text}"
        );
    }
}
