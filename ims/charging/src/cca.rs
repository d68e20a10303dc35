//! Credit-Control-Answer reading (RFC 4006 §3.2, TS 32.299 §6.4.3): result codes at the
//! top and per Multiple-Services-Credit-Control, granted units, Validity-Time,
//! Final-Unit-Indication, Credit-Control-Failure-Handling and CC-Session-Failover.

use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cc::{
    avp as c, CcRequestType, CcSessionFailover, CreditControlFailureHandling, FinalUnitAction,
};
use diameter_codec::generated::ro;
use diameter_codec::{AvpContainer, Error, Message, ResultCode};

use crate::ccr::Units;
use crate::error::AnswerError;

/// The answer for one service: an MSCC, or the top-level units of an RFC 4006 style answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceAnswer {
    /// Rating-Group.
    pub rating_group: Option<u32>,
    /// The MSCC's own Result-Code (TS 32.299 §7.1.7), if any.
    pub result_code: Option<u32>,
    /// Granted-Service-Unit: CC-Time, else CC-Service-Specific-Units.
    pub granted: Option<Units>,
    /// Validity-Time, seconds (RFC 4006 §8.33).
    pub validity_time: Option<u32>,
    /// Final-Unit-Indication / Final-Unit-Action (RFC 4006 §8.34, §8.35).
    pub final_unit_action: Option<FinalUnitAction>,
}

/// A read CCA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditAnswer {
    /// Session-Id.
    pub session_id: String,
    /// Result-Code, or Experimental-Result-Code when only that is present.
    pub result_code: u32,
    /// CC-Request-Type (absent in some protocol error answers).
    pub request_type: Option<CcRequestType>,
    /// CC-Request-Number.
    pub request_number: Option<u32>,
    /// One entry per MSCC, or one for the top-level units.
    pub services: Vec<ServiceAnswer>,
    /// Credit-Control-Failure-Handling chosen by the server (RFC 4006 §8.14).
    pub failure_handling: Option<CreditControlFailureHandling>,
    /// CC-Session-Failover (RFC 4006 §8.4).
    pub session_failover: Option<CcSessionFailover>,
}

fn service(g: &impl AvpContainer, own_result: bool) -> Result<ServiceAnswer, Error> {
    let granted = match g.get(&c::GRANTED_SERVICE_UNIT)? {
        Some(gsu) => match gsu.get(&c::CC_TIME)? {
            Some(t) => Some(Units::Time(t)),
            None => gsu.get(&c::CC_SERVICE_SPECIFIC_UNITS)?.map(Units::Events),
        },
        None => None,
    };
    let final_unit_action = match g.get(&c::FINAL_UNIT_INDICATION)? {
        Some(f) => Some(f.require(&c::FINAL_UNIT_ACTION)?),
        None => None,
    };
    Ok(ServiceAnswer {
        rating_group: g.get(&c::RATING_GROUP)?,
        result_code: if own_result {
            g.get(&b::RESULT_CODE)?
        } else {
            None
        },
        granted,
        validity_time: g.get(&c::VALIDITY_TIME)?,
        final_unit_action,
    })
}

impl CreditAnswer {
    /// Reads a CCA, or an answer-message with the E bit answering a CCR (RFC 6733 §7.2).
    pub fn parse(msg: &Message) -> Result<Self, AnswerError> {
        let h = msg.header();
        if h.flags.is_request() || h.code != ro::cmd::CCA.code {
            return Err(AnswerError::NotAnswer("CCA"));
        }
        let result_code = match msg.get(&b::RESULT_CODE)? {
            Some(rc) => rc,
            None => match msg.get(&b::EXPERIMENTAL_RESULT)? {
                Some(er) => er.require(&b::EXPERIMENTAL_RESULT_CODE)?,
                None => msg.require(&b::RESULT_CODE)?,
            },
        };
        let mscc = msg.get_all(&c::MULTIPLE_SERVICES_CREDIT_CONTROL)?;
        let services = if mscc.is_empty() {
            let top = service(msg, false)?;
            if top == ServiceAnswer::default() {
                Vec::new()
            } else {
                vec![top]
            }
        } else {
            mscc.iter()
                .map(|m| service(m, true))
                .collect::<Result<_, _>>()?
        };
        Ok(Self {
            session_id: msg.require(&b::SESSION_ID)?.as_str().to_owned(),
            result_code,
            request_type: msg.get(&c::CC_REQUEST_TYPE)?,
            request_number: msg.get(&c::CC_REQUEST_NUMBER)?,
            services,
            failure_handling: msg.get(&c::CREDIT_CONTROL_FAILURE_HANDLING)?,
            session_failover: msg.get(&c::CC_SESSION_FAILOVER)?,
        })
    }

