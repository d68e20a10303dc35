//! The served user of a request (TS 24.229 §5.4.3.1): its profile from the registrar's cache,
//! re-fetched from the HSS after a restart (SAR NO_ASSIGNMENT), or downloaded for a
//! terminating request to an unregistered user, or a request an application server
//! originates for one (SAR UNREGISTERED_USER, TS 29.228 §6.1.2).

use std::sync::Arc;

use ims_core::ifc::{ServiceProfile, SessionCase};
use ims_cx::{ExperimentalCode, SarRequest, ServerAssignmentAnswer, ServerAssignmentType};
use sip_types::StatusCode;

use crate::state::{normalise, ServedUser, Shared};

use super::routing::unix_now;

/// Why no served user was found for a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServedError {
    /// The identity is not one of ours (unknown to the HSS, or not registered here).
    #[error("unknown identity {0}")]
    Unknown(String),
    /// The identity is barred (TS 29.228 §6.1.1.3, Annex B.2.1 BarringIndication).
    #[error("barred identity {0}")]
    Barred(String),
    /// Another S-CSCF holds the identity (5005 DIAMETER_ERROR_IDENTITY_ALREADY_REGISTERED).
    #[error("{0} is served by another S-CSCF")]
    Elsewhere(String),
    /// The HSS did not answer usefully.
    #[error("HSS: {0}")]
    Hss(String),
}

/// The user a request is handled for and in which session case.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The profile.
    pub user: Arc<ServedUser>,
    /// The served public identity.
    pub identity: String,
    /// Originating or terminating, registered or not.
    pub case: SessionCase,
}

impl Chain {
    /// True for the originating cases.
    pub fn is_originating(&self) -> bool {
        matches!(
            self.case,
            SessionCase::Originating
                | SessionCase::OriginatingUnregistered
                | SessionCase::OriginatingCdiv
        )
    }

    /// True when the served user is registered.
    pub fn is_registered(&self) -> bool {
        matches!(
            self.case,
            SessionCase::Originating | SessionCase::TerminatingRegistered
        )
    }
}

/// The service profile holding `identity` (Annex B.2.1), else the first one.
pub fn profile_of<'a>(user: &'a ServedUser, identity: &str) -> Option<&'a ServiceProfile> {
    let key = normalise(identity);
    let profiles = &user.subscription.service_profiles;
    profiles
        .iter()
        .find(|p| {
            p.public_identities
                .iter()
                .any(|i| normalise(&i.identity) == key)
        })
        .or_else(|| profiles.first())
}

/// True when the profile bars `identity`.
pub fn is_barred(user: &ServedUser, identity: &str) -> bool {
    let key = normalise(identity);
    user.subscription.service_profiles.iter().any(|p| {
        p.public_identities
            .iter()
            .any(|i| normalise(&i.identity) == key && i.barring_indication == Some(true))
    })
}

/// A served user from an SAA with User-Data, bound under `aor`. None when the answer holds no
/// parsable User-Data.
pub fn served_user_from_saa(aor: &str, answer: &ServerAssignmentAnswer) -> Option<ServedUser> {
    let subscription = match answer.subscription()? {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, aor, "User-Data does not parse");
            return None;
        }
    };
    let mut implicit_set: Vec<String> = Vec::new();
    for profile in &subscription.service_profiles {
        for identity in &profile.public_identities {
            if !implicit_set.contains(&identity.identity) {
                implicit_set.push(identity.identity.clone());
            }
        }
    }
    if !implicit_set.iter().any(|i| normalise(i) == normalise(aor)) {
        implicit_set.insert(0, aor.to_owned());
    }
    Some(ServedUser {
        aor: aor.to_owned(),
        impi: answer
            .impi
            .clone()
            .unwrap_or_else(|| subscription.private_id.clone()),
        subscription,
        implicit_set,
        charging: answer.charging.clone().map(Arc::new),
    })
}

