//! One accounting record as read from an ACR (RFC 6733 §9.7.1, TS 32.299 §6.2.2) with the
//! IMS-Information fields that TS 32.260 §5.1.2 puts into the IMS CDRs.

use diameter_codec::format::NtpTime;
use diameter_codec::generated::base::{avp as b, AccountingRecordType};
use diameter_codec::generated::charging::{avp as c, view as cv};
use diameter_codec::generated::rf::view::Acr;
use diameter_codec::{AvpContainer, Error, GroupedAvps, Message};

/// Accounting-Record-Type (RFC 6733 §9.8.1). The default, `Event`, only serves to build
/// values field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RecordType {
    /// EVENT_RECORD (1): a one-time event (MESSAGE, REGISTER, ...).
    #[default]
    Event,
    /// START_RECORD (2): a session starts.
    Start,
    /// INTERIM_RECORD (3): a session goes on.
    Interim,
    /// STOP_RECORD (4): a session ends.
    Stop,
}

impl RecordType {
    /// From the wire value; `None` for values outside RFC 6733 §9.8.1.
    pub const fn from_wire(v: AccountingRecordType) -> Option<Self> {
        match v.0 {
            1 => Some(Self::Event),
            2 => Some(Self::Start),
            3 => Some(Self::Interim),
            4 => Some(Self::Stop),
            _ => None,
        }
    }

    /// The wire value.
    pub const fn to_wire(self) -> AccountingRecordType {
        match self {
            Self::Event => AccountingRecordType::EVENT_RECORD,
            Self::Start => AccountingRecordType::START_RECORD,
            Self::Interim => AccountingRecordType::INTERIM_RECORD,
            Self::Stop => AccountingRecordType::STOP_RECORD,
        }
    }

    /// The RFC 6733 name without `_RECORD` (`EVENT`, `START`, `INTERIM`, `STOP`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Event => "EVENT",
            Self::Start => "START",
            Self::Interim => "INTERIM",
            Self::Stop => "STOP",
        }
    }
}

/// The content of one ACR, as stored in a CDR row. Times are Unix seconds (converted from the
/// NTP Time format, RFC 6733 §4.3.1). Repeated addresses are joined with a space, which no
/// URI contains (RFC 3986 §2). NUL characters in text are replaced by U+FFFD.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountingRecord {
    /// Session-Id (RFC 6733 §8.8).
    pub session_id: String,
    /// Accounting-Record-Type (§9.8.1).
    pub record_type: RecordType,
    /// Accounting-Record-Number (§9.8.3).
    pub record_number: u32,
    /// Origin-Host of the CTF.
    pub origin_host: String,
    /// Origin-Realm of the CTF.
    pub origin_realm: String,
    /// User-Name.
    pub user_name: Option<String>,
    /// Event-Timestamp (§8.21): when the CTF produced the record.
    pub event_timestamp: Option<u64>,
    /// Event-Type / SIP-Method (TS 32.299 §7.2.173).
    pub sip_method: Option<String>,
    /// Event-Type / Event (the SIP Event header, for SUBSCRIBE/NOTIFY).
    pub event: Option<String>,
    /// Event-Type / Expires.
    pub expires: Option<u32>,
    /// Role-Of-Node (TS 32.299 §7.2.164): 0 originating, 1 terminating, 2 forwarding.
    pub role_of_node: Option<i32>,
    /// Node-Functionality (TS 32.299 §7.2.124): 0 S-CSCF, 1 P-CSCF, 2 I-CSCF, ...
    pub node_functionality: Option<i32>,
    /// User-Session-Id (the SIP Call-ID).
    pub user_session_id: Option<String>,
    /// Calling-Party-Address values, space separated.
    pub calling_party_address: Option<String>,
    /// Called-Party-Address.
    pub called_party_address: Option<String>,
    /// Time-Stamps / SIP-Request-Timestamp.
    pub sip_request_timestamp: Option<u64>,
    /// Time-Stamps / SIP-Response-Timestamp.
    pub sip_response_timestamp: Option<u64>,
    /// Inter-Operator-Identifier / Originating-IOI (first one present).
    pub originating_ioi: Option<String>,
    /// Inter-Operator-Identifier / Terminating-IOI (first one present).
    pub terminating_ioi: Option<String>,
    /// IMS-Charging-Identifier (ICID, TS 24.229 §7.2A.5).
    pub ims_charging_identifier: Option<String>,
    /// SDP-Session-Description lines, joined with `\n`.
    pub sdp_session_description: Option<String>,
    /// SDP summary: one line per SDP-Media-Component, its SDP-Media-Name then its
    /// SDP-Media-Description values, joined with `; `.
    pub sdp_media: Option<String>,
    /// Cause-Code (TS 32.299 §7.2.35): 0 normal end, SIP status codes for failures.
    pub cause_code: Option<i32>,
    /// When the CDF received the ACR (passed in, not read here).
    pub received_at: u64,
}

