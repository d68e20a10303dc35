//! An authenticated REGISTER (TS 24.229 §5.4.1.2.2, §5.4.1.4; RFC 3261 §10.3 steps 6–8):
//! Cx SAR, the served user's profile, the location service, and the 200 OK with Contact,
//! Path, Service-Route and P-Associated-URI; or a de-registration.

use std::sync::Arc;

use bytes::Bytes;
use ims_cx::{CxError, SarRequest, ServerAssignmentAnswer, ServerAssignmentType};
use ims_store::{Binding, BindingKey};
use sip_proto::proxy::{AppRequest, LocalResponse};
use sip_types::{HeaderName, ResponseBuilder, StatusCode};

use super::auth::Abandoned;
use super::bindings::{self, ContactError, RequestedContacts};
use super::challenge::{hss_failure, refused};
use super::profile::served_user;
use super::unix_now;
use crate::state::{ServedUser, Shared};

/// What to tell application servers after the response (TS 24.229 §5.4.1.7).
#[derive(Debug)]
pub(crate) struct Registered {
    /// The 200 OK as sent (for the third-party REGISTER body).
    pub(crate) ok: Bytes,
    /// The user (still registered, or just de-registered).
    pub(crate) user: Arc<ServedUser>,
}

/// The response and, on success, what follows it.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The final response.
    pub(crate) response: LocalResponse,
    /// Set when the registration state changed or was refreshed.
    pub(crate) registered: Option<Registered>,
    /// Set when the REGISTER was refused because authentication failed (the HSS is told
    /// after the answer, TS 29.228 §6.1.2 AUTHENTICATION_FAILURE).
    pub(crate) failed_authentication: Option<Abandoned>,
}

impl From<LocalResponse> for Outcome {
    fn from(response: LocalResponse) -> Self {
        Self {
            response,
            registered: None,
            failed_authentication: None,
        }
    }
}

fn internal(why: impl std::fmt::Display) -> Outcome {
    LocalResponse::new(StatusCode::SERVER_INTERNAL_ERROR)
        .reason(format!("Server Internal Error ({why})"))
        .into()
}

/// Cx SAR of `assignment_type` for `aor` (TS 29.228 §6.1.2).
pub(crate) async fn sar(
    shared: &Shared,
    impi: Option<&str>,
    aor: &str,
    assignment_type: ServerAssignmentType,
    user_data_already_available: bool,
) -> Result<ServerAssignmentAnswer, CxError> {
    shared
        .cx
        .sar(&SarRequest {
            impi,
            public_identities: &[aor],
            server_name: &shared.config.server_name,
            assignment_type,
            user_data_already_available,
        })
        .await
}

