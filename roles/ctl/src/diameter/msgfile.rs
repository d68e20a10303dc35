//! A Diameter request described in TOML, encoded with the dictionary (`dict::avp_by_name`).
//!
//! ```toml
//! command = "UAR"            # or code = 300
//! application = 16777216     # optional: defaults to the command's
//! proxiable = true           # optional: defaults to the command's P bit
//! [avps]
//! Session-Id = "imsctl;1"
//! Auth-Session-State = 1
//! Public-Identity = "sip:alice@ims.test"
//! [avps.Vendor-Specific-Application-Id]
//! Vendor-Id = 10415
//! Auth-Application-Id = 16777216
//! ```
//! Arrays repeat an AVP; tables are Grouped AVPs. Order is kept as written.

use std::net::IpAddr;

use anyhow::{anyhow, bail, Context};
use bytes::{BufMut, Bytes, BytesMut};
use diameter_codec::generated::base::avp as b;
use diameter_codec::{
    dict, ApplicationId, AvpContainer, CommandCode, CommandFlags, DataType, Header, Message,
    MessageBuilder, WriteAvps,
};
use toml::Value;

/// Parses `text` and encodes the request; Origin-Host/Realm are added when the file has none.
pub fn encode(
    text: &str,
    hbh: u32,
    origin_host: &str,
    origin_realm: &str,
) -> anyhow::Result<Bytes> {
    let doc: toml::Table = toml::from_str(text).context("parsing message TOML")?;
    let cmd = match doc.get("command") {
        Some(Value::String(name)) => Some(
            diameter_codec::generated::ALL_COMMANDS
                .iter()
                .rev()
                .find(|c| c.request && c.name.eq_ignore_ascii_case(name))
                .copied()
                .ok_or_else(|| anyhow!("unknown command {name:?}"))?,
        ),
        Some(_) => bail!("command must be a string"),
        None => None,
    };
    let code = match (doc.get("code"), cmd) {
        (Some(Value::Integer(c)), _) => u32::try_from(*c).context("code")?,
        (_, Some(c)) => c.code.0,
        _ => bail!("need command or code"),
    };
    let app = match (doc.get("application"), cmd) {
        (Some(Value::Integer(a)), _) => u32::try_from(*a).context("application")?,
        (_, Some(c)) => c.application.0,
        _ => 0,
    };
    let proxiable = match (doc.get("proxiable"), cmd) {
        (Some(Value::Boolean(p)), _) => *p,
        (_, Some(c)) => c.proxiable,
        _ => true,
    };
    let flags = CommandFlags(CommandFlags::REQUEST).with(CommandFlags::PROXIABLE, proxiable);
    let mut m = MessageBuilder::new(Header::new(
        flags,
        CommandCode(code),
        ApplicationId(app),
        hbh,
        hbh,
    ));
    let empty = toml::Table::new();
    let avps = match doc.get("avps") {
        Some(Value::Table(t)) => t,
        Some(_) => bail!("avps must be a table"),
        None => &empty,
    };
    let mut has_oh = false;
    let mut has_or = false;
    for (name, v) in avps {
        has_oh |= name == "Origin-Host";
        has_or |= name == "Origin-Realm";
        let mut buf = BytesMut::new();
        encode_named(&mut buf, name, v)?;
        m.put_encoded(&buf);
    }
    if !has_oh {
        m.put(&b::ORIGIN_HOST, origin_host);
    }
    if !has_or {
        m.put(&b::ORIGIN_REALM, origin_realm);
    }
    let out = m.finish();
    Message::decode(out.clone()).map_err(|e| anyhow!("encoded message does not decode: {e}"))?;
    Ok(out)
}

fn encode_named(out: &mut BytesMut, name: &str, v: &Value) -> anyhow::Result<()> {
    let meta = dict::avp_by_name(name).ok_or_else(|| anyhow!("unknown AVP {name:?}"))?;
    match v {
        Value::Array(items) => {
            for i in items {
                encode_named(out, name, i)?;
            }
            Ok(())
        }
        _ => {
            let data = encode_value(meta.data_type, v).with_context(|| format!("AVP {name}"))?;
            put_avp(out, meta.code.code, meta.code.vendor, meta.flags().0, &data);
            Ok(())
        }
    }
}

fn put_avp(out: &mut BytesMut, code: u32, vendor: u32, flags: u8, data: &[u8]) {
    let hdr = if vendor != 0 { 12 } else { 8 };
    let len = (hdr + data.len()) as u32;
    out.put_u32(code);
    out.put_u32(u32::from(flags) << 24 | (len & 0x00ff_ffff));
    if vendor != 0 {
        out.put_u32(vendor);
    }
    out.put_slice(data);
    out.put_bytes(0, (4 - out.len() % 4) % 4);
}

fn int(v: &Value) -> anyhow::Result<i64> {
    match v {
        Value::Integer(i) => Ok(*i),
        _ => bail!("expected an integer, got {v}"),
    }
}

