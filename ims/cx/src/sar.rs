//! SAR → SAA (TS 29.228 §6.1.2, TS 29.229 §6.1.3/§6.1.4): the S-CSCF tells the HSS it now
//! serves (or stopped serving) a user; a registration downloads the User-Data.

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cx::{self, avp as x, view, UserDataAlreadyAvailable};
use diameter_codec::{AvpContainer, Message, WriteAvps};
use ims_core::ifc::{parse_ims_subscription, IfcError, ImsSubscription};

use crate::answer::{check, text};
use crate::charging::ChargingInfo;
use crate::error::CxError;
use crate::identity::CxIdentity;
use crate::result::CxResult;

/// Server-Assignment-Type (TS 29.229 §6.3.15): every value of the dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerAssignmentType {
    /// NO_ASSIGNMENT (0): download User-Data without changing the assignment.
    NoAssignment,
    /// REGISTRATION (1).
    Registration,
    /// RE_REGISTRATION (2).
    ReRegistration,
    /// UNREGISTERED_USER (3): a terminating request for an unregistered user.
    UnregisteredUser,
    /// TIMEOUT_DEREGISTRATION (4).
    TimeoutDeregistration,
    /// USER_DEREGISTRATION (5).
    UserDeregistration,
    /// TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME (6).
    TimeoutDeregistrationStoreServerName,
    /// USER_DEREGISTRATION_STORE_SERVER_NAME (7).
    UserDeregistrationStoreServerName,
    /// ADMINISTRATIVE_DEREGISTRATION (8).
    AdministrativeDeregistration,
    /// AUTHENTICATION_FAILURE (9).
    AuthenticationFailure,
    /// AUTHENTICATION_TIMEOUT (10).
    AuthenticationTimeout,
    /// DEREGISTRATION_TOO_MUCH_DATA (11).
    DeregistrationTooMuchData,
    /// AAA_USER_DATA_REQUEST (12), Wx interworking.
    AaaUserDataRequest,
    /// PGW_UPDATE (13), Wx interworking.
    PgwUpdate,
    /// RESTORATION (14), S-CSCF restoration (TS 23.380).
    Restoration,
}

impl ServerAssignmentType {
    /// The dictionary value.
    pub fn wire(self) -> cx::ServerAssignmentType {
        use cx::ServerAssignmentType as W;
        match self {
            Self::NoAssignment => W::NO_ASSIGNMENT,
            Self::Registration => W::REGISTRATION,
            Self::ReRegistration => W::RE_REGISTRATION,
            Self::UnregisteredUser => W::UNREGISTERED_USER,
            Self::TimeoutDeregistration => W::TIMEOUT_DEREGISTRATION,
            Self::UserDeregistration => W::USER_DEREGISTRATION,
            Self::TimeoutDeregistrationStoreServerName => {
                W::TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME
            }
            Self::UserDeregistrationStoreServerName => W::USER_DEREGISTRATION_STORE_SERVER_NAME,
            Self::AdministrativeDeregistration => W::ADMINISTRATIVE_DEREGISTRATION,
            Self::AuthenticationFailure => W::AUTHENTICATION_FAILURE,
            Self::AuthenticationTimeout => W::AUTHENTICATION_TIMEOUT,
            Self::DeregistrationTooMuchData => W::DEREGISTRATION_TOO_MUCH_DATA,
            Self::AaaUserDataRequest => W::AAA_USER_DATA_REQUEST,
            Self::PgwUpdate => W::PGW_UPDATE,
            Self::Restoration => W::RESTORATION,
        }
    }
}

/// A Server-Assignment-Request (TS 29.229 §6.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SarRequest<'a> {
    /// User-Name: the private identity, if known (required for registrations).
    pub impi: Option<&'a str>,
    /// Public-Identity AVPs: the identities concerned (may be empty with `impi`).
    pub public_identities: &'a [&'a str],
    /// Server-Name: our SIP URI.
    pub server_name: &'a str,
    /// Server-Assignment-Type.
    pub assignment_type: ServerAssignmentType,
    /// User-Data-Already-Available: we hold the profile, do not send it.
    pub user_data_already_available: bool,
}

