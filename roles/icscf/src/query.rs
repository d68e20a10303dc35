//! What the I-CSCF asks the HSS, read from the SIP request: the UAR of a REGISTER
//! (TS 24.229 §5.3.1.2, TS 29.228 §6.1.1) and the Public-Identity of an LIR
//! (TS 24.229 §5.3.2.1, TS 29.228 §6.1.4).

use ims_cx::{AuthorizationType, LirRequest, UarRequest};
use sip_types::auth::Credentials;
use sip_types::ims::{contacts, Contact, VisitedNetworkId};
use sip_types::{HeaderName, Message, StatusCode, Uri};

use crate::outcome::Refusal;

/// The UAR a REGISTER asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationQuery {
    /// User-Name: the Authorization username, else derived from the To URI.
    pub impi: String,
    /// Public-Identity: the To URI.
    pub impu: String,
    /// Visited-Network-Identifier: P-Visited-Network-ID, else the home domain.
    pub visited_network: String,
    /// REGISTRATION, or DE_REGISTRATION when every binding is removed.
    pub authorization_type: AuthorizationType,
}

fn bad_request(what: &str) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, format!("Bad Request ({what})"))
}

impl RegistrationQuery {
    /// Reads the UAR inputs from `register`; `home_domain` stands in for a missing
    /// P-Visited-Network-ID. A malformed To, Contact or Expires is refused 400.
    pub fn from_register(register: &Message, home_domain: &str) -> Result<Self, Refusal> {
        let to = register.to().map_err(|_| bad_request("malformed To"))?;
        let impu = to.uri.to_owned();
        let impi = match authorization_username(register) {
            Some(u) => u,
            None => impi_from_impu(&impu).ok_or_else(|| bad_request("malformed To URI"))?,
        };
        let visited_network = register
            .header(HeaderName::P_VISITED_NETWORK_ID)
            .and_then(|v| VisitedNetworkId::parse(v).ok())
            .map_or_else(|| home_domain.to_owned(), |v| v.network.to_owned());
        let authorization_type = if removes_every_binding(register)? {
            AuthorizationType::DeRegistration
        } else {
            AuthorizationType::Registration
        };
        Ok(Self {
            impi,
            impu,
            visited_network,
            authorization_type,
        })
    }

    /// The UAR, with `authorization_type` (REGISTRATION_AND_CAPABILITIES for a reselection)
    /// or the query's own.
    pub fn uar(&self, authorization_type: Option<AuthorizationType>) -> UarRequest<'_> {
        UarRequest {
            impi: &self.impi,
            impu: &self.impu,
            visited_network: &self.visited_network,
            authorization_type: Some(authorization_type.unwrap_or(self.authorization_type)),
        }
    }
}

/// The username of the first Authorization header that has one (TS 24.229 §5.3.1.2).
fn authorization_username(register: &Message) -> Option<String> {
    register
        .header_lines(HeaderName::AUTHORIZATION)
        .filter_map(|v| Credentials::parse(v).ok())
        .find_map(|c| c.username().filter(|u| !u.is_empty()).map(str::to_owned))
}

/// The private identity derived from a public one: the URI without scheme, port and
/// parameters (TS 24.229 §5.3.1.2), i.e. `user@host`.
pub fn impi_from_impu(impu: &str) -> Option<String> {
    match Uri::parse(impu).ok()? {
        Uri::Sip(u) => Some(match u.user {
            Some(user) => format!("{user}@{}", u.host_str),
            None => u.host_str.to_owned(),
        }),
        Uri::Tel { number, .. } => Some(number.to_owned()),
        Uri::Other { .. } => None,
    }
}

/// Whether the REGISTER removes every binding: `Contact: *` with `Expires: 0`, or every
/// contact with expires 0 (its parameter, else the Expires header). A query (no Contact)
/// is not a de-registration.
fn removes_every_binding(register: &Message) -> Result<bool, Refusal> {
    let expires = register
        .expires()
        .map_err(|_| bad_request("malformed Expires"))?;
    let list = contacts(register)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad_request("malformed Contact"))?;
    Ok(!list.is_empty()
        && list.iter().all(|c| match c {
            Contact::Star => expires == Some(0),
            Contact::Addr(_) => c.expires().or(expires) == Some(0),
        }))
}

