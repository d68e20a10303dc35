//! The result of a Cx answer (TS 29.229 §6.2): a base Result-Code (RFC 6733 §7.1) or an
//! Experimental-Result of vendor 3GPP.

use std::fmt;

use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::base::ExperimentalResultCode as Erc;
use diameter_codec::{AvpContainer, ResultCode, WriteAvps};

use crate::error::CxError;
use crate::identity::VENDOR_3GPP;

/// The Experimental-Result-Codes of Cx (TS 29.229 §6.2.1, §6.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExperimentalCode {
    /// 2001 DIAMETER_FIRST_REGISTRATION (§6.2.1.1).
    FirstRegistration,
    /// 2002 DIAMETER_SUBSEQUENT_REGISTRATION (§6.2.1.2).
    SubsequentRegistration,
    /// 2003 DIAMETER_UNREGISTERED_SERVICE (§6.2.1.3).
    UnregisteredService,
    /// 2004 DIAMETER_SUCCESS_SERVER_NAME_NOT_STORED (§6.2.1.4).
    SuccessServerNameNotStored,
    /// 5001 DIAMETER_ERROR_USER_UNKNOWN (§6.2.2.1).
    UserUnknown,
    /// 5002 DIAMETER_ERROR_IDENTITIES_DONT_MATCH (§6.2.2.2).
    IdentitiesDontMatch,
    /// 5003 DIAMETER_ERROR_IDENTITY_NOT_REGISTERED (§6.2.2.3).
    IdentityNotRegistered,
    /// 5004 DIAMETER_ERROR_ROAMING_NOT_ALLOWED (§6.2.2.4).
    RoamingNotAllowed,
    /// 5005 DIAMETER_ERROR_IDENTITY_ALREADY_REGISTERED (§6.2.2.5).
    IdentityAlreadyRegistered,
    /// 5006 DIAMETER_ERROR_AUTH_SCHEME_NOT_SUPPORTED (§6.2.2.6).
    AuthSchemeNotSupported,
    /// 5007 DIAMETER_ERROR_IN_ASSIGNMENT_TYPE (§6.2.2.7).
    InAssignmentType,
    /// 5008 DIAMETER_ERROR_TOO_MUCH_DATA (§6.2.2.8).
    TooMuchData,
    /// 5009 DIAMETER_ERROR_NOT_SUPPORTED_USER_DATA (§6.2.2.9).
    NotSupportedUserData,
    /// 5011 DIAMETER_ERROR_FEATURE_UNSUPPORTED (TS 29.229 §6.2.2.10).
    FeatureUnsupported,
    /// 5012 DIAMETER_ERROR_SERVING_NODE_FEATURE_UNSUPPORTED (§6.2.2.11).
    ServingNodeFeatureUnsupported,
    /// A code this crate does not name (never one of the codes above).
    Other(u32),
}

const NAMED: [(ExperimentalCode, Erc); 15] = {
    use ExperimentalCode as X;
    [
        (X::FirstRegistration, Erc::DIAMETER_FIRST_REGISTRATION),
        (
            X::SubsequentRegistration,
            Erc::DIAMETER_SUBSEQUENT_REGISTRATION,
        ),
        (X::UnregisteredService, Erc::DIAMETER_UNREGISTERED_SERVICE),
        (
            X::SuccessServerNameNotStored,
            Erc::DIAMETER_SUCCESS_SERVER_NAME_NOT_STORED,
        ),
        (X::UserUnknown, Erc::DIAMETER_ERROR_USER_UNKNOWN),
        (
            X::IdentitiesDontMatch,
            Erc::DIAMETER_ERROR_IDENTITIES_DONT_MATCH,
        ),
        (
            X::IdentityNotRegistered,
            Erc::DIAMETER_ERROR_IDENTITY_NOT_REGISTERED,
        ),
        (
            X::RoamingNotAllowed,
            Erc::DIAMETER_ERROR_ROAMING_NOT_ALLOWED,
        ),
        (
            X::IdentityAlreadyRegistered,
            Erc::DIAMETER_ERROR_IDENTITY_ALREADY_REGISTERED,
        ),
        (
            X::AuthSchemeNotSupported,
            Erc::DIAMETER_ERROR_AUTH_SCHEME_NOT_SUPPORTED,
        ),
        (X::InAssignmentType, Erc::DIAMETER_ERROR_IN_ASSIGNMENT_TYPE),
        (X::TooMuchData, Erc::DIAMETER_ERROR_TOO_MUCH_DATA),
        (
            X::NotSupportedUserData,
            Erc::DIAMETER_ERROR_NOT_SUPPORTED_USER_DATA,
        ),
        (
            X::FeatureUnsupported,
            Erc::DIAMETER_ERROR_FEATURE_UNSUPPORTED,
        ),
        (
            X::ServingNodeFeatureUnsupported,
            Erc::DIAMETER_ERROR_SERVING_NODE_FEATURE_UNSUPPORTED,
        ),
    ]
};

impl ExperimentalCode {
    /// The code's variant; unnamed codes become [`ExperimentalCode::Other`].
    pub fn from_code(code: u32) -> Self {
        NAMED
            .iter()
            .find(|(_, c)| c.0 == code)
            .map_or(Self::Other(code), |(x, _)| *x)
    }

    /// The numeric Experimental-Result-Code.
    pub fn code(self) -> u32 {
        match self {
            Self::Other(c) => c,
            named => NAMED
                .iter()
                .find(|(x, _)| *x == named)
                .map_or(0, |(_, c)| c.0),
        }
    }
}

