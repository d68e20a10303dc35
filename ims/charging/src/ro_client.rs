//! The Ro client (RFC 4006 §5, §6, TS 32.299 §6.3): sends CCRs over one or two
//! `diameter_net` client handles, primary and alternative OCS, with the Tx timer and
//! Credit-Control-Failure-Handling (RFC 4006 §5.7, §8.14, §13).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use diameter_codec::generated::cc::{CcRequestType, CreditControlFailureHandling};
use diameter_codec::session_id::format_session_id;
use diameter_codec::ResultCode;
use diameter_net::ClientHandle;

use crate::cca::CreditAnswer;
use crate::ccr::{CreditRequest, Units};
use crate::identity::ClientIdentity;
use crate::ims_information::ImsInformation;
use crate::retransmission::{marked, next_end_to_end, unix_now};
use crate::ro_session::RoSession;

/// Low word of the Session-Ids of this process (RFC 6733 §8.8).
static SESSION_LOW: AtomicU32 = AtomicU32::new(0);

/// How the client behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoOptions {
    /// Tx: how long to wait for a CCA before failure handling (RFC 4006 §13; 10 s).
    pub tx: Duration,
    /// Local Credit-Control-Failure-Handling until a CCA sets one (default TERMINATE).
    pub failure_handling: CreditControlFailureHandling,
}

impl Default for RoOptions {
    fn default() -> Self {
        Self {
            tx: Duration::from_secs(10),
            failure_handling: CreditControlFailureHandling::TERMINATE,
        }
    }
}

/// What the caller does with the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoOutcome {
    /// The OCS answered with success: `units` granted (CC-Time seconds for sessions,
    /// service-specific units for events; 0 for a CCR-TERMINATION), and whether these are
    /// the final units (Final-Unit-Indication, RFC 4006 §5.6).
    Granted {
        /// Granted units.
        units: u64,
        /// A Final-Unit-Indication came with them.
        final_unit: bool,
    },
    /// The OCS refused: e.g. 4012 DIAMETER_CREDIT_LIMIT_REACHED (the S-CSCF answers 402),
    /// 5030 DIAMETER_USER_UNKNOWN, 4010 END_USER_SERVICE_DENIED.
    Denied {
        /// The deciding Result-Code (top level or MSCC).
        code: u32,
    },
    /// No OCS answered and failure handling is CONTINUE: serve without credit control.
    Continue,
    /// No OCS answered and failure handling is TERMINATE or RETRY_AND_TERMINATE: end the
    /// service.
    Terminate,
}

/// What one attempt at one server gave.
enum Attempt {
    /// An answer that decides.
    Answer(CreditAnswer),
    /// A temporary failure answer (3002, 3004).
    Busy,
    /// No answer: Tx expired or the request could not be sent.
    Unanswered,
}

/// Result codes that mean "this server cannot serve now" (RFC 4006 §5.7: transport and
/// temporary failures): failure handling applies as on a Tx expiry.
fn is_temporary_failure(code: u32) -> bool {
    code == ResultCode::DIAMETER_UNABLE_TO_DELIVER.0 || code == ResultCode::DIAMETER_TOO_BUSY.0
}

/// The Ro client of one node.
#[derive(Debug, Clone)]
pub struct RoClient {
    identity: ClientIdentity,
    options: RoOptions,
    servers: Vec<ClientHandle>,
    boot: u32,
}

impl RoClient {
    /// A client sending to `primary`, and to `secondary` on failover.
    pub fn new(
        identity: ClientIdentity,
        options: RoOptions,
        primary: ClientHandle,
        secondary: Option<ClientHandle>,
    ) -> Self {
        let boot = unix_now();
        Self {
            identity,
            options,
            servers: std::iter::once(primary).chain(secondary).collect(),
            boot: u32::try_from(boot & u64::from(u32::MAX)).unwrap_or(0),
        }
    }

    /// The identity requests are sent with.
    pub fn identity(&self) -> &ClientIdentity {
        &self.identity
    }

    /// A fresh Session-Id (RFC 6733 §8.8: Origin-Host, boot time, counter).
    pub fn new_session_id(&self) -> String {
        let low = SESSION_LOW.fetch_add(1, Ordering::Relaxed);
        format_session_id(&self.identity.origin_host, self.boot, low, None)
    }

    /// A new session for `subscriber` with the local failure handling.
    pub fn session(&self, subscriber: &str) -> RoSession {
        RoSession::new(
            self.new_session_id(),
            subscriber,
            self.options.failure_handling,
        )
    }

