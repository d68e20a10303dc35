//! Authentications that did not end in a registration (TS 24.229 §5.4.1.2.3; TS 29.228
//! §6.1.2): the HSS is told with SAR AUTHENTICATION_FAILURE (the S-CSCF refused the REGISTER)
//! or AUTHENTICATION_TIMEOUT (the challenge expired unanswered), so that it forgets the
//! S-CSCF name the MAR stored for a user that is not registered.

use ims_cx::ServerAssignmentType;

use super::auth::Abandoned;
use super::registration::sar;
use super::unix_now;
use crate::state::Shared;

/// Why an authentication ended without a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unfinished {
    /// Too many wrong responses: `403 Forbidden` (SAR AUTHENTICATION_FAILURE).
    Failed,
    /// The challenge expired unanswered (SAR AUTHENTICATION_TIMEOUT).
    TimedOut,
}

impl Unfinished {
    fn assignment_type(self) -> ServerAssignmentType {
        match self {
            Self::Failed => ServerAssignmentType::AuthenticationFailure,
            Self::TimedOut => ServerAssignmentType::AuthenticationTimeout,
        }
    }
}

/// Tells the HSS that the authentication of `who` did not finish, unless the public identity
/// still has a live binding here: a registered user's failed re-registration leaves the
/// registration in place (TS 24.229 §5.4.1.2.3), and so does the HSS's assignment. Outcomes
/// are logged at info (identities only).
pub(crate) async fn tell_hss(shared: &Shared, who: &Abandoned, why: Unfinished) {
    let sat = why.assignment_type();
    match shared.registrations.lookup(&who.impu, unix_now()).await {
        Ok(live) if live.is_empty() => {}
        Ok(_) => {
            tracing::debug!(impu = %who.impu, ?sat, "still registered: the HSS is not told");
            return;
        }
        Err(e) => {
            tracing::info!(impu = %who.impu, ?sat, error = %e, "location service: SAR skipped");
            return;
        }
    }
    match sar(shared, Some(&who.impi), &who.impu, sat, false).await {
        Ok(saa) if saa.result.is_success() => {
            tracing::info!(impi = %who.impi, impu = %who.impu, ?sat, "HSS told of the unfinished authentication");
        }
        Ok(saa) => {
            tracing::info!(impi = %who.impi, impu = %who.impu, ?sat, result = %saa.result, "SAR refused");
        }
        Err(e) => {
            tracing::info!(impi = %who.impi, impu = %who.impu, ?sat, error = %e, "SAR failed");
        }
    }
}
