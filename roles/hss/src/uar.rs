//! UAR → UAA (TS 29.228 §6.1.1, Table 6.1.1.1; TS 29.229 §6.1.1/§6.1.2): authorise a
//! registration attempt and tell the I-CSCF which S-CSCF serves the user.

use bytes::Bytes;
use diameter_codec::generated::cx::{avp as x, view, UserAuthorizationType};
use diameter_codec::{AvpContainer, Message, WriteAvps};
use ims_store::RegistrationState;

use crate::answer::{finish, start, Fault, Outcome};
use crate::handler::{cx_codes as c, Hss};

impl Hss {
    pub(crate) async fn uar(&self, req: &Message) -> Result<Bytes, Fault> {
        let v = view::Uar(req);
        let impi = v.user_name()?;
        let impu = v.public_identity()?;
        let visited = v.visited_network_identifier()?;
        let uat = v
            .user_authorization_type()?
            .unwrap_or(UserAuthorizationType::REGISTRATION);
        if !matches!(
            uat,
            UserAuthorizationType::REGISTRATION
                | UserAuthorizationType::DE_REGISTRATION
                | UserAuthorizationType::REGISTRATION_AND_CAPABILITIES
        ) {
            let raw = req
                .find(x::USER_AUTHORIZATION_TYPE.code())?
                .map(|a| a.raw().clone());
            return Err(Fault::Reject(Outcome::Base(c::INVALID_AVP_VALUE), raw));
        }
        let (_, public) = self.pair(impi.as_str(), impu.as_str()).await?;
        let dereg = uat == UserAuthorizationType::DE_REGISTRATION;
        // Step 3: barring (only when every identity of the implicit set is barred).
        if !dereg && public.barred {
            let set = self.store.implicit_set(&public.impu).await?;
            if set.iter().all(|p| p.barred) {
                return Err(Fault::base(c::AUTHORIZATION_REJECTED));
            }
        }
        // Step 4: roaming agreement.
        if !dereg && !self.config.visited_network_allowed(&visited) {
            return Err(Fault::experimental(c::ROAMING_NOT_ALLOWED));
        }
        let reg = self.store.registration(&public.impu).await?;
        let (host, realm) = (&self.config.origin_host, &self.config.origin_realm);
        if dereg {
            // Step 5: de-registration: the S-CSCF holding the identity, if any.
            return match (reg.state, reg.scscf_name) {
                (RegistrationState::NotRegistered, _) | (_, None) => {
                    Err(Fault::experimental(c::IDENTITY_NOT_REGISTERED))
                }
                (_, Some(name)) => {
                    let mut a = start(req, Outcome::Base(c::SUCCESS), host, realm);
                    a.put(&x::SERVER_NAME, name.as_str());
                    Ok(finish(req, a, None))
                }
            };
        }
        let with_caps = uat == UserAuthorizationType::REGISTRATION_AND_CAPABILITIES;
        let (outcome, name) = match (reg.state, reg.scscf_name) {
            _ if with_caps => (c::FIRST_REGISTRATION, None),
            (RegistrationState::Registered, Some(n)) => (c::SUBSEQUENT_REGISTRATION, Some(n)),
            (RegistrationState::Unregistered, Some(n)) => (c::UNREGISTERED_SERVICE, Some(n)),
            (_, n) => (c::FIRST_REGISTRATION, n),
        };
        let mut a = start(req, Outcome::Experimental(outcome), host, realm);
        match name {
            Some(n) => {
                a.put(&x::SERVER_NAME, n.as_str());
            }
            None => self.put_server_capabilities(&mut a).await?,
        }
        Ok(finish(req, a, None))
    }
}
