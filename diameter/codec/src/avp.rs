//! AVP header, the raw AVP and the zero-copy AVP iterator (RFC 6733 §4.1).

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::Error;

/// AVP header length without the Vendor-ID field.
pub const AVP_HEADER_LEN: usize = 8;
/// AVP header length with the Vendor-ID field (V bit set).
pub const AVP_VENDOR_HEADER_LEN: usize = 12;

/// An AVP code qualified by its Vendor-ID (0 for IETF AVPs): the key of the dictionary
/// (RFC 6733 §4.1, §4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AvpCode {
    /// Vendor-ID (0 when the V bit is clear). Ordered first so tables sort by vendor.
    pub vendor: u32,
    /// AVP Code.
    pub code: u32,
}

impl AvpCode {
    /// An AVP code of `vendor` (0 for IETF).
    pub const fn new(code: u32, vendor: u32) -> Self {
        Self { vendor, code }
    }
}

impl fmt::Display for AvpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.vendor == 0 {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{}/{}", self.vendor, self.code)
        }
    }
}

/// The AVP flags byte (RFC 6733 §4.1): V, M, P and five reserved bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AvpFlags(pub u8);

impl AvpFlags {
    /// V: the Vendor-ID field is present.
    pub const VENDOR: u8 = 0x80;
    /// M: the receiver must understand the AVP or reject the message (5001).
    pub const MANDATORY: u8 = 0x40;
    /// P: reserved for end-to-end security (deprecated by RFC 6733).
    pub const PROTECTED: u8 = 0x20;
    /// Reserved bits.
    pub const RESERVED: u8 = 0x1f;

    /// Whether the V bit is set.
    pub const fn is_vendor(self) -> bool {
        self.0 & Self::VENDOR != 0
    }
    /// Whether the M bit is set.
    pub const fn is_mandatory(self) -> bool {
        self.0 & Self::MANDATORY != 0
    }
    /// Whether the P bit is set.
    pub const fn is_protected(self) -> bool {
        self.0 & Self::PROTECTED != 0
    }
}

/// One AVP as received: header fields plus the unpadded bytes, sharing the message buffer.
/// Unknown AVPs stay in this form and can be forwarded unchanged ([`crate::WriteAvps::put_raw`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avp {
    code: AvpCode,
    flags: AvpFlags,
    header_len: usize,
    raw: Bytes,
}

impl Avp {
    /// Code and vendor.
    pub const fn code(&self) -> AvpCode {
        self.code
    }
    /// Flags byte.
    pub const fn flags(&self) -> AvpFlags {
        self.flags
    }
    /// The data field, without header or padding.
    pub fn data(&self) -> Bytes {
        // Invariant from `AvpIter`: header_len <= raw.len().
        self.raw.slice(self.header_len..)
    }
    /// Length of the data field.
    pub fn data_len(&self) -> usize {
        self.raw.len() - self.header_len
    }
    /// The whole AVP (header and data, no padding), e.g. for Failed-AVP (§7.5).
    pub const fn raw(&self) -> &Bytes {
        &self.raw
    }
}

/// Iterator over the AVPs of a message body or Grouped payload, in the style of quinn's
/// `frame::Iter`: each item shares the input buffer. After the first error it yields nothing.
#[derive(Debug, Clone)]
pub struct AvpIter {
    bytes: Bytes,
    pos: usize,
    base: usize,
}

impl AvpIter {
    /// Iterates over `payload`; `base` is its offset in the message (for error offsets).
    pub const fn new(payload: Bytes, base: usize) -> Self {
        Self {
            bytes: payload,
            pos: 0,
            base,
        }
    }

    /// The bytes not yet iterated and their offset in the message.
    pub fn remaining(&self) -> (Bytes, usize) {
        let pos = self.pos.min(self.bytes.len());
        (self.bytes.slice(pos..), self.base + pos)
    }

    fn fail(&mut self, err: Error) -> Option<Result<Avp, Error>> {
        self.pos = self.bytes.len();
        Some(Err(err))
    }
}

