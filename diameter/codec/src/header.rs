//! The 20-byte Diameter header (RFC 6733 §3).

use bytes::{BufMut, BytesMut};

use crate::error::Error;

/// Length of the Diameter header in bytes (RFC 6733 §3).
pub const HEADER_LEN: usize = 20;

/// The only Diameter version defined (RFC 6733 §3).
pub const VERSION: u8 = 1;

/// Largest value of the 24-bit Message Length field.
pub const MAX_MESSAGE_LEN: usize = 0x00ff_ffff;

/// Command Code (RFC 6733 §3.1): an open 24-bit code space. Known codes are the `cmd` consts of
/// the generated modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandCode(pub u32);

/// Application-Id (RFC 6733 §2.4): an open code space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApplicationId(pub u32);

impl ApplicationId {
    /// Diameter common messages (RFC 6733 §2.4).
    pub const COMMON: Self = Self(0);
    /// Diameter base accounting, used by Rf (RFC 6733 §2.4, TS 32.299 §6.2).
    pub const BASE_ACCOUNTING: Self = Self(3);
    /// Diameter Credit-Control, used by Ro (RFC 8506 §1.3, TS 32.299 §6.4).
    pub const CREDIT_CONTROL: Self = Self(4);
    /// 3GPP Cx/Dx (TS 29.229 §5.5, vendor 10415).
    pub const CX: Self = Self(16_777_216);
    /// Relay (RFC 6733 §2.4).
    pub const RELAY: Self = Self(0xffff_ffff);
}

/// The command flags byte (RFC 6733 §3): R, P, E, T and four reserved bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CommandFlags(pub u8);

impl CommandFlags {
    /// R: the message is a request.
    pub const REQUEST: u8 = 0x80;
    /// P: the message may be proxied, relayed or redirected.
    pub const PROXIABLE: u8 = 0x40;
    /// E: the answer carries a protocol error (3xxx).
    pub const ERROR: u8 = 0x20;
    /// T: potentially retransmitted request (after failover).
    pub const RETRANSMIT: u8 = 0x10;
    /// The reserved bits: sent as zero, ignored on receipt.
    pub const RESERVED: u8 = 0x0f;

    /// Whether the R bit is set.
    pub const fn is_request(self) -> bool {
        self.0 & Self::REQUEST != 0
    }
    /// Whether the P bit is set.
    pub const fn is_proxiable(self) -> bool {
        self.0 & Self::PROXIABLE != 0
    }
    /// Whether the E bit is set.
    pub const fn is_error(self) -> bool {
        self.0 & Self::ERROR != 0
    }
    /// Whether the T bit is set.
    pub const fn is_retransmit(self) -> bool {
        self.0 & Self::RETRANSMIT != 0
    }
    /// These flags with `bit` set or cleared.
    #[must_use]
    pub const fn with(self, bit: u8, on: bool) -> Self {
        if on {
            Self(self.0 | bit)
        } else {
            Self(self.0 & !bit)
        }
    }
}

/// A decoded Diameter header (RFC 6733 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Version, always 1 once decoded.
    pub version: u8,
    /// Message Length: header plus padded AVPs; a multiple of 4.
    pub length: u32,
    /// Command flags.
    pub flags: CommandFlags,
    /// Command Code.
    pub code: CommandCode,
    /// Application-Id.
    pub application_id: ApplicationId,
    /// Hop-by-Hop Identifier (§3, §6.1.3).
    pub hop_by_hop: u32,
    /// End-to-End Identifier (§3, §6.1.3).
    pub end_to_end: u32,
}

impl Header {
    /// A header for a new message; `length` is filled in by the encoder.
    pub const fn new(
        flags: CommandFlags,
        code: CommandCode,
        application_id: ApplicationId,
        hop_by_hop: u32,
        end_to_end: u32,
    ) -> Self {
        Self {
            version: VERSION,
            length: HEADER_LEN as u32,
            flags,
            code,
            application_id,
            hop_by_hop,
            end_to_end,
        }
    }

