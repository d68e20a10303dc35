//! Session routing (TS 24.229 §5.4.3): originating and terminating requests, iFC evaluation
//! and ISC routing to application servers, terminating lookup with Path.

use sip_proto::proxy::{AppRequest, Decision, Forward, LocalResponse};
use sip_proto::transaction::ServerTransactionId;
use sip_types::{Message, StatusCode};

use crate::state::Shared;

/// Handle a request that is not a REGISTER to us.
pub(crate) async fn handle_request(shared: &Shared, request: AppRequest) -> Decision {
    let _ = shared;
    if !request.plan.by_request_uri {
        return Decision::Forward(Forward::from_plan(request.plan));
    }
    Decision::Respond(LocalResponse::new(StatusCode::NOT_IMPLEMENTED))
}

/// The final response of a request forwarded with `observe` (charging hooks go here).
pub(crate) async fn on_final(
    shared: &Shared,
    id: ServerTransactionId,
    request: &Message,
    status: StatusCode,
    response: Option<&Message>,
) {
    let _ = (shared, id, request, status, response);
}

/// After a successful registration of `user` (REGISTER `register`, answered 200 by
/// `ok_response`): third-party REGISTER to every application server whose iFC matches the
/// REGISTER (TS 24.229 §5.4.1.7). Runs on its own task; failures are logged.
pub(crate) async fn third_party_register(
    shared: &Shared,
    register: &Message,
    ok_response: &[u8],
    user: &crate::state::ServedUser,
) {
    let _ = (shared, register, ok_response, user);
}
