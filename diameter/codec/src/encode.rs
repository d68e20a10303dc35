//! The encoder: AVPs appended to one [`BytesMut`], lengths back-patched once each AVP or
//! message is complete (RFC 6733 §3, §4.1).

use bytes::{BufMut, Bytes, BytesMut};

use crate::avp::{Avp, AvpCode, AvpFlags};
use crate::dict::{AvpDef, CommandDef};
use crate::format::{Format, Grouped};
use crate::header::{CommandFlags, Header, HEADER_LEN, MAX_MESSAGE_LEN};

/// Writes an AVP header with a zero length; returns the offset to patch.
fn begin_avp(buf: &mut BytesMut, code: AvpCode, flags: AvpFlags) -> usize {
    let start = buf.len();
    let vendor = code.vendor != 0;
    let flags = if vendor {
        flags.0 | AvpFlags::VENDOR
    } else {
        flags.0 & !AvpFlags::VENDOR
    };
    buf.put_u32(code.code);
    buf.put_u32(u32::from(flags) << 24);
    if vendor {
        buf.put_u32(code.vendor);
    }
    start
}

/// Patches the 24-bit length of the AVP at `start` and pads to 4 bytes.
fn end_avp(buf: &mut BytesMut, start: usize) {
    let len = (buf.len() - start) as u32 & 0x00ff_ffff;
    if let Some(field) = buf.get_mut(start + 5..start + 8) {
        field.copy_from_slice(&len.to_be_bytes()[1..]);
    }
    let pad = (4 - buf.len() % 4) % 4;
    buf.put_bytes(0, pad);
}

/// Something AVPs can be appended to: a message or a Grouped AVP under construction.
pub trait WriteAvps {
    /// The output buffer.
    fn buf_mut(&mut self) -> &mut BytesMut;

    /// Appends `def` with `value`, flags from the dictionary.
    fn put<F: Format>(&mut self, def: &AvpDef<F>, value: &F::Input) -> &mut Self {
        let buf = self.buf_mut();
        let start = begin_avp(buf, def.code(), def.meta.flags());
        F::encode(value, buf);
        end_avp(buf, start);
        self
    }

    /// Appends the Grouped AVP `def`, its members written by `members`.
    fn put_grouped(
        &mut self,
        def: &AvpDef<Grouped>,
        members: impl FnOnce(&mut GroupWriter<'_>),
    ) -> &mut Self {
        let buf = self.buf_mut();
        let start = begin_avp(buf, def.code(), def.meta.flags());
        members(&mut GroupWriter { buf });
        end_avp(buf, start);
        self
    }

    /// Appends a received AVP unchanged (relays, unknown AVPs, Failed-AVP contents).
    fn put_raw(&mut self, avp: &Avp) -> &mut Self {
        self.put_encoded(avp.raw())
    }

    /// Appends one already encoded AVP (header and data, padding added here).
    fn put_encoded(&mut self, avp: &[u8]) -> &mut Self {
        let buf = self.buf_mut();
        buf.put_slice(avp);
        let pad = (4 - buf.len() % 4) % 4;
        buf.put_bytes(0, pad);
        self
    }

    /// Appends an AVP from its parts: code, flags and data (for AVPs outside the dictionary).
    fn put_raw_parts(&mut self, code: AvpCode, flags: AvpFlags, data: &[u8]) -> &mut Self {
        let buf = self.buf_mut();
        let start = begin_avp(buf, code, flags);
        buf.put_slice(data);
        end_avp(buf, start);
        self
    }
}

/// Writes the members of a Grouped AVP ([`WriteAvps::put_grouped`]).
#[derive(Debug)]
pub struct GroupWriter<'a> {
    buf: &'a mut BytesMut,
}

impl WriteAvps for GroupWriter<'_> {
    fn buf_mut(&mut self) -> &mut BytesMut {
        self.buf
    }
}

/// Builds one message: header first, AVPs appended, Message Length patched by
/// [`MessageBuilder::finish`].
#[derive(Debug)]
pub struct MessageBuilder {
    buf: BytesMut,
}

impl MessageBuilder {
    /// A message with `header` (its length is ignored).
    pub fn new(header: Header) -> Self {
        Self::with_capacity(header, 512)
    }

