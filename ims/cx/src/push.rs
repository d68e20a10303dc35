//! The S-CSCF side of HSS-initiated requests: RTR (TS 29.228 §6.1.3, TS 29.229 §6.1.9) to
//! de-register users and PPR (TS 29.228 §6.2.2, TS 29.229 §6.1.11) to push a changed
//! profile, and their answers RTA/PPA (§6.1.10, §6.1.12).
//!
//! Parsing validates the request against the dictionary first; a fault is a
//! [`diameter_codec::Error`] that [`push_error_answer`] turns into the answer naming it.

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::base::AuthSessionState;
use diameter_codec::generated::cx::{self, avp as x, view, ReasonCode};
use diameter_codec::{
    error_answer_for, validate, AvpContainer, Message, MessageBuilder, ResultCode, WriteAvps,
};

use crate::answer::text;
use crate::charging::ChargingInfo;
use crate::identity::{put_vendor_app, CxIdentity};
use crate::result::CxResult;

/// Deregistration-Reason (TS 29.229 §6.3.17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeregistrationReason {
    /// Reason-Code: PERMANENT_TERMINATION, NEW_SERVER_ASSIGNED, SERVER_CHANGE, REMOVE_S_CSCF.
    pub code: ReasonCode,
    /// Reason-Info: a phrase for the user (TS 29.228 §6.1.3).
    pub info: Option<String>,
}

/// A received Registration-Termination-Request (TS 29.229 §6.1.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationTermination {
    /// Session-Id, echoed in the RTA.
    pub session_id: String,
    /// Origin-Host: the HSS.
    pub origin_host: String,
    /// User-Name: the private identity.
    pub impi: String,
    /// Associated-Identities: further private identities to de-register.
    pub associated_identities: Vec<String>,
    /// Public-Identity AVPs; empty means every identity of `impi` (TS 29.228 §6.1.3).
    pub public_identities: Vec<String>,
    /// Why.
    pub reason: DeregistrationReason,
}

impl RegistrationTermination {
    /// Validates and parses an RTR.
    pub fn parse(request: &Message) -> Result<Self, diameter_codec::Error> {
        validate(request, &cx::cmd::RTR)?;
        let v = view::Rtr(request);
        let reason = v.deregistration_reason()?;
        let r = view::DeregistrationReason(&reason);
        let associated_identities = match v.associated_identities()? {
            Some(g) => view::AssociatedIdentities(&g)
                .user_name()?
                .iter()
                .map(text)
                .collect(),
            None => Vec::new(),
        };
        Ok(Self {
            session_id: text(&v.session_id()?),
            origin_host: text(&v.origin_host()?),
            impi: text(&v.user_name()?),
            associated_identities,
            public_identities: v.public_identity()?.iter().map(text).collect(),
            reason: DeregistrationReason {
                code: r.reason_code()?,
                info: r.reason_info()?.as_ref().map(text),
            },
        })
    }
}

/// A received Push-Profile-Request (TS 29.229 §6.1.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushProfile {
    /// Session-Id, echoed in the PPA.
    pub session_id: String,
    /// Origin-Host: the HSS.
    pub origin_host: String,
    /// User-Name: the private identity.
    pub impi: String,
    /// User-Data: the new IMSSubscription XML, if the profile changed.
    pub user_data: Option<String>,
    /// Charging-Information, if the addresses changed.
    pub charging: Option<ChargingInfo>,
}

impl PushProfile {
    /// Validates and parses a PPR. A User-Data that is not UTF-8 is 5004 naming the AVP.
    pub fn parse(request: &Message) -> Result<Self, diameter_codec::Error> {
        validate(request, &cx::cmd::PPR)?;
        let v = view::Ppr(request);
        let user_data = match v.user_data()? {
            Some(raw) => Some(String::from_utf8(raw.to_vec()).map_err(|_| {
                diameter_codec::Error::InvalidAvpValue {
                    code: x::USER_DATA.code(),
                    failed_avp: request
                        .find(x::USER_DATA.code())
                        .ok()
                        .flatten()
                        .map(|a| a.raw().clone())
                        .unwrap_or_default(),
                }
            })?),
            None => None,
        };
        Ok(Self {
            session_id: text(&v.session_id()?),
            origin_host: text(&v.origin_host()?),
            impi: text(&v.user_name()?),
            user_data,
            charging: ChargingInfo::read(request)?,
        })
    }
}

