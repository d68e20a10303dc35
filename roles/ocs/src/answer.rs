//! Credit-Control-Answer encoding (RFC 4006 §3.2, TS 32.299 §6.4.3).

use bytes::{Bytes, BytesMut};
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cc::{avp as c, CheckBalanceResult, FinalUnitAction};
use diameter_codec::generated::charging::avp as ch;
use diameter_codec::generated::ro;
use diameter_codec::{GroupWriter, Header, Message, MessageBuilder, WriteAvps};

use crate::request::ChargingRequest;

/// Money in micro-units of a currency (Unit-Value with Exponent -6, RFC 4006 §8.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Money {
    pub micro: i64,
    pub currency_code: u32,
}

/// The answer to one credit request (one MSCC, or the top level).
#[derive(Debug, Clone, Default)]
pub(crate) struct CreditAnswer {
    pub rating_group: Option<u32>,
    pub service_ids: Vec<u32>,
    pub result_code: u32,
    /// Granted units and whether they are CC-Time (else CC-Service-Specific-Units).
    pub granted: Option<(u64, bool)>,
    pub validity_time: Option<u32>,
    /// Final-Unit-Indication with Final-Unit-Action TERMINATE (RFC 4006 §5.6.1).
    pub final_unit: bool,
}

/// Everything a CCA carries besides the fixed AVPs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    pub result_code: u32,
    pub credits: Vec<CreditAnswer>,
    pub cost: Option<Money>,
    pub remaining: Option<Money>,
    pub check_balance: Option<CheckBalanceResult>,
}

impl Outcome {
    /// An answer with only a Result-Code.
    pub(crate) fn code(result_code: u32) -> Self {
        Self {
            result_code,
            ..Self::default()
        }
    }
}

fn unit_value(w: &mut GroupWriter<'_>, micro: i64) {
    w.put_grouped(&c::UNIT_VALUE, |u| {
        u.put(&c::VALUE_DIGITS, &micro).put(&c::EXPONENT, &-6);
    });
}

fn put_credit<W: WriteAvps>(w: &mut W, a: &CreditAnswer) {
    if let Some((units, time)) = a.granted {
        w.put_grouped(&c::GRANTED_SERVICE_UNIT, |g| {
            if time {
                g.put(&c::CC_TIME, &u32::try_from(units).unwrap_or(u32::MAX));
            } else {
                g.put(&c::CC_SERVICE_SPECIFIC_UNITS, &units);
            }
        });
    }
    if let Some(v) = a.validity_time {
        w.put(&c::VALIDITY_TIME, &v);
    }
    if a.final_unit {
        w.put_grouped(&c::FINAL_UNIT_INDICATION, |f| {
            f.put(&c::FINAL_UNIT_ACTION, &FinalUnitAction::TERMINATE);
        });
    }
}

/// Encodes the CCA to `request`.
pub(crate) fn encode(
    request: &Message,
    ccr: &ChargingRequest,
    out: &Outcome,
    origin_host: &str,
    origin_realm: &str,
) -> Bytes {
    let mut a = MessageBuilder::answer(request.header());
    a.put(&b::SESSION_ID, &ccr.session_id)
        .put(&b::RESULT_CODE, &out.result_code)
        .put(&b::ORIGIN_HOST, origin_host)
        .put(&b::ORIGIN_REALM, origin_realm)
        .put(&b::AUTH_APPLICATION_ID, &ro::APPLICATION_ID.0)
        .put(&c::CC_REQUEST_TYPE, &ccr.request_type)
        .put(&c::CC_REQUEST_NUMBER, &ccr.request_number);
    if ccr.multiple_services {
        for cr in &out.credits {
            a.put_grouped(&c::MULTIPLE_SERVICES_CREDIT_CONTROL, |m| {
                put_credit(m, cr);
                for s in &cr.service_ids {
                    m.put(&c::SERVICE_IDENTIFIER, s);
                }
                if let Some(rg) = cr.rating_group {
                    m.put(&c::RATING_GROUP, &rg);
                }
                m.put(&b::RESULT_CODE, &cr.result_code);
            });
        }
    } else if let Some(cr) = out.credits.first() {
        put_credit(&mut a, cr);
    }
    if let Some(cost) = out.cost {
        a.put_grouped(&c::COST_INFORMATION, |g| {
            unit_value(g, cost.micro);
            g.put(&c::CURRENCY_CODE, &cost.currency_code);
        });
    }
    if let Some(r) = out.check_balance {
        a.put(&c::CHECK_BALANCE_RESULT, &r);
    }
    if let Some(rem) = out.remaining {
        a.put_grouped(&ch::REMAINING_BALANCE, |g| {
            unit_value(g, rem.micro);
            g.put(&c::CURRENCY_CODE, &rem.currency_code);
        });
    }
    a.finish()
}