    /// As [`MessageBuilder::new`], reserving `capacity` bytes.
    pub fn with_capacity(header: Header, capacity: usize) -> Self {
        let mut buf = BytesMut::with_capacity(capacity.max(HEADER_LEN));
        header.encode(&mut buf);
        Self { buf }
    }

    /// A request for `cmd`: R bit, P bit per the command, its code and application.
    pub fn request(cmd: &CommandDef, hop_by_hop: u32, end_to_end: u32) -> Self {
        let flags =
            CommandFlags(CommandFlags::REQUEST).with(CommandFlags::PROXIABLE, cmd.proxiable);
        Self::new(Header::new(
            flags,
            cmd.code,
            cmd.application,
            hop_by_hop,
            end_to_end,
        ))
    }

    /// An answer to `request` (RFC 6733 §6.2): same code, application and identifiers, R
    /// cleared, P copied.
    pub fn answer(request: &Header) -> Self {
        let flags = CommandFlags(request.flags.0 & CommandFlags::PROXIABLE);
        Self::new(Header::new(
            flags,
            request.code,
            request.application_id,
            request.hop_by_hop,
            request.end_to_end,
        ))
    }

    /// Sets or clears a header flag bit ([`CommandFlags`] consts).
    pub fn set_flag(&mut self, bit: u8, on: bool) -> &mut Self {
        if let Some(f) = self.buf.get_mut(4) {
            *f = CommandFlags(*f).with(bit, on).0;
        }
        self
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether only the header is written.
    pub fn is_empty(&self) -> bool {
        self.buf.len() <= HEADER_LEN
    }

    /// Patches the Message Length and returns the frame. Lengths beyond 24 bits are truncated
    /// by the wire format; callers keep messages far smaller.
    pub fn finish(mut self) -> Bytes {
        let len = self.buf.len().min(MAX_MESSAGE_LEN) as u32;
        if let Some(field) = self.buf.get_mut(1..4) {
            field.copy_from_slice(&len.to_be_bytes()[1..]);
        }
        self.buf.freeze()
    }
}

impl WriteAvps for MessageBuilder {
    fn buf_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::{base, cx};
    use crate::message::{AvpContainer, Message};

    #[test]
    fn lengths_are_back_patched() {
        let mut b = MessageBuilder::request(&cx::cmd::MAR, 7, 9);
        b.put(&base::avp::SESSION_ID, "abc");
        b.put_grouped(&cx::avp::SIP_AUTH_DATA_ITEM, |g| {
            g.put(&cx::avp::SIP_AUTHENTICATION_SCHEME, "Digest-AKAv1-MD5");
        });
        let f = b.finish();
        assert_eq!(f.len() % 4, 0);
        assert_eq!(Header::peek_length(&f), Some(f.len()));
        // Session-Id: 8 + 3 = 11, padded to 12.
        assert_eq!(&f[20..28], &[0, 0, 1, 7, 0x40, 0, 0, 11]);
        let m = Message::decode(f).unwrap();
        assert!(m.header().flags.is_request() && m.header().flags.is_proxiable());
        let item = m.require(&cx::avp::SIP_AUTH_DATA_ITEM).unwrap();
        assert_eq!(
            item.require(&cx::avp::SIP_AUTHENTICATION_SCHEME).unwrap(),
            "Digest-AKAv1-MD5"
        );
        let raw = item.avps().next().unwrap().unwrap();
        assert_eq!(raw.data_len(), 16);
        assert_eq!(raw.raw().len(), 28);
    }

    #[test]
    fn answer_copies_identifiers() {
        let req = Header::new(
            CommandFlags(0xc0 | CommandFlags::RETRANSMIT),
            base::cmd::RAR.code,
            base::cmd::RAR.application,
            11,
            12,
        );
        let mut a = MessageBuilder::answer(&req);
        a.set_flag(CommandFlags::ERROR, true);
        let h = Header::decode(&a.finish()).unwrap();
        assert_eq!((h.hop_by_hop, h.end_to_end, h.code), (11, 12, req.code));
        assert_eq!(h.flags.0, CommandFlags::PROXIABLE | CommandFlags::ERROR);
    }
}
