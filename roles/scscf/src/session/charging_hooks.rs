//! Where charging hooks into session routing (TS 32.260 §5.2.2): the Ro/Rf trigger of
//! `crate::charging` (when `[charging]` is configured) is asked before an initial INVITE or a
//! MESSAGE leaves the originating or terminating chain, and told of finals and BYEs; the
//! session records of [`super::dialogs`] are logged as start/stop triggers.

use sip_proto::proxy::Decision;
use sip_types::{Message, Method, StatusCode};

use crate::charging::{ChargingRole, Verdict};
use crate::state::Shared;

use super::dialogs::SessionRecord;
use super::routing::{has_to_tag, reply};

/// True for the requests charging looks at: initial INVITEs and MESSAGEs.
pub(crate) fn is_charged(request: &Message) -> bool {
    let method = request.method();
    (method == Some(&Method::INVITE) && !has_to_tag(request)) || method == Some(&Method::MESSAGE)
}

/// Before `request` of `served_user` is forwarded in `role`: the answer when charging refuses
/// it (402 without credit, 503 when no OCS answered and failure handling terminates).
pub(crate) async fn authorize(
    shared: &Shared,
    request: &Message,
    role: ChargingRole,
    served_user: &str,
) -> Option<Decision> {
    let trigger = shared.charging.as_ref()?;
    let verdict = match request.method() {
        Some(m) if *m == Method::INVITE => {
            trigger.authorize_session(request, role, served_user).await
        }
        Some(m) if *m == Method::MESSAGE => trigger.charge_event(request, role, served_user).await,
        _ => Verdict::Proceed,
    };
    match verdict {
        Verdict::Proceed => None,
        Verdict::Reject(status) if status == StatusCode::PAYMENT_REQUIRED => {
            Some(reply(status, "Payment Required (no credit)"))
        }
        Verdict::Reject(status) => Some(reply(status, "Service Unavailable (charging)")),
    }
}

/// A request that was authorized is answered by us (not forwarded): release what was
/// reserved for it.
pub(crate) async fn release(shared: &Shared, request: &Message, status: StatusCode) {
    if let Some(trigger) = &shared.charging {
        trigger.on_final(request, status, None).await;
    }
}

/// The final response of an observed request.
pub(crate) async fn on_final(
    shared: &Shared,
    request: &Message,
    status: StatusCode,
    response: Option<&Message>,
) {
    if let Some(trigger) = &shared.charging {
        trigger.on_final(request, status, response).await;
    }
}

/// An in-dialog BYE passing through.
pub(crate) async fn on_bye(shared: &Shared, bye: &Message) {
    if let Some(trigger) = &shared.charging {
        trigger.on_bye(bye).await;
    }
}

/// A session started (the 2xx to an originating INVITE).
pub fn session_started(record: &SessionRecord) {
    // Per call: debug, not info (the call records are the CDF's job, and a log line per call
    // costs a write on the hot path).
    tracing::debug!(
        call_id = %record.call_id,
        served_user = %record.served_user,
        "session started"
    );
}

/// A session ended (BYE).
pub fn session_ended(record: &SessionRecord) {
    tracing::debug!(
        call_id = %record.call_id,
        served_user = %record.served_user,
        seconds = record.started.elapsed().as_secs(),
        "session ended"
    );
}