    /// Decodes and checks a header (RFC 6733 §3). `received` is the number of bytes the frame
    /// holds; it must equal the Message Length.
    ///
    /// Faults: fewer than 20 bytes, a length below 20, not a multiple of 4 or different from
    /// `received` → 5015; version ≠ 1 → 5011; E bit on a request → 3008.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let Some(h) = bytes.first_chunk::<HEADER_LEN>() else {
            return Err(Error::TruncatedHeader { len: bytes.len() });
        };
        let word = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let length = word(0) & 0x00ff_ffff;
        let header = Self {
            version: h[0],
            length,
            flags: CommandFlags(h[4]),
            code: CommandCode(word(4) & 0x00ff_ffff),
            application_id: ApplicationId(word(8)),
            hop_by_hop: word(12),
            end_to_end: word(16),
        };
        if header.version != VERSION {
            return Err(Error::UnsupportedVersion(header.version));
        }
        let len = length as usize;
        if len < HEADER_LEN || len % 4 != 0 || len != bytes.len() {
            return Err(Error::InvalidMessageLength {
                declared: length,
                received: bytes.len(),
            });
        }
        if header.flags.is_request() && header.flags.is_error() {
            return Err(Error::InvalidHeaderBits);
        }
        Ok(header)
    }

    /// Reads only the Message Length of a (possibly partial) frame: what a stream framer needs.
    /// `None` until 4 bytes are available.
    pub fn peek_length(bytes: &[u8]) -> Option<usize> {
        let b = bytes.first_chunk::<4>()?;
        Some(u32::from_be_bytes([0, b[1], b[2], b[3]]) as usize)
    }

    /// Appends the 20 header bytes (with `self.length`) to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32((u32::from(self.version) << 24) | (self.length & 0x00ff_ffff));
        out.put_u32((u32::from(self.flags.0) << 24) | (self.code.0 & 0x00ff_ffff));
        out.put_u32(self.application_id.0);
        out.put_u32(self.hop_by_hop);
        out.put_u32(self.end_to_end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header::new(
            CommandFlags(CommandFlags::REQUEST | CommandFlags::PROXIABLE),
            CommandCode(272),
            ApplicationId::CREDIT_CONTROL,
            0x1122_3344,
            0x5566_7788,
        )
    }

    #[test]
    fn round_trip() {
        let h = sample();
        let mut b = BytesMut::new();
        h.encode(&mut b);
        assert_eq!(b.len(), HEADER_LEN);
        assert_eq!(&b[..4], &[1, 0, 0, 20]);
        assert_eq!(b[4], 0xc0);
        let d = Header::decode(&b).unwrap();
        assert_eq!(d, h);
        assert!(d.flags.is_request() && d.flags.is_proxiable());
        assert!(!d.flags.is_error() && !d.flags.is_retransmit());
    }

    #[test]
    fn faults_map_to_result_codes() {
        let mut b = BytesMut::new();
        sample().encode(&mut b);
        assert_eq!(Header::decode(&b[..19]).unwrap_err().result_code().0, 5015);
        let mut v = b.to_vec();
        v[0] = 2;
        assert_eq!(Header::decode(&v).unwrap_err().result_code().0, 5011);
        let mut v = b.to_vec();
        v[3] = 16;
        assert_eq!(Header::decode(&v).unwrap_err().result_code().0, 5015);
        let mut v = b.to_vec();
        v[3] = 22;
        assert_eq!(Header::decode(&v).unwrap_err().result_code().0, 5015);
        let mut v = b.to_vec();
        v[4] |= CommandFlags::ERROR;
        assert_eq!(Header::decode(&v).unwrap_err().result_code().0, 3008);
        // Reserved bits are ignored on receipt (§3).
        let mut v = b.to_vec();
        v[4] |= CommandFlags::RESERVED;
        assert_eq!(Header::decode(&v).unwrap().flags.0 & 0x0f, 0x0f);
    }

    #[test]
    fn flag_helpers() {
        let f = CommandFlags::default().with(CommandFlags::RETRANSMIT, true);
        assert!(f.is_retransmit());
        assert!(!f.with(CommandFlags::RETRANSMIT, false).is_retransmit());
        assert_eq!(Header::peek_length(&[1, 0, 1, 0]), Some(256));
        assert_eq!(Header::peek_length(&[1, 0]), None);
    }
}
