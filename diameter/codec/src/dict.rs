//! The shapes of the generated dictionary: AVP metadata, typed AVP definitions, CCF grammars
//! (RFC 6733 §3.2, §4.4) and command definitions, plus look-ups over all applications.

use std::fmt;
use std::marker::PhantomData;

use crate::avp::{AvpCode, AvpFlags};
use crate::generated;
use crate::header::{ApplicationId, CommandCode};

/// An AVP data format name (RFC 6733 §4.2, §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// OctetString.
    OctetString,
    /// Integer32.
    Integer32,
    /// Integer64.
    Integer64,
    /// Unsigned32.
    Unsigned32,
    /// Unsigned64.
    Unsigned64,
    /// Float32.
    Float32,
    /// Float64.
    Float64,
    /// Grouped.
    Grouped,
    /// Address.
    Address,
    /// Time.
    Time,
    /// UTF8String.
    Utf8String,
    /// DiameterIdentity.
    DiameterIdentity,
    /// DiameterURI.
    DiameterUri,
    /// Enumerated.
    Enumerated,
    /// IPFilterRule.
    IpFilterRule,
}

impl DataType {
    /// Smallest valid data length: the zero-filled payload of a Failed-AVP example (§7.5).
    pub const fn min_len(self) -> usize {
        match self {
            Self::Integer32 | Self::Unsigned32 | Self::Float32 | Self::Time | Self::Enumerated => 4,
            Self::Integer64 | Self::Unsigned64 | Self::Float64 => 8,
            Self::Address => 6,
            _ => 0,
        }
    }
}

/// What the AVP flag table of a specification says about one bit (RFC 6733 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagRule {
    /// MUST be set.
    Must,
    /// MUST NOT be set.
    MustNot,
}

/// One dictionary entry: everything about an AVP but its value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvpMeta {
    /// Name as in the specification.
    pub name: &'static str,
    /// Code and vendor.
    pub code: AvpCode,
    /// Data format.
    pub data_type: DataType,
    /// Rule for the M bit.
    pub m: FlagRule,
    /// Rule for the V bit (Must exactly when the vendor is not 0).
    pub v: FlagRule,
}

impl AvpMeta {
    /// The flags an encoder sets for this AVP.
    pub const fn flags(&self) -> AvpFlags {
        let mut f = 0;
        if matches!(self.m, FlagRule::Must) {
            f |= AvpFlags::MANDATORY;
        }
        if self.code.vendor != 0 {
            f |= AvpFlags::VENDOR;
        }
        AvpFlags(f)
    }
}

/// A typed AVP definition: the metadata plus its data format `F` ([`crate::format`]), used by
/// the typed accessors ([`crate::AvpContainer::get`]) and the encoder ([`crate::WriteAvps::put`]).
pub struct AvpDef<F> {
    /// The metadata.
    pub meta: AvpMeta,
    format: PhantomData<fn() -> F>,
}

impl<F> AvpDef<F> {
    /// Wraps metadata (used by the generated code).
    pub const fn new(meta: AvpMeta) -> Self {
        Self {
            meta,
            format: PhantomData,
        }
    }
    /// Code and vendor.
    pub const fn code(&self) -> AvpCode {
        self.meta.code
    }
}

impl<F> Clone for AvpDef<F> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<F> Copy for AvpDef<F> {}
impl<F> fmt::Debug for AvpDef<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AvpDef").field(&self.meta).finish()
    }
}

/// Kind of a CCF rule (RFC 6733 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    /// `< AVP >`: at a fixed position, before all others.
    Fixed,
    /// `{ AVP }`: required.
    Required,
    /// `[ AVP ]`: optional.
    Optional,
}

/// One CCF rule: an AVP with its slot and arity `min*max` (RFC 6733 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The AVP.
    pub avp: AvpCode,
    /// Its name.
    pub name: &'static str,
    /// Fixed, required or optional.
    pub slot: Slot,
    /// Minimum occurrences.
    pub min: u32,
    /// Maximum occurrences ([`u32::MAX`] for no limit).
    pub max: u32,
}