async fn sar(
    shared: &Shared,
    identity: &str,
    assignment_type: ServerAssignmentType,
) -> Result<ServerAssignmentAnswer, ServedError> {
    let identities = [identity];
    let answer = shared
        .cx
        .sar(&SarRequest {
            impi: None,
            public_identities: &identities,
            server_name: &shared.config.server_name,
            assignment_type,
            user_data_already_available: false,
        })
        .await
        .map_err(|e| ServedError::Hss(e.to_string()))?;
    if answer.result.is(ExperimentalCode::UserUnknown) {
        return Err(ServedError::Unknown(identity.to_owned()));
    }
    if answer
        .result
        .is(ExperimentalCode::IdentityAlreadyRegistered)
    {
        return Err(ServedError::Elsewhere(identity.to_owned()));
    }
    if !answer.result.is_success() {
        return Err(ServedError::Hss(format!("SAA {}", answer.result.code())));
    }
    Ok(answer)
}

/// True when the location service holds a live binding for `identity`.
pub async fn has_bindings(shared: &Shared, identity: &str) -> bool {
    shared
        .registrations
        .lookup(identity, unix_now())
        .await
        .is_ok_and(|b| !b.is_empty())
}

/// The profile of a registered user of ours: the registrar's cache, or, after a restart with
/// the bindings still stored, the HSS's copy (SAR NO_ASSIGNMENT), which is then cached.
pub async fn registered_user(
    shared: &Shared,
    identity: &str,
) -> Result<Arc<ServedUser>, ServedError> {
    if let Some(user) = shared.profiles.get(identity) {
        return Ok(user);
    }
    if !has_bindings(shared, identity).await {
        return Err(ServedError::Unknown(identity.to_owned()));
    }
    let answer = sar(shared, identity, ServerAssignmentType::NoAssignment).await?;
    let user = served_user_from_saa(identity, &answer)
        .ok_or_else(|| ServedError::Hss("SAA without User-Data".into()))?;
    tracing::info!(
        identity,
        "profile restored from the HSS (SAR NO_ASSIGNMENT)"
    );
    shared.profiles.insert(user);
    shared
        .profiles
        .get(identity)
        .ok_or_else(|| ServedError::Unknown(identity.to_owned()))
}

/// The served user of an originating request from `identity` (TS 24.229 §5.4.3.2): it must be
/// registered here.
pub async fn originating(shared: &Shared, identity: &str) -> Result<Chain, ServedError> {
    let user = registered_user(shared, identity).await?;
    if is_barred(&user, identity) {
        return Err(ServedError::Barred(identity.to_owned()));
    }
    Ok(Chain {
        user,
        identity: identity.to_owned(),
        case: SessionCase::Originating,
    })
}

/// The served user of an originating request an application server sends on behalf of
/// `identity` (TS 24.229 §5.4.3.2 step 1, §5.7.3): registered here (session case
/// ORIGINATING_REGISTERED), or unregistered, its profile downloaded for this request with SAR
/// UNREGISTERED_USER (ORIGINATING_UNREGISTERED, TS 29.228 Annex B.2.2).
pub async fn originating_on_behalf(shared: &Shared, identity: &str) -> Result<Chain, ServedError> {
    let (user, registered) = registered_or_downloaded(shared, identity).await?;
    if is_barred(&user, identity) {
        return Err(ServedError::Barred(identity.to_owned()));
    }
    Ok(Chain {
        user,
        identity: identity.to_owned(),
        case: SessionCase::originating(registered),
    })
}

/// The served user of a terminating request to `identity` (TS 24.229 §5.4.3.3): registered
/// here, or unregistered, with its profile downloaded for this request (SAR
/// UNREGISTERED_USER; the profile is not cached, the HSS keeps this S-CSCF assigned).
pub async fn terminating(shared: &Shared, identity: &str) -> Result<Chain, ServedError> {
    let (user, registered) = registered_or_downloaded(shared, identity).await?;
    if is_barred(&user, identity) {
        return Err(ServedError::Barred(identity.to_owned()));
    }
    Ok(Chain {
        user,
        identity: identity.to_owned(),
        case: SessionCase::terminating(registered),
    })
}

