//! UAR → UAA (TS 29.228 §6.1.1, TS 29.229 §6.1.1/§6.1.2): the I-CSCF asks whether a user may
//! register and which S-CSCF serves it (or what capabilities one needs).

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cx::{self, avp as x, UserAuthorizationType};
use diameter_codec::{AvpContainer, Message, WriteAvps};

use crate::answer::{check, text};
use crate::capabilities::ServerCapabilities;
use crate::error::CxError;
use crate::identity::CxIdentity;
use crate::result::CxResult;

/// User-Authorization-Type (TS 29.229 §6.3.24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthorizationType {
    /// REGISTRATION (0): a registration or re-registration (the default).
    Registration,
    /// DE_REGISTRATION (1): a REGISTER with expires 0.
    DeRegistration,
    /// REGISTRATION_AND_CAPABILITIES (2): the assigned S-CSCF is unreachable; ask for
    /// capabilities to select another (TS 29.228 §6.1.1.1).
    RegistrationAndCapabilities,
}

impl AuthorizationType {
    /// The dictionary value.
    pub fn wire(self) -> UserAuthorizationType {
        match self {
            Self::Registration => UserAuthorizationType::REGISTRATION,
            Self::DeRegistration => UserAuthorizationType::DE_REGISTRATION,
            Self::RegistrationAndCapabilities => {
                UserAuthorizationType::REGISTRATION_AND_CAPABILITIES
            }
        }
    }
}

/// A User-Authorization-Request (TS 29.229 §6.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UarRequest<'a> {
    /// User-Name: the private identity from the REGISTER's Authorization header.
    pub impi: &'a str,
    /// Public-Identity: the To URI of the REGISTER.
    pub impu: &'a str,
    /// Visited-Network-Identifier: the P-Visited-Network-ID of the REGISTER.
    pub visited_network: &'a str,
    /// User-Authorization-Type; absent means REGISTRATION.
    pub authorization_type: Option<AuthorizationType>,
}

impl UarRequest<'_> {
    /// Encodes the UAR from `identity` with `session_id`.
    pub fn build(&self, identity: &CxIdentity, session_id: &str) -> Bytes {
        let mut r = identity.request(&cx::cmd::UAR, session_id);
        r.put(&b::USER_NAME, self.impi)
            .put(&x::PUBLIC_IDENTITY, self.impu)
            .put(
                &x::VISITED_NETWORK_IDENTIFIER,
                self.visited_network.as_bytes(),
            );
        if let Some(t) = self.authorization_type {
            r.put(&x::USER_AUTHORIZATION_TYPE, &t.wire());
        }
        r.finish()
    }
}

/// A User-Authorization-Answer (TS 29.229 §6.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAuthorizationAnswer {
    /// 2001 first registration, 2002 subsequent, 2003 unregistered service, or an error.
    pub result: CxResult,
    /// Server-Name: the S-CSCF already serving the user.
    pub server_name: Option<String>,
    /// Server-Capabilities, to select an S-CSCF when no Server-Name is given.
    pub capabilities: ServerCapabilities,
}

impl UserAuthorizationAnswer {
    /// Parses a UAA.
    pub fn parse(answer: &Message) -> Result<Self, CxError> {
        let result = check(answer, &cx::cmd::UAA)?;
        Ok(Self {
            result,
            server_name: answer.get(&x::SERVER_NAME)?.as_ref().map(text),
            capabilities: ServerCapabilities::read(answer)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::ExperimentalCode;
    use diameter_codec::{validate, MessageBuilder};

    fn identity() -> CxIdentity {
        CxIdentity::new("icscf.ims.test", "ims.test", "ims.test")
    }

    #[test]
    fn uar_validates_and_carries_the_fields() {
        let mut id = identity();
        id.destination_host = Some("hss.ims.test".into());
        let req = UarRequest {
            impi: "alice@ims.test",
            impu: "sip:alice@ims.test",
            visited_network: "visited.test",
            authorization_type: Some(AuthorizationType::RegistrationAndCapabilities),
        };
        let m = Message::decode(req.build(&id, "icscf.ims.test;1;2")).unwrap();
        validate(&m, &cx::cmd::UAR).unwrap();
        let v = cx::view::Uar(&m);
        assert_eq!(v.session_id().unwrap(), "icscf.ims.test;1;2");
        assert_eq!(v.user_name().unwrap(), "alice@ims.test");
        assert_eq!(v.public_identity().unwrap(), "sip:alice@ims.test");
        assert_eq!(
            &v.visited_network_identifier().unwrap()[..],
            b"visited.test"
        );
        assert_eq!(
            v.user_authorization_type().unwrap(),
            Some(UserAuthorizationType::REGISTRATION_AND_CAPABILITIES)
        );
        assert_eq!(v.destination_host().unwrap().unwrap(), "hss.ims.test");
        assert_eq!(v.origin_host().unwrap(), "icscf.ims.test");
        let vsai = v.vendor_specific_application_id().unwrap();
        assert_eq!(vsai.require(&b::VENDOR_ID).unwrap(), crate::VENDOR_3GPP);
        assert_eq!(
            vsai.require(&b::AUTH_APPLICATION_ID).unwrap(),
            cx::APPLICATION_ID.0
        );

        let plain = UarRequest {
            authorization_type: None,
            ..req
        };
        let m = Message::decode(plain.build(&identity(), "s;1;3")).unwrap();
        validate(&m, &cx::cmd::UAR).unwrap();
        assert!(m.get(&x::USER_AUTHORIZATION_TYPE).unwrap().is_none());
        assert!(m.get(&b::DESTINATION_HOST).unwrap().is_none());
    }

    #[test]
    fn uaa_parses_and_rejects_the_wrong_command() {
        let req = Message::decode(
            UarRequest {
                impi: "a",
                impu: "sip:a",
                visited_network: "v",
                authorization_type: None,
            }
            .build(&identity(), "s;1;1"),
        )
        .unwrap();
        let mut a = MessageBuilder::answer(req.header());
        CxResult::Experimental(ExperimentalCode::SubsequentRegistration).put(&mut a);
        a.put(&x::SERVER_NAME, "sip:scscf.ims.test");
        let ans = Message::decode(a.finish()).unwrap();
        let uaa = UserAuthorizationAnswer::parse(&ans).unwrap();
        assert!(uaa.result.is(ExperimentalCode::SubsequentRegistration));
        assert!(uaa.result.is_success());
        assert_eq!(uaa.server_name.as_deref(), Some("sip:scscf.ims.test"));
        assert!(uaa.capabilities.is_empty());

        // A request, or another command, is not a UAA.
        assert_eq!(
            UserAuthorizationAnswer::parse(&req).unwrap_err(),
            CxError::UnexpectedAnswer {
                expected: "UAA",
                got: cx::cmd::UAR.code.0
            }
        );
    }
}