/// A command or Grouped AVP grammar (RFC 6733 §3.2, §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grammar {
    /// Command or AVP name.
    pub name: &'static str,
    /// The rules in declaration order (fixed rules first).
    pub rules: &'static [Rule],
    /// Whether `* [ AVP ]` allows AVPs not listed.
    pub extensible: bool,
}

impl Grammar {
    /// The rule for `code`, if listed.
    pub fn rule(&self, code: AvpCode) -> Option<(usize, &'static Rule)> {
        self.rules.iter().enumerate().find(|(_, r)| r.avp == code)
    }
}

/// A command of an application (RFC 6733 §3.1): request or answer, with its grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandDef {
    /// Short name (CER, MAA, ...).
    pub name: &'static str,
    /// Command Code.
    pub code: CommandCode,
    /// Application-Id in the header.
    pub application: ApplicationId,
    /// R bit.
    pub request: bool,
    /// P bit (`PXY` in the header rule).
    pub proxiable: bool,
    /// The grammar.
    pub grammar: &'static Grammar,
}

/// The dictionary entry for `code`, across all generated applications.
pub fn avp_meta(code: AvpCode) -> Option<&'static AvpMeta> {
    let all = generated::ALL_AVPS;
    all.binary_search_by_key(&code, |m| m.code)
        .ok()
        .and_then(|i| all.get(i))
}

/// The dictionary entry named `name` (linear scan; for tools and tests).
pub fn avp_by_name(name: &str) -> Option<&'static AvpMeta> {
    generated::ALL_AVPS.iter().find(|m| m.name == name)
}

/// The grammar of the Grouped AVP `code`, across all generated applications.
pub fn grouped_grammar(code: AvpCode) -> Option<&'static Grammar> {
    let all = generated::ALL_GROUPED;
    all.binary_search_by_key(&code, |(c, _)| *c)
        .ok()
        .and_then(|i| all.get(i))
        .map(|(_, g)| *g)
}

/// The command definition for a header: code, application and R bit, falling back to the
/// common application (DWR, CER, ... under any Application-Id). When two dictionaries define
/// the same command (CCR in `cc` and its TS 32.299 refinement in `ro`), the later one wins.
pub fn command(
    code: CommandCode,
    application: ApplicationId,
    request: bool,
) -> Option<&'static CommandDef> {
    let all = generated::ALL_COMMANDS;
    all.iter()
        .rev()
        .find(|c| c.code == code && c.application == application && c.request == request)
        .or_else(|| {
            all.iter().rev().find(|c| {
                c.code == code && c.request == request && c.application == ApplicationId::COMMON
            })
        })
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::{base, cx};

    #[test]
    fn lookups() {
        let m = avp_meta(base::avp::SESSION_ID.code()).unwrap();
        assert_eq!(m.name, "Session-Id");
        assert_eq!(m.data_type, DataType::Utf8String);
        let m = avp_meta(AvpCode::new(601, 10415)).unwrap();
        assert_eq!(m.name, "Public-Identity");
        assert_eq!(m.flags().0, 0xc0);
        assert!(avp_meta(AvpCode::new(601, 0)).is_none());
        assert_eq!(avp_by_name("SIP-Auth-Data-Item").unwrap().code.code, 612);
        let g = grouped_grammar(cx::avp::SIP_AUTH_DATA_ITEM.code()).unwrap();
        assert_eq!(g.name, "SIP-Auth-Data-Item");
        let c = command(CommandCode(303), ApplicationId::CX, true).unwrap();
        assert_eq!(c.name, "MAR");
        assert!(c.proxiable);
        assert_eq!(
            command(CommandCode(280), ApplicationId::CX, true).map(|c| c.name),
            Some("DWR")
        );
        assert!(generated::ALL_AVPS
            .windows(2)
            .all(|w| w[0].code < w[1].code));
    }
}
