//! Subscriber import from a TOML document (the operator tool's input).
//!
//! ```toml
//! [[service_profile]]            # optional, shared profiles
//! id = "default"
//! file = "ifc/default.xml"       # or: xml = "<IMSSubscription>...</IMSSubscription>"
//!
//! [[scscf]]                      # optional
//! name = "sip:scscf.ims.example.com"
//! mandatory = [1]
//! optional = [2, 3]
//!
//! [[subscriber]]
//! impi = "alice@ims.example.com"
//! k = "465b5ce8b199b49faa5f0a2ee238a6bc"     # hex, or "ascii:<16 chars>"
//! opc = "cd63cb71954a9f4e48a5994e37a02baf"   # or op = ...
//! amf = "8000"                   # default 8000
//! sqn = 32                       # default: keep the stored SQN, else 0
//! password = "secret"            # SIP Digest (optional), or ha1 = ...
//! impus = ["sip:alice@ims.example.com", "tel:+15550001"]
//! ifc_file = "ifc/alice.xml"     # or ifc_xml = ..., or profile = "default"
//! ```
//!
//! Parsing validates the whole document before anything is written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{
    AuthScheme, IdentityType, OpKind, PrivateIdentity, PublicIdentity, ScscfCapabilities,
    ServiceProfile, SubscriberStore,
};
use crate::StoreError;

/// An import failure, naming the entry and field at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The document is not valid TOML for this schema.
    #[error("import document: {0}")]
    Toml(#[from] toml::de::Error),
    /// A field of an entry is invalid.
    #[error("{entry}: {field}: {reason}")]
    Field {
        /// The entry, e.g. `subscriber[2] alice@x`.
        entry: String,
        /// The field name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A referenced file could not be read.
    #[error("{entry}: reading {path}: {source}")]
    Io {
        /// The entry that referenced the file.
        entry: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Writing to the store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(default)]
    service_profile: Vec<ProfileEntry>,
    #[serde(default)]
    scscf: Vec<ScscfEntry>,
    #[serde(default)]
    subscriber: Vec<SubscriberEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileEntry {
    id: String,
    xml: Option<String>,
    file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScscfEntry {
    name: String,
    #[serde(default)]
    mandatory: Vec<u32>,
    #[serde(default)]
    optional: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriberEntry {
    impi: String,
    realm: Option<String>,
    k: Option<String>,
    op: Option<String>,
    opc: Option<String>,
    amf: Option<String>,
    sqn: Option<u64>,
    password: Option<String>,
    ha1: Option<String>,
    auth_schemes: Option<Vec<String>>,
    #[serde(default)]
    impus: Vec<String>,
    implicit_set: Option<String>,
    #[serde(default)]
    barred: bool,
    display_name: Option<String>,
    ifc_file: Option<PathBuf>,
    ifc_xml: Option<String>,
    profile: Option<String>,
}

/// Everything a document provisions, validated, ready to write.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    /// Service profiles.
    pub profiles: Vec<ServiceProfile>,
    /// S-CSCF capability records.
    pub scscfs: Vec<ScscfCapabilities>,
    /// Private identities, each with `true` when its SQN was given
    /// explicitly (otherwise a stored SQN is kept).
    pub privates: Vec<(PrivateIdentity, bool)>,
    /// Public identities.
    pub publics: Vec<PublicIdentity>,
}

/// Counts of what [`import_toml`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Service profiles written.
    pub service_profiles: usize,
    /// S-CSCF records written.
    pub scscfs: usize,
    /// Private identities written.
    pub private_identities: usize,
    /// Public identities written.
    pub public_identities: usize,
}

/// Decodes 32 hex digits or `ascii:` + 16 characters into 16 bytes.
fn key16(text: &str) -> Result<[u8; 16], String> {
    if let Some(ascii) = text.strip_prefix("ascii:") {
        return <[u8; 16]>::try_from(ascii.as_bytes())
            .map_err(|_| format!("ascii: value has {} bytes, need 16", ascii.len()));
    }
    let bytes = hex(text)?;
    <[u8; 16]>::try_from(bytes.as_slice()).map_err(|_| format!("{} bytes, need 16", bytes.len()))
}

/// Decodes hex digits (whitespace and ':' ignored).
fn hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if digits.len() % 2 != 0 {
        return Err("odd number of hex digits".into());
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let nib = |b: &u8| {
                (*b as char)
                    .to_digit(16)
                    .ok_or_else(|| format!("bad hex digit {:?}", *b as char))
            };
            let (hi, lo) = match pair {
                [hi, lo] => (nib(hi)?, nib(lo)?),
                _ => return Err("odd number of hex digits".to_owned()),
            };
            u8::try_from(hi * 16 + lo).map_err(|_| "bad hex".to_owned())
        })
        .collect()
}

