//! Credit-Control-Request builders (RFC 4006 §3.1, TS 32.299 §6.4.2): INITIAL, UPDATE,
//! TERMINATION and EVENT (DIRECT_DEBITING), units in Multiple-Services-Credit-Control.

use bytes::Bytes;
use diameter_codec::format::NtpTime;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cc::{
    avp as c, CcRequestType, MultipleServicesIndicator, RequestedAction, SubscriptionIdType,
};
use diameter_codec::generated::ro;
use diameter_codec::{GroupWriter, MessageBuilder, WriteAvps};

use crate::identity::ClientIdentity;
use crate::ims_information::ImsInformation;

/// Service-Context-Id of IMS charging (TS 32.299 §7.1.12, TS 32.260 §6.1).
pub const SERVICE_CONTEXT_ID: &str = "32260@3gpp.org";

/// Units of a Requested-, Used- or Granted-Service-Unit (RFC 4006 §8.17-§8.19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    /// CC-Time, seconds (sessions).
    Time(u32),
    /// CC-Service-Specific-Units (events).
    Events(u64),
}

impl Units {
    fn write(self, g: &mut GroupWriter<'_>) {
        match self {
            Self::Time(t) => g.put(&c::CC_TIME, &t),
            Self::Events(n) => g.put(&c::CC_SERVICE_SPECIFIC_UNITS, &n),
        };
    }
}

/// One CCR, before encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditRequest {
    /// Session-Id (RFC 6733 §8.8).
    pub session_id: String,
    /// CC-Request-Type.
    pub request_type: CcRequestType,
    /// CC-Request-Number (0 for INITIAL and EVENT, then +1 per request, RFC 4006 §8.2).
    pub request_number: u32,
    /// The served user: a `tel:` URI becomes END_USER_E164, anything else END_USER_SIP_URI.
    pub subscriber: String,
    /// Requested-Service-Unit.
    pub requested: Option<Units>,
    /// Used-Service-Unit.
    pub used: Option<Units>,
    /// Rating-Group of the Multiple-Services-Credit-Control.
    pub rating_group: Option<u32>,
    /// Requested-Action (events only, RFC 4006 §8.41).
    pub requested_action: Option<RequestedAction>,
    /// Event-Timestamp, Unix seconds.
    pub event_timestamp: Option<u64>,
}

impl CreditRequest {
    fn base(session_id: &str, kind: CcRequestType, number: u32, subscriber: &str) -> Self {
        Self {
            session_id: session_id.to_owned(),
            request_type: kind,
            request_number: number,
            subscriber: subscriber.to_owned(),
            requested: None,
            used: None,
            rating_group: None,
            requested_action: None,
            event_timestamp: None,
        }
    }

    /// CCR-INITIAL asking for `requested` seconds (RFC 4006 §5.2).
    pub fn initial(session_id: &str, subscriber: &str, requested: u32) -> Self {
        Self {
            requested: Some(Units::Time(requested)),
            ..Self::base(session_id, CcRequestType::INITIAL_REQUEST, 0, subscriber)
        }
    }

    /// CCR-UPDATE number `number` reporting `used` seconds and asking for `requested`
    /// (RFC 4006 §5.3).
    pub fn update(
        session_id: &str,
        subscriber: &str,
        number: u32,
        used: u32,
        requested: u32,
    ) -> Self {
        Self {
            requested: Some(Units::Time(requested)),
            used: Some(Units::Time(used)),
            ..Self::base(
                session_id,
                CcRequestType::UPDATE_REQUEST,
                number,
                subscriber,
            )
        }
    }

    /// CCR-TERMINATION number `number` reporting `used` seconds (RFC 4006 §5.4).
    pub fn termination(session_id: &str, subscriber: &str, number: u32, used: u32) -> Self {
        Self {
            used: Some(Units::Time(used)),
            ..Self::base(
                session_id,
                CcRequestType::TERMINATION_REQUEST,
                number,
                subscriber,
            )
        }
    }

    /// CCR-EVENT with DIRECT_DEBITING of `units` service-specific units (RFC 4006 §6.3).
    pub fn event(session_id: &str, subscriber: &str, units: u64) -> Self {
        Self {
            requested: Some(Units::Events(units)),
            requested_action: Some(RequestedAction::DIRECT_DEBITING),
            ..Self::base(session_id, CcRequestType::EVENT_REQUEST, 0, subscriber)
        }
    }