impl AccountingRecord {
    /// Reads an ACR that passed grammar validation. Faults map to the Result-Code and
    /// Failed-AVP of the answer: 5005 for a missing AVP, 5004 for an unknown
    /// Accounting-Record-Type, 5004/5014 for bad values.
    pub fn from_acr(msg: &Message, received_at: u64) -> Result<Self, Error> {
        let acr = Acr(msg);
        let wire_type = acr.accounting_record_type()?;
        let Some(record_type) = RecordType::from_wire(wire_type) else {
            let failed_avp = msg
                .find(b::ACCOUNTING_RECORD_TYPE.code())?
                .map(|a| a.raw().clone())
                .unwrap_or_default();
            return Err(Error::InvalidAvpValue {
                code: b::ACCOUNTING_RECORD_TYPE.code(),
                failed_avp,
            });
        };
        let mut rec = Self {
            session_id: text(acr.session_id()?.as_str()),
            record_type,
            record_number: acr.accounting_record_number()?,
            origin_host: text(acr.origin_host()?.as_str()),
            origin_realm: text(acr.origin_realm()?.as_str()),
            user_name: acr.user_name()?.map(|v| text(v.as_str())),
            event_timestamp: acr.event_timestamp()?.map(NtpTime::to_unix),
            received_at,
            ..Self::default()
        };
        if let Some(si) = acr.service_information()? {
            if let Some(ims) = cv::ServiceInformation(&si).ims_information()? {
                rec.read_ims_information(&ims)?;
            }
        }
        Ok(rec)
    }

    /// IMS-Information (TS 32.299 §7.2.77).
    fn read_ims_information(&mut self, ims: &GroupedAvps) -> Result<(), Error> {
        let v = cv::ImsInformation(ims);
        if let Some(et) = v.event_type()? {
            let et = cv::EventType(&et);
            self.sip_method = et.sip_method()?.map(|s| text(s.as_str()));
            self.event = et.event()?.map(|s| text(s.as_str()));
            self.expires = et.expires()?;
        }
        self.role_of_node = v.role_of_node()?.map(|r| r.0);
        self.node_functionality = Some(v.node_functionality()?.0);
        self.user_session_id = v.user_session_id()?.map(|s| text(s.as_str()));
        self.calling_party_address =
            join(v.calling_party_address()?.iter().map(|s| s.as_str()), " ");
        self.called_party_address = v.called_party_address()?.map(|s| text(s.as_str()));
        if let Some(ts) = v.time_stamps()? {
            let ts = cv::TimeStamps(&ts);
            self.sip_request_timestamp = ts.sip_request_timestamp()?.map(NtpTime::to_unix);
            self.sip_response_timestamp = ts.sip_response_timestamp()?.map(NtpTime::to_unix);
        }
        for ioi in v.inter_operator_identifier()? {
            let ioi = cv::InterOperatorIdentifier(&ioi);
            if self.originating_ioi.is_none() {
                self.originating_ioi = ioi.originating_ioi()?.map(|s| text(s.as_str()));
            }
            if self.terminating_ioi.is_none() {
                self.terminating_ioi = ioi.terminating_ioi()?.map(|s| text(s.as_str()));
            }
        }
        self.ims_charging_identifier = v.ims_charging_identifier()?.map(|s| text(s.as_str()));
        self.sdp_session_description = join(
            v.sdp_session_description()?.iter().map(|s| s.as_str()),
            "\n",
        );
        let mut media = Vec::new();
        for comp in v.sdp_media_component()? {
            let mut parts = Vec::new();
            if let Some(name) = comp.get(&c::SDP_MEDIA_NAME)? {
                parts.push(text(name.as_str()));
            }
            for d in comp.get_all(&c::SDP_MEDIA_DESCRIPTION)? {
                parts.push(text(d.as_str()));
            }
            media.push(parts.join("; "));
        }
        self.sdp_media = join(media.iter().map(String::as_str), "\n");
        self.cause_code = v.cause_code()?;
        Ok(())
    }