fn read_file(base: Option<&Path>, file: &Path, entry: &str) -> Result<String, ImportError> {
    let path = match base {
        Some(b) if file.is_relative() => b.join(file),
        _ => file.to_path_buf(),
    };
    std::fs::read_to_string(&path).map_err(|source| ImportError::Io {
        entry: entry.to_owned(),
        path,
        source,
    })
}

/// Parses and validates a document; relative file names are resolved
/// against `base_dir` (the directory of the document).
pub fn parse_import(doc: &str, base_dir: Option<&Path>) -> Result<ImportPlan, ImportError> {
    let doc: Document = toml::from_str(doc)?;
    let mut plan = ImportPlan::default();
    let mut profile_ids = BTreeSet::new();

    for (i, p) in doc.service_profile.into_iter().enumerate() {
        let entry = format!("service_profile[{i}] {}", p.id);
        let field = |field, reason: &str| ImportError::Field {
            entry: entry.clone(),
            field,
            reason: reason.to_owned(),
        };
        let ifc_xml = match (p.xml, p.file) {
            (Some(x), None) => x,
            (None, Some(f)) => read_file(base_dir, &f, &entry)?,
            _ => return Err(field("xml", "give exactly one of xml or file")),
        };
        if !profile_ids.insert(p.id.clone()) {
            return Err(field("id", "duplicate profile id"));
        }
        plan.profiles.push(ServiceProfile { id: p.id, ifc_xml });
    }

    for s in doc.scscf {
        plan.scscfs.push(ScscfCapabilities {
            name: s.name,
            mandatory: s.mandatory,
            optional: s.optional,
        });
    }

    let mut seen_impus = BTreeSet::new();
    for (i, s) in doc.subscriber.into_iter().enumerate() {
        let entry = format!("subscriber[{i}] {}", s.impi);
        let field = |field, reason: String| ImportError::Field {
            entry: entry.clone(),
            field,
            reason,
        };
        if s.impi.is_empty() {
            return Err(field("impi", "empty".into()));
        }
        let k = match &s.k {
            Some(k) => key16(k).map_err(|r| field("k", r))?,
            None => [0; 16],
        };
        let op = match (&s.op, &s.opc) {
            (Some(op), None) => OpKind::Op(key16(op).map_err(|r| field("op", r))?),
            (None, Some(opc)) => OpKind::Opc(key16(opc).map_err(|r| field("opc", r))?),
            (None, None) if s.k.is_none() => OpKind::Opc([0; 16]),
            _ => return Err(field("op", "give exactly one of op or opc with k".into())),
        };
        let amf = match &s.amf {
            Some(a) => {
                let v = hex(a).map_err(|r| field("amf", r))?;
                <[u8; 2]>::try_from(v.as_slice())
                    .map_err(|_| field("amf", format!("{} bytes, need 2", v.len())))?
            }
            None => [0x80, 0x00],
        };
        let sqn = s.sqn.unwrap_or(0);
        if sqn > super::SQN_MAX {
            return Err(field("sqn", "exceeds 2^48-1".into()));
        }
        let auth_schemes: BTreeSet<AuthScheme> = match &s.auth_schemes {
            Some(list) => list
                .iter()
                .map(|n| {
                    n.parse()
                        .map_err(|e: StoreError| field("auth_schemes", e.to_string()))
                })
                .collect::<Result<_, _>>()?,
            None => {
                let mut set = BTreeSet::new();
                if s.k.is_some() {
                    set.insert(AuthScheme::AkaV1Md5);
                    set.insert(AuthScheme::AkaV2Md5);
                }
                if s.password.is_some() || s.ha1.is_some() {
                    set.insert(AuthScheme::DigestMd5);
                }
                set
            }
        };
        if auth_schemes.is_empty() {
            return Err(field(
                "k",
                "no credentials: give k (AKA) or password/ha1".into(),
            ));
        }
        if auth_schemes.iter().any(AuthScheme::is_aka) && s.k.is_none() {
            return Err(field("k", "AKA scheme without k".into()));
        }
        let realm = match s.realm {
            Some(r) => r,
            None => match s.impi.rsplit_once('@') {
                Some((_, domain)) if !domain.is_empty() => domain.to_owned(),
                _ => return Err(field("realm", "missing and impi has no domain".into())),
            },
        };
        let profile_id = match (s.ifc_xml, s.ifc_file, s.profile) {
            (None, None, Some(id)) => {
                if !profile_ids.contains(&id) {
                    return Err(field("profile", format!("unknown service_profile {id:?}")));
                }
                id
            }
            (xml, file, None) => {
                let ifc_xml = match (xml, file) {
                    (Some(x), None) => x,
                    (None, Some(f)) => read_file(base_dir, &f, &entry)?,
                    // No iFC: an empty profile (ims-core builds the User-Data).
                    (None, None) => String::new(),
                    (Some(_), Some(_)) => {
                        return Err(field("ifc_xml", "give one of ifc_xml or ifc_file".into()))
                    }
                };
                let id = s.impi.clone();
                if !profile_ids.insert(id.clone()) {
                    return Err(field("impi", "duplicate subscriber or profile id".into()));
                }
                plan.profiles.push(ServiceProfile {
                    id: id.clone(),
                    ifc_xml,
                });
                id
            }
            _ => {
                return Err(field(
                    "profile",
                    "give at most one of ifc_xml, ifc_file, profile".into(),
                ))
            }
        };
        if s.impus.is_empty() {
            return Err(field(
                "impus",
                "at least one public identity is needed".into(),
            ));
        }
        let implicit_set = s.implicit_set.unwrap_or_else(|| s.impi.clone());
        for impu in &s.impus {
            if !(impu.starts_with("sip:") || impu.starts_with("sips:") || impu.starts_with("tel:"))
            {
                return Err(field(
                    "impus",
                    format!("{impu:?} is not a sip:, sips: or tel: URI"),
                ));
            }
            if !seen_impus.insert(impu.clone()) {
                return Err(field("impus", format!("{impu:?} listed twice")));
            }
            plan.publics.push(PublicIdentity {
                impu: impu.clone(),
                impis: vec![s.impi.clone()],
                barred: s.barred,
                identity_type: IdentityType::PublicUser,
                implicit_set: implicit_set.clone(),
                service_profile: profile_id.clone(),
                display_name: s.display_name.clone(),
            });
        }
        plan.privates.push((
            PrivateIdentity {
                impi: s.impi,
                auth_schemes,
                k,
                op,
                amf,
                sqn,
                digest_password: s.password,
                digest_ha1: s.ha1,
                realm,
            },
            s.sqn.is_some(),
        ));
    }
    Ok(plan)
}

