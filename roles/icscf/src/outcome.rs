//! What a Cx answer means for the SIP request: an S-CSCF named by the HSS, a selection by
//! capabilities, or a refusal with the status of TS 24.229 §5.3.1.2 (REGISTER) and §5.3.2.1
//! (terminating requests).

use diameter_codec::ResultCode;
use ims_cx::{
    CxError, CxResult, ExperimentalCode as X, LocationInfoAnswer, ServerCapabilities,
    UserAuthorizationAnswer,
};
use sip_proto::proxy::LocalResponse;
use sip_types::StatusCode;

use crate::config::ScscfEntry;
use crate::selection::suitable_scscfs;

/// 600 Busy Everywhere (RFC 3261 §21.6.1).
pub const BUSY_EVERYWHERE: StatusCode = StatusCode(600);

/// A response the I-CSCF sends instead of forwarding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Status code.
    pub status: StatusCode,
    /// Reason phrase naming the cause.
    pub reason: String,
}

impl Refusal {
    /// A refusal with `status` and `reason`.
    pub fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }

    /// As the proxy core's local response.
    pub fn into_response(self) -> LocalResponse {
        LocalResponse::new(self.status).reason(self.reason)
    }

    /// No configured or HSS-named S-CSCF offers the mandatory capabilities.
    pub fn no_suitable_scscf() -> Self {
        Self::new(BUSY_EVERYWHERE, "Busy Everywhere (no suitable S-CSCF)")
    }
}

/// Where a request goes after the Cx answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routing {
    /// To the S-CSCF the HSS named (Server-Name).
    Named(String),
    /// To these S-CSCFs in preference order, selected by capabilities; empty when none fits.
    Selected(Vec<String>),
    /// Answer with this.
    Refuse(Refusal),
}

fn select(configured: &[ScscfEntry], caps: &ServerCapabilities) -> Routing {
    Routing::Selected(suitable_scscfs(configured, caps))
}

/// The route for a UAA (TS 29.228 §6.1.1, TS 24.229 §5.3.1.2): a Server-Name, else a
/// selection by capabilities; 403 for the HSS's refusals, 480 when the HSS could not answer
/// (a Diameter protocol or transient error).
pub fn after_uaa(uaa: &UserAuthorizationAnswer, configured: &[ScscfEntry]) -> Routing {
    if uaa.result.is_success() {
        return match &uaa.server_name {
            Some(name) => Routing::Named(name.clone()),
            None => select(configured, &uaa.capabilities),
        };
    }
    let forbidden = |why: &str| Routing::Refuse(Refusal::new(StatusCode::FORBIDDEN, why));
    match uaa.result {
        CxResult::Experimental(X::UserUnknown) => forbidden("Forbidden (user unknown)"),
        CxResult::Experimental(X::IdentitiesDontMatch) => {
            forbidden("Forbidden (identities don't match)")
        }
        CxResult::Experimental(X::RoamingNotAllowed) => {
            forbidden("Forbidden (roaming not allowed)")
        }
        CxResult::Experimental(X::IdentityNotRegistered) => {
            forbidden("Forbidden (identity not registered)")
        }
        CxResult::Experimental(X::AuthSchemeNotSupported) => {
            forbidden("Forbidden (authentication scheme not supported)")
        }
        CxResult::Base(ResultCode::DIAMETER_AUTHORIZATION_REJECTED) => {
            forbidden("Forbidden (authorization rejected)")
        }
        CxResult::Experimental(_) | CxResult::OtherVendor { .. } => Routing::Refuse(Refusal::new(
            StatusCode::FORBIDDEN,
            format!("Forbidden (HSS: {})", uaa.result),
        )),
        CxResult::Base(_) => Routing::Refuse(hss_error(&uaa.result)),
    }
}

/// The route for an LIA (TS 29.228 §6.1.4, TS 24.229 §5.3.2.1): a Server-Name (registered,
/// or unregistered services), else a selection by capabilities; 404 for an unknown identity,
/// 480 for one that is not registered and has no unregistered services or when the HSS
/// could not answer.
pub fn after_lia(lia: &LocationInfoAnswer, configured: &[ScscfEntry]) -> Routing {
    if lia.result.is_success() {
        return match &lia.server_name {
            Some(name) => Routing::Named(name.clone()),
            None => select(configured, &lia.capabilities),
        };
    }
    match lia.result {
        CxResult::Experimental(X::UserUnknown) => Routing::Refuse(Refusal::new(
            StatusCode::NOT_FOUND,
            "Not Found (user unknown)",
        )),
        CxResult::Experimental(X::IdentityNotRegistered) => Routing::Refuse(Refusal::new(
            StatusCode::TEMPORARILY_UNAVAILABLE,
            "Temporarily Unavailable (not registered)",
        )),
        CxResult::Experimental(_) | CxResult::OtherVendor { .. } => Routing::Refuse(Refusal::new(
            StatusCode::NOT_FOUND,
            format!("Not Found (HSS: {})", lia.result),
        )),
        CxResult::Base(_) => Routing::Refuse(hss_error(&lia.result)),
    }
}

