//! SAR → SAA (TS 29.228 §6.1.2, Table 6.1.2.1; TS 29.229 §6.1.3/§6.1.4): the S-CSCF tells the
//! HSS it now serves (or stopped serving) an identity; registration downloads User-Data.

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cx::{
    avp as x, view, ServerAssignmentType as Sat, UserDataAlreadyAvailable,
};
use diameter_codec::{AvpContainer, Message, MessageBuilder, WriteAvps};
use ims_store::{ImpuRegistration, PublicIdentity, RegistrationState};

use crate::answer::{finish, start, Fault, Outcome};
use crate::handler::{cx_codes as c, Hss};

/// What a SAR resolved to: the private identity, the first public identity and the
/// identities the assignment applies to.
struct Target {
    impi: String,
    primary: PublicIdentity,
    identities: Vec<PublicIdentity>,
}

impl Hss {
    pub(crate) async fn sar(&self, req: &Message) -> Result<Bytes, Fault> {
        let v = view::Sar(req);
        let sat = v.server_assignment_type()?;
        let server_name = v.server_name()?;
        let origin_host = v.origin_host()?;
        let udaa = v.user_data_already_available()?;
        let t = self.sar_target(req).await?;
        let (name, host) = (server_name.as_str(), origin_host.as_str());
        let reg = self.store.registration(&t.primary.impu).await?;
        let held_by_other = reg.state != RegistrationState::NotRegistered
            && reg.scscf_name.as_deref().is_some_and(|n| n != name);
        let assigned = |state| ImpuRegistration {
            state,
            scscf_name: Some(name.to_owned()),
            origin_host: Some(host.to_owned()),
        };
        let mut download = false;
        match sat {
            Sat::REGISTRATION | Sat::RE_REGISTRATION | Sat::UNREGISTERED_USER => {
                if held_by_other {
                    return Ok(self.already_registered(req, reg.scscf_name.as_deref()));
                }
                let state = if sat == Sat::UNREGISTERED_USER
                    && reg.state != RegistrationState::Registered
                {
                    RegistrationState::Unregistered
                } else {
                    RegistrationState::Registered
                };
                self.set_all(&t.identities, &assigned(state)).await?;
                download = udaa != UserDataAlreadyAvailable::USER_DATA_ALREADY_AVAILABLE;
            }
            Sat::TIMEOUT_DEREGISTRATION
            | Sat::USER_DEREGISTRATION
            | Sat::ADMINISTRATIVE_DEREGISTRATION
            | Sat::DEREGISTRATION_TOO_MUCH_DATA => {
                self.set_all(&t.identities, &ImpuRegistration::default())
                    .await?;
            }
            Sat::TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME
            | Sat::USER_DEREGISTRATION_STORE_SERVER_NAME => {
                // The S-CSCF keeps serving the user for unregistered services (TS 24.228
                // §5.4.1.x flows: the identity is stored as "unregistered").
                self.set_all(&t.identities, &assigned(RegistrationState::Unregistered))
                    .await?;
            }
            Sat::AUTHENTICATION_FAILURE | Sat::AUTHENTICATION_TIMEOUT => {
                // TS 29.228 §6.1.2.1: a user not registered goes back to no S-CSCF (forget
                // the name its MAR stored); a registered or unregistered user keeps its
                // assignment. A name another S-CSCF's later MAR stored is not ours to clear
                // (§8.1).
                let ours = reg.scscf_name.as_deref().is_none_or(|n| n == name);
                if reg.state == RegistrationState::NotRegistered && ours {
                    self.set_all(&t.identities, &ImpuRegistration::default())
                        .await?;
                }
            }
            Sat::NO_ASSIGNMENT => {
                if reg.scscf_name.as_deref() != Some(name) {
                    return Err(Fault::base(c::UNABLE_TO_COMPLY));
                }
                download = udaa != UserDataAlreadyAvailable::USER_DATA_ALREADY_AVAILABLE;
            }
            Sat(12..=14) => return Err(Fault::experimental(c::IN_ASSIGNMENT_TYPE)),
            _ => {
                let raw = req
                    .find(x::SERVER_ASSIGNMENT_TYPE.code())?
                    .map(|a| a.raw().clone());
                return Err(Fault::Reject(Outcome::Base(c::INVALID_AVP_VALUE), raw));
            }
        }
        let (ohost, orealm) = (&self.config.origin_host, &self.config.origin_realm);
        let mut a = start(req, Outcome::Base(c::SUCCESS), ohost, orealm);
        if !t.impi.is_empty() {
            a.put(&b::USER_NAME, t.impi.as_str());
        }
        if download {
            let xml = self.user_data(&t.impi, &t.identities).await.map_err(|e| {
                tracing::warn!(error = %e, impi = %t.impi, "cannot build User-Data");
                Fault::base(c::UNABLE_TO_COMPLY)
            })?;
            a.put(&x::USER_DATA, xml.as_bytes());
            self.put_charging_information(&mut a);
            if t.primary.impis.len() > 1 {
                a.put_grouped(&x::ASSOCIATED_IDENTITIES, |g| {
                    for i in &t.primary.impis {
                        g.put(&b::USER_NAME, i.as_str());
                    }
                });
            }
        }
        Ok(finish(req, a, None))
    }