/// The RTA or PPA to `request` with `result` (2001, or e.g. 5001 USER_UNKNOWN): Session-Id,
/// Vendor-Specific-Application-Id, the result, Auth-Session-State NO_STATE_MAINTAINED,
/// Origin-Host/Realm from `identity`, and the request's Proxy-Info.
pub fn push_answer(request: &Message, identity: &CxIdentity, result: CxResult) -> Bytes {
    finish(request, answer_start(request, identity, result), None)
}

/// The answer to a request that failed to parse with `err` (RFC 6733 §7.1): protocol errors
/// (3xxx) as an E-bit answer-message, others as an RTA/PPA with the Result-Code and
/// Failed-AVP.
pub fn push_error_answer(
    request: &Message,
    identity: &CxIdentity,
    err: &diameter_codec::Error,
) -> Bytes {
    if err.is_protocol_error() {
        return error_answer_for(request, err, &identity.origin_host, &identity.origin_realm);
    }
    let a = answer_start(
        request,
        identity,
        CxResult::Base(ResultCode(err.result_code().0)),
    );
    finish(request, a, err.failed_avp())
}

/// Starts an answer to `request`: header, Session-Id, Vendor-Specific-Application-Id, the
/// result, Auth-Session-State and Origin-Host/Realm (TS 29.229 §6.1).
pub(crate) fn answer_start(
    request: &Message,
    identity: &CxIdentity,
    result: CxResult,
) -> MessageBuilder {
    let mut a = MessageBuilder::answer(request.header());
    if let Ok(Some(sid)) = request.find(b::SESSION_ID.code()) {
        a.put_raw(&sid);
    }
    put_vendor_app(&mut a);
    result.put(&mut a);
    a.put(
        &b::AUTH_SESSION_STATE,
        &AuthSessionState::NO_STATE_MAINTAINED,
    )
    .put(&b::ORIGIN_HOST, identity.origin_host.as_str())
    .put(&b::ORIGIN_REALM, identity.origin_realm.as_str());
    a
}

