//! The user profile of TS 29.228 Annex B.2 as carried in the IMSSubscription document
//! (Annex E): service profiles, public identities and initial filter criteria.

use super::pattern::Pattern;

/// `<IMSSubscription>`: one private identity and its service profiles (Annex B.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImsSubscription {
    /// `<PrivateID>`: the IMPI (NAI form).
    pub private_id: String,
    /// `<ServiceProfile>`, one or more.
    pub service_profiles: Vec<ServiceProfile>,
}

/// `<ServiceProfile>` (Annex B.2.1): identities sharing one set of services.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceProfile {
    /// `<PublicIdentity>`, one or more.
    pub public_identities: Vec<PublicIdentity>,
    /// `<CoreNetworkServicesAuthorization><SubscribedMediaProfileId>` (Annex B.2.4).
    pub subscribed_media_profile_id: Option<u32>,
    /// `<InitialFilterCriteria>`, in document order (evaluation orders by priority).
    pub initial_filter_criteria: Vec<InitialFilterCriteria>,
    /// `<Extension><SharedIFCSetID>` values (TS 29.228 Annex B.2.1, shared iFC sets).
    pub shared_ifc_set_ids: Vec<u32>,
}

/// `<PublicIdentity>` (Annex B.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublicIdentity {
    /// `<BarringIndication>`: true when barred (only for a user identity, §6.1.1.3).
    pub barring_indication: Option<bool>,
    /// `<Identity>`: SIP URI or tel URI.
    pub identity: String,
    /// `<Extension><IdentityType>`.
    pub identity_type: Option<IdentityType>,
    /// `<Extension><WildcardedPSI>` or (Rel-10+) `<Extension><WildcardedIMPU>` text.
    pub wildcarded: Option<String>,
    /// `<Extension><Extension><DisplayName>`.
    pub display_name: Option<String>,
}

/// `tIdentityType` (Annex E): 0 public user identity, 1 distinct PSI, 2 wildcarded PSI,
/// 3 wildcarded IMPU. Open: unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdentityType(pub u8);

impl IdentityType {
    /// PUBLIC_USER_IDENTITY (0).
    pub const PUBLIC_USER_IDENTITY: Self = Self(0);
    /// DISTINCT_PSI (1).
    pub const DISTINCT_PSI: Self = Self(1);
    /// WILDCARDED_PSI (2).
    pub const WILDCARDED_PSI: Self = Self(2);
    /// WILDCARDED_IMPU (3).
    pub const WILDCARDED_IMPU: Self = Self(3);
}

/// `<InitialFilterCriteria>` (Annex B.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialFilterCriteria {
    /// `<Priority>`: lower values are evaluated first.
    pub priority: i32,
    /// `<TriggerPoint>`; absent means the AS is always invoked.
    pub trigger_point: Option<TriggerPoint>,
    /// `<ApplicationServer>`.
    pub application_server: ApplicationServer,
    /// `<ProfilePartIndicator>`; absent means both registered and unregistered.
    pub profile_part_indicator: Option<ProfilePartIndicator>,
}

/// `<TriggerPoint>` (Annex B.2.2, C): SPTs combined by group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerPoint {
    /// `<ConditionTypeCNF>`: true for conjunctive normal form (AND of ORed groups), false
    /// for disjunctive normal form (OR of ANDed groups).
    pub condition_type_cnf: bool,
    /// `<SPT>`, one or more.
    pub spts: Vec<Spt>,
}

/// `<SPT>`: one service point trigger (Annex B.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spt {
    /// `<ConditionNegated>`.
    pub condition_negated: bool,
    /// `<Group>` numbers this SPT belongs to (one or more).
    pub groups: Vec<u32>,
    /// The condition.
    pub kind: SptKind,
    /// `<Extension><RegistrationType>` values, meaningful with `Method` REGISTER.
    pub registration_types: Vec<RegistrationType>,
}

/// The condition of an SPT (Annex B.2.2: exactly one per SPT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SptKind {
    /// `<RequestURI>`: a regular expression over the Request-URI text.
    RequestUri(Pattern),
    /// `<Method>`: the request method.
    Method(String),
    /// `<SIPHeader>`: a header's presence, or its content by regular expression.
    SipHeader {
        /// `<Header>`: the header name.
        header: String,
        /// `<Content>`: absent means "the header is present".
        content: Option<Pattern>,
    },
    /// `<SessionCase>`.
    SessionCase(SessionCase),
    /// `<SessionDescription>`: an SDP line's presence or content.
    SessionDescription {
        /// `<Line>`: the SDP line type (`m`, `a`, ...).
        line: String,
        /// `<Content>`: absent means "such a line is present".
        content: Option<Pattern>,
    },
}