/// An AVP header with zero-filled data of `data_len` bytes: the Failed-AVP stand-in that
/// RFC 6733 §7.1.5 (5014) and §7.5 allow when the original cannot be copied.
pub fn avp_stub(code: AvpCode, flags: AvpFlags, data_len: usize) -> Bytes {
    let mut b = BytesMut::with_capacity(AVP_VENDOR_HEADER_LEN + data_len);
    let vendor = code.vendor != 0 || flags.is_vendor();
    let flags = if vendor {
        flags.0 | AvpFlags::VENDOR
    } else {
        flags.0
    };
    let hl = if vendor {
        AVP_VENDOR_HEADER_LEN
    } else {
        AVP_HEADER_LEN
    };
    b.put_u32(code.code);
    b.put_u32((u32::from(flags) << 24) | ((hl + data_len) as u32 & 0x00ff_ffff));
    if vendor {
        b.put_u32(code.vendor);
    }
    b.put_bytes(0, data_len);
    b.freeze()
}

/// The parsed header of the AVP at the start of `rest`: what the iterator needs to slice it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AvpHead {
    pub(crate) code: AvpCode,
    pub(crate) flags: AvpFlags,
    pub(crate) header_len: usize,
    /// AVP Length (header and data, no padding); `<= rest.len()`.
    pub(crate) length: usize,
    /// Length with padding; `<= rest.len()`.
    pub(crate) padded: usize,
}

/// Parses and checks the AVP header at the start of `rest` (non-empty); `offset` is its
/// position in the message, for errors (RFC 6733 §4.1, §7.1.5).
pub(crate) fn parse_head(rest: &[u8], offset: usize) -> Result<AvpHead, Error> {
    let Some(h) = rest.first_chunk::<AVP_HEADER_LEN>() else {
        // Not even a full header: name what we can read (§7.1.5, 5014).
        let mut stub = [0u8; 4];
        for (d, s) in stub.iter_mut().zip(rest) {
            *d = *s;
        }
        let code = AvpCode::new(u32::from_be_bytes(stub), 0);
        return Err(Error::InvalidAvpLength {
            code,
            offset,
            failed_avp: avp_stub(code, AvpFlags(0), 0),
        });
    };
    let raw_code = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let flags = AvpFlags(h[4]);
    let length = u32::from_be_bytes([0, h[5], h[6], h[7]]) as usize;
    let (vendor, header_len) = if flags.is_vendor() {
        match rest.get(8..12) {
            Some(v) if length >= AVP_VENDOR_HEADER_LEN => (
                u32::from_be_bytes([v[0], v[1], v[2], v[3]]),
                AVP_VENDOR_HEADER_LEN,
            ),
            v => {
                let vendor = v.map_or(0, |v| u32::from_be_bytes([v[0], v[1], v[2], v[3]]));
                let code = AvpCode::new(raw_code, vendor);
                return Err(Error::InvalidAvpLength {
                    code,
                    offset,
                    failed_avp: avp_stub(code, flags, 0),
                });
            }
        }
    } else {
        (0, AVP_HEADER_LEN)
    };
    let code = AvpCode::new(raw_code, vendor);
    let padded = length.saturating_add(3) & !3;
    if length < header_len || padded > rest.len() {
        // Running past the end (padding included) or shorter than its header (§4.1).
        return Err(Error::InvalidAvpLength {
            code,
            offset,
            failed_avp: avp_stub(code, flags, 0),
        });
    }
    if flags.0 & AvpFlags::RESERVED != 0 {
        let failed_avp = rest
            .get(..length)
            .map(Bytes::copy_from_slice)
            .unwrap_or_default();
        return Err(Error::InvalidAvpBits { code, failed_avp });
    }
    Ok(AvpHead {
        code,
        flags,
        header_len,
        length,
        padded,
    })
}

/// Walks `payload` checking every AVP header without creating [`Avp`]s; the first fault.
pub(crate) fn check_framing(payload: &[u8], base: usize) -> Result<(), Error> {
    let mut pos = 0;
    while let Some(rest) = payload.get(pos..).filter(|r| !r.is_empty()) {
        pos += parse_head(rest, base + pos)?.padded;
    }
    Ok(())
}