    /// The result that decides the service: a failed top-level Result-Code, else the first
    /// failed MSCC Result-Code (e.g. 4012 for one service), else the top-level one.
    pub fn effective_result(&self) -> u32 {
        if self.result_code != ResultCode::DIAMETER_SUCCESS.0 {
            return self.result_code;
        }
        self.services
            .iter()
            .filter_map(|s| s.result_code)
            .find(|&rc| rc != ResultCode::DIAMETER_SUCCESS.0)
            .unwrap_or(self.result_code)
    }

    /// Whether the answer succeeded (2xxx).
    pub fn is_success(&self) -> bool {
        (2000..3000).contains(&self.effective_result())
    }

    /// Units granted to the first service.
    pub fn granted(&self) -> Option<Units> {
        self.services.iter().find_map(|s| s.granted)
    }

    /// Granted CC-Time of the first service that has one.
    pub fn granted_time(&self) -> Option<u32> {
        self.services.iter().find_map(|s| match s.granted {
            Some(Units::Time(t)) => Some(t),
            _ => None,
        })
    }

    /// Validity-Time of the first service that has one.
    pub fn validity_time(&self) -> Option<u32> {
        self.services.iter().find_map(|s| s.validity_time)
    }

    /// The Final-Unit-Action of the first service with a Final-Unit-Indication.
    pub fn final_unit_action(&self) -> Option<FinalUnitAction> {
        self.services.iter().find_map(|s| s.final_unit_action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::{MessageBuilder, WriteAvps};

    fn ccr() -> Message {
        let mut r = MessageBuilder::request(&ro::cmd::CCR, 7, 8);
        r.put(&b::SESSION_ID, "s;1");
        Message::decode(r.finish()).unwrap()
    }

    #[test]
    fn mscc_grant_with_final_unit_and_failure_handling() {
        let mut a = MessageBuilder::answer(ccr().header());
        a.put(&b::SESSION_ID, "s;1")
            .put(&b::RESULT_CODE, &2001)
            .put(&c::CC_REQUEST_TYPE, &CcRequestType::INITIAL_REQUEST)
            .put(&c::CC_REQUEST_NUMBER, &0)
            .put_grouped(&c::MULTIPLE_SERVICES_CREDIT_CONTROL, |m| {
                m.put_grouped(&c::GRANTED_SERVICE_UNIT, |g| {
                    g.put(&c::CC_TIME, &90);
                })
                .put(&c::VALIDITY_TIME, &300)
                .put_grouped(&c::FINAL_UNIT_INDICATION, |f| {
                    f.put(&c::FINAL_UNIT_ACTION, &FinalUnitAction::REDIRECT);
                })
                .put(&c::RATING_GROUP, &1)
                .put(&b::RESULT_CODE, &2001);
            })
            .put(
                &c::CREDIT_CONTROL_FAILURE_HANDLING,
                &CreditControlFailureHandling::CONTINUE,
            );
        let cca = CreditAnswer::parse(&Message::decode(a.finish()).unwrap()).unwrap();
        assert!(cca.is_success());
        assert_eq!(cca.granted_time(), Some(90));
        assert_eq!(cca.validity_time(), Some(300));
        assert_eq!(cca.final_unit_action(), Some(FinalUnitAction::REDIRECT));
        assert_eq!(
            cca.failure_handling,
            Some(CreditControlFailureHandling::CONTINUE)
        );
        assert_eq!(cca.services[0].rating_group, Some(1));
    }

    #[test]
    fn mscc_failure_decides_and_top_level_units_are_read() {
        let mut a = MessageBuilder::answer(ccr().header());
        a.put(&b::SESSION_ID, "s;1")
            .put(&b::RESULT_CODE, &2001)
            .put_grouped(&c::MULTIPLE_SERVICES_CREDIT_CONTROL, |m| {
                m.put(&b::RESULT_CODE, &4012);
            });
        let cca = CreditAnswer::parse(&Message::decode(a.finish()).unwrap()).unwrap();
        assert_eq!(cca.effective_result(), 4012);
        assert!(!cca.is_success());

        let mut a = MessageBuilder::answer(ccr().header());
        a.put(&b::SESSION_ID, "s;1")
            .put(&b::RESULT_CODE, &2001)
            .put_grouped(&c::GRANTED_SERVICE_UNIT, |g| {
                g.put(&c::CC_SERVICE_SPECIFIC_UNITS, &2);
            });
        let cca = CreditAnswer::parse(&Message::decode(a.finish()).unwrap()).unwrap();
        assert_eq!(cca.granted(), Some(Units::Events(2)));
        assert_eq!(cca.granted_time(), None);
    }

    #[test]
    fn requests_and_answers_without_result_are_refused() {
        assert!(matches!(
            CreditAnswer::parse(&ccr()),
            Err(AnswerError::NotAnswer(_))
        ));
        let mut a = MessageBuilder::answer(ccr().header());
        a.put(&b::SESSION_ID, "s;1");
        assert!(matches!(
            CreditAnswer::parse(&Message::decode(a.finish()).unwrap()),
            Err(AnswerError::Malformed(_))
        ));
    }
}
