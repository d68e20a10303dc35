//! The registrar (TS 24.229 §5.4.1): IMS AKA and digest challenges with vectors from the HSS
//! (Cx MAR), SAR on registration, re-registration and de-registration, the location service,
//! expiry, and the HSS's RTR/PPR.
//!
//! - [`auth`]: challenges in flight, single-use vectors, failure counts.
//! - `challenge`: MAR → 401 (or the refusal).
//! - `registration`: SAR, profile, bindings, 200 OK; de-registration.
//! - `bindings`, `profile`: the pure parts (contacts and expiry, implicit set).
//! - `expiry`, `push`: the timer task and the HSS's requests.
//! - `unfinished`: SAR AUTHENTICATION_FAILURE / AUTHENTICATION_TIMEOUT.

mod auth;
mod bindings;
mod challenge;
mod expiry;
mod profile;
mod push;
mod registration;
mod unfinished;

use bytes::Bytes;
use diameter_codec::Message as DiameterMessage;
use ims_core::aka::{Auts, Rand, ResyncRequest};
use sip_proto::digest::{Algorithm, DigestError, Verified};
use sip_proto::proxy::{AppRequest, Decision, LocalResponse};
use sip_types::auth::Credentials;
use sip_types::{HeaderName, StatusCode};

pub use auth::AuthState;

use crate::state::{normalise, Shared};

pub(crate) use crate::state::unix_now;

/// Handle a REGISTER addressed to us (its Request-URI is a home domain).
///
/// After a successful (de-)registration the 200 OK is sent first, then the third-party
/// REGISTERs run on this task (TS 24.229 §5.4.1.7); after a refusal for failed
/// authentication the 403 is sent first, then the HSS is told (SAR AUTHENTICATION_FAILURE,
/// TS 29.228 §6.1.2). The returned decision repeats the response and is ignored by the core.
pub(crate) async fn handle_register(shared: &Shared, request: &AppRequest) -> Decision {
    let outcome = authenticate_and_register(shared, request).await;
    if let Some(who) = &outcome.failed_authentication {
        shared
            .sip
            .decide(request.id, Decision::Respond(outcome.response.clone()));
        unfinished::tell_hss(shared, who, unfinished::Unfinished::Failed).await;
    }
    if let Some(done) = &outcome.registered {
        shared
            .sip
            .decide(request.id, Decision::Respond(outcome.response.clone()));
        // Charging (docs/charging.md): ACR EVENT for the REGISTER.
        if let Some(charging) = &shared.charging {
            charging.on_register(&request.request, &done.user.aor).await;
        }
        crate::session::third_party_register(shared, &request.request, &done.ok, &done.user).await;
    }
    Decision::Respond(outcome.response)
}

/// The private identity: the Authorization username, else the To URI without its scheme
/// (TS 24.229 §5.4.1.2.1, TS 33.203 §6.1 when the UE sent no Authorization).
fn impi_of<'a>(credentials: Option<&'a Credentials<'a>>, impu: &'a str) -> &'a str {
    credentials
        .and_then(|c| c.username())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            impu.split_once(':')
                .map_or(impu, |(_, rest)| rest)
                .split(';')
                .next()
                .unwrap_or_default()
        })
}

/// The MAR scheme that gives vectors for `algorithm`.
fn scheme_of(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::AkaV1Md5 => ims_cx::scheme::AKAV1_MD5,
        Algorithm::AkaV2Md5 => ims_cx::scheme::AKAV2_MD5,
        _ => ims_cx::scheme::SIP_DIGEST,
    }
}

