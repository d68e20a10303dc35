//! A Credit-Control-Request read into what charging needs (RFC 4006 §3.1, TS 32.299 §6.4.2).

use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cc::{avp as c, CcRequestType, RequestedAction};
use diameter_codec::generated::charging::avp as ch;
use diameter_codec::{AvpContainer, Error, GroupedAvps, Message};

use crate::identity::subscription_key;

/// Units in a Requested-Service-Unit or Used-Service-Unit (RFC 4006 §8.18, §8.19).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Units {
    /// CC-Time, seconds.
    pub time: Option<u64>,
    /// CC-Service-Specific-Units.
    pub specific: Option<u64>,
}

impl Units {
    fn read(g: &GroupedAvps) -> Result<Self, Error> {
        Ok(Self {
            time: g.get(&c::CC_TIME)?.map(u64::from),
            specific: g.get(&c::CC_SERVICE_SPECIFIC_UNITS)?,
        })
    }

    fn add(&mut self, o: Self) {
        let sum = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        };
        self.time = sum(self.time, o.time);
        self.specific = sum(self.specific, o.specific);
    }

    /// The units relevant to a time (CC-Time) or event (service-specific) tariff.
    pub(crate) fn of(&self, time: bool) -> Option<u64> {
        if time {
            self.time
        } else {
            self.specific
        }
    }
}

/// One unit of credit control: a Multiple-Services-Credit-Control, or the request's own
/// Requested/Used-Service-Unit when it has none (RFC 4006 §5.1.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CreditRequest {
    /// Rating-Group (TS 32.299 §7.1.9).
    pub rating_group: Option<u32>,
    /// Service-Identifier values (RFC 4006 §8.28).
    pub service_ids: Vec<u32>,
    /// Requested-Service-Unit, if present.
    pub requested: Option<Units>,
    /// Sum of the Used-Service-Unit AVPs.
    pub used: Units,
}

/// What the handler reads from a CCR.
#[derive(Debug, Clone)]
pub(crate) struct ChargingRequest {
    pub session_id: String,
    pub request_type: CcRequestType,
    pub request_number: u32,
    pub service_context_id: String,
    /// Ledger keys of the Subscription-Id AVPs (top level, then Service-Information).
    pub subscriptions: Vec<String>,
    pub requested_action: Option<RequestedAction>,
    /// SIP-Method of IMS-Information/Event-Type.
    pub sip_method: Option<String>,
    /// Whether the units came in Multiple-Services-Credit-Control AVPs.
    pub multiple_services: bool,
    pub credits: Vec<CreditRequest>,
}

fn subscription_keys(avps: &impl AvpContainer, out: &mut Vec<String>) -> Result<(), Error> {
    for s in avps.get_all(&c::SUBSCRIPTION_ID)? {
        let kind = s.require(&c::SUBSCRIPTION_ID_TYPE)?;
        let data = s.require(&c::SUBSCRIPTION_ID_DATA)?;
        if let Some(k) = subscription_key(kind, data.as_str()) {
            if !out.contains(&k) {
                out.push(k);
            }
        }
    }
    Ok(())
}

fn credit_request(g: &GroupedAvps) -> Result<CreditRequest, Error> {
    let mut used = Units::default();
    for u in g.get_all(&c::USED_SERVICE_UNIT)? {
        used.add(Units::read(&u)?);
    }
    Ok(CreditRequest {
        rating_group: g.get(&c::RATING_GROUP)?,
        service_ids: g.get_all(&c::SERVICE_IDENTIFIER)?,
        requested: g
            .get(&c::REQUESTED_SERVICE_UNIT)?
            .map(|r| Units::read(&r))
            .transpose()?,
        used,
    })
}