impl SarRequest<'_> {
    /// Encodes the SAR from `identity` with `session_id`.
    pub fn build(&self, identity: &CxIdentity, session_id: &str) -> Bytes {
        let mut r = identity.request(&cx::cmd::SAR, session_id);
        if let Some(impi) = self.impi {
            r.put(&b::USER_NAME, impi);
        }
        for impu in self.public_identities {
            r.put(&x::PUBLIC_IDENTITY, impu);
        }
        let udaa = if self.user_data_already_available {
            UserDataAlreadyAvailable::USER_DATA_ALREADY_AVAILABLE
        } else {
            UserDataAlreadyAvailable::USER_DATA_NOT_AVAILABLE
        };
        r.put(&x::SERVER_NAME, self.server_name)
            .put(&x::SERVER_ASSIGNMENT_TYPE, &self.assignment_type.wire())
            .put(&x::USER_DATA_ALREADY_AVAILABLE, &udaa);
        r.finish()
    }
}

/// A Server-Assignment-Answer (TS 29.229 §6.1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAssignmentAnswer {
    /// 2001, or 5001, 5002, 5005 (held by another S-CSCF, see `server_name`), 5007, ...
    pub result: CxResult,
    /// User-Name: the private identity.
    pub impi: Option<String>,
    /// User-Data: the IMSSubscription XML (TS 29.228 Annex E).
    pub user_data: Option<String>,
    /// Charging-Information.
    pub charging: Option<ChargingInfo>,
    /// Associated-Identities: the private identities sharing the public ones (§6.3.33).
    pub associated_identities: Vec<String>,
    /// Server-Name: with 5005, the S-CSCF that holds the registration.
    pub server_name: Option<String>,
}

impl ServerAssignmentAnswer {
    /// Parses an SAA. A User-Data that is not UTF-8 is an invalid AVP.
    pub fn parse(answer: &Message) -> Result<Self, CxError> {
        let result = check(answer, &cx::cmd::SAA)?;
        let user_data = match answer.get(&x::USER_DATA)? {
            Some(raw) => {
                Some(
                    String::from_utf8(raw.to_vec()).map_err(|_| CxError::InvalidAvp {
                        avp: x::USER_DATA.meta.name,
                    })?,
                )
            }
            None => None,
        };
        let associated_identities = match view::Saa(answer).associated_identities()? {
            Some(g) => view::AssociatedIdentities(&g)
                .user_name()?
                .iter()
                .map(text)
                .collect(),
            None => Vec::new(),
        };
        Ok(Self {
            result,
            impi: answer.get(&b::USER_NAME)?.as_ref().map(text),
            user_data,
            charging: ChargingInfo::read(answer)?,
            associated_identities,
            server_name: answer.get(&x::SERVER_NAME)?.as_ref().map(text),
        })
    }

