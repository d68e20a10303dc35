//! Trigger-point evaluation (TS 29.228 Annex C; TS 23.218 §6.4): which iFCs of a service
//! profile match a SIP request, in priority order.

use sip_types::{HeaderName, Message};

use super::model::{
    InitialFilterCriteria, ProfilePartIndicator, RegistrationType, ServiceProfile, SessionCase,
    Spt, SptKind, TriggerPoint,
};

/// Whether the served user is registered (selects the profile part, Annex B.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistrationState {
    /// Registered: iFCs with ProfilePartIndicator REGISTERED or none apply.
    Registered,
    /// Unregistered: iFCs with ProfilePartIndicator UNREGISTERED or none apply.
    Unregistered,
}

/// What the S-CSCF knows about the request beyond its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalContext {
    /// The session case the request is handled in (TS 29.228 Annex B.2.2 SessionCase).
    pub session_case: SessionCase,
    /// The served user's registration state.
    pub registration_state: RegistrationState,
    /// For a REGISTER: initial, re- or de-registration (SPT RegistrationType extension).
    /// `None` for other requests; a REGISTER SPT that lists types then does not match.
    pub registration_type: Option<RegistrationType>,
}

impl EvalContext {
    /// A context with no registration type.
    pub fn new(session_case: SessionCase, registration_state: RegistrationState) -> Self {
        Self {
            session_case,
            registration_state,
            registration_type: None,
        }
    }

    /// The same context for a REGISTER of type `t`.
    pub fn with_registration_type(mut self, t: RegistrationType) -> Self {
        self.registration_type = Some(t);
        self
    }
}

impl ServiceProfile {
    /// The iFCs whose trigger points match `request`, lowest Priority first (document order
    /// among equal priorities). Only requests match: a response yields nothing.
    pub fn matching_ifcs<'a>(
        &'a self,
        request: &Message,
        ctx: &EvalContext,
    ) -> Vec<&'a InitialFilterCriteria> {
        self.matching_ifcs_after(request, ctx, None)
    }

    /// Like [`ServiceProfile::matching_ifcs`] but only iFCs with a priority greater than
    /// `after`: where the S-CSCF resumes when a request comes back from an AS
    /// (TS 23.218 §6.5).
    pub fn matching_ifcs_after<'a>(
        &'a self,
        request: &Message,
        ctx: &EvalContext,
        after: Option<i32>,
    ) -> Vec<&'a InitialFilterCriteria> {
        if !request.is_request() {
            return Vec::new();
        }
        let mut out: Vec<&InitialFilterCriteria> = self
            .initial_filter_criteria
            .iter()
            .filter(|ifc| after.is_none_or(|p| ifc.priority > p))
            .filter(|ifc| ifc.matches(request, ctx))
            .collect();
        out.sort_by_key(|ifc| ifc.priority);
        out
    }
}

impl InitialFilterCriteria {
    /// True when the profile part applies to the registration state and the trigger point
    /// (if any) matches.
    pub fn matches(&self, request: &Message, ctx: &EvalContext) -> bool {
        let part_ok = matches!(
            (self.profile_part_indicator, ctx.registration_state),
            (None, _)
                | (
                    Some(ProfilePartIndicator::Registered),
                    RegistrationState::Registered
                )
                | (
                    Some(ProfilePartIndicator::Unregistered),
                    RegistrationState::Unregistered
                )
        );
        part_ok
            && self
                .trigger_point
                .as_ref()
                .is_none_or(|tp| tp.matches(request, ctx))
    }
}

impl TriggerPoint {
    /// Evaluate the SPTs grouped by Group number (Annex C): CNF is the AND over groups of the
    /// OR within each group; DNF is the OR over groups of the AND within each group.
    pub fn matches(&self, request: &Message, ctx: &EvalContext) -> bool {
        let mut groups: Vec<u32> = self
            .spts
            .iter()
            .flat_map(|s| s.groups.iter().copied())
            .collect();
        groups.sort_unstable();
        groups.dedup();
        // Each SPT is evaluated once even when it belongs to several groups.
        let results: Vec<bool> = self.spts.iter().map(|s| s.matches(request, ctx)).collect();
        let in_group = |g: u32| {
            self.spts
                .iter()
                .zip(&results)
                .filter(move |(s, _)| s.groups.contains(&g))
                .map(|(_, r)| *r)
        };
        if self.condition_type_cnf {
            !groups.is_empty() && groups.iter().all(|&g| in_group(g).any(|r| r))
        } else {
            groups.iter().any(|&g| in_group(g).all(|r| r))
        }
    }
}

impl Spt {
    /// The SPT's condition, inverted when ConditionNegated is set.
    pub fn matches(&self, request: &Message, ctx: &EvalContext) -> bool {
        self.condition(request, ctx) != self.condition_negated
    }

    fn condition(&self, request: &Message, ctx: &EvalContext) -> bool {
        match &self.kind {
            SptKind::Method(m) => {
                let Some(method) = request.method() else {
                    return false;
                };
                // Methods are compared ignoring ASCII case: profiles are typed by people.
                if !method.as_str().eq_ignore_ascii_case(m) {
                    return false;
                }
                self.registration_types.is_empty()
                    || !m.eq_ignore_ascii_case("REGISTER")
                    || ctx
                        .registration_type
                        .is_some_and(|t| self.registration_types.contains(&t))
            }
            SptKind::RequestUri(p) => request.request_uri().is_some_and(|u| p.is_match(u)),
            SptKind::SipHeader { header, content } => {
                let known = HeaderName::from_bytes(header.as_bytes());
                request
                    .headers()
                    .iter()
                    .filter(|h| {
                        if known == HeaderName::OTHER {
                            h.name == HeaderName::OTHER
                                && request.name_str(h).eq_ignore_ascii_case(header)
                        } else {
                            h.name == known
                        }
                    })
                    .any(|h| {
                        content
                            .as_ref()
                            .is_none_or(|p| p.is_match(request.value_str(h)))
                    })
            }
            SptKind::SessionCase(c) => *c == ctx.session_case,
            SptKind::SessionDescription { line, content } => sdp_lines(request.body())
                .filter(|(t, _)| *t == line.as_str())
                .any(|(_, v)| content.as_ref().is_none_or(|p| p.is_match(v))),
        }
    }
}

/// The `type=value` lines of an SDP body (RFC 4566 §5); lines that are not UTF-8 or not of
/// that form are skipped.
fn sdp_lines(body: &[u8]) -> impl Iterator<Item = (&str, &str)> + '_ {
    body.split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter_map(|l| l.split_once('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdp_lines_split_type_and_value() {
        let body = b"v=0\r\nm=audio 4000 RTP/AVP 0\r\n\xff\xfe=bad\r\na=sendrecv\n";
        let lines: Vec<_> = sdp_lines(body).collect();
        assert_eq!(
            lines,
            vec![("v", "0"), ("m", "audio 4000 RTP/AVP 0"), ("a", "sendrecv")]
        );
    }
}
