//! Building the base protocol messages (CER/CEA, DWR/DWA, DPR/DPA; RFC 6733 §5) and protocol
//! error answers (§7.2), and in-place header edits (Hop-by-Hop, End-to-End, T flag).

use std::net::IpAddr;

use bytes::{Bytes, BytesMut};
use diameter_codec::format::AddressValue;
use diameter_codec::generated::base::{self, avp as b, DisconnectCause};
use diameter_codec::{
    AvpContainer, CommandFlags, Header, Message, MessageBuilder, ResultCode, WriteAvps,
};

use crate::config::{Application, LocalNode};

/// The relay Application-Id (RFC 6733 §2.4).
pub(crate) const RELAY_APP: u32 = diameter_codec::ApplicationId::RELAY.0;

/// Offset of the command flags byte in the header (§3).
const FLAGS_AT: usize = 4;
/// Offset of the Hop-by-Hop Identifier (§3).
const HBH_AT: usize = 12;
/// Offset of the End-to-End Identifier (§3).
const E2E_AT: usize = 16;

/// Appends the capabilities AVPs shared by CER and CEA (§5.3.1, §5.3.2).
fn put_capabilities(m: &mut MessageBuilder, local: &LocalNode) {
    m.put(&b::ORIGIN_HOST, &local.origin_host)
        .put(&b::ORIGIN_REALM, &local.origin_realm);
    for ip in &local.host_ip_addresses {
        let v = match ip {
            IpAddr::V4(a) => AddressValue::V4(*a),
            IpAddr::V6(a) => AddressValue::V6(*a),
        };
        m.put(&b::HOST_IP_ADDRESS, &v);
    }
    m.put(&b::VENDOR_ID, &local.vendor_id)
        .put(&b::PRODUCT_NAME, &local.product_name)
        .put(&b::ORIGIN_STATE_ID, &local.origin_state_id);
    for v in &local.supported_vendor_ids {
        m.put(&b::SUPPORTED_VENDOR_ID, v);
    }
    for app in &local.applications {
        match *app {
            Application::Auth(id) => {
                m.put(&b::AUTH_APPLICATION_ID, &id);
            }
            Application::Acct(id) => {
                m.put(&b::ACCT_APPLICATION_ID, &id);
            }
            Application::VendorAuth { vendor, app } => {
                m.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
                    g.put(&b::VENDOR_ID, &vendor)
                        .put(&b::AUTH_APPLICATION_ID, &app);
                });
            }
            Application::VendorAcct { vendor, app } => {
                m.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
                    g.put(&b::VENDOR_ID, &vendor)
                        .put(&b::ACCT_APPLICATION_ID, &app);
                });
            }
            Application::Relay => {
                m.put(&b::AUTH_APPLICATION_ID, &RELAY_APP);
            }
        }
    }
    if let Some(fw) = local.firmware_revision {
        m.put(&b::FIRMWARE_REVISION, &fw);
    }
}

/// A Capabilities-Exchange-Request (§5.3.1).
pub(crate) fn cer(local: &LocalNode, hbh: u32, e2e: u32) -> Bytes {
    let mut m = MessageBuilder::request(&base::cmd::CER, hbh, e2e);
    put_capabilities(&mut m, local);
    m.finish()
}

/// A Capabilities-Exchange-Answer to `cer` with `result` (§5.3.2); the E bit for 3xxx.
pub(crate) fn cea(local: &LocalNode, cer: &Header, result: ResultCode) -> Bytes {
    let mut m = MessageBuilder::answer(cer);
    m.set_flag(CommandFlags::ERROR, is_protocol_error(result));
    m.put(&b::RESULT_CODE, &result.0);
    put_capabilities(&mut m, local);
    m.finish()
}

/// A Device-Watchdog-Request (§5.5.1).
pub(crate) fn dwr(local: &LocalNode, hbh: u32, e2e: u32) -> Bytes {
    let mut m = MessageBuilder::request(&base::cmd::DWR, hbh, e2e);
    m.put(&b::ORIGIN_HOST, &local.origin_host)
        .put(&b::ORIGIN_REALM, &local.origin_realm)
        .put(&b::ORIGIN_STATE_ID, &local.origin_state_id);
    m.finish()
}

