//! Subscriber data model of the HSS (3GPP TS 29.228 §6, TS 23.008 §3).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::StoreError;

/// Largest SQN value: SQN is 48 bits long (TS 33.102 §6.3.2, Annex C).
pub const SQN_MAX: u64 = (1 << 48) - 1;

/// An authentication scheme a private identity may use
/// (SIP-Authentication-Scheme, TS 29.229 §6.3.2).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AuthScheme {
    /// IMS AKA, RFC 3310 (`Digest-AKAv1-MD5`).
    AkaV1Md5,
    /// IMS AKA version 2, RFC 4169 (`Digest-AKAv2-MD5`).
    AkaV2Md5,
    /// SIP Digest with MD5, RFC 2617 / TS 29.229 §6.3.2 ("SIP Digest").
    DigestMd5,
    /// SIP Digest with SHA-256, RFC 7616.
    DigestSha256,
    /// Any other scheme name, kept verbatim.
    Other(String),
}

impl AuthScheme {
    /// Canonical name, as stored and as used in the import file.
    pub fn as_str(&self) -> &str {
        match self {
            Self::AkaV1Md5 => "AKAv1-MD5",
            Self::AkaV2Md5 => "AKAv2-MD5",
            Self::DigestMd5 => "Digest-MD5",
            Self::DigestSha256 => "Digest-SHA-256",
            Self::Other(s) => s,
        }
    }

    /// Whether the scheme is an AKA scheme (needs K, OP/OPc, AMF, SQN).
    pub fn is_aka(&self) -> bool {
        matches!(self, Self::AkaV1Md5 | Self::AkaV2Md5)
    }
}

impl fmt::Display for AuthScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthScheme {
    type Err = StoreError;

    /// Accepts the canonical names and the `Digest-` prefixed AKA names
    /// (`Digest-AKAv1-MD5`) and `SIP Digest`; case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        let v = match lower.as_str() {
            "akav1-md5" | "digest-akav1-md5" => Self::AkaV1Md5,
            "akav2-md5" | "digest-akav2-md5" => Self::AkaV2Md5,
            "digest-md5" | "sip digest" | "md5" => Self::DigestMd5,
            "digest-sha-256" | "sha-256" => Self::DigestSha256,
            "" => return Err(StoreError::invalid("empty authentication scheme")),
            _ if t.contains(',') => {
                return Err(StoreError::invalid(format!(
                    "authentication scheme {t:?} contains ','"
                )))
            }
            _ => Self::Other(t.to_owned()),
        };
        Ok(v)
    }
}

/// Joins schemes as a comma-separated list (storage encoding).
pub(crate) fn schemes_to_text(set: &BTreeSet<AuthScheme>) -> String {
    let mut out = String::new();
    for (i, s) in set.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(s.as_str());
    }
    out
}

/// Parses a comma-separated scheme list (storage encoding).
pub(crate) fn schemes_from_text(text: &str) -> Result<BTreeSet<AuthScheme>, StoreError> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(AuthScheme::from_str)
        .collect()
}

/// The operator variant configuration field of MILENAGE (TS 35.206 §4.1).
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// OP, from which OPc is derived per subscriber.
    Op([u8; 16]),
    /// OPc, precomputed per subscriber.
    Opc([u8; 16]),
}

impl fmt::Debug for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Key material is never printed.
        match self {
            Self::Op(_) => f.write_str("Op(..)"),
            Self::Opc(_) => f.write_str("Opc(..)"),
        }
    }
}

impl OpKind {
    /// Storage tag: `false` for OP, `true` for OPc.
    pub(crate) fn is_opc(&self) -> bool {
        matches!(self, Self::Opc(_))
    }

    /// The 16 key bytes.
    pub fn bytes(&self) -> &[u8; 16] {
        match self {
            Self::Op(b) | Self::Opc(b) => b,
        }
    }
}

/// A private user identity (IMPI, TS 23.003 §13.3) and its credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateIdentity {
    /// The IMPI, e.g. `alice@ims.example.com`.
    pub impi: String,
    /// Authentication schemes this identity may use.
    pub auth_schemes: BTreeSet<AuthScheme>,
    /// Subscriber key K (TS 33.102 §6.3).
    pub k: [u8; 16],
    /// OP or OPc (TS 35.206).
    pub op: OpKind,
    /// Authentication management field (TS 33.102 Annex H).
    pub amf: [u8; 2],
    /// Highest SQN handed out so far (TS 33.102 §6.3.2, 48 bits).
    pub sqn: u64,
    /// Clear-text password for SIP Digest, if provisioned.
    pub digest_password: Option<String>,
    /// Precomputed H(A1) for SIP Digest (RFC 2617 §3.2.2.2), if provisioned.
    pub digest_ha1: Option<String>,
    /// The Digest realm (usually the home domain).
    pub realm: String,
}

impl fmt::Debug for PrivateIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // K, OP/OPc and passwords are redacted.
        f.debug_struct("PrivateIdentity")
            .field("impi", &self.impi)
            .field("auth_schemes", &self.auth_schemes)
            .field("op", &self.op)
            .field("amf", &self.amf)
            .field("sqn", &self.sqn)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

