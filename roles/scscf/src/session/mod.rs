//! Session routing (TS 24.229 §5.4.3): originating and terminating requests, iFC evaluation
//! and ISC routing to application servers, terminating lookup with Path.
//!
//! - [`originating`]: a request whose Route carried our `orig` Service-Route (§5.4.3.2).
//! - [`terminating`]: any other initial request for a home user (§5.4.3.3).
//! - [`isc`]: iFCs in priority order, the AS Route with our ODI Route behind it, default
//!   handling; [`odi`]: the ODI tokens.
//! - [`dialogs`]: records of answered originating INVITEs; [`charging_hooks`]: where the
//!   Ro/Rf trigger is asked and told.
//! - [`third_party`]: third-party REGISTER (§5.4.1.7).
//!
//! In-dialog requests follow their Route set (we Record-Route every initial dialog-forming
//! request).

pub mod charging_hooks;
pub mod dialogs;
pub mod isc;
pub mod odi;
pub mod originating;
pub mod routing;
pub mod served;
pub mod terminating;
pub mod third_party;

use std::time::Instant;

use sip_proto::proxy::{AppRequest, Decision, Forward, HostTable, LocalResponse, Plan};
use sip_proto::transaction::ServerTransactionId;
use sip_types::{Message, Method, StatusCode, Uri};

use crate::state::{ServedUser, Shared};

use self::dialogs::Dialogs;
use self::odi::{token_of, OdiMap, OdiState};
use self::originating::ORIG_USER;
use self::routing::{has_to_tag, identity_of, is_home, locate, reply, route_users, Job};
use self::third_party::ThirdPartyRegistrations;

/// What session routing keeps between requests.
#[derive(Debug)]
pub struct SessionState {
    /// `[sip.hosts]`: next hops given by name (Path hops, application servers, the I-CSCF).
    pub hosts: HostTable,
    /// ODI tokens handed to application servers.
    pub odi: OdiMap,
    /// Answered originating INVITEs (for charging).
    pub dialogs: Dialogs,
    /// Third-party registrations in force.
    pub third_party: ThirdPartyRegistrations,
    /// `[isc] timeout_ms`: how long an application server may stay silent (None: Timer B/F).
    pub isc_timeout: Option<std::time::Duration>,
}

impl SessionState {
    /// Empty state resolving names with `hosts`.
    pub fn new(hosts: HostTable) -> Self {
        Self {
            hosts,
            odi: OdiMap::default(),
            dialogs: Dialogs::default(),
            third_party: ThirdPartyRegistrations::default(),
            isc_timeout: None,
        }
    }

    /// With the ISC timer `timeout` (`[isc] timeout_ms`).
    pub fn with_isc_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.isc_timeout = timeout;
        self
    }
}

/// Handle a request that is not a REGISTER to us.
pub(crate) async fn handle_request(shared: &Shared, request: AppRequest) -> Decision {
    let AppRequest {
        id,
        request,
        flow,
        plan,
    } = request;
    tracing::debug!(
        method = %request.method().map(Method::as_str).unwrap_or_default(),
        call_id = request.call_id().unwrap_or_default(),
        by_request_uri = plan.by_request_uri,
        "session request"
    );
    if has_to_tag(&request) {
        return in_dialog(shared, &request, plan).await;
    }
    let by_request_uri = plan.by_request_uri;
    let mut job = Job {
        shared,
        id,
        request: &request,
        flow,
        edits: plan.edits.clone(),
    };
    if !by_request_uri {
        if let Some(state) = isc::resume_after_failed_as(&mut job) {
            return resume(job, state).await;
        }
        return Decision::Forward(Forward::from_plan(plan));
    }
    let users = route_users(&request);
    if let Some(token) = users.iter().flatten().find_map(|u| token_of(u)) {
        return match shared.sessions.odi.get(token, Instant::now()) {
            Some(state) => resume(job, state).await,
            None => reply(
                StatusCode::SERVER_INTERNAL_ERROR,
                "Server Internal Error (unknown or expired ODI)",
            ),
        };
    }
    if users.iter().flatten().any(|u| u == ORIG_USER) {
        return originating::start(job).await;
    }
    terminating_request(job).await
}

