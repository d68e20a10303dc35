//! Asking the HSS for authentication data (Cx MAR, TS 29.228 §6.3) and turning it into a
//! 401 challenge (TS 24.229 §5.4.1.2.1, RFC 3310 §3.2), or the refusal the answer calls for.

use ims_core::aka::ResyncRequest;
use ims_cx::{CxError, CxResult, ExperimentalCode, MarRequest};
use sip_proto::proxy::LocalResponse;
use sip_types::StatusCode;

use crate::state::Shared;

/// MAR for `impi`/`impu` with `scheme` (and RAND ‖ AUTS on resynchronisation, TS 33.203
/// §6.1.2), then `401 Unauthorized` with the challenge; 403 when the HSS refuses, 5xx when
/// it does not answer.
pub(crate) async fn challenge(
    shared: &Shared,
    impi: &str,
    impu: &str,
    scheme: &str,
    resync: Option<ResyncRequest>,
    stale: bool,
) -> LocalResponse {
    let request = MarRequest {
        impi,
        impu,
        scheme,
        number_of_items: shared.config.auth_vectors.max(1),
        resync,
        server_name: &shared.config.server_name,
    };
    let maa = match shared.cx.mar(&request).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(impi, error = %e, "MAR failed");
            return hss_failure(&e);
        }
    };
    if !maa.result.is_success() {
        tracing::info!(impi, result = %maa.result, "MAR refused");
        return refused(maa.result);
    }
    let Some(item) = maa.items.into_iter().next() else {
        return LocalResponse::new(StatusCode::SERVER_INTERNAL_ERROR)
            .reason("Server Internal Error (no authentication vector from the HSS)");
    };
    match shared
        .auth
        .challenge(impi, impu, item, &shared.config.realm, stale)
    {
        Ok(value) => LocalResponse::new(StatusCode::UNAUTHORIZED).header("WWW-Authenticate", value),
        Err(e) => LocalResponse::new(StatusCode::FORBIDDEN).reason(format!("Forbidden ({e})")),
    }
}

/// The response to a Cx answer with a failure `result` (TS 29.229 §6.2.2).
pub(crate) fn refused(result: CxResult) -> LocalResponse {
    use ExperimentalCode as X;
    let forbidden =
        |why: &str| LocalResponse::new(StatusCode::FORBIDDEN).reason(format!("Forbidden ({why})"));
    match result {
        CxResult::Experimental(X::UserUnknown) => forbidden("user unknown"),
        CxResult::Experimental(X::IdentitiesDontMatch) => forbidden("identities do not match"),
        CxResult::Experimental(X::AuthSchemeNotSupported) => {
            forbidden("authentication scheme not allowed")
        }
        CxResult::Experimental(X::RoamingNotAllowed) => forbidden("roaming not allowed"),
        CxResult::Base(diameter_codec::ResultCode::DIAMETER_AUTHORIZATION_REJECTED) => {
            forbidden("authorization rejected by the HSS")
        }
        // Protocol errors (3xxx: busy, cannot deliver) and transient failures (4xxx).
        r if !r.is_permanent_failure() => LocalResponse::new(StatusCode::SERVER_INTERNAL_ERROR)
            .reason(format!("Server Internal Error (HSS failure: {r})"))
            .header("Retry-After", RETRY_AFTER_S),
        r => forbidden(&format!("HSS refused: {r}")),
    }
}

/// Seconds a UE is asked to wait (Retry-After, RFC 3261 §20.33) when the HSS is in trouble.
pub(crate) const RETRY_AFTER_S: &str = "30";

/// The response when the HSS gave no usable answer: 504 on timeout, 500 otherwise; both with
/// Retry-After so that UEs back off instead of hammering a failing HSS.
pub(crate) fn hss_failure(e: &CxError) -> LocalResponse {
    let answer = match e {
        CxError::Timeout => LocalResponse::new(StatusCode::SERVER_TIMEOUT)
            .reason("Server Time-out (no answer from the HSS)"),
        CxError::Transport(_) => LocalResponse::new(StatusCode::SERVER_INTERNAL_ERROR)
            .reason("Server Internal Error (HSS unreachable)"),
        _ => LocalResponse::new(StatusCode::SERVER_INTERNAL_ERROR)
            .reason("Server Internal Error (malformed answer from the HSS)"),
    };
    answer.header("Retry-After", RETRY_AFTER_S)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_cause() {
        let r = refused(CxResult::Experimental(ExperimentalCode::UserUnknown));
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.reason.as_deref(), Some("Forbidden (user unknown)"));
        let r = refused(CxResult::Base(
            diameter_codec::ResultCode::DIAMETER_TOO_BUSY,
        ));
        assert_eq!(r.status, StatusCode::SERVER_INTERNAL_ERROR);
        let r = hss_failure(&CxError::Timeout);
        assert_eq!(r.status, StatusCode::SERVER_TIMEOUT);
        assert!(r
            .headers
            .iter()
            .any(|(n, v)| n == "Retry-After" && v == RETRY_AFTER_S));
        assert!(r.reason.unwrap().contains("HSS"));
    }
}