/// The result of a Cx answer (TS 29.229 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CxResult {
    /// A Result-Code (RFC 6733 §7.1), e.g. DIAMETER_SUCCESS or DIAMETER_UNABLE_TO_COMPLY.
    Base(ResultCode),
    /// An Experimental-Result-Code with Vendor-Id 10415 (TS 29.229 §6.2).
    Experimental(ExperimentalCode),
    /// An Experimental-Result of another vendor.
    OtherVendor {
        /// Its Vendor-Id.
        vendor_id: u32,
        /// Its Experimental-Result-Code.
        code: u32,
    },
}

impl CxResult {
    /// DIAMETER_SUCCESS (2001) as a base Result-Code.
    pub const SUCCESS: Self = Self::Base(ResultCode::DIAMETER_SUCCESS);

    /// The numeric code, base or experimental.
    pub fn code(&self) -> u32 {
        match self {
            Self::Base(c) => c.0,
            Self::Experimental(x) => x.code(),
            Self::OtherVendor { code, .. } => *code,
        }
    }

    /// Success: a 2xxx code of either kind (RFC 6733 §7.1.2, TS 29.229 §6.2.1).
    pub fn is_success(&self) -> bool {
        (2000..3000).contains(&self.code())
    }

    /// A transient failure (4xxx, RFC 6733 §7.1.4): the request may be retried.
    pub fn is_transient_failure(&self) -> bool {
        (4000..5000).contains(&self.code())
    }

    /// A permanent failure (5xxx, RFC 6733 §7.1.5, TS 29.229 §6.2.2).
    pub fn is_permanent_failure(&self) -> bool {
        (5000..6000).contains(&self.code())
    }

    /// Whether this is the 3GPP Experimental-Result `code`.
    pub fn is(&self, code: ExperimentalCode) -> bool {
        *self == Self::Experimental(code)
    }

    /// Reads Result-Code, else Experimental-Result { Vendor-Id, Experimental-Result-Code }.
    pub(crate) fn read<C: AvpContainer>(answer: &C) -> Result<Self, CxError> {
        if let Some(c) = answer.get(&b::RESULT_CODE)? {
            return Ok(Self::Base(ResultCode(c)));
        }
        let Some(er) = answer.get(&b::EXPERIMENTAL_RESULT)? else {
            return Err(CxError::MissingAvp {
                avp: b::RESULT_CODE.meta.name,
            });
        };
        let vendor_id = er.require(&b::VENDOR_ID)?;
        let code = er.require(&b::EXPERIMENTAL_RESULT_CODE)?;
        Ok(if vendor_id == VENDOR_3GPP {
            Self::Experimental(ExperimentalCode::from_code(code))
        } else {
            Self::OtherVendor { vendor_id, code }
        })
    }

    /// Writes the result as Result-Code or Experimental-Result.
    pub(crate) fn put<W: WriteAvps>(&self, w: &mut W) {
        let (vendor, code) = match self {
            Self::Base(c) => {
                w.put(&b::RESULT_CODE, &c.0);
                return;
            }
            Self::Experimental(x) => (VENDOR_3GPP, x.code()),
            Self::OtherVendor { vendor_id, code } => (*vendor_id, *code),
        };
        w.put_grouped(&b::EXPERIMENTAL_RESULT, |g| {
            g.put(&b::VENDOR_ID, &vendor)
                .put(&b::EXPERIMENTAL_RESULT_CODE, &code);
        });
    }
}

impl fmt::Display for CxResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Base(c) => write!(f, "Result-Code {}", c.0),
            Self::Experimental(ExperimentalCode::Other(c)) => {
                write!(f, "Experimental-Result-Code {c}")
            }
            Self::Experimental(x) => write!(f, "Experimental-Result-Code {} ({x:?})", x.code()),
            Self::OtherVendor { vendor_id, code } => {
                write!(f, "Experimental-Result-Code {code} of vendor {vendor_id}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::cx;
    use diameter_codec::{Message, MessageBuilder};

    #[test]
    fn codes_round_trip() {
        for (x, c) in NAMED {
            assert_eq!(ExperimentalCode::from_code(c.0), x);
            assert_eq!(x.code(), c.0);
        }
        assert_eq!(
            ExperimentalCode::from_code(5999),
            ExperimentalCode::Other(5999)
        );
        assert_eq!(ExperimentalCode::Other(5999).code(), 5999);
    }

    #[test]
    fn success_and_failure_classes() {
        assert!(CxResult::SUCCESS.is_success());
        assert!(CxResult::Experimental(ExperimentalCode::UnregisteredService).is_success());
        let unknown = CxResult::Experimental(ExperimentalCode::UserUnknown);
        assert!(!unknown.is_success() && unknown.is_permanent_failure());
        assert!(unknown.is(ExperimentalCode::UserUnknown));
        assert!(CxResult::Base(ResultCode::DIAMETER_AUTHENTICATION_REJECTED).is_transient_failure());
        assert_eq!(
            unknown.to_string(),
            "Experimental-Result-Code 5001 (UserUnknown)"
        );
    }

    #[test]
    fn written_results_read_back() {
        for r in [
            CxResult::SUCCESS,
            CxResult::Experimental(ExperimentalCode::FirstRegistration),
            CxResult::OtherVendor {
                vendor_id: 5535,
                code: 5001,
            },
        ] {
            let mut m = MessageBuilder::request(&cx::cmd::UAR, 1, 1);
            r.put(&mut m);
            let m = Message::decode(m.finish()).unwrap();
            assert_eq!(CxResult::read(&m).unwrap(), r);
        }
        let empty = Message::decode(MessageBuilder::request(&cx::cmd::UAR, 1, 1).finish()).unwrap();
        assert_eq!(
            CxResult::read(&empty).unwrap_err(),
            CxError::MissingAvp { avp: "Result-Code" }
        );
    }
}