async fn authenticate_and_register(shared: &Shared, request: &AppRequest) -> registration::Outcome {
    let msg = &request.request;
    let Ok(to) = msg.to() else {
        return LocalResponse::new(StatusCode::BAD_REQUEST)
            .reason("Bad Request (malformed To)")
            .into();
    };
    let impu = to.uri.to_owned();
    let credentials = msg
        .header_lines(HeaderName::AUTHORIZATION)
        .filter_map(|v| Credentials::parse(v).ok())
        .find(Credentials::is_digest);
    let impi = impi_of(credentials.as_ref(), &impu).to_owned();
    let pending = credentials
        .as_ref()
        .and_then(|c| c.nonce())
        .filter(|n| !n.is_empty())
        .and_then(|n| shared.auth.take(&impi, n))
        .filter(|p| normalise(&p.impu) == normalise(&impu));
    let (Some(pending), Some(credentials)) = (pending, credentials.as_ref()) else {
        let ue_algorithm = credentials.as_ref().and_then(|c| c.algorithm());
        let scheme = auth::mar_scheme(ue_algorithm, &shared.config.default_auth_scheme);
        return challenge::challenge(shared, &impi, &impu, scheme, None, false)
            .await
            .into();
    };
    let scheme = scheme_of(pending.algorithm);
    let uri = msg.request_uri().unwrap_or_default();
    match shared.auth.verify(&pending, "REGISTER", uri, credentials) {
        Ok(Verified::Authenticated(_)) => {
            shared.auth.reset_failures(&impi);
            registration::register(shared, request, &impi, &impu).await
        }
        Ok(Verified::AkaResync { rand, auts }) => {
            // TS 33.203 §6.1.2: fetch a fresh vector with RAND ‖ AUTS.
            let resync = ResyncRequest {
                rand: Rand::new(rand),
                auts: Auts::new(auts),
            };
            challenge::challenge(shared, &impi, &impu, scheme, Some(resync), false)
                .await
                .into()
        }
        Err(DigestError::Stale) => challenge::challenge(shared, &impi, &impu, scheme, None, true)
            .await
            .into(),
        Err(e) => {
            tracing::info!(impi, error = %e, "authentication failed");
            if shared.auth.failed(&impi) >= auth::MAX_FAILURES {
                shared.auth.reset_failures(&impi);
                let mut refused: registration::Outcome = LocalResponse::new(StatusCode::FORBIDDEN)
                    .reason("Forbidden (authentication failed)")
                    .into();
                refused.failed_authentication = Some(auth::Abandoned {
                    impi: impi.to_ascii_lowercase(),
                    impu: pending.impu.clone(),
                });
                return refused;
            }
            challenge::challenge(shared, &impi, &impu, scheme, None, false)
                .await
                .into()
        }
    }
}

/// A Cx request from the HSS (RTR, PPR); returns the answer.
pub(crate) async fn handle_hss_request(shared: &Shared, request: &DiameterMessage) -> Bytes {
    push::handle(shared, request).await
}

/// Network-initiated de-registration of `aor` registered by `impi` (TS 24.229 §5.4.1.5):
/// bindings and profile removed, SAR USER_DEREGISTRATION to the HSS.
pub(crate) async fn deregister_by_network(shared: &Shared, aor: &str, impi: &str) {
    push::deregister_by_network(shared, aor, impi).await;
}

/// Runs until the process stops: removes expired bindings and tells the HSS (SAR
/// TIMEOUT_DEREGISTRATION) when a user's last binding goes, and (SAR AUTHENTICATION_TIMEOUT)
/// when a challenge to a user not registered here expires unanswered.
pub(crate) async fn run_expiry(shared: std::sync::Arc<Shared>) {
    expiry::run(shared).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impi_from_username_or_to() {
        let c =
            Credentials::parse("Digest username=\"alice@ims.test\", realm=\"ims.test\"").unwrap();
        assert_eq!(impi_of(Some(&c), "sip:x@ims.test"), "alice@ims.test");
        assert_eq!(impi_of(None, "sip:bob@ims.test"), "bob@ims.test");
        assert_eq!(impi_of(None, "sip:bob@ims.test;user=phone"), "bob@ims.test");
        let empty = Credentials::parse("Digest username=\"\", realm=\"ims.test\"").unwrap();
        assert_eq!(impi_of(Some(&empty), "sip:c@ims.test"), "c@ims.test");
    }
}