    /// Resolves the identities of a SAR (TS 29.228 §6.1.2): the implicit sets of the listed
    /// Public-Identity AVPs, or, with only User-Name, every public identity of the IMPI.
    async fn sar_target(&self, req: &Message) -> Result<Target, Fault> {
        let v = view::Sar(req);
        let impi = v.user_name()?;
        let impus = v.public_identity()?;
        let unknown = || Fault::experimental(c::USER_UNKNOWN);
        let Some(first) = impus.first() else {
            let Some(impi) = impi else {
                // Neither identity: Public-Identity is the one missing (§6.1.2).
                return Err(req.require(&x::PUBLIC_IDENTITY).err().map_or(
                    Fault::base(diameter_codec::ResultCode::DIAMETER_MISSING_AVP.0),
                    Fault::Codec,
                ));
            };
            let private = self
                .store
                .get_private(impi.as_str())
                .await?
                .ok_or_else(unknown)?;
            let identities = self.store.public_identities_of(&private.impi).await?;
            let primary = identities.first().cloned().ok_or_else(unknown)?;
            return Ok(Target {
                impi: private.impi,
                primary,
                identities,
            });
        };
        let (impi, primary) = match impi {
            Some(i) => {
                let (p, public) = self.pair(i.as_str(), first.as_str()).await?;
                (p.impi, public)
            }
            None => {
                let public = self
                    .store
                    .find_public(first.as_str())
                    .await?
                    .ok_or_else(unknown)?;
                let impi = public.impis.first().cloned().unwrap_or_default();
                (impi, public)
            }
        };
        let mut identities: Vec<PublicIdentity> = Vec::new();
        for u in &impus {
            let Some(p) = self.store.find_public(u.as_str()).await? else {
                return Err(unknown());
            };
            let set = self.store.implicit_set(&p.impu).await?;
            for member in if set.is_empty() { vec![p] } else { set } {
                if !identities.iter().any(|i| i.impu == member.impu) {
                    identities.push(member);
                }
            }
        }
        Ok(Target {
            impi,
            primary,
            identities,
        })
    }

    /// 5005 DIAMETER_ERROR_IDENTITY_ALREADY_REGISTERED with the Server-Name of the S-CSCF that
    /// holds the identity (TS 29.228 §6.1.2.1, §8.1: other commands never overwrite it).
    fn already_registered(&self, req: &Message, holder: Option<&str>) -> Bytes {
        let (h, r) = (&self.config.origin_host, &self.config.origin_realm);
        let mut a = start(
            req,
            Outcome::Experimental(c::IDENTITY_ALREADY_REGISTERED),
            h,
            r,
        );
        if let Some(name) = holder {
            a.put(&x::SERVER_NAME, name);
        }
        finish(req, a, None)
    }

    async fn set_all(
        &self,
        identities: &[PublicIdentity],
        reg: &ImpuRegistration,
    ) -> Result<(), Fault> {
        for p in identities {
            self.store.set_registration(&p.impu, reg).await?;
        }
        Ok(())
    }

    /// Charging-Information (TS 29.229 §6.3.19) from the configuration, if any address is set.
    pub(crate) fn put_charging_information(&self, a: &mut MessageBuilder) {
        let ch = &self.config.charging;
        if ch.is_empty() {
            return;
        }
        a.put_grouped(&x::CHARGING_INFORMATION, |g| {
            if let Some(u) = &ch.ecf_primary {
                g.put(&x::PRIMARY_EVENT_CHARGING_FUNCTION_NAME, u.as_str());
            }
            if let Some(u) = &ch.ecf_secondary {
                g.put(&x::SECONDARY_EVENT_CHARGING_FUNCTION_NAME, u.as_str());
            }
            if let Some(u) = &ch.ccf_primary {
                g.put(&x::PRIMARY_CHARGING_COLLECTION_FUNCTION_NAME, u.as_str());
            }
            if let Some(u) = &ch.ccf_secondary {
                g.put(&x::SECONDARY_CHARGING_COLLECTION_FUNCTION_NAME, u.as_str());
            }
        });
    }
}