/// A stored answer re-sent for a repeated request: the stored frame with the hop-by-hop and
/// end-to-end identifiers of the new request (RFC 6733 §6.2).
pub(crate) fn replay(stored: &[u8], request: &Header) -> Bytes {
    let mut buf = BytesMut::from(stored);
    if let Some(ids) = buf.get_mut(12..20) {
        let (hbh, e2e) = ids.split_at_mut(4);
        hbh.copy_from_slice(&request.hop_by_hop.to_be_bytes());
        e2e.copy_from_slice(&request.end_to_end.to_be_bytes());
    }
    buf.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::cc::CcRequestType;
    use diameter_codec::{validate, AvpContainer, CommandFlags};

    fn request(hbh: u32, e2e: u32) -> Message {
        let mut r = MessageBuilder::request(&ro::cmd::CCR, hbh, e2e);
        r.put(&b::SESSION_ID, "s;1")
            .put(&b::ORIGIN_HOST, "a")
            .put(&b::ORIGIN_REALM, "r")
            .put(&b::DESTINATION_REALM, "r")
            .put(&b::AUTH_APPLICATION_ID, &4)
            .put(&c::SERVICE_CONTEXT_ID, "32260@3gpp.org")
            .put(&c::CC_REQUEST_TYPE, &CcRequestType::INITIAL_REQUEST)
            .put(&c::CC_REQUEST_NUMBER, &0);
        Message::decode(r.finish()).unwrap()
    }

    #[test]
    fn top_level_grant_with_final_unit_is_a_valid_cca() {
        let req = request(1, 2);
        let ccr = ChargingRequest::read(&req).unwrap();
        let out = Outcome {
            result_code: 2001,
            credits: vec![CreditAnswer {
                result_code: 2001,
                granted: Some((90, true)),
                validity_time: Some(30),
                final_unit: true,
                ..CreditAnswer::default()
            }],
            remaining: Some(Money {
                micro: 1_500_000,
                currency_code: 978,
            }),
            ..Outcome::default()
        };
        let a = Message::decode(encode(&req, &ccr, &out, "ocs", "ims.test")).unwrap();
        validate(&a, &ro::cmd::CCA).unwrap();
        let gsu = a.require(&c::GRANTED_SERVICE_UNIT).unwrap();
        assert_eq!(gsu.require(&c::CC_TIME).unwrap(), 90);
        assert_eq!(a.require(&c::VALIDITY_TIME).unwrap(), 30);
        let fui = a.require(&c::FINAL_UNIT_INDICATION).unwrap();
        assert_eq!(
            fui.require(&c::FINAL_UNIT_ACTION).unwrap(),
            FinalUnitAction::TERMINATE
        );
        let rem = a.require(&ch::REMAINING_BALANCE).unwrap();
        let uv = rem.require(&c::UNIT_VALUE).unwrap();
        assert_eq!(uv.require(&c::VALUE_DIGITS).unwrap(), 1_500_000);
        assert_eq!(uv.require(&c::EXPONENT).unwrap(), -6);
        assert!(!a.header().flags.is_request());
    }

    #[test]
    fn replay_takes_the_new_identifiers() {
        let first = request(10, 20);
        let ccr = ChargingRequest::read(&first).unwrap();
        let stored = encode(&first, &ccr, &Outcome::code(2001), "ocs", "ims.test");
        let again = request(11, 20);
        let replayed = Message::decode(replay(&stored, again.header())).unwrap();
        assert_eq!(replayed.header().hop_by_hop, 11);
        assert_eq!(replayed.header().end_to_end, 20);
        assert_eq!(replayed.body(), Message::decode(stored).unwrap().body());
        assert_eq!(replayed.header().flags.0 & CommandFlags::REQUEST, 0);
        // A truncated stored answer is returned as is rather than panicking.
        assert_eq!(replay(&[1, 2, 3], again.header()).len(), 3);
    }
}