/// Handles the REGISTER of `impi` for `aor` once authenticated.
pub(crate) async fn register(
    shared: &Shared,
    request: &AppRequest,
    impi: &str,
    aor: &str,
) -> Outcome {
    let msg = &request.request;
    let requested = match bindings::requested_contacts(msg, &shared.config) {
        Ok(r) => r,
        Err(ContactError::TooBrief) => {
            return LocalResponse::new(StatusCode::INTERVAL_TOO_BRIEF)
                .header("Min-Expires", shared.config.min_expires.to_string())
                .into()
        }
        Err(e) => {
            return LocalResponse::new(StatusCode::BAD_REQUEST)
                .reason(format!("Bad Request ({e})"))
                .into()
        }
    };
    let now = unix_now();
    let existing = match shared.registrations.lookup(aor, now).await {
        Ok(b) => b,
        Err(e) => return internal(format_args!("location service: {e}")),
    };
    let (upserts, removals): (Vec<Binding>, Vec<BindingKey>) = match &requested {
        RequestedContacts::RemoveAll => (Vec::new(), existing.iter().map(Binding::key).collect()),
        RequestedContacts::List(list) => {
            let mut upserts = Vec::new();
            let mut removals = Vec::new();
            for c in list {
                let mut b = bindings::binding(aor, c, msg, &request.flow, now, None);
                let old = existing.iter().find(|o| o.key() == b.key());
                // RFC 3261 §10.3 step 7: an older CSeq of the same Call-ID is out of order.
                if old.is_some_and(|o| o.call_id == b.call_id && o.cseq >= b.cseq) {
                    return internal("out-of-order CSeq");
                }
                if c.expires == 0 {
                    removals.push(b.key());
                } else {
                    if let Some(o) = old {
                        b.registered_at = o.registered_at;
                    }
                    upserts.push(b);
                }
            }
            (upserts, removals)
        }
    };
    let kept = existing
        .iter()
        .filter(|o| {
            let k = o.key();
            !removals.contains(&k) && !upserts.iter().any(|u| u.key() == k)
        })
        .count();
    if kept + upserts.len() == 0 {
        return deregister(shared, request, impi, aor, &existing).await;
    }

    let known = shared.profiles.get(aor);
    let first = existing.is_empty() || known.is_none();
    let (assignment, udaa) = if first {
        (ServerAssignmentType::Registration, false)
    } else {
        (ServerAssignmentType::ReRegistration, true)
    };
    let saa = match sar(shared, Some(impi), aor, assignment, udaa).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(aor, error = %e, "SAR failed");
            return hss_failure(&e).into();
        }
    };
    if !saa.result.is_success() {
        return refused(saa.result).into();
    }
    let user = match (saa.subscription(), known) {
        (Some(Ok(sub)), old) => {
            let charging = saa
                .charging
                .clone()
                .map(Arc::new)
                .or_else(|| old.and_then(|o| o.charging.clone()));
            served_user(aor, impi, sub, charging)
        }
        (Some(Err(e)), _) => return internal(format_args!("User-Data from the HSS: {e}")),
        (None, Some(old)) => ServedUser {
            charging: saa
                .charging
                .clone()
                .map(Arc::new)
                .or_else(|| old.charging.clone()),
            ..(*old).clone()
        },
        (None, None) => return internal("no User-Data from the HSS"),
    };
    shared.profiles.remove(aor);
    shared.profiles.insert(user);
    shared.auth.note_registered(impi, aor);
    for key in &removals {
        if let Err(e) = shared.registrations.remove(aor, key).await {
            return internal(format_args!("location service: {e}"));
        }
    }
    for b in &upserts {
        if let Err(e) = shared.registrations.upsert(b).await {
            return internal(format_args!("location service: {e}"));
        }
    }
    let live = match shared.registrations.lookup(aor, now).await {
        Ok(l) => l,
        Err(e) => return internal(format_args!("location service: {e}")),
    };
    let Some(user) = shared.profiles.get(aor) else {
        return internal("profile vanished");
    };
    let response = ok_response(shared, request, &live, &user, now);
    let ok = ok_bytes(request, &response);
    Outcome {
        response,
        registered: Some(Registered { ok, user }),
        failed_authentication: None,
    }
}

/// Every binding of `aor` goes (TS 24.229 §5.4.1.4): remove them, SAR
/// USER_DEREGISTRATION, forget the profile; 200 OK.
async fn deregister(
    shared: &Shared,
    request: &AppRequest,
    impi: &str,
    aor: &str,
    existing: &[Binding],
) -> Outcome {
    if let Err(e) = shared.registrations.remove_aor(aor).await {
        return internal(format_args!("location service: {e}"));
    }
    let user = shared.profiles.remove(aor);
    shared.auth.note_deregistered(aor);
    if existing.is_empty() && user.is_none() {
        // Nothing was registered: nothing to tell the HSS.
        return LocalResponse::new(StatusCode::OK).into();
    }
    match sar(
        shared,
        Some(impi),
        aor,
        ServerAssignmentType::UserDeregistration,
        false,
    )
    .await
    {
        Ok(saa) if !saa.result.is_success() => {
            tracing::warn!(aor, result = %saa.result, "SAR USER_DEREGISTRATION refused");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(aor, error = %e, "SAR USER_DEREGISTRATION failed"),
    }
    let response = LocalResponse::new(StatusCode::OK);
    let registered = user.map(|user| Registered {
        ok: ok_bytes(request, &response),
        user,
    });
    Outcome {
        response,
        registered,
        failed_authentication: None,
    }
}

/// The 200 OK to a registration (TS 24.229 §5.4.1.2.2 items f–j, RFC 3261 §10.3 step 8).
fn ok_response(
    shared: &Shared,
    request: &AppRequest,
    live: &[Binding],
    user: &ServedUser,
    now: u64,
) -> LocalResponse {
    let mut r = LocalResponse::new(StatusCode::OK);
    for b in live {
        r = r.header("Contact", bindings::contact_value(b, now));
    }
    for p in request.request.header_lines(HeaderName::PATH) {
        r = r.header("Path", p.trim());
    }
    r = r.header(
        "Service-Route",
        format!("<sip:orig@{};lr>", shared.route_host),
    );
    let associated: Vec<String> = user.implicit_set.iter().map(|i| format!("<{i}>")).collect();
    r.header("P-Associated-URI", associated.join(", "))
}

/// The bytes of `response` to `request` (what the core sends, but for its To tag), for the
/// body of third-party REGISTERs (TS 24.229 §5.4.1.7).
fn ok_bytes(request: &AppRequest, response: &LocalResponse) -> Bytes {
    let mut b = ResponseBuilder::new(&request.request, response.status).to_tag("scscf");
    for (name, value) in &response.headers {
        b = b.header(name, value.as_str());
    }
    b.build()
}
