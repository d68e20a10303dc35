//! The HSS's admin errors as JSON-RPC error objects: a code per kind of fault (documented in
//! docs/admin-api.md), a message naming the identity and the Diameter result, and the same in
//! `data`.

use diameter_net::RequestError;
use ims_store::StoreError;
use role_kit::admin::RpcError;
use serde_json::json;

use crate::{HssError, Outcome};

/// The HSS's JSON-RPC server error codes.
pub mod codes {
    /// The private or public identity is not provisioned.
    pub const UNKNOWN_IDENTITY: i64 = -32001;
    /// The identity has no assigned S-CSCF (not registered): nothing to send RTR/PPR to.
    pub const NOT_REGISTERED: i64 = -32002;
    /// The RTR/PPR got no answer: no route to the S-CSCF, peer not open, timeout.
    pub const SCSCF_UNREACHABLE: i64 = -32003;
    /// The S-CSCF answered with a Result-Code other than DIAMETER_SUCCESS, or a malformed
    /// answer.
    pub const SCSCF_REFUSED: i64 = -32004;
    /// `hss.add` of an IMPI that exists (without `replace`), or an IMPU of another IMPI.
    pub const ALREADY_EXISTS: i64 = -32005;
    /// A stored service profile cannot be turned into User-Data.
    pub const BAD_PROFILE: i64 = -32006;
    /// The subscriber store failed.
    pub const STORE: i64 = -32010;
}

fn error(code: i64, message: String) -> RpcError {
    RpcError::new(code, message)
}

/// An HSS error met while working on `identity`.
pub(super) fn from_hss(e: HssError) -> RpcError {
    match e {
        HssError::UnknownIdentity(id) => {
            error(codes::UNKNOWN_IDENTITY, format!("unknown identity {id}"))
                .with_data(json!({ "identity": id }))
        }
        HssError::NotAssigned(id) => error(
            codes::NOT_REGISTERED,
            format!("{id} is not registered (no assigned S-CSCF)"),
        )
        .with_data(json!({ "identity": id })),
        HssError::Store(e) => from_store(&e),
        HssError::Profile { id, reason } => error(
            codes::BAD_PROFILE,
            format!("service profile {id}: {reason}"),
        )
        .with_data(json!({ "profile": id })),
        HssError::Answer(reason) => error(
            codes::SCSCF_REFUSED,
            format!("malformed answer from the S-CSCF: {reason}"),
        ),
        other => RpcError::internal(other.to_string()),
    }
}

/// A store failure.
pub(super) fn from_store(e: &StoreError) -> RpcError {
    error(codes::STORE, format!("subscriber store: {e}"))
}

/// No answer to `command` for `identity` from `host`.
pub(super) fn unreachable(command: &str, identity: &str, host: &str, e: RequestError) -> RpcError {
    error(
        codes::SCSCF_UNREACHABLE,
        format!("{command} for {identity} to S-CSCF {host}: {e}"),
    )
    .with_data(json!({ "identity": identity, "destination_host": host, "reason": e.to_string() }))
}

/// The S-CSCF `host` answered `command` for `identity` with `outcome`.
pub(super) fn refused(command: &str, identity: &str, host: &str, outcome: Outcome) -> RpcError {
    error(
        codes::SCSCF_REFUSED,
        format!(
            "{command} for {identity}: S-CSCF {host} answered {}",
            outcome_name(outcome)
        ),
    )
    .with_data(json!({
        "identity": identity,
        "destination_host": host,
        "result": outcome_json(outcome),
    }))
}

/// `{"code": 2001, "experimental": false, "name": "DIAMETER_SUCCESS"}`.
pub(super) fn outcome_json(outcome: Outcome) -> serde_json::Value {
    let (code, experimental) = match outcome {
        Outcome::Base(c) => (c, false),
        Outcome::Experimental(c) => (c, true),
    };
    json!({ "code": code, "experimental": experimental, "name": result_name(outcome) })
}

fn outcome_name(outcome: Outcome) -> String {
    let code = match outcome {
        Outcome::Base(c) | Outcome::Experimental(c) => c,
    };
    format!("{} ({code})", result_name(outcome))
}

/// Names of the results an RTA/PPA may carry (RFC 6733 §7.1, TS 29.229 §6.2).
fn result_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Base(c) => match c {
            2001 => "DIAMETER_SUCCESS",
            3001 => "DIAMETER_COMMAND_UNSUPPORTED",
            3002 => "DIAMETER_UNABLE_TO_DELIVER",
            3003 => "DIAMETER_REALM_NOT_SERVED",
            3004 => "DIAMETER_TOO_BUSY",
            3007 => "DIAMETER_APPLICATION_UNSUPPORTED",
            5001 => "DIAMETER_AVP_UNSUPPORTED",
            5004 => "DIAMETER_INVALID_AVP_VALUE",
            5005 => "DIAMETER_MISSING_AVP",
            5012 => "DIAMETER_UNABLE_TO_COMPLY",
            _ => "result",
        },
        Outcome::Experimental(c) => match c {
            5001 => "DIAMETER_ERROR_USER_UNKNOWN",
            5002 => "DIAMETER_ERROR_IDENTITIES_DONT_MATCH",
            5003 => "DIAMETER_ERROR_IDENTITY_NOT_REGISTERED",
            5008 => "DIAMETER_ERROR_TOO_MUCH_DATA",
            5009 => "DIAMETER_ERROR_NOT_SUPPORTED_USER_DATA",
            5011 => "DIAMETER_ERROR_FEATURE_UNSUPPORTED",
            _ => "experimental result",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_identity_host_and_result() {
        let e = refused(
            "RTR",
            "sip:alice@ims.test",
            "scscf.ims.test",
            Outcome::Base(5012),
        );
        assert_eq!(e.code, codes::SCSCF_REFUSED);
        assert_eq!(
            e.message,
            "RTR for sip:alice@ims.test: S-CSCF scscf.ims.test answered DIAMETER_UNABLE_TO_COMPLY (5012)"
        );
        assert_eq!(e.data.as_ref().unwrap()["result"]["code"], 5012);
        let e = unreachable("PPR", "sip:a@x", "s.x", RequestError::NoRoute);
        assert_eq!(e.message, "PPR for sip:a@x to S-CSCF s.x: no route");
        assert_eq!(
            from_hss(HssError::NotAssigned("sip:a@x".into())).code,
            codes::NOT_REGISTERED
        );
        assert_eq!(
            outcome_json(Outcome::Experimental(5001))["name"],
            "DIAMETER_ERROR_USER_UNKNOWN"
        );
    }
}