fn finish(request: &Message, mut a: MessageBuilder, failed: Option<&Bytes>) -> Bytes {
    if let Some(f) = failed {
        a.put_grouped(&b::FAILED_AVP, |g| {
            g.put_encoded(f);
        });
    }
    for avp in request.avps().map_while(Result::ok) {
        if avp.code() == b::PROXY_INFO.code() {
            a.put_raw(&avp);
        }
    }
    a.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::ExperimentalCode;

    fn identity() -> CxIdentity {
        CxIdentity::new("scscf.ims.test", "ims.test", "ims.test")
    }

    /// An RTR as an HSS sends it (TS 29.229 §6.1.9).
    fn rtr(with_reason: bool) -> Message {
        let hss = CxIdentity::new("hss.ims.test", "ims.test", "ims.test");
        let mut r = hss.request(&cx::cmd::RTR, "hss;1;7");
        r.put(&b::DESTINATION_HOST, "scscf.ims.test")
            .put(&b::USER_NAME, "alice@ims.test");
        r.put_grouped(&x::ASSOCIATED_IDENTITIES, |g| {
            g.put(&b::USER_NAME, "alice-2@ims.test");
        });
        r.put(&x::PUBLIC_IDENTITY, "sip:alice@ims.test")
            .put(&x::PUBLIC_IDENTITY, "tel:+15550001");
        if with_reason {
            r.put_grouped(&x::DEREGISTRATION_REASON, |g| {
                g.put(&x::REASON_CODE, &ReasonCode::PERMANENT_TERMINATION)
                    .put(&x::REASON_INFO, "subscription ended");
            });
        }
        r.put_grouped(&b::PROXY_INFO, |g| {
            g.put(&b::PROXY_HOST, "dra.ims.test")
                .put(&b::PROXY_STATE, b"st");
        });
        Message::decode(r.finish()).unwrap()
    }

    #[test]
    fn rtr_parses_and_rta_validates() {
        let req = rtr(true);
        let t = RegistrationTermination::parse(&req).unwrap();
        assert_eq!(t.session_id, "hss;1;7");
        assert_eq!(t.origin_host, "hss.ims.test");
        assert_eq!(t.impi, "alice@ims.test");
        assert_eq!(t.associated_identities, ["alice-2@ims.test"]);
        assert_eq!(t.public_identities, ["sip:alice@ims.test", "tel:+15550001"]);
        assert_eq!(t.reason.code, ReasonCode::PERMANENT_TERMINATION);
        assert_eq!(t.reason.info.as_deref(), Some("subscription ended"));

        let rta = Message::decode(push_answer(&req, &identity(), CxResult::SUCCESS)).unwrap();
        validate(&rta, &cx::cmd::RTA).unwrap();
        assert_eq!(CxResult::read(&rta).unwrap(), CxResult::SUCCESS);
        assert_eq!(rta.get(&b::SESSION_ID).unwrap().unwrap(), "hss;1;7");
        assert_eq!(rta.get_all(&b::PROXY_INFO).unwrap().len(), 1);
        assert_eq!(rta.header().code, cx::cmd::RTA.code);

        let unknown = CxResult::Experimental(ExperimentalCode::UserUnknown);
        let rta = Message::decode(push_answer(&req, &identity(), unknown)).unwrap();
        validate(&rta, &cx::cmd::RTA).unwrap();
        assert_eq!(CxResult::read(&rta).unwrap(), unknown);
    }

    #[test]
    fn rtr_without_reason_gets_5005_naming_it() {
        let req = rtr(false);
        let err = RegistrationTermination::parse(&req).unwrap_err();
        assert_eq!(err.result_code(), ResultCode::DIAMETER_MISSING_AVP);
        let rta = Message::decode(push_error_answer(&req, &identity(), &err)).unwrap();
        validate(&rta, &cx::cmd::RTA).unwrap();
        assert_eq!(
            CxResult::read(&rta).unwrap(),
            CxResult::Base(ResultCode::DIAMETER_MISSING_AVP)
        );
        let failed = rta.require(&b::FAILED_AVP).unwrap();
        let inner = failed.avps().next().unwrap().unwrap();
        assert_eq!(inner.code(), x::DEREGISTRATION_REASON.code());
    }

    #[test]
    fn ppr_parses_and_ppa_validates() {
        let hss = CxIdentity::new("hss.ims.test", "ims.test", "ims.test");
        let mut r = hss.request(&cx::cmd::PPR, "hss;1;8");
        r.put(&b::DESTINATION_HOST, "scscf.ims.test")
            .put(&b::USER_NAME, "alice@ims.test")
            .put(&x::USER_DATA, b"<IMSSubscription/>");
        r.put_grouped(&x::CHARGING_INFORMATION, |g| {
            g.put(
                &x::SECONDARY_CHARGING_COLLECTION_FUNCTION_NAME,
                "aaa://cdf2.ims.test",
            );
        });
        let req = Message::decode(r.finish()).unwrap();
        let p = PushProfile::parse(&req).unwrap();
        assert_eq!(p.impi, "alice@ims.test");
        assert_eq!(p.user_data.as_deref(), Some("<IMSSubscription/>"));
        assert_eq!(
            p.charging.unwrap().secondary_ccf.as_deref(),
            Some("aaa://cdf2.ims.test")
        );
        let ppa = Message::decode(push_answer(&req, &identity(), CxResult::SUCCESS)).unwrap();
        validate(&ppa, &cx::cmd::PPA).unwrap();

        let mut r = hss.request(&cx::cmd::PPR, "hss;1;9");
        r.put(&b::DESTINATION_HOST, "scscf.ims.test")
            .put(&b::USER_NAME, "alice@ims.test")
            .put(&x::USER_DATA, &[0xc3, 0x28]);
        let req = Message::decode(r.finish()).unwrap();
        let err = PushProfile::parse(&req).unwrap_err();
        assert_eq!(err.result_code(), ResultCode::DIAMETER_INVALID_AVP_VALUE);
        let ppa = Message::decode(push_error_answer(&req, &identity(), &err)).unwrap();
        validate(&ppa, &cx::cmd::PPA).unwrap();
        let failed = ppa.require(&b::FAILED_AVP).unwrap();
        assert_eq!(
            failed.avps().next().unwrap().unwrap().code(),
            x::USER_DATA.code()
        );
    }

    #[test]
    fn protocol_error_gets_an_e_bit_answer() {
        let err = diameter_codec::Error::InvalidHeaderBits;
        let req = rtr(true);
        let a = Message::decode(push_error_answer(&req, &identity(), &err)).unwrap();
        assert!(a.header().flags.is_error());
        assert_eq!(
            a.get(&b::RESULT_CODE).unwrap(),
            Some(ResultCode::DIAMETER_INVALID_HDR_BITS.0)
        );
    }
}
