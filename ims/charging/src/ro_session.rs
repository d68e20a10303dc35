//! The client side of one credit-control session (RFC 4006 §5): request numbering, what
//! was granted, and the failure handling the server asked for. Pure.

use diameter_codec::generated::cc::{
    CcSessionFailover, CreditControlFailureHandling, FinalUnitAction,
};

use crate::cca::CreditAnswer;
use crate::ccr::CreditRequest;

/// One Ro session as the charging trigger sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoSession {
    /// Session-Id, constant for the session's lifetime (RFC 4006 §5.1).
    pub session_id: String,
    /// The charged user (SIP or tel URI).
    pub subscriber: String,
    /// CC-Request-Number of the next request.
    pub next_number: u32,
    /// Seconds granted by the last answer (0 before the first or after a denial).
    pub granted_seconds: u32,
    /// Validity-Time of the last grant.
    pub validity_time: Option<u32>,
    /// Final-Unit-Action of the last grant: the granted units are the last ones.
    pub final_unit_action: Option<FinalUnitAction>,
    /// Credit-Control-Failure-Handling in force: local default, then as the server set it.
    pub failure_handling: CreditControlFailureHandling,
    /// Whether the server said CC-Session-Failover FAILOVER_SUPPORTED.
    pub failover_supported: bool,
    /// Whether an answer has been received (failover before it is always allowed).
    pub answered: bool,
    /// Index of the server the session is bound to (0 primary, 1 secondary).
    pub server: usize,
    /// Whether the session goes on without credit control (CONTINUE after a failure).
    pub uncontrolled: bool,
}

impl RoSession {
    /// A session before its CCR-INITIAL.
    pub fn new(
        session_id: impl Into<String>,
        subscriber: impl Into<String>,
        failure_handling: CreditControlFailureHandling,
    ) -> Self {
        Self {
            session_id: session_id.into(),
            subscriber: subscriber.into(),
            next_number: 0,
            granted_seconds: 0,
            validity_time: None,
            final_unit_action: None,
            failure_handling,
            failover_supported: false,
            answered: false,
            server: 0,
            uncontrolled: false,
        }
    }

    fn take_number(&mut self) -> u32 {
        let n = self.next_number;
        self.next_number = n.saturating_add(1);
        n
    }

    /// The CCR-INITIAL (number 0) asking for `requested` seconds.
    pub fn initial(&mut self, requested: u32) -> CreditRequest {
        self.next_number = 1;
        CreditRequest::initial(&self.session_id, &self.subscriber, requested)
    }

    /// The next CCR-UPDATE reporting `used` seconds of the last grant.
    pub fn update(&mut self, used: u32, requested: u32) -> CreditRequest {
        let n = self.take_number();
        CreditRequest::update(&self.session_id, &self.subscriber, n, used, requested)
    }

    /// The CCR-TERMINATION reporting `used` seconds of the last grant.
    pub fn termination(&mut self, used: u32) -> CreditRequest {
        let n = self.take_number();
        CreditRequest::termination(&self.session_id, &self.subscriber, n, used)
    }

    /// Whether a failed request may be re-sent to the alternative server (RFC 4006 §5.7:
    /// CONTINUE or RETRY_AND_TERMINATE, and failover supported: always before the first
    /// answer, later only when the server said FAILOVER_SUPPORTED).
    pub fn may_fail_over(&self) -> bool {
        self.failure_handling != CreditControlFailureHandling::TERMINATE
            && (!self.answered || self.failover_supported)
    }

    /// Records an answer from server `server`.
    pub fn apply(&mut self, server: usize, cca: &CreditAnswer) {
        self.answered = true;
        self.server = server;
        self.uncontrolled = false;
        if let Some(h) = cca.failure_handling {
            self.failure_handling = h;
        }
        if let Some(f) = cca.session_failover {
            self.failover_supported = f == CcSessionFailover::FAILOVER_SUPPORTED;
        }
        if cca.is_success() {
            self.granted_seconds = cca.granted_time().unwrap_or(0);
            self.validity_time = cca.validity_time();
            self.final_unit_action = cca.final_unit_action();
        } else {
            self.granted_seconds = 0;
            self.validity_time = None;
            self.final_unit_action = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cca::ServiceAnswer;
    use crate::ccr::Units;
    use diameter_codec::generated::cc::CcRequestType;

    fn cca(result: u32, granted: Option<u32>) -> CreditAnswer {
        CreditAnswer {
            session_id: "s".into(),
            result_code: result,
            request_type: None,
            request_number: None,
            services: vec![ServiceAnswer {
                granted: granted.map(Units::Time),
                validity_time: Some(300),
                ..ServiceAnswer::default()
            }],
            failure_handling: Some(CreditControlFailureHandling::RETRY_AND_TERMINATE),
            session_failover: None,
        }
    }

    #[test]
    fn numbers_grants_and_failover_rules() {
        let mut s = RoSession::new("s", "sip:a@x", CreditControlFailureHandling::CONTINUE);
        assert!(s.may_fail_over());
        let i = s.initial(60);
        assert_eq!(
            (i.request_type, i.request_number),
            (CcRequestType::INITIAL_REQUEST, 0)
        );
        s.apply(1, &cca(2001, Some(60)));
        assert_eq!(
            (s.granted_seconds, s.validity_time, s.server),
            (60, Some(300), 1)
        );
        assert_eq!(
            s.failure_handling,
            CreditControlFailureHandling::RETRY_AND_TERMINATE
        );
        // Answered without CC-Session-Failover: FAILOVER_NOT_SUPPORTED (RFC 4006 §8.4).
        assert!(!s.may_fail_over());
        assert_eq!(s.update(60, 60).request_number, 1);
        s.apply(1, &cca(4012, None));
        assert_eq!(s.granted_seconds, 0);
        assert_eq!(s.termination(0).request_number, 2);
        let t = RoSession::new("t", "sip:a@x", CreditControlFailureHandling::TERMINATE);
        assert!(!t.may_fail_over());
    }
}