/// Parses `doc` (see [`parse_import`]) and writes it: profiles, S-CSCFs,
/// private then public identities. Each write is an upsert, so a failed
/// import can simply be run again. A subscriber without `sqn` keeps the
/// SQN already stored (re-importing must not rewind SQN, TS 33.102 §6.3.2).
pub async fn import_toml(
    store: &dyn SubscriberStore,
    doc: &str,
    base_dir: Option<&Path>,
) -> Result<ImportReport, ImportError> {
    let plan = parse_import(doc, base_dir)?;
    let mut report = ImportReport::default();
    for p in &plan.profiles {
        store.put_service_profile(p).await?;
        report.service_profiles += 1;
    }
    for s in &plan.scscfs {
        store.put_scscf(s).await?;
        report.scscfs += 1;
    }
    for (p, sqn_given) in &plan.privates {
        let mut p = p.clone();
        if !sqn_given {
            if let Some(existing) = store.get_private(&p.impi).await? {
                p.sqn = existing.sqn;
            }
        }
        store.put_private(&p).await?;
        report.private_identities += 1;
    }
    for p in &plan.publics {
        store.put_public(p).await?;
        report.public_identities += 1;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_from_hex_and_ascii() {
        assert_eq!(
            key16("000102030405060708090a0B0c0d0e0f"),
            Ok([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
        );
        assert_eq!(key16("ascii:0123456789abcdef"), Ok(*b"0123456789abcdef"));
        assert!(key16("ascii:short").is_err());
        assert!(key16("0001").is_err());
        assert!(key16("zz0102030405060708090a0b0c0d0e0f").is_err());
        assert!(key16("000").is_err());
    }

    #[test]
    fn unknown_fields_and_bad_values_name_the_entry() {
        let e = parse_import("[[subscriber]]\nimpi = \"a@x\"\nkk = \"1\"\n", None);
        assert!(matches!(e, Err(ImportError::Toml(_))));
        let e = parse_import(
            "[[subscriber]]\nimpi = \"a@x\"\nk = \"00\"\nopc = \"00\"\nimpus = [\"sip:a@x\"]\n",
            None,
        );
        let msg = e.map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(
            msg,
            Err("subscriber[0] a@x: k: 1 bytes, need 16".to_owned())
        );
    }
}