    /// CCR-INITIAL asking for `requested` seconds (RFC 4006 §5.2).
    pub async fn start(
        &self,
        s: &mut RoSession,
        requested: u32,
        ims: &ImsInformation,
    ) -> RoOutcome {
        let req = s.initial(requested);
        self.exchange(s, req, ims).await
    }

    /// CCR-UPDATE reporting `used` seconds and asking for `requested` more (RFC 4006 §5.3).
    pub async fn update(
        &self,
        s: &mut RoSession,
        used: u32,
        requested: u32,
        ims: &ImsInformation,
    ) -> RoOutcome {
        let req = s.update(used, requested);
        self.exchange(s, req, ims).await
    }

    /// CCR-TERMINATION reporting `used` seconds (RFC 4006 §5.4).
    pub async fn stop(&self, s: &mut RoSession, used: u32, ims: &ImsInformation) -> RoOutcome {
        let req = s.termination(used);
        self.exchange(s, req, ims).await
    }

    /// CCR-EVENT debiting `units` directly (RFC 4006 §6.3). The session's
    /// Credit-Control-Failure-Handling applies to it as to a session request.
    pub async fn event(&self, subscriber: &str, units: u64, ims: &ImsInformation) -> RoOutcome {
        let mut s = self.session(subscriber);
        let req = CreditRequest::event(&s.session_id, subscriber, units);
        self.exchange(&mut s, req, ims).await
    }

    async fn attempt(&self, server: usize, bytes: &bytes::Bytes) -> Attempt {
        let Some(handle) = self.servers.get(server) else {
            return Attempt::Unanswered;
        };
        match tokio::time::timeout(self.options.tx, handle.request(bytes.clone())).await {
            Ok(Ok(msg)) => match CreditAnswer::parse(&msg) {
                Ok(cca) if !is_temporary_failure(cca.result_code) => Attempt::Answer(cca),
                Ok(cca) => {
                    tracing::debug!(server, code = cca.result_code, "OCS temporary failure");
                    Attempt::Busy
                }
                Err(e) => {
                    tracing::warn!(server, error = %e, "unreadable CCA");
                    Attempt::Busy
                }
            },
            Ok(Err(e)) => {
                tracing::debug!(server, error = %e, "CCR not delivered");
                Attempt::Unanswered
            }
            Err(_) => {
                tracing::debug!(server, "Tx expired");
                Attempt::Unanswered
            }
        }
    }

    /// Stamps `req` (Event-Timestamp), sends it to the session's server, fails over when
    /// allowed, and maps the result.
    async fn exchange(
        &self,
        s: &mut RoSession,
        mut req: CreditRequest,
        ims: &ImsInformation,
    ) -> RoOutcome {
        req.event_timestamp.get_or_insert_with(unix_now);
        let mut bytes = req.encode(&self.identity, ims, next_end_to_end());
        let first = s.server.min(self.servers.len().saturating_sub(1));
        let mut order = vec![first];
        if s.may_fail_over() {
            order.extend((0..self.servers.len()).filter(|&i| i != first));
        }
        for server in order {
            match self.attempt(server, &bytes).await {
                Attempt::Answer(cca) => {
                    s.apply(server, &cca);
                    return Self::outcome(req.request_type, &cca);
                }
                // The request may have arrived: the copy to the next server is marked.
                Attempt::Unanswered => bytes = marked(&bytes),
                Attempt::Busy => {}
            }
        }
        tracing::warn!(session_id = %s.session_id, handling = s.failure_handling.0, "no OCS answered");
        if s.failure_handling == CreditControlFailureHandling::CONTINUE {
            s.uncontrolled = true;
            RoOutcome::Continue
        } else {
            RoOutcome::Terminate
        }
    }

    fn outcome(kind: CcRequestType, cca: &CreditAnswer) -> RoOutcome {
        if !cca.is_success() {
            return RoOutcome::Denied {
                code: cca.effective_result(),
            };
        }
        let units = match cca.granted() {
            Some(Units::Time(t)) => u64::from(t),
            Some(Units::Events(n)) => n,
            None => 0,
        };
        RoOutcome::Granted {
            units: if kind == CcRequestType::TERMINATION_REQUEST {
                0
            } else {
                units
            },
            final_unit: cca.final_unit_action().is_some(),
        }
    }
}