    /// The time the record is filed under (range filters, ordering): Event-Timestamp, else
    /// the SIP request or response timestamp, else the reception time.
    pub fn record_time(&self) -> u64 {
        self.event_timestamp
            .or(self.sip_request_timestamp)
            .or(self.sip_response_timestamp)
            .unwrap_or(self.received_at)
    }
}

/// An owned copy of a received string, NUL characters replaced by U+FFFD: PostgreSQL text
/// cannot hold NUL, and a record must store the same on every backend.
fn text(s: &str) -> String {
    if s.contains('\0') {
        s.replace('\0', "\u{fffd}")
    } else {
        s.to_owned()
    }
}

/// Joins the values, `None` when there are none.
fn join<'a>(values: impl Iterator<Item = &'a str>, sep: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for v in values {
        match &mut out {
            Some(s) => {
                s.push_str(sep);
                s.push_str(&text(v));
            }
            None => out = Some(text(v)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::rf;
    use diameter_codec::{MessageBuilder, WriteAvps};

    fn acr(record_type: i32, ims: bool) -> Message {
        let mut m = MessageBuilder::request(&rf::cmd::ACR, 1, 2);
        m.put(&b::SESSION_ID, "scscf;1;2")
            .put(&b::ORIGIN_HOST, "scscf.ims.test")
            .put(&b::ORIGIN_REALM, "ims.test")
            .put(&b::DESTINATION_REALM, "ims.test")
            .put(
                &b::ACCOUNTING_RECORD_TYPE,
                &AccountingRecordType(record_type),
            )
            .put(&b::ACCOUNTING_RECORD_NUMBER, &7)
            .put(&b::EVENT_TIMESTAMP, &NtpTime::from_unix(1_000));
        if ims {
            m.put_grouped(&c::SERVICE_INFORMATION, |si| {
                si.put_grouped(&c::IMS_INFORMATION, |g| {
                    g.put_grouped(&c::EVENT_TYPE, |e| {
                        e.put(&c::SIP_METHOD, "INVITE");
                    })
                    .put(
                        &c::NODE_FUNCTIONALITY,
                        &diameter_codec::generated::charging::NodeFunctionality::S_CSCF,
                    )
                    .put(&c::CALLING_PARTY_ADDRESS, "sip:a@ims.test")
                    .put(&c::CALLING_PARTY_ADDRESS, "tel:+15551234")
                    .put_grouped(&c::SDP_MEDIA_COMPONENT, |s| {
                        s.put(&c::SDP_MEDIA_NAME, "audio 49170 RTP/AVP 0")
                            .put(&c::SDP_MEDIA_DESCRIPTION, "a=rtpmap:0 PCMU/8000");
                    })
                    .put(&c::CAUSE_CODE, &-1);
                });
            });
        }
        Message::decode(m.finish()).unwrap()
    }

    #[test]
    fn reads_base_and_ims_fields() {
        let r = AccountingRecord::from_acr(&acr(2, true), 5).unwrap();
        assert_eq!(r.record_type, RecordType::Start);
        assert_eq!(r.record_number, 7);
        assert_eq!(r.event_timestamp, Some(1_000));
        assert_eq!(r.record_time(), 1_000);
        assert_eq!(r.sip_method.as_deref(), Some("INVITE"));
        assert_eq!(r.node_functionality, Some(0));
        assert_eq!(
            r.calling_party_address.as_deref(),
            Some("sip:a@ims.test tel:+15551234")
        );
        assert_eq!(
            r.sdp_media.as_deref(),
            Some("audio 49170 RTP/AVP 0; a=rtpmap:0 PCMU/8000")
        );
        assert_eq!(r.cause_code, Some(-1));
        assert_eq!(r.received_at, 5);
    }

    #[test]
    fn unknown_record_type_is_5004_naming_the_avp() {
        let e = AccountingRecord::from_acr(&acr(9, false), 0).unwrap_err();
        assert_eq!(e.result_code().0, 5004);
        assert_eq!(e.failed_avp().map(|f| f.len()), Some(12));
        let r = AccountingRecord::from_acr(&acr(1, false), 0).unwrap();
        assert_eq!(r.record_type, RecordType::Event);
        assert_eq!(r.node_functionality, None);
    }
}