impl ChargingRequest {
    /// Reads a CCR already validated against the Ro grammar.
    pub(crate) fn read(msg: &Message) -> Result<Self, Error> {
        let mut subscriptions = Vec::new();
        subscription_keys(msg, &mut subscriptions)?;
        let mut sip_method = None;
        if let Some(si) = msg.get(&ch::SERVICE_INFORMATION)? {
            subscription_keys(&si, &mut subscriptions)?;
            if let Some(ims) = si.get(&ch::IMS_INFORMATION)? {
                if let Some(et) = ims.get(&ch::EVENT_TYPE)? {
                    sip_method = et.get(&ch::SIP_METHOD)?.map(|m| m.as_str().to_owned());
                }
            }
        }
        let mscc = msg.get_all(&c::MULTIPLE_SERVICES_CREDIT_CONTROL)?;
        let multiple_services = !mscc.is_empty();
        let credits = if multiple_services {
            mscc.iter().map(credit_request).collect::<Result<_, _>>()?
        } else {
            // RFC 4006 form: units and Service-Identifier at the top level.
            let mut used = Units::default();
            for u in msg.get_all(&c::USED_SERVICE_UNIT)? {
                used.add(Units::read(&u)?);
            }
            vec![CreditRequest {
                rating_group: None,
                service_ids: msg.get(&c::SERVICE_IDENTIFIER)?.into_iter().collect(),
                requested: msg
                    .get(&c::REQUESTED_SERVICE_UNIT)?
                    .map(|r| Units::read(&r))
                    .transpose()?,
                used,
            }]
        };
        let request_type = msg.require(&c::CC_REQUEST_TYPE)?;
        if !(CcRequestType::INITIAL_REQUEST.0..=CcRequestType::EVENT_REQUEST.0)
            .contains(&request_type.0)
        {
            // RFC 4006 §8.3 defines 1..4: anything else is 5004 naming the AVP.
            if let Some(avp) = msg.find(c::CC_REQUEST_TYPE.code())? {
                return Err(Error::InvalidAvpValue {
                    code: avp.code(),
                    failed_avp: avp.raw().clone(),
                });
            }
        }
        Ok(Self {
            session_id: msg.require(&b::SESSION_ID)?.as_str().to_owned(),
            request_type,
            request_number: msg.require(&c::CC_REQUEST_NUMBER)?,
            service_context_id: msg.require(&c::SERVICE_CONTEXT_ID)?.as_str().to_owned(),
            subscriptions,
            requested_action: msg.get(&c::REQUESTED_ACTION)?,
            sip_method,
            multiple_services,
            credits,
        })
    }

    /// Whether this is an event request (RFC 4006 §6).
    pub(crate) fn is_event(&self) -> bool {
        self.request_type == CcRequestType::EVENT_REQUEST
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::cc::SubscriptionIdType;
    use diameter_codec::generated::charging::NodeFunctionality;
    use diameter_codec::generated::ro;
    use diameter_codec::{MessageBuilder, WriteAvps};

    #[test]
    fn reads_units_identities_and_method() {
        let mut r = MessageBuilder::request(&ro::cmd::CCR, 1, 2);
        r.put(&b::SESSION_ID, "s;1")
            .put(&c::SERVICE_CONTEXT_ID, "32260@3gpp.org")
            .put(&c::CC_REQUEST_TYPE, &CcRequestType::UPDATE_REQUEST)
            .put(&c::CC_REQUEST_NUMBER, &3)
            .put_grouped(&c::SUBSCRIPTION_ID, |g| {
                g.put(&c::SUBSCRIPTION_ID_TYPE, &SubscriptionIdType::END_USER_E164)
                    .put(&c::SUBSCRIPTION_ID_DATA, "+4930123");
            })
            .put_grouped(&c::MULTIPLE_SERVICES_CREDIT_CONTROL, |m| {
                m.put_grouped(&c::USED_SERVICE_UNIT, |u| {
                    u.put(&c::CC_TIME, &20);
                })
                .put_grouped(&c::USED_SERVICE_UNIT, |u| {
                    u.put(&c::CC_TIME, &5);
                })
                .put(&c::SERVICE_IDENTIFIER, &9)
                .put(&c::RATING_GROUP, &4);
            })
            .put_grouped(&ch::SERVICE_INFORMATION, |si| {
                si.put_grouped(&ch::IMS_INFORMATION, |ims| {
                    ims.put_grouped(&ch::EVENT_TYPE, |et| {
                        et.put(&ch::SIP_METHOD, "INVITE");
                    })
                    .put(&ch::NODE_FUNCTIONALITY, &NodeFunctionality::S_CSCF);
                });
            });
        let m = Message::decode(r.finish()).unwrap();
        let ccr = ChargingRequest::read(&m).unwrap();
        assert_eq!(ccr.request_number, 3);
        assert_eq!(ccr.subscriptions, vec!["tel:+4930123".to_owned()]);
        assert_eq!(ccr.sip_method.as_deref(), Some("INVITE"));
        assert!(ccr.multiple_services && !ccr.is_event());
        let cr = &ccr.credits[0];
        assert_eq!(
            (cr.rating_group, cr.service_ids.clone()),
            (Some(4), vec![9])
        );
        assert_eq!(cr.used.time, Some(25));
        assert_eq!(cr.requested, None);
    }
}
