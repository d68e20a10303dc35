//! The registrar (TS 24.229 §5.4.1): IMS AKA and digest challenges with vectors from the HSS
//! (Cx MAR), SAR on registration, re-registration and de-registration, the location service,
//! expiry, and the HSS's RTR/PPR.

use bytes::Bytes;
use diameter_codec::Message as DiameterMessage;
use sip_proto::proxy::{AppRequest, Decision, LocalResponse};
use sip_types::StatusCode;

use crate::state::Shared;

/// Challenges in flight and failure counts, shared by every REGISTER handler.
#[derive(Debug, Default)]
pub struct AuthState {}

/// Handle a REGISTER addressed to us (its Request-URI is a home domain).
pub(crate) async fn handle_register(shared: &Shared, request: &AppRequest) -> Decision {
    let _ = shared;
    let _ = request;
    Decision::Respond(LocalResponse::new(StatusCode::NOT_IMPLEMENTED))
}

/// A Cx request from the HSS (RTR, PPR); returns the answer.
pub(crate) async fn handle_hss_request(shared: &Shared, request: &DiameterMessage) -> Bytes {
    let _ = shared;
    let _ = request;
    Bytes::new()
}

/// Runs until the process stops: removes expired bindings and tells the HSS (SAR
/// TIMEOUT_DEREGISTRATION) when a user's last binding goes.
pub(crate) async fn run_expiry(shared: std::sync::Arc<Shared>) {
    let _ = shared;
    std::future::pending::<()>().await;
}