/// Kind of a public identity (TS 23.003 §13.4, §13.5; TS 29.228 §6.3.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdentityType {
    /// A public user identity (IMPU) of a user.
    PublicUser,
    /// A distinct public service identity.
    DistinctPsi,
    /// A wildcarded PSI: `pattern` in the TS 23.003 §13.5 form, e.g.
    /// `sip:chatlist!.*!@example.com` (only the `!`-delimited parts are
    /// regular expressions; without `!` the whole is one).
    WildcardedPsi {
        /// The pattern matched against the whole requested URI.
        pattern: String,
    },
}

impl IdentityType {
    /// Storage code: the IdentityType values of TS 29.228 Annex E (0, 1, 2).
    pub(crate) fn code(&self) -> i64 {
        match self {
            Self::PublicUser => 0,
            Self::DistinctPsi => 1,
            Self::WildcardedPsi { .. } => 2,
        }
    }

    pub(crate) fn pattern(&self) -> Option<&str> {
        match self {
            Self::WildcardedPsi { pattern } => Some(pattern),
            _ => None,
        }
    }

    pub(crate) fn from_code(code: i64, pattern: Option<String>) -> Result<Self, StoreError> {
        match (code, pattern) {
            (0, _) => Ok(Self::PublicUser),
            (1, _) => Ok(Self::DistinctPsi),
            (2, Some(pattern)) => Ok(Self::WildcardedPsi { pattern }),
            (c, _) => Err(StoreError::invalid(format!("identity type code {c}"))),
        }
    }
}

/// A public identity (IMPU or PSI) with its subscription data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicIdentity {
    /// The identity, a SIP or tel URI.
    pub impu: String,
    /// Private identities it is shared with (TS 23.228 §4.3.3.4); empty for
    /// a PSI hosted without a private identity.
    pub impis: Vec<String>,
    /// Barring indication (TS 29.228 §6.3.1 Barring-Indication).
    pub barred: bool,
    /// User identity, distinct PSI or wildcarded PSI.
    pub identity_type: IdentityType,
    /// Implicit registration set id (TS 23.228 §4.3.3.3); identities with
    /// the same id are registered together.
    pub implicit_set: String,
    /// Service profile id ([`ServiceProfile::id`]).
    pub service_profile: String,
    /// Display name (TS 29.228 §6.3.2 Display-Name).
    pub display_name: Option<String>,
}

/// A service profile: the iFC / User-Data XML produced by ims-core
/// (TS 29.228 Annex E), kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProfile {
    /// Profile id, referenced by [`PublicIdentity::service_profile`].
    pub id: String,
    /// The XML.
    pub ifc_xml: String,
}

/// An S-CSCF and its capabilities (TS 29.228 §6.3.4 Server-Capabilities,
/// TS 29.229 §6.3.5..6.3.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScscfCapabilities {
    /// S-CSCF SIP URI (Server-Name).
    pub name: String,
    /// Mandatory-Capability values it supports.
    pub mandatory: Vec<u32>,
    /// Optional-Capability values it supports.
    pub optional: Vec<u32>,
}

/// Registration state of a public identity in the HSS (TS 29.228 §6.1.2,
/// TS 23.008 §3.1.2 IMS-User-State).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RegistrationState {
    /// No S-CSCF holds the identity.
    #[default]
    NotRegistered,
    /// Registered by the user.
    Registered,
    /// Unregistered, but an S-CSCF is assigned to serve terminating
    /// requests (TS 29.228 §6.1.2 UNREGISTERED_USER).
    Unregistered,
}

impl RegistrationState {
    pub(crate) fn code(self) -> i64 {
        match self {
            Self::NotRegistered => 0,
            Self::Registered => 1,
            Self::Unregistered => 2,
        }
    }

    pub(crate) fn from_code(code: i64) -> Result<Self, StoreError> {
        match code {
            0 => Ok(Self::NotRegistered),
            1 => Ok(Self::Registered),
            2 => Ok(Self::Unregistered),
            c => Err(StoreError::invalid(format!("registration state code {c}"))),
        }
    }
}

/// The HSS registration record of one public identity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImpuRegistration {
    /// Current state.
    pub state: RegistrationState,
    /// Assigned S-CSCF name (SIP URI, TS 29.228 §6.3.4 Server-Name).
    pub scscf_name: Option<String>,
    /// Diameter Origin-Host of the assigned S-CSCF (for RTR/PPR).
    pub origin_host: Option<String>,
}

/// Result of [`crate::SubscriberStore::assign_scscf`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignOutcome {
    /// The S-CSCF is now (or already was) the assigned one.
    Assigned,
    /// Another S-CSCF is assigned; nothing was changed
    /// (TS 29.228 §6.1.2: SAR from a different S-CSCF).
    AlreadyAssigned {
        /// The S-CSCF that holds the identity.
        scscf_name: String,
        /// Its Diameter Origin-Host, if known.
        origin_host: Option<String>,
    },
}
