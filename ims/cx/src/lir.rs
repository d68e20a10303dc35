//! LIR → LIA (TS 29.228 §6.1.4, TS 29.229 §6.1.5/§6.1.6): the I-CSCF asks which S-CSCF
//! serves the target of a terminating request.

use bytes::Bytes;
use diameter_codec::generated::cx::{self, avp as x, OriginatingRequest};
use diameter_codec::{AvpContainer, Message, WriteAvps};

use crate::answer::{check, text};
use crate::capabilities::ServerCapabilities;
use crate::error::CxError;
use crate::identity::CxIdentity;
use crate::result::CxResult;
use crate::uar::AuthorizationType;

/// A Location-Info-Request (TS 29.229 §6.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LirRequest<'a> {
    /// Public-Identity: the Request-URI of the terminating request.
    pub impu: &'a str,
    /// Originating-Request: the request is for originating services (an AS acting for the
    /// user, TS 29.228 §6.1.4.1).
    pub originating: bool,
    /// User-Authorization-Type; REGISTRATION_AND_CAPABILITIES asks for capabilities.
    pub authorization_type: Option<AuthorizationType>,
}

impl LirRequest<'_> {
    /// Encodes the LIR from `identity` with `session_id`.
    pub fn build(&self, identity: &CxIdentity, session_id: &str) -> Bytes {
        let mut r = identity.request(&cx::cmd::LIR, session_id);
        if self.originating {
            r.put(&x::ORIGINATING_REQUEST, &OriginatingRequest::ORIGINATING);
        }
        r.put(&x::PUBLIC_IDENTITY, self.impu);
        if let Some(t) = self.authorization_type {
            r.put(&x::USER_AUTHORIZATION_TYPE, &t.wire());
        }
        r.finish()
    }
}

/// A Location-Info-Answer (TS 29.229 §6.1.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationInfoAnswer {
    /// 2001 (registered), 2003 unregistered service, 5001, 5003 not registered, ...
    pub result: CxResult,
    /// Server-Name: the S-CSCF serving the identity.
    pub server_name: Option<String>,
    /// Server-Capabilities, to select an S-CSCF for unregistered services.
    pub capabilities: ServerCapabilities,
    /// Wildcarded-Public-Identity, when the identity matched a wildcarded PSI.
    pub wildcarded_public_identity: Option<String>,
}

impl LocationInfoAnswer {
    /// Parses an LIA.
    pub fn parse(answer: &Message) -> Result<Self, CxError> {
        let result = check(answer, &cx::cmd::LIA)?;
        Ok(Self {
            result,
            server_name: answer.get(&x::SERVER_NAME)?.as_ref().map(text),
            capabilities: ServerCapabilities::read(answer)?,
            wildcarded_public_identity: answer
                .get(&x::WILDCARDED_PUBLIC_IDENTITY)?
                .as_ref()
                .map(text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::{validate, MessageBuilder};

    #[test]
    fn lir_validates_and_lia_parses() {
        let id = CxIdentity::new("icscf.ims.test", "ims.test", "ims.test");
        let req = LirRequest {
            impu: "sip:bob@ims.test",
            originating: true,
            authorization_type: Some(AuthorizationType::RegistrationAndCapabilities),
        };
        let m = Message::decode(req.build(&id, "s;1;9")).unwrap();
        validate(&m, &cx::cmd::LIR).unwrap();
        let v = cx::view::Lir(&m);
        assert_eq!(v.public_identity().unwrap(), "sip:bob@ims.test");
        assert_eq!(
            v.originating_request().unwrap(),
            Some(OriginatingRequest::ORIGINATING)
        );

        let mut a = MessageBuilder::answer(m.header());
        CxResult::SUCCESS.put(&mut a);
        a.put(&x::SERVER_NAME, "sip:scscf.ims.test")
            .put(&x::WILDCARDED_PUBLIC_IDENTITY, "sip:chat-!.*!@ims.test");
        let lia = LocationInfoAnswer::parse(&Message::decode(a.finish()).unwrap()).unwrap();
        assert_eq!(lia.result, CxResult::SUCCESS);
        assert_eq!(lia.server_name.as_deref(), Some("sip:scscf.ims.test"));
        assert_eq!(
            lia.wildcarded_public_identity.as_deref(),
            Some("sip:chat-!.*!@ims.test")
        );
    }
}