/// A base-protocol error answer: the query could not be completed (480).
fn hss_error(result: &CxResult) -> Refusal {
    Refusal::new(
        StatusCode::TEMPORARILY_UNAVAILABLE,
        format!("Temporarily Unavailable (HSS: {result})"),
    )
}

/// No usable answer from the HSS (timeout, no connection, malformed answer): 480, the reason
/// naming the HSS (TS 24.229 §5.3.1.2: the query could not be completed).
pub fn hss_unreachable(error: &CxError) -> Refusal {
    let why = match error {
        CxError::Timeout => "HSS timeout".to_owned(),
        CxError::Transport(e) => format!("HSS unreachable: {e}"),
        other => format!("bad answer from the HSS: {other}"),
    };
    Refusal::new(
        StatusCode::TEMPORARILY_UNAVAILABLE,
        format!("Temporarily Unavailable ({why})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured() -> Vec<ScscfEntry> {
        vec![ScscfEntry {
            name: "sip:s1.ims.test".into(),
            capabilities: vec![1],
        }]
    }

    fn uaa(result: CxResult, name: Option<&str>, mandatory: &[u32]) -> UserAuthorizationAnswer {
        UserAuthorizationAnswer {
            result,
            server_name: name.map(str::to_owned),
            capabilities: ServerCapabilities {
                mandatory: mandatory.to_vec(),
                ..ServerCapabilities::default()
            },
        }
    }

    fn status(r: Routing) -> (u16, String) {
        match r {
            Routing::Refuse(f) => (f.status.0, f.reason),
            other => panic!("refusal expected, got {other:?}"),
        }
    }

    #[test]
    fn uaa_routes() {
        let named = uaa(
            CxResult::Experimental(X::SubsequentRegistration),
            Some("sip:s9"),
            &[],
        );
        assert_eq!(
            after_uaa(&named, &configured()),
            Routing::Named("sip:s9".into())
        );
        let first = uaa(CxResult::Experimental(X::FirstRegistration), None, &[1]);
        assert_eq!(
            after_uaa(&first, &configured()),
            Routing::Selected(vec!["sip:s1.ims.test".into()])
        );
        let unmet = uaa(CxResult::Experimental(X::FirstRegistration), None, &[2]);
        assert_eq!(after_uaa(&unmet, &configured()), Routing::Selected(vec![]));
    }

    #[test]
    fn uaa_refusals() {
        let cases = [
            (CxResult::Experimental(X::UserUnknown), 403, "user unknown"),
            (
                CxResult::Experimental(X::IdentitiesDontMatch),
                403,
                "identities don't match",
            ),
            (
                CxResult::Base(ResultCode::DIAMETER_AUTHORIZATION_REJECTED),
                403,
                "authorization rejected",
            ),
            (
                CxResult::Experimental(X::RoamingNotAllowed),
                403,
                "roaming not allowed",
            ),
            (
                CxResult::Base(ResultCode::DIAMETER_UNABLE_TO_COMPLY),
                480,
                "HSS: Result-Code 5012",
            ),
            (
                CxResult::Base(ResultCode::DIAMETER_TOO_BUSY),
                480,
                "Result-Code 3004",
            ),
        ];
        for (result, code, why) in cases {
            let (s, reason) = status(after_uaa(&uaa(result, None, &[]), &configured()));
            assert_eq!(s, code, "{result}");
            assert!(reason.contains(why), "{reason}");
        }
    }

    #[test]
    fn lia_routes_and_refusals() {
        let lia = |result, name: Option<&str>| LocationInfoAnswer {
            result,
            server_name: name.map(str::to_owned),
            capabilities: ServerCapabilities::default(),
            wildcarded_public_identity: None,
        };
        assert_eq!(
            after_lia(&lia(CxResult::SUCCESS, Some("sip:s")), &configured()),
            Routing::Named("sip:s".into())
        );
        assert_eq!(
            after_lia(
                &lia(CxResult::Experimental(X::UnregisteredService), None),
                &configured()
            ),
            Routing::Selected(vec!["sip:s1.ims.test".into()])
        );
        let (s, _) = status(after_lia(
            &lia(CxResult::Experimental(X::UserUnknown), None),
            &configured(),
        ));
        assert_eq!(s, 404);
        let (s, _) = status(after_lia(
            &lia(CxResult::Experimental(X::IdentityNotRegistered), None),
            &configured(),
        ));
        assert_eq!(s, 480);
        let r = hss_unreachable(&CxError::Timeout);
        assert_eq!(r.status, StatusCode::TEMPORARILY_UNAVAILABLE);
        assert!(r.reason.contains("HSS"));
    }
}