/// The profile of `identity` and whether it is registered here: the registered user's, else
/// one downloaded with SAR UNREGISTERED_USER (TS 29.228 §6.1.2), not cached.
async fn registered_or_downloaded(
    shared: &Shared,
    identity: &str,
) -> Result<(Arc<ServedUser>, bool), ServedError> {
    match registered_user(shared, identity).await {
        Ok(user) => Ok((user, true)),
        Err(ServedError::Unknown(_)) => {
            let answer = sar(shared, identity, ServerAssignmentType::UnregisteredUser).await?;
            let user = served_user_from_saa(identity, &answer)
                .ok_or_else(|| ServedError::Hss("SAA without User-Data".into()))?;
            Ok((Arc::new(user), false))
        }
        Err(e) => Err(e),
    }
}

/// The answer for an originating request on behalf of a user whose served user was not found
/// (TS 24.229 §5.4.3.2 step 1): unknown → 404, barred → 403, held by another S-CSCF → 480.
pub fn originating_failure(e: &ServedError) -> (StatusCode, &'static str) {
    match e {
        ServedError::Barred(_) => (StatusCode::FORBIDDEN, "Forbidden (barred identity)"),
        other => terminating_failure(other),
    }
}

/// The answer for a terminating request whose served user was not found.
pub fn terminating_failure(e: &ServedError) -> (StatusCode, &'static str) {
    match e {
        ServedError::Unknown(_) | ServedError::Barred(_) => {
            (StatusCode::NOT_FOUND, "Not Found (unknown user)")
        }
        ServedError::Elsewhere(_) => (
            StatusCode::TEMPORARILY_UNAVAILABLE,
            "Temporarily Unavailable (served by another S-CSCF)",
        ),
        ServedError::Hss(_) => (
            StatusCode::SERVER_INTERNAL_ERROR,
            "Server Internal Error (HSS unavailable)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ims_core::ifc::{ImsSubscription, PublicIdentity};

    fn user() -> ServedUser {
        let id = |s: &str, barred: bool| PublicIdentity {
            identity: s.into(),
            barring_indication: barred.then_some(true),
            ..PublicIdentity::default()
        };
        ServedUser {
            aor: "sip:alice@ims.test".into(),
            impi: "alice@ims.test".into(),
            subscription: ImsSubscription {
                private_id: "alice@ims.test".into(),
                service_profiles: vec![
                    ServiceProfile {
                        public_identities: vec![id("sip:alice@ims.test", false)],
                        ..ServiceProfile::default()
                    },
                    ServiceProfile {
                        public_identities: vec![
                            id("tel:+491", false),
                            id("sip:old@ims.test", true),
                        ],
                        subscribed_media_profile_id: Some(7),
                        ..ServiceProfile::default()
                    },
                ],
            },
            implicit_set: vec![],
            charging: None,
        }
    }

    #[test]
    fn profile_and_barring_by_identity() {
        let u = user();
        assert_eq!(
            profile_of(&u, "TEL:+491").and_then(|p| p.subscribed_media_profile_id),
            Some(7)
        );
        assert_eq!(
            profile_of(&u, "sip:nobody@ims.test").and_then(|p| p.subscribed_media_profile_id),
            None
        );
        assert!(is_barred(&u, "sip:old@ims.test"));
        assert!(!is_barred(&u, "sip:alice@ims.test"));
    }

    #[test]
    fn originating_refusals() {
        let e = |f: fn(String) -> ServedError| originating_failure(&f("sip:x@ims.test".into())).0;
        assert_eq!(e(ServedError::Unknown), StatusCode::NOT_FOUND);
        assert_eq!(e(ServedError::Barred), StatusCode::FORBIDDEN);
        assert_eq!(
            e(ServedError::Elsewhere),
            StatusCode::TEMPORARILY_UNAVAILABLE
        );
        assert_eq!(e(ServedError::Hss), StatusCode::SERVER_INTERNAL_ERROR);
    }

    #[test]
    fn session_cases() {
        let c = Chain {
            user: Arc::new(user()),
            identity: "sip:alice@ims.test".into(),
            case: SessionCase::TerminatingUnregistered,
        };
        assert!(!c.is_originating());
        assert!(!c.is_registered());
    }
}
