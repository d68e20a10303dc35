//! What a CSCF reports of a SIP session or event: IMS-Information inside
//! Service-Information (TS 32.299 §7.2.77, §7.2.152; TS 32.260 §6.3).

use diameter_codec::format::NtpTime;
use diameter_codec::generated::charging::{avp as ch, NodeFunctionality, RoleOfNode};
use diameter_codec::{GroupWriter, WriteAvps};
use ims_core::charging::ChargingVectorValue;

/// The IMS-Information members a CSCF fills. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImsInformation {
    /// IMS-Charging-Identifier (ICID, TS 24.229 §7.2A.5).
    pub icid: Option<String>,
    /// Inter-Operator-Identifier / Originating-IOI.
    pub orig_ioi: Option<String>,
    /// Inter-Operator-Identifier / Terminating-IOI.
    pub term_ioi: Option<String>,
    /// Role-Of-Node (TS 32.299 §7.2.164).
    pub role_of_node: Option<RoleOfNode>,
    /// Node-Functionality (TS 32.299 §7.2.124); the S-CSCF by default.
    pub node_functionality: NodeFunctionality,
    /// Event-Type / SIP-Method (INVITE, MESSAGE, ...).
    pub sip_method: Option<String>,
    /// Event-Type / Event (the SIP Event header of SUBSCRIBE/NOTIFY).
    pub event: Option<String>,
    /// Calling-Party-Address values (P-Asserted-Identity URIs).
    pub calling_party_address: Vec<String>,
    /// Called-Party-Address (the Request-URI before retargeting).
    pub called_party_address: Option<String>,
    /// Requested-Party-Address values (TS 32.299 §7.2.161).
    pub requested_party_address: Vec<String>,
    /// Time-Stamps / SIP-Request-Timestamp.
    pub sip_request_timestamp: Option<u64>,
    /// Time-Stamps / SIP-Response-Timestamp.
    pub sip_response_timestamp: Option<u64>,
    /// Cause-Code (TS 32.299 §7.2.35): 0 normal end, else the SIP status code.
    pub cause_code: Option<i32>,
    /// User-Session-Id (the SIP Call-ID).
    pub user_session_id: Option<String>,
}

impl Default for ImsInformation {
    fn default() -> Self {
        Self {
            icid: None,
            orig_ioi: None,
            term_ioi: None,
            role_of_node: None,
            node_functionality: NodeFunctionality::S_CSCF,
            sip_method: None,
            event: None,
            calling_party_address: Vec::new(),
            called_party_address: None,
            requested_party_address: Vec::new(),
            sip_request_timestamp: None,
            sip_response_timestamp: None,
            cause_code: None,
            user_session_id: None,
        }
    }
}

impl ImsInformation {
    /// Information for a request with `method` and Call-ID `call_id`.
    pub fn new(method: impl Into<String>, call_id: impl Into<String>) -> Self {
        Self {
            sip_method: Some(method.into()),
            user_session_id: Some(call_id.into()),
            ..Self::default()
        }
    }

    /// Takes ICID and IOIs from a P-Charging-Vector (RFC 7315 §4.6).
    pub fn with_charging_vector(mut self, pcv: &ChargingVectorValue) -> Self {
        self.icid = Some(pcv.icid.clone());
        self.orig_ioi.clone_from(&pcv.orig_ioi);
        self.term_ioi.clone_from(&pcv.term_ioi);
        self
    }

    /// Writes the IMS-Information members, in the order of the TS 32.299 §7.2.77 grammar.
    pub fn write_members(&self, g: &mut GroupWriter<'_>) {
        if self.sip_method.is_some() || self.event.is_some() {
            g.put_grouped(&ch::EVENT_TYPE, |e| {
                if let Some(m) = &self.sip_method {
                    e.put(&ch::SIP_METHOD, m.as_str());
                }
                if let Some(ev) = &self.event {
                    e.put(&ch::EVENT, ev.as_str());
                }
            });
        }
        if let Some(r) = &self.role_of_node {
            g.put(&ch::ROLE_OF_NODE, r);
        }
        g.put(&ch::NODE_FUNCTIONALITY, &self.node_functionality);
        if let Some(id) = &self.user_session_id {
            g.put(&ch::USER_SESSION_ID, id.as_str());
        }
        for a in &self.calling_party_address {
            g.put(&ch::CALLING_PARTY_ADDRESS, a.as_str());
        }
        if let Some(a) = &self.called_party_address {
            g.put(&ch::CALLED_PARTY_ADDRESS, a.as_str());
        }
        for a in &self.requested_party_address {
            g.put(&ch::REQUESTED_PARTY_ADDRESS, a.as_str());
        }
        if self.sip_request_timestamp.is_some() || self.sip_response_timestamp.is_some() {
            g.put_grouped(&ch::TIME_STAMPS, |t| {
                if let Some(s) = self.sip_request_timestamp {
                    t.put(&ch::SIP_REQUEST_TIMESTAMP, &NtpTime::from_unix(s));
                }
                if let Some(s) = self.sip_response_timestamp {
                    t.put(&ch::SIP_RESPONSE_TIMESTAMP, &NtpTime::from_unix(s));
                }
            });
        }
        if self.orig_ioi.is_some() || self.term_ioi.is_some() {
            g.put_grouped(&ch::INTER_OPERATOR_IDENTIFIER, |i| {
                if let Some(o) = &self.orig_ioi {
                    i.put(&ch::ORIGINATING_IOI, o.as_str());
                }
                if let Some(t) = &self.term_ioi {
                    i.put(&ch::TERMINATING_IOI, t.as_str());
                }
            });
        }
        if let Some(icid) = &self.icid {
            g.put(&ch::IMS_CHARGING_IDENTIFIER, icid.as_str());
        }
        if let Some(c) = self.cause_code {
            g.put(&ch::CAUSE_CODE, &c);
        }
    }

