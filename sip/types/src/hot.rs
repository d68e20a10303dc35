//! What every hop reads, found once when a [`crate::Message`] is parsed: the line index and
//! count of the headers RFC 3261 §8.1.1 makes mandatory, and the parsed top Via (§20.42), CSeq
//! (§20.16), From (§20.20) and To (§20.39) as byte ranges, so accessors rebuild their views
//! without re-parsing. A value that fails to parse is not cached: its accessor re-parses it and
//! reports the same error as before.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::cseq::CSeq;
use crate::header_name::HeaderName;
use crate::uri::Host;

/// Headers indexed by id: Via, From, To, Call-ID, CSeq, Max-Forwards, Contact (ids 1..=7).
pub(crate) const INDEXED: usize = 7;

/// Slot of `name` in the index, if it is one of [`INDEXED`].
pub(crate) fn slot(name: HeaderName) -> Option<usize> {
    usize::from(name.id())
        .checked_sub(1)
        .filter(|&k| k < INDEXED)
}

/// A slice as a byte range of the message (32-bit, to keep `Message` small), or
/// [`Span::LITERAL`] for a slice that does not point into it (an empty literal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    /// A slice outside the message (the parsers' `""` literals).
    pub(crate) const LITERAL: Self = Self {
        start: u32::MAX,
        end: u32::MAX,
    };

    /// The span of `start..start + len`, `None` if it does not fit 32 bits.
    pub(crate) fn new(start: usize, len: usize) -> Option<Self> {
        let start32 = u32::try_from(start).ok()?;
        let end = u32::try_from(start.checked_add(len)?).ok()?;
        (start32 != u32::MAX).then_some(Self {
            start: start32,
            end,
        })
    }
}

/// A host without its borrowed text (the domain text is the host text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostKind {
    Domain,
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl HostKind {
    pub(crate) fn of(host: &Host<'_>) -> Self {
        match host {
            Host::Domain(_) => Self::Domain,
            Host::V4(a) => Self::V4(*a),
            Host::V6(a) => Self::V6(*a),
        }
    }

    pub(crate) fn with_text(self, text: &str) -> Host<'_> {
        match self {
            Self::Domain => Host::Domain(text),
            Self::V4(a) => Host::V4(a),
            Self::V6(a) => Host::V6(a),
        }
    }
}

/// The top Via value, parsed.
#[derive(Debug, Clone)]
pub(crate) struct ViaSpans {
    pub(crate) transport: Span,
    pub(crate) host: HostKind,
    pub(crate) host_str: Span,
    pub(crate) port: Option<u16>,
    pub(crate) params: Span,
    /// The branch parameter's value, when present with a value.
    pub(crate) branch: Option<Span>,
}

/// The top Via value as the header-value iterator first yields it, and where that iterator
/// stands afterwards, so a walk over the Vias starts without scanning the first value again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TopValue {
    /// The value (trimmed), absolute offsets.
    pub(crate) value: Span,
    /// Index of its header line.
    pub(crate) line: u32,
    /// Alone on its line.
    pub(crate) alone: bool,
    /// Where the next value of the line starts.
    pub(crate) next: u32,
    /// Via lines not started yet, when known (see the iterator).
    pub(crate) lines_left: Option<u8>,
}

/// A From or To value, parsed as a name-addr; its URI is parsed only on demand
/// ([`crate::Message::validate`], [`crate::NameAddr::parsed_uri`]).
#[derive(Debug, Clone)]
pub(crate) struct AddrSpans {
    pub(crate) display: Option<Span>,
    pub(crate) uri: Span,
    pub(crate) bracketed: bool,
    pub(crate) params: Span,
}

/// The cache itself.
#[derive(Debug, Clone)]
pub(crate) struct Hot {
    /// Index into the header list of the first line of each indexed header (`u32::MAX`: none).
    pub(crate) first: [u32; INDEXED],
    /// A header index did not fit `first`: look headers up by scanning.
    pub(crate) unindexed: bool,
    /// Line count of each indexed header (saturating).
    pub(crate) count: [u8; INDEXED],
    pub(crate) via: Option<ViaSpans>,
    /// The first Via value, when the iterator found one.
    pub(crate) top_via_value: Option<TopValue>,
    pub(crate) cseq: Option<CSeq>,
    pub(crate) from: Option<AddrSpans>,
    pub(crate) to: Option<AddrSpans>,
}

impl Default for Hot {
    fn default() -> Self {
        Self {
            first: [u32::MAX; INDEXED],
            unindexed: false,
            count: [0; INDEXED],
            via: None,
            top_via_value: None,
            cseq: None,
            from: None,
            to: None,
        }
    }
}

impl Hot {
    /// Record header line `index` named `name`.
    pub(crate) fn note(&mut self, name: HeaderName, index: usize) {
        let Some(k) = slot(name) else { return };
        if let (Some(f), Some(c)) = (self.first.get_mut(k), self.count.get_mut(k)) {
            if *f == u32::MAX {
                match u32::try_from(index) {
                    Ok(i) if i != u32::MAX => *f = i,
                    _ => self.unindexed = true,
                }
            }
            *c = c.saturating_add(1);
        }
    }

    /// First line index of an indexed header.
    pub(crate) fn first_of(&self, name: HeaderName) -> Option<usize> {
        let k = slot(name)?;
        let i = self.first.get(k).copied().filter(|&i| i != u32::MAX)?;
        usize::try_from(i).ok()
    }

    /// Line count of an indexed header.
    pub(crate) fn count_of(&self, name: HeaderName) -> usize {
        slot(name).map_or(0, |k| usize::from(self.count.get(k).copied().unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_counts() {
        assert_eq!(slot(HeaderName::VIA), Some(0));
        assert_eq!(slot(HeaderName::CONTACT), Some(6));
        assert_eq!(slot(HeaderName::ROUTE), None);
        assert_eq!(slot(HeaderName::OTHER), None);
        let mut h = Hot::default();
        h.note(HeaderName::TO, 3);
        h.note(HeaderName::TO, 5);
        h.note(HeaderName::ROUTE, 4);
        assert_eq!(h.first_of(HeaderName::TO), Some(3));
        assert_eq!(h.count_of(HeaderName::TO), 2);
        assert_eq!(h.count_of(HeaderName::FROM), 0);
        assert_eq!(h.first_of(HeaderName::ROUTE), None);
        assert_eq!(Span::new(3, 4), Some(Span { start: 3, end: 7 }));
        assert_eq!(Span::new(usize::MAX, 1), None);
        assert!(size_of::<Hot>() <= 256, "{}", size_of::<Hot>());
    }
}
