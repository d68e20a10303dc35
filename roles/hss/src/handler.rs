//! The HSS role: a Cx/Dx request handler over a [`SubscriberStore`] (DESIGN.md principle 4:
//! a role is a handler, not a server). It owns no socket, reads no clock and never
//! fails: every request gets an answer (RFC 6733 §7, TS 29.229 §6.2).

use std::sync::Arc;

use bytes::Bytes;
use diameter_codec::generated::cx;
use diameter_codec::{validate, CommandDef, Message, ResultCode};
use ims_core::aka::SqnConfig;
use ims_store::{PrivateIdentity, PublicIdentity, SubscriberStore};

use crate::answer::{fault_answer, Fault};
use crate::config::HssConfig;
use crate::error::HssError;
use crate::rand_source::RandSource;

/// The HSS Cx server handler (TS 29.228 §6.1, §6.3; TS 29.229).
#[derive(Clone)]
pub struct Hss {
    pub(crate) config: Arc<HssConfig>,
    pub(crate) store: Arc<dyn SubscriberStore>,
    pub(crate) rand: Arc<dyn RandSource>,
    pub(crate) sqn: SqnConfig,
}

impl std::fmt::Debug for Hss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hss")
            .field("origin_host", &self.config.origin_host)
            .finish_non_exhaustive()
    }
}