/// A Device-Watchdog-Answer (§5.5.2) with DIAMETER_SUCCESS.
pub(crate) fn dwa(local: &LocalNode, dwr: &Header) -> Bytes {
    let mut m = MessageBuilder::answer(dwr);
    m.put(&b::RESULT_CODE, &ResultCode::DIAMETER_SUCCESS.0)
        .put(&b::ORIGIN_HOST, &local.origin_host)
        .put(&b::ORIGIN_REALM, &local.origin_realm)
        .put(&b::ORIGIN_STATE_ID, &local.origin_state_id);
    m.finish()
}

/// A Disconnect-Peer-Request (§5.4.1).
pub(crate) fn dpr(local: &LocalNode, hbh: u32, e2e: u32, cause: DisconnectCause) -> Bytes {
    let mut m = MessageBuilder::request(&base::cmd::DPR, hbh, e2e);
    m.put(&b::ORIGIN_HOST, &local.origin_host)
        .put(&b::ORIGIN_REALM, &local.origin_realm)
        .put(&b::DISCONNECT_CAUSE, &cause);
    m.finish()
}

/// A Disconnect-Peer-Answer (§5.4.2) with DIAMETER_SUCCESS.
pub(crate) fn dpa(local: &LocalNode, dpr: &Header) -> Bytes {
    let mut m = MessageBuilder::answer(dpr);
    m.put(&b::RESULT_CODE, &ResultCode::DIAMETER_SUCCESS.0)
        .put(&b::ORIGIN_HOST, &local.origin_host)
        .put(&b::ORIGIN_REALM, &local.origin_realm);
    m.finish()
}

/// Whether `code` is a protocol error (3xxx), answered with the E bit (§7.1.3).
pub(crate) const fn is_protocol_error(code: ResultCode) -> bool {
    code.0 >= 3000 && code.0 < 4000
}

/// A protocol error answer (§7.2 answer-message) to `request` with `code` (3001, 3002, 3003,
/// 3005, 3007, ...): E bit, Session-Id and Proxy-Info copied (§6.2), Origin-Host/Realm.
pub(crate) fn protocol_error(local: &LocalNode, request: &Message, code: ResultCode) -> Bytes {
    let mut m = MessageBuilder::answer(request.header());
    m.set_flag(CommandFlags::ERROR, is_protocol_error(code));
    let mut proxy_info = Vec::new();
    let mut session = None;
    for avp in request.avps().map_while(Result::ok) {
        if avp.code() == b::SESSION_ID.code() && session.is_none() {
            session = Some(avp);
        } else if avp.code() == b::PROXY_INFO.code() {
            proxy_info.push(avp);
        }
    }
    if let Some(s) = &session {
        m.put_raw(s);
    }
    m.put(&b::ORIGIN_HOST, &local.origin_host)
        .put(&b::ORIGIN_REALM, &local.origin_realm)
        .put(&b::RESULT_CODE, &code.0);
    for p in &proxy_info {
        m.put_raw(p);
    }
    m.finish()
}

