//! HSS-initiated procedures: RTR/RTA (TS 29.228 §6.1.3, TS 29.229 §6.1.9/§6.1.10) to
//! de-register a user, PPR/PPA (TS 29.228 §6.2.2, TS 29.229 §6.1.11/§6.1.12) to push a
//! changed profile. The lead sends the built request over diameter-net and hands the answer
//! back here.

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::base::AuthSessionState;
use diameter_codec::generated::cx::{self, avp as x, ReasonCode};
use diameter_codec::{validate, CommandDef, Message, MessageBuilder, WriteAvps};
use ims_store::{ImpuRegistration, PublicIdentity, RegistrationState};

use crate::answer::{answer_result, put_vendor_app, Outcome};
use crate::error::HssError;
use crate::handler::{cx_codes as c, Hss};

/// An HSS-initiated request, ready to send to the S-CSCF that serves the identities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    /// The encoded request.
    pub message: Bytes,
    /// Destination-Host: the Diameter identity of the assigned S-CSCF.
    pub destination_host: String,
    /// Destination-Realm.
    pub destination_realm: String,
    /// The private identity (User-Name).
    pub impi: String,
    /// The public identities concerned.
    pub impus: Vec<String>,
}

/// Where the request goes: identities assigned to one S-CSCF.
struct Served {
    impi: String,
    destination_host: String,
    identities: Vec<PublicIdentity>,
}

impl Hss {
    async fn served(&self, impu: &str) -> Result<Served, HssError> {
        let public = self
            .store
            .find_public(impu)
            .await?
            .ok_or_else(|| HssError::UnknownIdentity(impu.to_owned()))?;
        let reg = self.store.registration(&public.impu).await?;
        let (Some(name), Some(host), false) = (
            reg.scscf_name.clone(),
            reg.origin_host.clone(),
            reg.state == RegistrationState::NotRegistered,
        ) else {
            return Err(HssError::NotAssigned(impu.to_owned()));
        };
        let mut identities = Vec::new();
        for p in self.store.implicit_set(&public.impu).await? {
            let r = self.store.registration(&p.impu).await?;
            if r.scscf_name.as_deref() == Some(name.as_str()) {
                identities.push(p);
            }
        }
        if identities.is_empty() {
            identities.push(public.clone());
        }
        Ok(Served {
            impi: public.impis.first().cloned().unwrap_or_default(),
            destination_host: host,
            identities,
        })
    }

    fn begin_request(
        &self,
        cmd: &CommandDef,
        session_id: &str,
        hop_by_hop: u32,
        end_to_end: u32,
        s: &Served,
    ) -> MessageBuilder {
        let mut r = MessageBuilder::request(cmd, hop_by_hop, end_to_end);
        r.put(&b::SESSION_ID, session_id);
        put_vendor_app(&mut r);
        r.put(
            &b::AUTH_SESSION_STATE,
            &AuthSessionState::NO_STATE_MAINTAINED,
        )
        .put(&b::ORIGIN_HOST, self.config.origin_host.as_str())
        .put(&b::ORIGIN_REALM, self.config.origin_realm.as_str())
        .put(&b::DESTINATION_HOST, s.destination_host.as_str())
        .put(&b::DESTINATION_REALM, self.config.scscf_realm())
        .put(&b::USER_NAME, s.impi.as_str());
        r
    }

    fn push_request(&self, r: MessageBuilder, s: Served) -> PushRequest {
        PushRequest {
            message: r.finish(),
            destination_host: s.destination_host,
            destination_realm: self.config.scscf_realm().to_owned(),
            impi: s.impi,
            impus: s.identities.into_iter().map(|p| p.impu).collect(),
        }
    }

    /// Builds an RTR de-registering `impu` and the identities of its implicit set served by
    /// the same S-CSCF (TS 29.228 §6.1.3), with Deregistration-Reason (TS 29.229 §6.3.17).
    pub async fn build_rtr(
        &self,
        impu: &str,
        reason: ReasonCode,
        reason_info: Option<&str>,
        session_id: &str,
        hop_by_hop: u32,
        end_to_end: u32,
    ) -> Result<PushRequest, HssError> {
        let s = self.served(impu).await?;
        let mut r = self.begin_request(&cx::cmd::RTR, session_id, hop_by_hop, end_to_end, &s);
        for p in &s.identities {
            r.put(&x::PUBLIC_IDENTITY, p.impu.as_str());
        }
        r.put_grouped(&x::DEREGISTRATION_REASON, |g| {
            g.put(&x::REASON_CODE, &reason);
            if let Some(info) = reason_info {
                g.put(&x::REASON_INFO, info);
            }
        });
        Ok(self.push_request(r, s))
    }

    /// Handles the RTA to `rtr`: on success the identities become not registered and lose
    /// their S-CSCF (TS 29.228 §6.1.3). Returns the answer's result.
    pub async fn handle_rta(
        &self,
        rtr: &PushRequest,
        answer: &Message,
    ) -> Result<Outcome, HssError> {
        let outcome = checked_result(answer, &cx::cmd::RTA)?;
        if outcome == Outcome::Base(c::SUCCESS) {
            for impu in &rtr.impus {
                self.store
                    .set_registration(impu, &ImpuRegistration::default())
                    .await?;
            }
        }
        Ok(outcome)
    }

    /// Builds a PPR pushing the current User-Data of `impu`'s implicit set (and the
    /// configured Charging-Information) to its S-CSCF (TS 29.228 §6.2.2, §6.5.2.1).
    pub async fn build_ppr(
        &self,
        impu: &str,
        session_id: &str,
        hop_by_hop: u32,
        end_to_end: u32,
    ) -> Result<PushRequest, HssError> {
        let s = self.served(impu).await?;
        let xml = self.user_data(&s.impi, &s.identities).await?;
        let mut r = self.begin_request(&cx::cmd::PPR, session_id, hop_by_hop, end_to_end, &s);
        r.put(&x::USER_DATA, xml.as_bytes());
        self.put_charging_information(&mut r);
        Ok(self.push_request(r, s))
    }

    /// Handles a PPA (TS 29.228 §6.2.2.1): returns its result; nothing changes in the store.
    pub fn handle_ppa(&self, answer: &Message) -> Result<Outcome, HssError> {
        checked_result(answer, &cx::cmd::PPA)
    }
}

fn checked_result(answer: &Message, cmd: &CommandDef) -> Result<Outcome, HssError> {
    validate(answer, cmd).map_err(|e| HssError::Answer(e.to_string()))?;
    answer_result(answer).ok_or_else(|| HssError::Answer("no Result-Code".into()))
}
