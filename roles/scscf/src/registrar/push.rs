//! Requests from the HSS: RTR de-registers users (TS 29.228 §6.1.3), PPR replaces their
//! profile (TS 29.228 §6.2.2); anything else is DIAMETER_COMMAND_UNSUPPORTED.

use std::sync::Arc;

use bytes::Bytes;
use diameter_codec::generated::cx;
use diameter_codec::{Message, ResultCode};
use ims_core::ifc::parse_ims_subscription;
use ims_cx::{
    push_answer, push_error_answer, CxResult, ExperimentalCode, PushProfile,
    RegistrationTermination, ServerAssignmentType,
};

use super::profile::served_user;
use super::registration::sar;
use crate::state::{ServedUser, Shared};

/// Answers one Cx request from the HSS.
pub(crate) async fn handle(shared: &Shared, request: &Message) -> Bytes {
    let identity = shared.cx.identity();
    let code = request.header().code;
    if code == cx::cmd::RTR.code {
        match RegistrationTermination::parse(request) {
            Ok(rtr) => {
                terminate(shared, &rtr).await;
                push_answer(request, identity, CxResult::SUCCESS)
            }
            Err(e) => push_error_answer(request, identity, &e),
        }
    } else if code == cx::cmd::PPR.code {
        match PushProfile::parse(request) {
            Ok(ppr) => push_answer(request, identity, push_profile(shared, &ppr)),
            Err(e) => push_error_answer(request, identity, &e),
        }
    } else {
        diameter_net::handler::simple_answer(
            request,
            ResultCode::DIAMETER_COMMAND_UNSUPPORTED,
            &identity.origin_host,
            &identity.origin_realm,
        )
    }
}

/// RTR: remove the bindings and profiles of the listed identities, or of every identity of
/// the IMPI (and its associated IMPIs) when none is listed (TS 29.228 §6.1.3).
async fn terminate(shared: &Shared, rtr: &RegistrationTermination) {
    let mut aors: Vec<String> = if rtr.public_identities.is_empty() {
        std::iter::once(&rtr.impi)
            .chain(&rtr.associated_identities)
            .flat_map(|impi| shared.auth.aors_of(impi))
            .collect()
    } else {
        rtr.public_identities
            .iter()
            .map(|impu| {
                shared
                    .profiles
                    .get(impu)
                    .map_or_else(|| impu.clone(), |u| u.aor.clone())
            })
            .collect()
    };
    aors.sort();
    aors.dedup();
    tracing::info!(impi = %rtr.impi, ?aors, reason = ?rtr.reason.code, "RTR: de-registering");
    for aor in aors {
        forget(shared, &aor).await;
    }
}

/// `aor` is no longer registered here: its bindings, profile and IMPI index entry go
/// (network-initiated de-registration, TS 24.229 §5.4.1.5).
async fn forget(shared: &Shared, aor: &str) {
    if let Err(e) = shared.registrations.remove_aor(aor).await {
        tracing::warn!(aor, error = %e, "de-registration: location service");
    }
    shared.profiles.remove(aor);
    shared.auth.note_deregistered(aor);
}

/// Network-initiated de-registration by the S-CSCF itself (TS 24.229 §5.4.1.5), e.g. after a
/// failed third-party REGISTER whose iFC says SESSION_TERMINATED (§5.4.1.7): the bindings
/// and profile of `aor` go as on RTR, then SAR USER_DEREGISTRATION for `impi` (TS 29.228
/// §6.1.2) so that the HSS no longer names us.
pub(crate) async fn deregister_by_network(shared: &Shared, aor: &str, impi: &str) {
    forget(shared, aor).await;
    tracing::info!(aor, impi, "network-initiated de-registration");
    match sar(
        shared,
        Some(impi),
        aor,
        ServerAssignmentType::UserDeregistration,
        false,
    )
    .await
    {
        Ok(saa) if saa.result.is_success() => {}
        Ok(saa) => tracing::warn!(aor, result = %saa.result, "SAR USER_DEREGISTRATION refused"),
        Err(e) => tracing::warn!(aor, error = %e, "SAR USER_DEREGISTRATION failed"),
    }
}

/// PPR: replace the profile of every AOR the IMPI registered with the new User-Data and
/// Charging-Information (TS 29.228 §6.2.2). 5001 when we serve none of them.
fn push_profile(shared: &Shared, ppr: &PushProfile) -> CxResult {
    let subscription = match ppr.user_data.as_deref().map(parse_ims_subscription) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            tracing::warn!(impi = %ppr.impi, error = %e, "PPR: bad User-Data");
            return CxResult::Base(ResultCode::DIAMETER_UNABLE_TO_COMPLY);
        }
    };
    let mut updated = 0;
    for aor in shared.auth.aors_of(&ppr.impi) {
        let Some(old) = shared.profiles.get(&aor) else {
            continue;
        };
        let charging = ppr
            .charging
            .clone()
            .map(Arc::new)
            .or_else(|| old.charging.clone());
        let user = match &subscription {
            Some(s) => served_user(&aor, &old.impi, s.clone(), charging),
            None => ServedUser {
                charging,
                ..(*old).clone()
            },
        };
        shared.profiles.remove(&aor);
        shared.profiles.insert(user);
        updated += 1;
    }
    if updated == 0 {
        return CxResult::Experimental(ExperimentalCode::UserUnknown);
    }
    CxResult::SUCCESS
}
