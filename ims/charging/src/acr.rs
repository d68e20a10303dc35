//! Accounting-Request builders and Accounting-Answer reading for Rf (RFC 6733 §9.7,
//! TS 32.299 §6.2): START/INTERIM/STOP for sessions, EVENT for one-time events. Pure.

use bytes::Bytes;
use diameter_codec::format::NtpTime;
use diameter_codec::generated::base::{avp as b, AccountingRecordType};
use diameter_codec::generated::cc::avp as c;
use diameter_codec::generated::rf;
use diameter_codec::{AvpContainer, Message, MessageBuilder, WriteAvps};

use crate::ccr::SERVICE_CONTEXT_ID;
use crate::error::AnswerError;
use crate::identity::ClientIdentity;
use crate::ims_information::ImsInformation;

/// Accounting-Record-Type (RFC 6733 §9.8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// EVENT_RECORD: a one-time event (MESSAGE, REGISTER, ...).
    Event,
    /// START_RECORD: a session starts (INVITE answered).
    Start,
    /// INTERIM_RECORD: a session goes on (re-INVITE, interim interval).
    Interim,
    /// STOP_RECORD: a session ends (BYE).
    Stop,
}

impl RecordKind {
    /// The wire value.
    pub const fn to_wire(self) -> AccountingRecordType {
        match self {
            Self::Event => AccountingRecordType::EVENT_RECORD,
            Self::Start => AccountingRecordType::START_RECORD,
            Self::Interim => AccountingRecordType::INTERIM_RECORD,
            Self::Stop => AccountingRecordType::STOP_RECORD,
        }
    }
}

/// One accounting record, before encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfRecord {
    /// Session-Id: the same for START…STOP of one session (RFC 6733 §9.4).
    pub session_id: String,
    /// Accounting-Record-Type.
    pub kind: RecordKind,
    /// Accounting-Record-Number, unique within the session (RFC 6733 §9.8.3).
    pub number: u32,
    /// Event-Timestamp, Unix seconds.
    pub event_timestamp: Option<u64>,
    /// User-Name.
    pub user_name: Option<String>,
    /// Service-Information/IMS-Information.
    pub ims: ImsInformation,
}

impl RfRecord {
    /// An EVENT record (number 0) in its own session.
    pub fn event(session_id: impl Into<String>, ims: ImsInformation) -> Self {
        Self {
            session_id: session_id.into(),
            kind: RecordKind::Event,
            number: 0,
            event_timestamp: None,
            user_name: None,
            ims,
        }
    }

    /// Sets the Event-Timestamp.
    pub fn at(mut self, unix_seconds: u64) -> Self {
        self.event_timestamp = Some(unix_seconds);
        self
    }

    /// Encodes the ACR with Acct-Application-Id 3 and Service-Context-Id 32260@3gpp.org
    /// (TS 32.299 §6.2.2). Hop-by-Hop is zero (the node assigns it); `end_to_end` too when 0.
    pub fn encode(&self, id: &ClientIdentity, end_to_end: u32) -> Bytes {
        let mut m = MessageBuilder::request(&rf::cmd::ACR, 0, end_to_end);
        m.put(&b::SESSION_ID, self.session_id.as_str())
            .put(&b::ORIGIN_HOST, id.origin_host.as_str())
            .put(&b::ORIGIN_REALM, id.origin_realm.as_str())
            .put(&b::DESTINATION_REALM, id.destination_realm.as_str())
            .put(&b::ACCOUNTING_RECORD_TYPE, &self.kind.to_wire())
            .put(&b::ACCOUNTING_RECORD_NUMBER, &self.number)
            .put(&b::ACCT_APPLICATION_ID, &rf::APPLICATION_ID.0);
        if let Some(u) = &self.user_name {
            m.put(&b::USER_NAME, u.as_str());
        }
        if let Some(h) = &id.destination_host {
            m.put(&b::DESTINATION_HOST, h.as_str());
        }
        if let Some(t) = self.event_timestamp {
            m.put(&b::EVENT_TIMESTAMP, &NtpTime::from_unix(t));
        }
        m.put(&c::SERVICE_CONTEXT_ID, SERVICE_CONTEXT_ID);
        self.ims.write_service_information(&mut m);
        m.finish()
    }
}

/// Numbers the records of one accounting session: START 0, INTERIM 1.., STOP last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfSession {
    /// Session-Id.
    pub session_id: String,
    /// Accounting-Record-Number of the next record.
    pub next_number: u32,
}

impl RfSession {
    /// A session before its START.
    pub fn new(session_id: impl Into<String>) -> Self {
        Self {
            session_id: session_id.into(),
            next_number: 0,
        }
    }

