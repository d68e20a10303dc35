//! Error answers (RFC 6733 §6.2, §7.2): what the peer layer sends back when decoding or
//! validation of a request fails.

use bytes::Bytes;

use crate::encode::{MessageBuilder, WriteAvps};
use crate::error::Error;
use crate::generated::base::avp as b;
use crate::header::{CommandFlags, Header};
use crate::message::Message;

fn build(
    request_header: &Header,
    session_id: Option<&Bytes>,
    proxy_info: &[Bytes],
    err: &Error,
    origin_host: &str,
    origin_realm: &str,
) -> Bytes {
    let mut a = MessageBuilder::answer(request_header);
    a.set_flag(CommandFlags::ERROR, err.is_protocol_error());
    if let Some(sid) = session_id {
        a.put_encoded(sid);
    }
    a.put(&b::ORIGIN_HOST, origin_host)
        .put(&b::ORIGIN_REALM, origin_realm)
        .put(&b::RESULT_CODE, &err.result_code().0);
    if let Some(failed) = err.failed_avp() {
        a.put_grouped(&b::FAILED_AVP, |g| {
            g.put_encoded(failed);
        });
    }
    for p in proxy_info {
        a.put_encoded(p);
    }
    a.finish()
}

/// The answer to a request whose header decoded but whose body failed with `err`: same
/// command, application and identifiers, E bit for protocol errors (3xxx), Origin-Host,
/// Origin-Realm, Result-Code and Failed-AVP (§7.5). Use [`error_answer_for`] when the request
/// decoded, so that Session-Id and Proxy-Info are copied too.
pub fn error_answer(
    request_header: &Header,
    err: &Error,
    origin_host: &str,
    origin_realm: &str,
) -> Bytes {
    build(request_header, None, &[], err, origin_host, origin_realm)
}

/// As [`error_answer`], copying the request's Session-Id (first) and Proxy-Info AVPs
/// (§6.2 items 2 and 4).
pub fn error_answer_for(
    request: &Message,
    err: &Error,
    origin_host: &str,
    origin_realm: &str,
) -> Bytes {
    use crate::message::AvpContainer;
    let mut session_id = None;
    let mut proxy_info = Vec::new();
    for avp in request.avps().map_while(Result::ok) {
        if avp.code() == b::SESSION_ID.code() && session_id.is_none() {
            session_id = Some(avp.raw().clone());
        } else if avp.code() == b::PROXY_INFO.code() {
            proxy_info.push(avp.raw().clone());
        }
    }
    build(
        request.header(),
        session_id.as_ref(),
        &proxy_info,
        err,
        origin_host,
        origin_realm,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::base;
    use crate::message::AvpContainer;
    use crate::validate::validate;

    #[test]
    fn missing_avp_answer() {
        let mut r = MessageBuilder::request(&base::cmd::STR, 5, 6);
        r.put(&b::SESSION_ID, "s;1;2")
            .put(&b::ORIGIN_HOST, "pcscf")
            .put_grouped(&b::PROXY_INFO, |g| {
                g.put(&b::PROXY_HOST, "p").put(&b::PROXY_STATE, b"st");
            });
        let req = Message::decode(r.finish()).unwrap();
        let err = validate(&req, &base::cmd::STR).unwrap_err();
        assert_eq!(err.result_code().0, 5005);
        let ans = Message::decode(error_answer_for(&req, &err, "hss", "ims.test")).unwrap();
        let h = ans.header();
        assert!(!h.flags.is_request() && !h.flags.is_error() && h.flags.is_proxiable());
        assert_eq!((h.hop_by_hop, h.end_to_end), (5, 6));
        assert_eq!(ans.require(&b::SESSION_ID).unwrap(), "s;1;2");
        assert_eq!(ans.require(&b::RESULT_CODE).unwrap(), 5005);
        let failed = ans.require(&b::FAILED_AVP).unwrap();
        let inner = failed.avps().next().unwrap().unwrap();
        assert_eq!(inner.code(), b::ORIGIN_REALM.code());
        assert_eq!(ans.get_all(&b::PROXY_INFO).unwrap().len(), 1);
        // A 5005 answer to STR is a valid STA (Failed-AVP contents are opaque).
        validate(&ans, &base::cmd::STA).unwrap();
    }

    #[test]
    fn protocol_error_sets_e_bit() {
        let req = Header::new(
            CommandFlags(0x80),
            base::cmd::CER.code,
            base::cmd::CER.application,
            1,
            2,
        );
        let ans = Message::decode(error_answer(&req, &Error::InvalidHeaderBits, "a", "b")).unwrap();
        assert!(ans.header().flags.is_error());
        assert_eq!(ans.require(&b::RESULT_CODE).unwrap(), 3008);
        assert!(ans.get(&b::FAILED_AVP).unwrap().is_none());
        validate(&ans, &base::cmd::CEA).unwrap();
    }
}