    /// Encodes the CCR with `ims` as Service-Information. Hop-by-Hop is zero
    /// (`diameter_net::ClientHandle::request` assigns it), End-to-End too when 0.
    pub fn encode(&self, id: &ClientIdentity, ims: &ImsInformation, end_to_end: u32) -> Bytes {
        let mut r = MessageBuilder::request(&ro::cmd::CCR, 0, end_to_end);
        r.put(&b::SESSION_ID, self.session_id.as_str())
            .put(&b::ORIGIN_HOST, id.origin_host.as_str())
            .put(&b::ORIGIN_REALM, id.origin_realm.as_str())
            .put(&b::DESTINATION_REALM, id.destination_realm.as_str())
            .put(&b::AUTH_APPLICATION_ID, &ro::APPLICATION_ID.0)
            .put(&c::SERVICE_CONTEXT_ID, SERVICE_CONTEXT_ID)
            .put(&c::CC_REQUEST_TYPE, &self.request_type)
            .put(&c::CC_REQUEST_NUMBER, &self.request_number);
        if let Some(h) = &id.destination_host {
            r.put(&b::DESTINATION_HOST, h.as_str());
        }
        if let Some(t) = self.event_timestamp {
            r.put(&b::EVENT_TIMESTAMP, &NtpTime::from_unix(t));
        }
        let (kind, data) = match self.subscriber.strip_prefix("tel:") {
            Some(number) => (SubscriptionIdType::END_USER_E164, number),
            None => (
                SubscriptionIdType::END_USER_SIP_URI,
                self.subscriber.as_str(),
            ),
        };
        r.put_grouped(&c::SUBSCRIPTION_ID, |g| {
            g.put(&c::SUBSCRIPTION_ID_TYPE, &kind)
                .put(&c::SUBSCRIPTION_ID_DATA, data);
        });
        if let Some(a) = &self.requested_action {
            r.put(&c::REQUESTED_ACTION, a);
        }
        r.put(
            &c::MULTIPLE_SERVICES_INDICATOR,
            &MultipleServicesIndicator::MULTIPLE_SERVICES_SUPPORTED,
        );
        r.put_grouped(&c::MULTIPLE_SERVICES_CREDIT_CONTROL, |m| {
            if let Some(u) = self.requested {
                m.put_grouped(&c::REQUESTED_SERVICE_UNIT, |g| u.write(g));
            }
            if let Some(u) = self.used {
                m.put_grouped(&c::USED_SERVICE_UNIT, |g| u.write(g));
            }
            if let Some(rg) = &self.rating_group {
                m.put(&c::RATING_GROUP, rg);
            }
        });
        ims.write_service_information(&mut r);
        r.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::charging::avp as ch;
    use diameter_codec::{validate, AvpContainer, Message};

    fn id() -> ClientIdentity {
        ClientIdentity::new("scscf.ims.test", "ims.test", "ims.test")
    }

    #[test]
    fn update_is_a_valid_ccr_with_units_in_mscc() {
        let ims = ImsInformation::new("INVITE", "call-1");
        let bytes =
            CreditRequest::update("s;1", "sip:alice@ims.test", 2, 60, 120).encode(&id(), &ims, 0);
        let m = Message::decode(bytes).unwrap();
        validate(&m, &ro::cmd::CCR).unwrap();
        assert_eq!(m.header().application_id, ro::APPLICATION_ID);
        assert_eq!(m.require(&c::CC_REQUEST_NUMBER).unwrap(), 2);
        assert_eq!(
            m.require(&c::CC_REQUEST_TYPE).unwrap(),
            CcRequestType::UPDATE_REQUEST
        );
        assert_eq!(
            m.require(&c::SERVICE_CONTEXT_ID).unwrap(),
            SERVICE_CONTEXT_ID
        );
        let sub = m.require(&c::SUBSCRIPTION_ID).unwrap();
        assert_eq!(
            sub.require(&c::SUBSCRIPTION_ID_TYPE).unwrap(),
            SubscriptionIdType::END_USER_SIP_URI
        );
        let mscc = m.require(&c::MULTIPLE_SERVICES_CREDIT_CONTROL).unwrap();
        let rsu = mscc.require(&c::REQUESTED_SERVICE_UNIT).unwrap();
        assert_eq!(rsu.require(&c::CC_TIME).unwrap(), 120);
        let usu = mscc.require(&c::USED_SERVICE_UNIT).unwrap();
        assert_eq!(usu.require(&c::CC_TIME).unwrap(), 60);
        assert!(m.get(&c::REQUESTED_ACTION).unwrap().is_none());
        assert!(m.get(&ch::SERVICE_INFORMATION).unwrap().is_some());
    }

    #[test]
    fn event_debits_directly_in_service_specific_units() {
        let bytes = CreditRequest::event("s;2", "tel:+4930123", 3).encode(
            &id(),
            &ImsInformation::new("MESSAGE", "c"),
            9,
        );
        let m = Message::decode(bytes).unwrap();
        validate(&m, &ro::cmd::CCR).unwrap();
        assert_eq!(
            m.require(&c::REQUESTED_ACTION).unwrap(),
            RequestedAction::DIRECT_DEBITING
        );
        let sub = m.require(&c::SUBSCRIPTION_ID).unwrap();
        assert_eq!(
            sub.require(&c::SUBSCRIPTION_ID_TYPE).unwrap(),
            SubscriptionIdType::END_USER_E164
        );
        assert_eq!(sub.require(&c::SUBSCRIPTION_ID_DATA).unwrap(), "+4930123");
        let mscc = m.require(&c::MULTIPLE_SERVICES_CREDIT_CONTROL).unwrap();
        let rsu = mscc.require(&c::REQUESTED_SERVICE_UNIT).unwrap();
        assert_eq!(rsu.require(&c::CC_SERVICE_SPECIFIC_UNITS).unwrap(), 3);
    }
}
