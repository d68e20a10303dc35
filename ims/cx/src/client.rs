//! The async Cx client: builds a request, sends it through a [`ClientHandle`] (routing,
//! failover and timeouts are the node's, RFC 6733 §5.5.4, §6.1) and parses the answer.

use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use diameter_codec::SessionIdGenerator;
use diameter_net::ClientHandle;

use crate::error::CxError;
use crate::identity::CxIdentity;
use crate::lir::{LirRequest, LocationInfoAnswer};
use crate::mar::{MarRequest, MultimediaAuthAnswer};
use crate::sar::{SarRequest, ServerAssignmentAnswer};
use crate::uar::{UarRequest, UserAuthorizationAnswer};

/// A Cx client for an I-CSCF or S-CSCF: one identity, one Session-Id per request
/// (TS 29.229 §6.1: Cx sessions are stateless, Auth-Session-State NO_STATE_MAINTAINED).
#[derive(Debug)]
pub struct CxClient {
    handle: ClientHandle,
    identity: CxIdentity,
    sessions: Mutex<SessionIdGenerator>,
}

impl CxClient {
    /// A client sending through `handle` as `identity`. Session-Ids start from the current
    /// time as the high word (RFC 6733 §8.8) and the process id as the low word.
    pub fn new(handle: ClientHandle, identity: CxIdentity) -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let high = u32::try_from(secs & u64::from(u32::MAX)).unwrap_or_default();
        let sessions = SessionIdGenerator::new(&identity.origin_host, high, std::process::id());
        Self::with_session_ids(handle, identity, sessions)
    }

    /// A client drawing Session-Ids from `sessions`.
    pub fn with_session_ids(
        handle: ClientHandle,
        identity: CxIdentity,
        sessions: SessionIdGenerator,
    ) -> Self {
        Self {
            handle,
            identity,
            sessions: Mutex::new(sessions),
        }
    }

    /// Our identity and destination.
    pub fn identity(&self) -> &CxIdentity {
        &self.identity
    }

    /// A fresh Session-Id.
    pub fn next_session_id(&self) -> String {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next_id(None)
    }

    /// Sends a UAR and parses the UAA (TS 29.228 §6.1.1).
    pub async fn uar(&self, request: &UarRequest<'_>) -> Result<UserAuthorizationAnswer, CxError> {
        let bytes = request.build(&self.identity, &self.next_session_id());
        UserAuthorizationAnswer::parse(&self.handle.request(bytes).await?)
    }

    /// Sends a MAR and parses the MAA (TS 29.228 §6.3).
    pub async fn mar(&self, request: &MarRequest<'_>) -> Result<MultimediaAuthAnswer, CxError> {
        let bytes = request.build(&self.identity, &self.next_session_id());
        MultimediaAuthAnswer::parse(&self.handle.request(bytes).await?)
    }

    /// Sends a SAR and parses the SAA (TS 29.228 §6.1.2).
    pub async fn sar(&self, request: &SarRequest<'_>) -> Result<ServerAssignmentAnswer, CxError> {
        let bytes = request.build(&self.identity, &self.next_session_id());
        ServerAssignmentAnswer::parse(&self.handle.request(bytes).await?)
    }

    /// Sends an LIR and parses the LIA (TS 29.228 §6.1.4).
    pub async fn lir(&self, request: &LirRequest<'_>) -> Result<LocationInfoAnswer, CxError> {
        let bytes = request.build(&self.identity, &self.next_session_id());
        LocationInfoAnswer::parse(&self.handle.request(bytes).await?)
    }
}