    /// Appends Service-Information { IMS-Information { ... } } (TS 32.299 §7.2.152).
    pub fn write_service_information<W: WriteAvps>(&self, w: &mut W) {
        w.put_grouped(&ch::SERVICE_INFORMATION, |si| {
            si.put_grouped(&ch::IMS_INFORMATION, |g| self.write_members(g));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::base::avp as b;
    use diameter_codec::generated::rf;
    use diameter_codec::{AvpContainer, Message, MessageBuilder};

    #[test]
    fn every_member_round_trips() {
        let pcv = ChargingVectorValue {
            icid: "icid-1".into(),
            orig_ioi: Some("orig.test".into()),
            term_ioi: Some("term.test".into()),
            ..ChargingVectorValue::default()
        };
        let info = ImsInformation {
            role_of_node: Some(RoleOfNode::TERMINATING_ROLE),
            event: Some("reg".into()),
            calling_party_address: vec!["sip:a@x".into(), "tel:+1".into()],
            called_party_address: Some("sip:b@x".into()),
            requested_party_address: vec!["sip:c@x".into()],
            sip_request_timestamp: Some(1_790_000_000),
            sip_response_timestamp: Some(1_790_000_002),
            cause_code: Some(486),
            ..ImsInformation::new("INVITE", "call-1").with_charging_vector(&pcv)
        };
        let mut m = MessageBuilder::request(&rf::cmd::ACR, 1, 1);
        m.put(&b::SESSION_ID, "s");
        info.write_service_information(&mut m);
        let msg = Message::decode(m.finish()).unwrap();
        let si = msg.require(&ch::SERVICE_INFORMATION).unwrap();
        let ims = si.require(&ch::IMS_INFORMATION).unwrap();
        let et = ims.require(&ch::EVENT_TYPE).unwrap();
        assert_eq!(et.require(&ch::SIP_METHOD).unwrap(), "INVITE");
        assert_eq!(et.require(&ch::EVENT).unwrap(), "reg");
        assert_eq!(
            ims.require(&ch::ROLE_OF_NODE).unwrap(),
            RoleOfNode::TERMINATING_ROLE
        );
        assert_eq!(
            ims.require(&ch::NODE_FUNCTIONALITY).unwrap(),
            NodeFunctionality::S_CSCF
        );
        assert_eq!(ims.require(&ch::USER_SESSION_ID).unwrap(), "call-1");
        let calling: Vec<String> = ims
            .get_all(&ch::CALLING_PARTY_ADDRESS)
            .unwrap()
            .iter()
            .map(|v| v.as_str().to_owned())
            .collect();
        assert_eq!(calling, ["sip:a@x", "tel:+1"]);
        assert_eq!(ims.require(&ch::CALLED_PARTY_ADDRESS).unwrap(), "sip:b@x");
        assert_eq!(
            ims.require(&ch::REQUESTED_PARTY_ADDRESS).unwrap(),
            "sip:c@x"
        );
        let ts = ims.require(&ch::TIME_STAMPS).unwrap();
        assert_eq!(
            ts.require(&ch::SIP_REQUEST_TIMESTAMP).unwrap().to_unix(),
            1_790_000_000
        );
        assert_eq!(
            ts.require(&ch::SIP_RESPONSE_TIMESTAMP).unwrap().to_unix(),
            1_790_000_002
        );
        let ioi = ims.require(&ch::INTER_OPERATOR_IDENTIFIER).unwrap();
        assert_eq!(ioi.require(&ch::ORIGINATING_IOI).unwrap(), "orig.test");
        assert_eq!(ioi.require(&ch::TERMINATING_IOI).unwrap(), "term.test");
        assert_eq!(ims.require(&ch::IMS_CHARGING_IDENTIFIER).unwrap(), "icid-1");
        assert_eq!(ims.require(&ch::CAUSE_CODE).unwrap(), 486);
    }

    #[test]
    fn empty_information_has_only_node_functionality() {
        let mut m = MessageBuilder::request(&rf::cmd::ACR, 1, 1);
        ImsInformation::default().write_service_information(&mut m);
        let msg = Message::decode(m.finish()).unwrap();
        let ims = msg
            .require(&ch::SERVICE_INFORMATION)
            .unwrap()
            .require(&ch::IMS_INFORMATION)
            .unwrap();
        assert_eq!(ims.avps().count(), 1);
        assert!(ims.get(&ch::NODE_FUNCTIONALITY).unwrap().is_some());
    }
}