    fn record(&mut self, kind: RecordKind, ims: ImsInformation) -> RfRecord {
        let number = self.next_number;
        self.next_number = number.saturating_add(1);
        RfRecord {
            session_id: self.session_id.clone(),
            kind,
            number,
            event_timestamp: None,
            user_name: None,
            ims,
        }
    }

    /// The START record.
    pub fn start(&mut self, ims: ImsInformation) -> RfRecord {
        self.record(RecordKind::Start, ims)
    }

    /// An INTERIM record.
    pub fn interim(&mut self, ims: ImsInformation) -> RfRecord {
        self.record(RecordKind::Interim, ims)
    }

    /// The STOP record.
    pub fn stop(&mut self, ims: ImsInformation) -> RfRecord {
        self.record(RecordKind::Stop, ims)
    }
}

/// A read ACA (RFC 6733 §9.7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountingAnswer {
    /// Session-Id, when present.
    pub session_id: Option<String>,
    /// Result-Code.
    pub result_code: u32,
    /// Echoed Accounting-Record-Type, when present.
    pub record_type: Option<AccountingRecordType>,
    /// Echoed Accounting-Record-Number, when present.
    pub record_number: Option<u32>,
}

impl AccountingAnswer {
    /// Reads an ACA, or an answer-message with the E bit answering an ACR.
    pub fn parse(msg: &Message) -> Result<Self, AnswerError> {
        let h = msg.header();
        if h.flags.is_request() || h.code != rf::cmd::ACA.code {
            return Err(AnswerError::NotAnswer("ACA"));
        }
        Ok(Self {
            session_id: msg.get(&b::SESSION_ID)?.map(|s| s.as_str().to_owned()),
            result_code: msg.require(&b::RESULT_CODE)?,
            record_type: msg.get(&b::ACCOUNTING_RECORD_TYPE)?,
            record_number: msg.get(&b::ACCOUNTING_RECORD_NUMBER)?,
        })
    }

    /// Whether the record was stored (DIAMETER_SUCCESS).
    pub fn is_success(&self) -> bool {
        self.result_code == diameter_codec::ResultCode::DIAMETER_SUCCESS.0
    }

    /// Whether re-sending cannot help (5xxx: the CDF refuses the record itself).
    pub fn is_permanent_failure(&self) -> bool {
        (5000..6000).contains(&self.result_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::charging::avp as ch;
    use diameter_codec::validate;

    #[test]
    fn session_records_are_numbered_and_valid() {
        let id = ClientIdentity::new("scscf.ims.test", "ims.test", "ims.test");
        let mut s = RfSession::new("s;1");
        let start = s.start(ImsInformation::new("INVITE", "c"));
        let interim = s.interim(ImsInformation::new("INVITE", "c"));
        let stop = s.stop(ImsInformation::new("BYE", "c")).at(1_790_000_000);
        assert_eq!((start.number, interim.number, stop.number), (0, 1, 2));
        let m = Message::decode(stop.encode(&id, 77)).unwrap();
        validate(&m, &rf::cmd::ACR).unwrap();
        assert_eq!(m.header().end_to_end, 77);
        assert_eq!(m.header().application_id, rf::APPLICATION_ID);
        assert_eq!(
            m.require(&b::ACCOUNTING_RECORD_TYPE).unwrap(),
            AccountingRecordType::STOP_RECORD
        );
        assert_eq!(m.require(&b::ACCOUNTING_RECORD_NUMBER).unwrap(), 2);
        assert_eq!(m.require(&b::ACCT_APPLICATION_ID).unwrap(), 3);
        assert_eq!(
            m.require(&c::SERVICE_CONTEXT_ID).unwrap(),
            SERVICE_CONTEXT_ID
        );
        assert_eq!(
            m.require(&b::EVENT_TIMESTAMP).unwrap().to_unix(),
            1_790_000_000
        );
        assert!(m.get(&ch::SERVICE_INFORMATION).unwrap().is_some());
    }

    #[test]
    fn aca_is_read() {
        let req = Message::decode(
            RfRecord::event("e;1", ImsInformation::default())
                .encode(&ClientIdentity::new("a", "r", "r"), 1),
        )
        .unwrap();
        let mut a = MessageBuilder::answer(req.header());
        a.put(&b::SESSION_ID, "e;1")
            .put(&b::RESULT_CODE, &5004)
            .put(
                &b::ACCOUNTING_RECORD_TYPE,
                &AccountingRecordType::EVENT_RECORD,
            )
            .put(&b::ACCOUNTING_RECORD_NUMBER, &0);
        let aca = AccountingAnswer::parse(&Message::decode(a.finish()).unwrap()).unwrap();
        assert!(!aca.is_success() && aca.is_permanent_failure());
        assert_eq!(aca.record_number, Some(0));
        assert!(matches!(
            AccountingAnswer::parse(&req),
            Err(AnswerError::NotAnswer(_))
        ));
    }
}
