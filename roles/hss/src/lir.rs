//! LIR → LIA (TS 29.228 §6.1.4, TS 29.229 §6.1.5/§6.1.6): which S-CSCF serves an identity,
//! for the I-CSCF routing a terminating request.

use bytes::Bytes;
use diameter_codec::generated::cx::{avp as x, view, UserAuthorizationType};
use diameter_codec::{Message, WriteAvps};
use ims_store::{IdentityType, PublicIdentity, RegistrationState};

use crate::answer::{finish, start, Fault, Outcome};
use crate::handler::{cx_codes as c, Hss};
use crate::user_data::has_unregistered_services;

impl Hss {
    pub(crate) async fn lir(&self, req: &Message) -> Result<Bytes, Fault> {
        let v = view::Lir(req);
        let impu = v.public_identity()?;
        let caps_asked = v.user_authorization_type()?
            == Some(UserAuthorizationType::REGISTRATION_AND_CAPABILITIES);
        let public = self
            .store
            .find_public(impu.as_str())
            .await?
            .ok_or_else(|| Fault::experimental(c::USER_UNKNOWN))?;
        let reg = self.store.registration(&public.impu).await?;
        let (host, realm) = (&self.config.origin_host, &self.config.origin_realm);
        if caps_asked {
            let mut a = start(req, Outcome::Base(c::SUCCESS), host, realm);
            self.put_server_capabilities(&mut a).await?;
            return Ok(finish(req, a, None));
        }
        let (outcome, name) = match (reg.state, reg.scscf_name) {
            (RegistrationState::Registered, Some(n)) => (Outcome::Base(c::SUCCESS), Some(n)),
            (RegistrationState::Unregistered, Some(n)) => {
                (Outcome::Experimental(c::UNREGISTERED_SERVICE), Some(n))
            }
            (_, n) if self.serves_unregistered(&public).await => {
                (Outcome::Experimental(c::UNREGISTERED_SERVICE), n)
            }
            _ => return Err(Fault::experimental(c::IDENTITY_NOT_REGISTERED)),
        };
        let mut a = start(req, outcome, host, realm);
        match name {
            Some(n) => {
                a.put(&x::SERVER_NAME, n.as_str());
            }
            None => self.put_server_capabilities(&mut a).await?,
        }
        if let IdentityType::WildcardedPsi { .. } = public.identity_type {
            a.put(&x::WILDCARDED_PUBLIC_IDENTITY, public.impu.as_str());
        }
        Ok(finish(req, a, None))
    }

    /// PSIs are always served; a user identity only if its profile has iFCs for the
    /// unregistered state (TS 29.228 §6.1.4.1). Unreadable profiles count as "no".
    async fn serves_unregistered(&self, p: &PublicIdentity) -> bool {
        if p.identity_type != IdentityType::PublicUser {
            return true;
        }
        match self.service_profile(&p.service_profile).await {
            Ok(sp) => has_unregistered_services(&sp),
            Err(e) => {
                tracing::warn!(error = %e, impu = %p.impu, "service profile unreadable");
                false
            }
        }
    }
}