fn encode_value(t: DataType, v: &Value) -> anyhow::Result<Vec<u8>> {
    Ok(match t {
        DataType::Grouped => {
            let Value::Table(tbl) = v else {
                bail!("Grouped AVP needs a table");
            };
            let mut buf = BytesMut::new();
            for (name, inner) in tbl {
                encode_named(&mut buf, name, inner)?;
            }
            buf.to_vec()
        }
        DataType::OctetString => match v {
            Value::String(s) => match s.strip_prefix("0x") {
                Some(h) => unhex(h)?,
                None => s.as_bytes().to_vec(),
            },
            _ => bail!("OctetString needs a string"),
        },
        DataType::Utf8String
        | DataType::DiameterIdentity
        | DataType::DiameterUri
        | DataType::IpFilterRule => match v {
            Value::String(s) => s.as_bytes().to_vec(),
            _ => bail!("expected a string"),
        },
        DataType::Integer32 | DataType::Enumerated => {
            i32::try_from(int(v)?)?.to_be_bytes().to_vec()
        }
        DataType::Unsigned32 | DataType::Time => u32::try_from(int(v)?)?.to_be_bytes().to_vec(),
        DataType::Integer64 => int(v)?.to_be_bytes().to_vec(),
        DataType::Unsigned64 => u64::try_from(int(v)?)?.to_be_bytes().to_vec(),
        DataType::Float32 | DataType::Float64 => {
            let f = match v {
                Value::Float(f) => *f,
                Value::Integer(i) => *i as f64,
                _ => bail!("expected a number"),
            };
            if t == DataType::Float32 {
                (f as f32).to_be_bytes().to_vec()
            } else {
                f.to_be_bytes().to_vec()
            }
        }
        DataType::Address => {
            let Value::String(s) = v else {
                bail!("Address needs an IP string");
            };
            let ip: IpAddr = s.parse().context("Address")?;
            match ip {
                IpAddr::V4(a) => [&[0u8, 1][..], &a.octets()].concat(),
                IpAddr::V6(a) => [&[0u8, 2][..], &a.octets()].concat(),
            }
        }
    })
}

fn unhex(h: &str) -> anyhow::Result<Vec<u8>> {
    if h.len() % 2 != 0 {
        bail!("odd hex length");
    }
    (0..h.len())
        .step_by(2)
        .map(|i| {
            h.get(i..i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| anyhow!("bad hex"))
        })
        .collect()
}

/// Reads Origin-Host back, for tests and messages.
pub fn origin_host(m: &Message) -> Option<String> {
    m.get(&b::ORIGIN_HOST)
        .ok()
        .flatten()
        .map(|v| v.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::cx;

    const UAR: &str = r#"
command = "UAR"
[avps]
Session-Id = "imsctl;1"
Auth-Session-State = 1
Destination-Realm = "ims.test"
User-Name = "alice@ims.test"
Public-Identity = "sip:alice@ims.test"
Visited-Network-Identifier = "0x696d73"
[avps.Vendor-Specific-Application-Id]
Vendor-Id = 10415
Auth-Application-Id = 16777216
"#;

    #[test]
    fn encodes_uar_in_order_with_groups() {
        let f = encode(UAR, 7, "me.ims.test", "ims.test").unwrap();
        let m = Message::decode(f).unwrap();
        assert_eq!(m.header().code, cx::cmd::UAR.code);
        assert_eq!(m.header().application_id.0, 16_777_216);
        assert!(m.header().flags.is_request() && m.header().flags.is_proxiable());
        assert_eq!(m.header().hop_by_hop, 7);
        let first = m.avps().next().unwrap().unwrap();
        assert_eq!(first.code(), b::SESSION_ID.code());
        assert_eq!(
            m.get(&cx::avp::PUBLIC_IDENTITY).unwrap().unwrap().as_str(),
            "sip:alice@ims.test"
        );
        assert_eq!(
            m.get(&cx::avp::VISITED_NETWORK_IDENTIFIER)
                .unwrap()
                .unwrap(),
            Bytes::from_static(b"ims")
        );
        let vsai = m.get(&b::VENDOR_SPECIFIC_APPLICATION_ID).unwrap().unwrap();
        assert_eq!(vsai.get(&b::VENDOR_ID).unwrap(), Some(10415));
        assert_eq!(origin_host(&m).as_deref(), Some("me.ims.test"));
        diameter_codec::validate(&m, &cx::cmd::UAR).unwrap();
    }

    #[test]
    fn rejects_unknown_names_and_bad_values() {
        assert!(encode("command = \"NOPE\"", 1, "h", "r").is_err());
        assert!(encode("command = \"DWR\"\n[avps]\nNo-Such-Avp = 1", 1, "h", "r").is_err());
        assert!(encode(
            "command = \"DWR\"\n[avps]\nOrigin-State-Id = \"x\"",
            1,
            "h",
            "r"
        )
        .is_err());
        assert!(encode(
            "command = \"DWR\"\n[avps]\nOrigin-State-Id = -1",
            1,
            "h",
            "r"
        )
        .is_err());
    }
}