impl Hss {
    /// A handler answering from `store`, drawing RANDs from `rand`. Fails on an invalid
    /// configuration.
    pub fn new(
        config: HssConfig,
        store: Arc<dyn SubscriberStore>,
        rand: Arc<dyn RandSource>,
    ) -> Result<Self, HssError> {
        config.check()?;
        let sqn = SqnConfig::new(config.sqn_ind_bits, 1 << 28)
            .map_err(|e| HssError::Config(e.to_string()))?;
        Ok(Self {
            config: Arc::new(config),
            store,
            rand,
            sqn,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &HssConfig {
        &self.config
    }

    /// The subscriber store in use.
    pub fn store(&self) -> &Arc<dyn SubscriberStore> {
        &self.store
    }

    /// Answers one Cx request (UAR, SAR, LIR, MAR; TS 29.229 §6.1.1..§6.1.8) with the encoded
    /// answer. Bad input gets the RFC 6733 / TS 29.229 error answer; this never panics.
    pub async fn handle(&self, request: &Message) -> Bytes {
        let h = request.header();
        let (host, realm) = (&self.config.origin_host, &self.config.origin_realm);
        if !h.flags.is_request() || h.flags.is_error() {
            let e = diameter_codec::Error::InvalidHeaderBits;
            return fault_answer(request, &Fault::Codec(e), host, realm);
        }
        if h.application_id != cx::APPLICATION_ID {
            return protocol_answer(
                request,
                ResultCode::DIAMETER_APPLICATION_UNSUPPORTED,
                host,
                realm,
            );
        }
        let cmd: &CommandDef = match h.code {
            c if c == cx::cmd::UAR.code => &cx::cmd::UAR,
            c if c == cx::cmd::SAR.code => &cx::cmd::SAR,
            c if c == cx::cmd::LIR.code => &cx::cmd::LIR,
            c if c == cx::cmd::MAR.code => &cx::cmd::MAR,
            _ => {
                return protocol_answer(
                    request,
                    ResultCode::DIAMETER_COMMAND_UNSUPPORTED,
                    host,
                    realm,
                )
            }
        };
        if let Err(e) = validate(request, cmd) {
            return fault_answer(request, &Fault::Codec(e), host, realm);
        }
        let result = match h.code {
            c if c == cx::cmd::UAR.code => self.uar(request).await,
            c if c == cx::cmd::SAR.code => self.sar(request).await,
            c if c == cx::cmd::LIR.code => self.lir(request).await,
            _ => self.mar(request).await,
        };
        result.unwrap_or_else(|fault| fault_answer(request, &fault, host, realm))
    }

    /// Looks up the IMPI/IMPU pair of a request (TS 29.228 §6.1.1.1 steps 1-2, §6.3.1):
    /// 5001 USER_UNKNOWN if either is unknown, 5002 IDENTITIES_DONT_MATCH if not linked.
    pub(crate) async fn pair(
        &self,
        impi: &str,
        impu: &str,
    ) -> Result<(PrivateIdentity, PublicIdentity), Fault> {
        let user_unknown = || Fault::experimental(cx_codes::USER_UNKNOWN);
        let private = self
            .store
            .get_private(impi)
            .await?
            .ok_or_else(user_unknown)?;
        let public = self
            .store
            .find_public(impu)
            .await?
            .ok_or_else(user_unknown)?;
        if !public.impis.iter().any(|i| i == &private.impi) {
            return Err(Fault::experimental(cx_codes::IDENTITIES_DONT_MATCH));
        }
        Ok((private, public))
    }
}

/// A protocol-error answer (E bit, RFC 6733 §7.1.3): Session-Id, Origin-Host/Realm,
/// Result-Code.
fn protocol_answer(req: &Message, code: ResultCode, host: &str, realm: &str) -> Bytes {
    use diameter_codec::generated::base::avp as b;
    use diameter_codec::{AvpContainer, CommandFlags, MessageBuilder, WriteAvps};
    let mut a = MessageBuilder::answer(req.header());
    a.set_flag(CommandFlags::ERROR, true);
    if let Ok(Some(sid)) = req.find(b::SESSION_ID.code()) {
        a.put_raw(&sid);
    }
    a.put(&b::ORIGIN_HOST, host)
        .put(&b::ORIGIN_REALM, realm)
        .put(&b::RESULT_CODE, &code.0);
    a.finish()
}

/// Cx result codes (TS 29.229 §6.2) as plain numbers.
pub mod cx_codes {
    /// DIAMETER_SUCCESS (RFC 6733 §7.1.2).
    pub const SUCCESS: u32 = 2001;
    /// DIAMETER_FIRST_REGISTRATION (TS 29.229 §6.2.1.1).
    pub const FIRST_REGISTRATION: u32 = 2001;
    /// DIAMETER_SUBSEQUENT_REGISTRATION (§6.2.1.2).
    pub const SUBSEQUENT_REGISTRATION: u32 = 2002;
    /// DIAMETER_UNREGISTERED_SERVICE (§6.2.1.3).
    pub const UNREGISTERED_SERVICE: u32 = 2003;
    /// DIAMETER_SUCCESS_SERVER_NAME_NOT_STORED (§6.2.1.4).
    pub const SUCCESS_SERVER_NAME_NOT_STORED: u32 = 2004;
    /// DIAMETER_AUTHORIZATION_REJECTED (RFC 6733 §7.1.5), a base Result-Code.
    pub const AUTHORIZATION_REJECTED: u32 = 5003;
    /// DIAMETER_INVALID_AVP_VALUE (RFC 6733 §7.1.5).
    pub const INVALID_AVP_VALUE: u32 = 5004;
    /// DIAMETER_UNABLE_TO_COMPLY (RFC 6733 §7.1.5).
    pub const UNABLE_TO_COMPLY: u32 = 5012;
    /// DIAMETER_ERROR_USER_UNKNOWN (§6.2.2.1).
    pub const USER_UNKNOWN: u32 = 5001;
    /// DIAMETER_ERROR_IDENTITIES_DONT_MATCH (§6.2.2.2).
    pub const IDENTITIES_DONT_MATCH: u32 = 5002;
    /// DIAMETER_ERROR_IDENTITY_NOT_REGISTERED (§6.2.2.3).
    pub const IDENTITY_NOT_REGISTERED: u32 = 5003;
    /// DIAMETER_ERROR_ROAMING_NOT_ALLOWED (§6.2.2.4).
    pub const ROAMING_NOT_ALLOWED: u32 = 5004;
    /// DIAMETER_ERROR_IDENTITY_ALREADY_REGISTERED (§6.2.2.5).
    pub const IDENTITY_ALREADY_REGISTERED: u32 = 5005;
    /// DIAMETER_ERROR_AUTH_SCHEME_NOT_SUPPORTED (§6.2.2.6).
    pub const AUTH_SCHEME_NOT_SUPPORTED: u32 = 5006;
    /// DIAMETER_ERROR_IN_ASSIGNMENT_TYPE (§6.2.2.7).
    pub const IN_ASSIGNMENT_TYPE: u32 = 5007;
    /// DIAMETER_ERROR_TOO_MUCH_DATA (§6.2.2.8).
    pub const TOO_MUCH_DATA: u32 = 5008;
}