/// A request without our `orig` Route (from the I-CSCF): terminating for the Request-URI's
/// identity when it is a home user.
async fn terminating_request(job: Job<'_>) -> Decision {
    let text = job.request.request_uri().unwrap_or_default();
    let identity = match Uri::parse(text) {
        Ok(uri @ Uri::Sip(u)) if is_home(&job.shared.config, u.host_str) => identity_of(&uri),
        Ok(uri @ Uri::Tel { .. }) => identity_of(&uri),
        _ => None,
    };
    match identity {
        Some(identity) => terminating::start(job, &identity).await,
        // OPTIONS to this node itself (a keep-alive probe of the P-/I-CSCF, RFC 3261 §11).
        None if job.request.method() == Some(&Method::OPTIONS) => {
            Decision::Respond(LocalResponse::new(StatusCode::OK).header(
                "Allow",
                "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, REGISTER, PRACK, UPDATE, \
                 SUBSCRIBE, NOTIFY, REFER, INFO",
            ))
        }
        None => reply(StatusCode::NOT_FOUND, "Not Found (not a home user)"),
    }
}

/// A request back from an AS (or from a failed AS, through ourselves): resume its chain.
async fn resume(job: Job<'_>, state: OdiState) -> Decision {
    let chain = isc::chain_of(&state);
    if isc::is_originating_case(state.case) {
        return originating::resume(job, &chain, Some(state.priority)).await;
    }
    if job.request.request_uri().unwrap_or_default() != state.request_uri {
        // A terminating AS retargeted the request (e.g. call forwarding): route it on.
        tracing::info!(identity = %state.identity, "request retargeted by an application server");
        return originating::by_request_uri(job).await;
    }
    terminating::resume(job, &chain, Some(state.priority)).await
}

/// An in-dialog request: along its Route set, or to its Request-URI (the remote target) when
/// no Route is left. A BYE closes the session record and ends charging.
async fn in_dialog(shared: &Shared, request: &Message, plan: Plan) -> Decision {
    if request.method() == Some(&Method::BYE) {
        if let Some(record) = request
            .call_id()
            .ok()
            .and_then(|c| shared.sessions.dialogs.end(c))
        {
            charging_hooks::session_ended(&record);
        }
        charging_hooks::on_bye(shared, request).await;
    }
    if !plan.by_request_uri {
        return Decision::Forward(Forward::from_plan(plan));
    }
    let targets = locate(
        &shared.sessions.hosts,
        request.request_uri().unwrap_or_default(),
    );
    if targets.is_empty() {
        return reply(
            StatusCode::NOT_FOUND,
            "Not Found (in-dialog target cannot be located)",
        );
    }
    Decision::Forward(Forward {
        edits: plan.edits,
        targets,
        record_route: false,
        observe: false,
        strip_from_responses: Vec::new(),
        give_up_after: Vec::new(),
    })
}

/// The final response of a request forwarded with `observe`: a 2xx to an originating INVITE
/// opens its session record; charging hears of every final.
pub(crate) async fn on_final(
    shared: &Shared,
    id: ServerTransactionId,
    request: &Message,
    status: StatusCode,
    response: Option<&Message>,
) {
    tracing::debug!(
        call_id = request.call_id().unwrap_or_default(),
        status = status.0,
        from_downstream = response.is_some(),
        "final response"
    );
    if let Some(record) = shared.sessions.dialogs.on_final(id, request, status) {
        charging_hooks::session_started(&record);
    }
    charging_hooks::on_final(shared, request, status, response).await;
}

/// After a successful registration of `user` (REGISTER `register`, answered 200 by
/// `ok_response`): third-party REGISTER to every application server whose iFC matches the
/// REGISTER (TS 24.229 §5.4.1.7). Runs on its own task; failures are logged.
pub async fn third_party_register(
    shared: &Shared,
    register: &Message,
    ok_response: &[u8],
    user: &ServedUser,
) {
    third_party::register_with_application_servers(shared, register, ok_response, user).await;
}
