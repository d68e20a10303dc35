//! Building Cx answers: the common AVPs of every answer (TS 29.229 §6.1), results as
//! Result-Code or Experimental-Result (§6.2), Failed-AVP (RFC 6733 §7.5) and Proxy-Info.

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::base::AuthSessionState;
use diameter_codec::generated::cx;
use diameter_codec::{error_answer_for, AvpContainer, Message, MessageBuilder, WriteAvps};

/// 3GPP vendor id (TS 29.229 §6.4).
pub const VENDOR_3GPP: u32 = 10415;

/// The result of a request (TS 29.229 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A base Result-Code (RFC 6733 §7.1).
    Base(u32),
    /// An Experimental-Result-Code with Vendor-Id 10415 (TS 29.229 §6.2).
    Experimental(u32),
}

/// A fault met while answering: becomes an answer, never an error to the caller.
#[derive(Debug)]
pub(crate) enum Fault {
    /// Decoding/validation fault: its Result-Code and Failed-AVP (RFC 6733 §7.1).
    Codec(diameter_codec::Error),
    /// A result with an optional Failed-AVP payload (one encoded AVP).
    Reject(Outcome, Option<Bytes>),
}

impl From<diameter_codec::Error> for Fault {
    fn from(e: diameter_codec::Error) -> Self {
        Self::Codec(e)
    }
}

impl From<ims_store::StoreError> for Fault {
    fn from(e: ims_store::StoreError) -> Self {
        tracing::warn!(error = %e, "subscriber store failed");
        Self::Reject(
            Outcome::Base(diameter_codec::ResultCode::DIAMETER_UNABLE_TO_COMPLY.0),
            None,
        )
    }
}

impl Fault {
    pub(crate) const fn base(code: u32) -> Self {
        Self::Reject(Outcome::Base(code), None)
    }

    pub(crate) const fn experimental(code: u32) -> Self {
        Self::Reject(Outcome::Experimental(code), None)
    }
}

/// Starts an answer to `req`: header, Session-Id, Vendor-Specific-Application-Id,
/// the result, Auth-Session-State NO_STATE_MAINTAINED, Origin-Host and Origin-Realm.
pub(crate) fn start(req: &Message, outcome: Outcome, host: &str, realm: &str) -> MessageBuilder {
    let mut a = MessageBuilder::answer(req.header());
    if let Ok(Some(sid)) = req.find(b::SESSION_ID.code()) {
        a.put_raw(&sid);
    }
    put_vendor_app(&mut a);
    match outcome {
        Outcome::Base(code) => {
            a.put(&b::RESULT_CODE, &code);
        }
        Outcome::Experimental(code) => {
            a.put_grouped(&b::EXPERIMENTAL_RESULT, |g| {
                g.put(&b::VENDOR_ID, &VENDOR_3GPP)
                    .put(&b::EXPERIMENTAL_RESULT_CODE, &code);
            });
        }
    }
    a.put(
        &b::AUTH_SESSION_STATE,
        &AuthSessionState::NO_STATE_MAINTAINED,
    )
    .put(&b::ORIGIN_HOST, host)
    .put(&b::ORIGIN_REALM, realm);
    a
}

/// Vendor-Specific-Application-Id { Vendor-Id 10415, Auth-Application-Id 16777216 }.
pub(crate) fn put_vendor_app<W: WriteAvps>(w: &mut W) {
    w.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
        g.put(&b::VENDOR_ID, &VENDOR_3GPP)
            .put(&b::AUTH_APPLICATION_ID, &cx::APPLICATION_ID.0);
    });
}

/// Ends an answer: Failed-AVP (if any) and the request's Proxy-Info AVPs in order.
pub(crate) fn finish(req: &Message, mut a: MessageBuilder, failed: Option<&Bytes>) -> Bytes {
    if let Some(f) = failed {
        a.put_grouped(&b::FAILED_AVP, |g| {
            g.put_encoded(f);
        });
    }
    for avp in req.avps().map_while(Result::ok) {
        if avp.code() == b::PROXY_INFO.code() {
            a.put_raw(&avp);
        }
    }
    a.finish()
}

/// The answer for a fault: protocol errors (3xxx) as an E-bit answer-message, others as a
/// regular answer of the command carrying the result and Failed-AVP.
pub(crate) fn fault_answer(req: &Message, fault: &Fault, host: &str, realm: &str) -> Bytes {
    match fault {
        Fault::Codec(e) if e.is_protocol_error() => error_answer_for(req, e, host, realm),
        Fault::Codec(e) => {
            let a = start(req, Outcome::Base(e.result_code().0), host, realm);
            finish(req, a, e.failed_avp())
        }
        Fault::Reject(outcome, failed) => {
            let a = start(req, *outcome, host, realm);
            finish(req, a, failed.as_ref())
        }
    }
}

/// Reads the result of an answer: Result-Code, or the Experimental-Result-Code.
pub fn answer_result(answer: &Message) -> Option<Outcome> {
    if let Ok(Some(c)) = answer.get(&b::RESULT_CODE) {
        return Some(Outcome::Base(c));
    }
    let er = answer.get(&b::EXPERIMENTAL_RESULT).ok()??;
    er.get(&b::EXPERIMENTAL_RESULT_CODE)
        .ok()?
        .map(Outcome::Experimental)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::validate;

    fn uar() -> Message {
        let mut r = MessageBuilder::request(&cx::cmd::UAR, 1, 2);
        r.put(&b::SESSION_ID, "icscf;1;2");
        r.put_grouped(&b::PROXY_INFO, |g| {
            g.put(&b::PROXY_HOST, "p.test").put(&b::PROXY_STATE, b"x");
        });
        Message::decode(r.finish()).unwrap()
    }

    #[test]
    fn experimental_answer_validates() {
        let req = uar();
        let a = start(&req, Outcome::Experimental(5001), "hss", "ims.test");
        let ans = Message::decode(finish(&req, a, None)).unwrap();
        validate(&ans, &cx::cmd::UAA).unwrap();
        assert_eq!(answer_result(&ans), Some(Outcome::Experimental(5001)));
        assert_eq!(ans.get(&b::SESSION_ID).unwrap().unwrap(), "icscf;1;2");
        assert_eq!(ans.get_all(&b::PROXY_INFO).unwrap().len(), 1);
        assert_eq!((ans.header().hop_by_hop, ans.header().end_to_end), (1, 2));
    }

    #[test]
    fn codec_fault_keeps_failed_avp() {
        let req = uar();
        let err = req.require(&b::ORIGIN_HOST).unwrap_err();
        let ans = Message::decode(fault_answer(&req, &Fault::Codec(err), "h", "r")).unwrap();
        validate(&ans, &cx::cmd::UAA).unwrap();
        assert_eq!(answer_result(&ans), Some(Outcome::Base(5005)));
        let failed = ans.get(&b::FAILED_AVP).unwrap().unwrap();
        let inner = failed.avps().next().unwrap().unwrap();
        assert_eq!(inner.code(), b::ORIGIN_HOST.code());
    }
}