/// `tDirectionOfRequest` (Annex E).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionCase {
    /// 0: ORIGINATING_REGISTERED.
    Originating,
    /// 1: TERMINATING_REGISTERED.
    TerminatingRegistered,
    /// 2: TERMINATING_UNREGISTERED.
    TerminatingUnregistered,
    /// 3: ORIGINATING_UNREGISTERED.
    OriginatingUnregistered,
    /// 4: ORIGINATING_CDIV.
    OriginatingCdiv,
}

impl SessionCase {
    /// The originating case for a served user who is (or is not) registered.
    pub fn originating(registered: bool) -> Self {
        if registered {
            Self::Originating
        } else {
            Self::OriginatingUnregistered
        }
    }

    /// The terminating case for a served user who is (or is not) registered.
    pub fn terminating(registered: bool) -> Self {
        if registered {
            Self::TerminatingRegistered
        } else {
            Self::TerminatingUnregistered
        }
    }

    /// The wire value.
    pub fn code(self) -> u8 {
        match self {
            Self::Originating => 0,
            Self::TerminatingRegistered => 1,
            Self::TerminatingUnregistered => 2,
            Self::OriginatingUnregistered => 3,
            Self::OriginatingCdiv => 4,
        }
    }

    /// From the wire value.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Originating,
            1 => Self::TerminatingRegistered,
            2 => Self::TerminatingUnregistered,
            3 => Self::OriginatingUnregistered,
            4 => Self::OriginatingCdiv,
            _ => return None,
        })
    }
}

/// `<ApplicationServer>` (Annex B.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplicationServer {
    /// `<ServerName>`: the AS's SIP URI.
    pub server_name: String,
    /// `<DefaultHandling>`: what to do when the AS does not answer.
    pub default_handling: DefaultHandling,
    /// `<ServiceInfo>`: opaque data for the AS (in the third-party REGISTER body).
    pub service_info: Option<String>,
    /// `<Extension><IncludeRegisterRequest/>`: put the incoming REGISTER in the third-party
    /// REGISTER body (TS 24.229 §5.4.1.7).
    pub include_register_request: bool,
    /// `<Extension><IncludeRegisterResponse/>`: put the 200 OK to REGISTER in the body.
    pub include_register_response: bool,
}

/// `tDefaultHandling` (Annex E).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DefaultHandling {
    /// 0: SESSION_CONTINUED.
    #[default]
    SessionContinued,
    /// 1: SESSION_TERMINATED.
    SessionTerminated,
}

/// `tProfilePartIndicator` (Annex E).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProfilePartIndicator {
    /// 0: REGISTERED.
    Registered,
    /// 1: UNREGISTERED.
    Unregistered,
}

/// `tRegistrationType` (Annex E), in an SPT extension with Method REGISTER.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistrationType {
    /// 0: INITIAL_REGISTRATION.
    Initial,
    /// 1: RE-REGISTRATION.
    Reregistration,
    /// 2: DE-REGISTRATION.
    Deregistration,
}

impl RegistrationType {
    /// The wire value.
    pub fn code(self) -> u8 {
        match self {
            Self::Initial => 0,
            Self::Reregistration => 1,
            Self::Deregistration => 2,
        }
    }

    /// From the wire value.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Initial,
            1 => Self::Reregistration,
            2 => Self::Deregistration,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_case_codes_round_trip() {
        for code in 0..=4 {
            assert_eq!(
                SessionCase::from_code(code).map(SessionCase::code),
                Some(code)
            );
        }
        assert_eq!(SessionCase::from_code(5), None);
        assert_eq!(SessionCase::originating(false).code(), 3);
        assert_eq!(SessionCase::terminating(true).code(), 1);
        assert_eq!(SessionCase::terminating(false).code(), 2);
    }

    #[test]
    fn registration_type_codes_round_trip() {
        for code in 0..=2 {
            assert_eq!(
                RegistrationType::from_code(code).map(RegistrationType::code),
                Some(code)
            );
        }
        assert_eq!(RegistrationType::from_code(3), None);
    }
}
