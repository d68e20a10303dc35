//! What the S-CSCF reports of a request (TS 32.260 §5.2.4, TS 32.299 §7.2.77): the ICID and
//! IOIs of the P-Charging-Vector, Role-of-Node, SIP-Method, Calling-Party-Address
//! (P-Asserted-Identity), Called-Party-Address (Request-URI), User-Session-Id (Call-ID).

use diameter_codec::generated::charging::RoleOfNode;
use ims_charging::ImsInformation;
use ims_core::charging::ChargingVectorValue;
use sip_types::{HeaderName, Message};

/// Which side of a session the S-CSCF serves (TS 24.229 §5.4.3.2, §5.4.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChargingRole {
    /// The served user is the caller (the request came with our `orig` Route).
    Originating,
    /// The served user is the callee.
    Terminating,
}

impl ChargingRole {
    /// Role-Of-Node (TS 32.299 §7.2.164).
    pub fn role_of_node(self) -> RoleOfNode {
        match self {
            Self::Originating => RoleOfNode::ORIGINATING_ROLE,
            Self::Terminating => RoleOfNode::TERMINATING_ROLE,
        }
    }
}

pub(crate) use crate::state::unix_now;

/// The served user charged for `request` in `role`: the first P-Asserted-Identity (else the
/// From URI) when originating, the Request-URI when terminating (TS 24.229 §5.4.3.2,
/// §5.4.3.3).
pub fn served_identity(request: &Message, role: ChargingRole) -> String {
    match role {
        ChargingRole::Originating => {
            sip_types::ims::name_addrs(request, HeaderName::P_ASSERTED_IDENTITY)
                .find_map(Result::ok)
                .map(|a| a.uri.to_owned())
                .or_else(|| request.from().ok().map(|f| f.uri.to_owned()))
                .unwrap_or_default()
        }
        ChargingRole::Terminating => request.request_uri().unwrap_or_default().to_owned(),
    }
}

/// IMS-Information of `request` served in `role`, stamped with the request time `at`.
pub fn ims_information(request: &Message, role: ChargingRole, at: u64) -> ImsInformation {
    let method = request
        .method()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let call_id = request.call_id().unwrap_or_default().to_owned();
    let mut info = ImsInformation::new(method, call_id);
    if let Some(Ok(pcv)) = ChargingVectorValue::from_message(request) {
        info = info.with_charging_vector(&pcv);
    }
    info.role_of_node = Some(role.role_of_node());
    info.calling_party_address =
        sip_types::ims::name_addrs(request, HeaderName::P_ASSERTED_IDENTITY)
            .filter_map(Result::ok)
            .map(|a| a.uri.to_owned())
            .collect();
    if info.calling_party_address.is_empty() {
        if let Ok(from) = request.from() {
            info.calling_party_address.push(from.uri.to_owned());
        }
    }
    info.called_party_address = request.request_uri().map(str::to_owned);
    info.sip_request_timestamp = Some(at);
    info
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip_types::{Method, RequestBuilder};

    #[test]
    fn vector_identities_and_role_are_read() {
        let req = RequestBuilder::new(Method::INVITE, "sip:bob@ims.test")
            .header("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1")
            .header("From", "<sip:alice@ims.test>;tag=a")
            .header("To", "<sip:bob@ims.test>")
            .header("Call-ID", "c1")
            .header("CSeq", "1 INVITE")
            .header("P-Asserted-Identity", "<sip:alice@ims.test>, <tel:+4930>")
            .header(
                "P-Charging-Vector",
                "icid-value=icid-1;icid-generated-at=127.0.0.1;orig-ioi=ims.test",
            )
            .build();
        let req = Message::parse(req).unwrap();
        let info = ims_information(&req, ChargingRole::Originating, 7);
        assert_eq!(info.icid.as_deref(), Some("icid-1"));
        assert_eq!(info.orig_ioi.as_deref(), Some("ims.test"));
        assert_eq!(info.role_of_node, Some(RoleOfNode::ORIGINATING_ROLE));
        assert_eq!(info.sip_method.as_deref(), Some("INVITE"));
        assert_eq!(info.user_session_id.as_deref(), Some("c1"));
        assert_eq!(
            info.calling_party_address,
            ["sip:alice@ims.test", "tel:+4930"]
        );
        assert_eq!(
            info.called_party_address.as_deref(),
            Some("sip:bob@ims.test")
        );
        assert_eq!(info.sip_request_timestamp, Some(7));
        assert_eq!(
            served_identity(&req, ChargingRole::Originating),
            "sip:alice@ims.test"
        );
        assert_eq!(
            served_identity(&req, ChargingRole::Terminating),
            "sip:bob@ims.test"
        );

        let bare = RequestBuilder::new(Method::MESSAGE, "sip:bob@ims.test")
            .header("From", "<sip:carol@ims.test>;tag=c")
            .header("To", "<sip:bob@ims.test>")
            .header("Call-ID", "c2")
            .header("CSeq", "1 MESSAGE")
            .build();
        let info = ims_information(&Message::parse(bare).unwrap(), ChargingRole::Terminating, 8);
        assert_eq!(info.icid, None);
        assert_eq!(info.calling_party_address, ["sip:carol@ims.test"]);
        assert_eq!(info.role_of_node, Some(RoleOfNode::TERMINATING_ROLE));
    }
}