/// The Public-Identity of the LIR for a terminating request: the Request-URI without port and
/// parameters; a SIP URI with `user=phone` becomes the tel URI of its user part. Schemes
/// other than sip, sips and tel are refused 416.
pub fn location_identity(request_uri: &str) -> Result<String, Refusal> {
    let uri = Uri::parse(request_uri).map_err(|_| bad_request("malformed Request-URI"))?;
    match uri {
        Uri::Sip(u) => {
            let phone = u
                .params
                .get("user")
                .flatten()
                .is_some_and(|v| v.eq_ignore_ascii_case("phone"));
            let scheme = if u.secure { "sips" } else { "sip" };
            Ok(match u.user {
                Some(user) if phone => format!("tel:{user}"),
                Some(user) => format!("{scheme}:{user}@{}", u.host_str),
                None => format!("{scheme}:{}", u.host_str),
            })
        }
        Uri::Tel { number, .. } => Ok(format!("tel:{number}")),
        Uri::Other { .. } => Err(Refusal::new(
            StatusCode::UNSUPPORTED_URI_SCHEME,
            "Unsupported URI Scheme",
        )),
    }
}

/// The LIR for `impu` (terminating, not on behalf of an originating user).
pub fn lir(impu: &str, authorization_type: Option<AuthorizationType>) -> LirRequest<'_> {
    LirRequest {
        impu,
        originating: false,
        authorization_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn register(extra: &str) -> Message {
        let text = format!(
            "REGISTER sip:ims.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1\r\n\
             Max-Forwards: 70\r\nFrom: <sip:alice@ims.test>;tag=a\r\n\
             To: \"Alice\" <sip:alice@ims.test:5060;transport=udp>\r\nCall-ID: c1\r\n\
             CSeq: 1 REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        Message::parse(Bytes::from(text)).unwrap()
    }

    #[test]
    fn register_fields_and_defaults() {
        let q = RegistrationQuery::from_register(
            &register("Contact: <sip:alice@10.0.0.1>;expires=600\r\n"),
            "ims.test",
        )
        .unwrap();
        assert_eq!(q.impu, "sip:alice@ims.test:5060;transport=udp");
        assert_eq!(q.impi, "alice@ims.test");
        assert_eq!(q.visited_network, "ims.test");
        assert_eq!(q.authorization_type, AuthorizationType::Registration);

        let q = RegistrationQuery::from_register(
            &register(
                "Authorization: Digest username=\"alice-private@ims.test\", realm=\"ims.test\", \
                 nonce=\"\", uri=\"sip:ims.test\", response=\"\"\r\n\
                 P-Visited-Network-ID: \"Visited Network\"\r\nContact: <sip:a@10.0.0.1>\r\n",
            ),
            "ims.test",
        )
        .unwrap();
        assert_eq!(q.impi, "alice-private@ims.test");
        assert_eq!(q.visited_network, "Visited Network");
        assert_eq!(
            q.uar(Some(AuthorizationType::RegistrationAndCapabilities))
                .authorization_type,
            Some(AuthorizationType::RegistrationAndCapabilities)
        );
    }

    #[test]
    fn deregistration_needs_every_binding_removed() {
        let cases = [
            ("Contact: <sip:a@10.0.0.1>;expires=0\r\n", true),
            ("Contact: *\r\nExpires: 0\r\n", true),
            ("Contact: <sip:a@10.0.0.1>\r\nExpires: 0\r\n", true),
            (
                "Contact: <sip:a@10.0.0.1>;expires=0, <sip:a@10.0.0.2>;expires=60\r\n",
                false,
            ),
            (
                "Contact: <sip:a@10.0.0.1>;expires=300\r\nExpires: 0\r\n",
                false,
            ),
            ("Expires: 0\r\n", false),
            ("", false),
        ];
        for (headers, dereg) in cases {
            let q = RegistrationQuery::from_register(&register(headers), "ims.test").unwrap();
            let want = if dereg {
                AuthorizationType::DeRegistration
            } else {
                AuthorizationType::Registration
            };
            assert_eq!(q.authorization_type, want, "{headers}");
        }
        let err = RegistrationQuery::from_register(&register("Expires: soon\r\n"), "ims.test")
            .unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn location_identities() {
        assert_eq!(
            location_identity("sip:bob@ims.test:5060;transport=tcp").unwrap(),
            "sip:bob@ims.test"
        );
        assert_eq!(
            location_identity("sip:+4930123@ims.test;user=phone").unwrap(),
            "tel:+4930123"
        );
        assert_eq!(
            location_identity("tel:+4930123;phone-context=ims.test").unwrap(),
            "tel:+4930123"
        );
        assert_eq!(
            location_identity("mailto:bob@ims.test").unwrap_err().status,
            StatusCode::UNSUPPORTED_URI_SCHEME
        );
        assert_eq!(
            location_identity("sip:").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(impi_from_impu("tel:+1234").as_deref(), Some("+1234"));
        assert_eq!(impi_from_impu("sip:ims.test").as_deref(), Some("ims.test"));
    }
}