/// Finds the AVPs with `code` in `buf[start..]`, slicing only those ([`Avp`] shares `buf`).
/// `found` returns whether to continue.
pub(crate) fn scan(
    buf: &Bytes,
    start: usize,
    code: AvpCode,
    mut found: impl FnMut(Avp) -> bool,
) -> Result<(), Error> {
    let mut pos = start;
    while let Some(rest) = buf.get(pos..).filter(|r| !r.is_empty()) {
        let h = parse_head(rest, pos)?;
        if h.code == code {
            let avp = Avp {
                code: h.code,
                flags: h.flags,
                header_len: h.header_len,
                raw: buf.slice(pos..pos + h.length),
            };
            if !found(avp) {
                return Ok(());
            }
        }
        pos += h.padded;
    }
    Ok(())
}

impl Iterator for AvpIter {
    type Item = Result<Avp, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.bytes.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        match parse_head(rest, self.base + self.pos) {
            Ok(h) => {
                let raw = self.bytes.slice(self.pos..self.pos + h.length);
                self.pos += h.padded;
                Some(Ok(Avp {
                    code: h.code,
                    flags: h.flags,
                    header_len: h.header_len,
                    raw,
                }))
            }
            Err(e) => self.fail(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avp(code: u32, flags: u8, vendor: Option<u32>, data: &[u8]) -> Vec<u8> {
        let hl = if vendor.is_some() { 12 } else { 8 };
        let mut v = code.to_be_bytes().to_vec();
        v.extend_from_slice(&((u32::from(flags) << 24) | (hl + data.len()) as u32).to_be_bytes());
        if let Some(id) = vendor {
            v.extend_from_slice(&id.to_be_bytes());
        }
        v.extend_from_slice(data);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }

    #[test]
    fn iterates_with_padding_and_vendor() {
        let mut b = avp(263, 0x40, None, b"abcde");
        b.extend(avp(601, 0xc0, Some(10415), b"sip:a@b"));
        let items: Vec<Avp> = AvpIter::new(Bytes::from(b), 20)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].code(), AvpCode::new(263, 0));
        assert_eq!(&items[0].data()[..], b"abcde");
        assert_eq!(items[0].raw().len(), 13);
        assert!(items[0].flags().is_mandatory());
        assert_eq!(items[1].code(), AvpCode::new(601, 10415));
        assert_eq!(&items[1].data()[..], b"sip:a@b");
        assert_eq!(items[1].data_len(), 7);
    }

    #[test]
    fn malformed_avps_are_5014() {
        // Length running past the end.
        let mut b = avp(263, 0x40, None, b"abcd");
        b[7] = 40;
        let e = AvpIter::new(Bytes::from(b), 20)
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.result_code().0, 5014);
        assert_eq!(e.failed_avp().unwrap().len(), 8);
        // Length below the header size.
        let mut b = avp(263, 0x40, None, b"abcd");
        b[7] = 7;
        let e = AvpIter::new(Bytes::from(b), 20)
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.result_code().0, 5014);
        // V bit with an 8..11-byte AVP.
        let mut b = avp(263, 0x40, None, b"abc");
        b[4] = 0xc0;
        let e = AvpIter::new(Bytes::from(b), 20)
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.result_code().0, 5014);
        // Missing padding at the end.
        let b = avp(263, 0x40, None, b"abcde");
        let e = AvpIter::new(Bytes::from(b[..13].to_vec()), 20)
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.result_code().0, 5014);
        // Trailing fragment shorter than a header.
        let mut it = AvpIter::new(Bytes::from_static(&[0, 0, 1]), 20);
        assert_eq!(it.next().unwrap().unwrap_err().result_code().0, 5014);
        assert!(it.next().is_none());
        // Reserved flag bits.
        let b = avp(263, 0x41, None, b"abcd");
        let e = AvpIter::new(Bytes::from(b), 20)
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.result_code().0, 3009);
    }

    #[test]
    fn stub_has_zero_data() {
        let s = avp_stub(AvpCode::new(601, 10415), AvpFlags(0x40), 4);
        assert_eq!(s.len(), 16);
        assert_eq!(s[4], 0xc0);
        assert_eq!(s[7], 16);
        assert_eq!(&s[12..], &[0, 0, 0, 0]);
    }
}