/// The header fields of a frame whose header did not pass [`Header::decode`] (bad version,
/// length or bits), so that an error answer can still echo the identifiers (§7.1). `None` when
/// fewer than 20 bytes arrived.
pub(crate) fn raw_header(frame: &[u8]) -> Option<Header> {
    let h = frame.first_chunk::<20>()?;
    let word = |i: usize| {
        h.get(i..i + 4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .map_or(0, u32::from_be_bytes)
    };
    Some(Header::new(
        CommandFlags(h[FLAGS_AT]),
        diameter_codec::CommandCode(word(4) & 0x00ff_ffff),
        diameter_codec::ApplicationId(word(8)),
        word(HBH_AT),
        word(E2E_AT),
    ))
}

/// A copy of `frame` with new Hop-by-Hop (and End-to-End when `e2e` is `Some`) identifiers.
pub(crate) fn with_ids(frame: &[u8], hbh: u32, e2e: Option<u32>) -> Bytes {
    let mut b = BytesMut::from(frame);
    if let Some(f) = b.get_mut(HBH_AT..HBH_AT + 4) {
        f.copy_from_slice(&hbh.to_be_bytes());
    }
    if let (Some(e), Some(f)) = (e2e, b.get_mut(E2E_AT..E2E_AT + 4)) {
        f.copy_from_slice(&e.to_be_bytes());
    }
    b.freeze()
}

/// A copy of `frame` with the T (potentially retransmitted) flag set (§3, §5.5.4).
pub(crate) fn with_retransmit(frame: &[u8]) -> Bytes {
    let mut b = BytesMut::from(frame);
    if let Some(f) = b.get_mut(FLAGS_AT) {
        *f |= CommandFlags::RETRANSMIT;
    }
    b.freeze()
}

/// A relayed copy of `request` (§6.1.8): new Hop-by-Hop, Route-Record with `from_host`
/// appended, everything else unchanged.
pub(crate) fn relayed(request: &Message, hbh: u32, from_host: &str) -> Bytes {
    let mut h = *request.header();
    h.hop_by_hop = hbh;
    let body = request.body();
    let mut m = MessageBuilder::with_capacity(h, 20 + body.len() + 8 + from_host.len() + 4);
    m.put_encoded(&body);
    m.put(&b::ROUTE_RECORD, from_host);
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::validate;

    fn local() -> LocalNode {
        LocalNode {
            origin_host: "a.test".into(),
            origin_realm: "test".into(),
            host_ip_addresses: vec![IpAddr::from([10, 0, 0, 1])],
            vendor_id: 0,
            product_name: "imsrs".into(),
            firmware_revision: Some(1),
            origin_state_id: 5,
            applications: vec![
                Application::VendorAuth {
                    vendor: 10415,
                    app: 16_777_216,
                },
                Application::Acct(3),
            ],
            supported_vendor_ids: vec![10415],
        }
    }

    #[test]
    fn base_messages_validate() {
        let l = local();
        let c = Message::decode(cer(&l, 1, 2)).unwrap();
        validate(&c, &base::cmd::CER).unwrap();
        let a = Message::decode(cea(&l, c.header(), ResultCode::DIAMETER_SUCCESS)).unwrap();
        validate(&a, &base::cmd::CEA).unwrap();
        assert_eq!(a.header().hop_by_hop, 1);
        let a = Message::decode(cea(&l, c.header(), ResultCode::DIAMETER_UNKNOWN_PEER)).unwrap();
        assert!(a.header().flags.is_error());
        let w = Message::decode(dwr(&l, 3, 4)).unwrap();
        validate(&w, &base::cmd::DWR).unwrap();
        validate(
            &Message::decode(dwa(&l, w.header())).unwrap(),
            &base::cmd::DWA,
        )
        .unwrap();
        let d = Message::decode(dpr(&l, 5, 6, DisconnectCause::BUSY)).unwrap();
        validate(&d, &base::cmd::DPR).unwrap();
        assert_eq!(
            d.require(&b::DISCONNECT_CAUSE).unwrap(),
            DisconnectCause::BUSY
        );
        validate(
            &Message::decode(dpa(&l, d.header())).unwrap(),
            &base::cmd::DPA,
        )
        .unwrap();
    }

    #[test]
    fn header_edits() {
        let f = dwr(&local(), 1, 2);
        let g = with_ids(&f, 0xaabb_ccdd, Some(9));
        let h = Header::decode(&g).unwrap();
        assert_eq!((h.hop_by_hop, h.end_to_end), (0xaabb_ccdd, 9));
        let t = Header::decode(&with_retransmit(&g)).unwrap();
        assert!(t.flags.is_retransmit());
        assert!(raw_header(&f[..19]).is_none());
        let mut bad = f.to_vec();
        bad[0] = 2;
        assert_eq!(raw_header(&bad).unwrap().hop_by_hop, 1);
    }
}