    /// The User-Data parsed into the service profiles (TS 29.228 Annex B), if present.
    pub fn subscription(&self) -> Option<Result<ImsSubscription, IfcError>> {
        self.user_data.as_deref().map(parse_ims_subscription)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::ExperimentalCode;
    use diameter_codec::{validate, MessageBuilder};

    const ALL: [ServerAssignmentType; 15] = {
        use ServerAssignmentType as S;
        [
            S::NoAssignment,
            S::Registration,
            S::ReRegistration,
            S::UnregisteredUser,
            S::TimeoutDeregistration,
            S::UserDeregistration,
            S::TimeoutDeregistrationStoreServerName,
            S::UserDeregistrationStoreServerName,
            S::AdministrativeDeregistration,
            S::AuthenticationFailure,
            S::AuthenticationTimeout,
            S::DeregistrationTooMuchData,
            S::AaaUserDataRequest,
            S::PgwUpdate,
            S::Restoration,
        ]
    };

    #[test]
    fn every_assignment_type_has_its_dictionary_value() {
        for (i, t) in (0..).zip(ALL) {
            assert_eq!(t.wire().0, i, "{t:?}");
        }
    }

    #[test]
    fn sar_validates() {
        let id = CxIdentity::new("scscf.ims.test", "ims.test", "ims.test");
        let req = SarRequest {
            impi: Some("alice@ims.test"),
            public_identities: &["sip:alice@ims.test", "tel:+15550001"],
            server_name: "sip:scscf.ims.test:6060",
            assignment_type: ServerAssignmentType::Registration,
            user_data_already_available: true,
        };
        let m = Message::decode(req.build(&id, "s;1;1")).unwrap();
        validate(&m, &cx::cmd::SAR).unwrap();
        let v = view::Sar(&m);
        assert_eq!(v.user_name().unwrap().unwrap(), "alice@ims.test");
        assert_eq!(v.public_identity().unwrap().len(), 2);
        assert_eq!(
            v.server_assignment_type().unwrap(),
            cx::ServerAssignmentType::REGISTRATION
        );
        assert_eq!(
            v.user_data_already_available().unwrap(),
            UserDataAlreadyAvailable::USER_DATA_ALREADY_AVAILABLE
        );

        let anonymous = SarRequest {
            impi: None,
            public_identities: &["sip:bob@ims.test"],
            assignment_type: ServerAssignmentType::UnregisteredUser,
            user_data_already_available: false,
            ..req
        };
        let m = Message::decode(anonymous.build(&id, "s;1;2")).unwrap();
        validate(&m, &cx::cmd::SAR).unwrap();
        assert!(m.get(&b::USER_NAME).unwrap().is_none());
    }

    #[test]
    fn saa_parses_user_data_charging_and_associated_identities() {
        let id = CxIdentity::new("scscf.ims.test", "ims.test", "ims.test");
        let req = SarRequest {
            impi: Some("alice@ims.test"),
            public_identities: &["sip:alice@ims.test"],
            server_name: "sip:scscf.ims.test",
            assignment_type: ServerAssignmentType::Registration,
            user_data_already_available: false,
        };
        let req = Message::decode(req.build(&id, "s;1;1")).unwrap();
        let xml = "<IMSSubscription><PrivateID>alice@ims.test</PrivateID><ServiceProfile>\
            <PublicIdentity><Identity>sip:alice@ims.test</Identity></PublicIdentity>\
            </ServiceProfile></IMSSubscription>";
        let hss = CxIdentity::new("hss.ims.test", "ims.test", "ims.test");
        let mut a = crate::push::answer_start(&req, &hss, CxResult::SUCCESS);
        a.put(&b::USER_NAME, "alice@ims.test")
            .put(&x::USER_DATA, xml.as_bytes());
        a.put_grouped(&x::CHARGING_INFORMATION, |g| {
            g.put(
                &x::PRIMARY_EVENT_CHARGING_FUNCTION_NAME,
                "aaa://ocs.ims.test",
            )
            .put(
                &x::PRIMARY_CHARGING_COLLECTION_FUNCTION_NAME,
                "aaa://cdf.ims.test",
            );
        });
        a.put_grouped(&x::ASSOCIATED_IDENTITIES, |g| {
            g.put(&b::USER_NAME, "alice@ims.test")
                .put(&b::USER_NAME, "alice2@ims.test");
        });
        let ans = Message::decode(a.finish()).unwrap();
        validate(&ans, &cx::cmd::SAA).unwrap();
        let saa = ServerAssignmentAnswer::parse(&ans).unwrap();
        assert_eq!(saa.user_data.as_deref(), Some(xml));
        let sub = saa.subscription().unwrap().unwrap();
        assert_eq!(sub.private_id, "alice@ims.test");
        let ch = saa.charging.unwrap();
        assert_eq!(ch.primary_ecf.as_deref(), Some("aaa://ocs.ims.test"));
        assert_eq!(ch.primary_ccf.as_deref(), Some("aaa://cdf.ims.test"));
        assert_eq!(ch.secondary_ccf, None);
        assert_eq!(
            saa.associated_identities,
            ["alice@ims.test", "alice2@ims.test"]
        );

        // 5005 with the holder's name; non-UTF-8 User-Data is rejected.
        let mut a = MessageBuilder::answer(req.header());
        CxResult::Experimental(ExperimentalCode::IdentityAlreadyRegistered).put(&mut a);
        a.put(&x::SERVER_NAME, "sip:other.ims.test");
        let saa = ServerAssignmentAnswer::parse(&Message::decode(a.finish()).unwrap()).unwrap();
        assert!(saa.result.is(ExperimentalCode::IdentityAlreadyRegistered));
        assert_eq!(saa.server_name.as_deref(), Some("sip:other.ims.test"));
        assert!(saa.subscription().is_none());
        let mut a = MessageBuilder::answer(req.header());
        CxResult::SUCCESS.put(&mut a);
        a.put(&x::USER_DATA, &[0xff, 0xfe]);
        assert_eq!(
            ServerAssignmentAnswer::parse(&Message::decode(a.finish()).unwrap()).unwrap_err(),
            CxError::InvalidAvp { avp: "User-Data" }
        );
    }
}
