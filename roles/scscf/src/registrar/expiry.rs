//! Registration expiry (RFC 3261 §10.2.1; TS 24.229 §5.4.1.5): bindings past their time go,
//! and a user left with none is de-registered at the HSS (SAR TIMEOUT_DEREGISTRATION).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ims_cx::ServerAssignmentType;

use super::registration::sar;
use super::unfinished::{tell_hss, Unfinished};
use super::unix_now;
use crate::state::Shared;

/// Runs [`expire_once`] every second until the task is aborted. Challenges that expired
/// unanswered are reported to the HSS (SAR AUTHENTICATION_TIMEOUT, TS 29.228 §6.1.2) on
/// their own tasks, so that a slow HSS does not hold up expiry.
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        for who in shared.auth.purge() {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                tell_hss(&shared, &who, Unfinished::TimedOut).await;
            });
        }
        expire_once(&shared).await;
    }
}

/// Drops expired bindings; SAR TIMEOUT_DEREGISTRATION and forgets the profile of every AOR
/// left without a binding.
pub(crate) async fn expire_once(shared: &Shared) {
    let now = unix_now();
    let expired = match shared.registrations.expire(now).await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "expiry: location service");
            return;
        }
    };
    let aors: BTreeSet<String> = expired.into_iter().map(|b| b.aor).collect();
    for aor in aors {
        match shared.registrations.lookup(&aor, now).await {
            Ok(left) if left.is_empty() => {}
            _ => continue,
        }
        let user = shared.profiles.remove(&aor);
        shared.auth.note_deregistered(&aor);
        let impi = user.as_ref().map(|u| u.impi.as_str());
        tracing::info!(aor, "registration expired");
        match sar(
            shared,
            impi,
            &aor,
            ServerAssignmentType::TimeoutDeregistration,
            false,
        )
        .await
        {
            Ok(saa) if saa.result.is_success() => {}
            Ok(saa) => {
                tracing::warn!(aor, result = %saa.result, "SAR TIMEOUT_DEREGISTRATION refused")
            }
            Err(e) => tracing::warn!(aor, error = %e, "SAR TIMEOUT_DEREGISTRATION failed"),
        }
    }
}
