//! A received message: the frame as one [`Bytes`] plus its decoded header; AVPs are read on
//! demand through [`AvpIter`] and typed with [`AvpDef`] (RFC 6733 §3, §4).

use bytes::Bytes;

use crate::avp::{Avp, AvpCode, AvpIter};
use crate::dict::AvpDef;
use crate::error::Error;
use crate::format::{Format, ValueError};
use crate::header::{Header, HEADER_LEN};

/// A decoded Diameter message. Decoding checks the header and the framing of the top-level AVPs;
/// Grouped AVPs are checked when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    header: Header,
    frame: Bytes,
}

impl Message {
    /// Decodes one whole frame (exactly Message Length bytes).
    pub fn decode(frame: Bytes) -> Result<Self, Error> {
        let header = Header::decode(&frame)?;
        crate::avp::check_framing(frame.get(HEADER_LEN..).unwrap_or_default(), HEADER_LEN)?;
        Ok(Self { header, frame })
    }

    /// The header.
    pub const fn header(&self) -> &Header {
        &self.header
    }

    /// The whole frame, as received.
    pub const fn as_bytes(&self) -> &Bytes {
        &self.frame
    }

    /// The AVP bytes after the header.
    pub fn body(&self) -> Bytes {
        self.frame.slice(HEADER_LEN.min(self.frame.len())..)
    }
}

/// A Grouped AVP's payload (RFC 6733 §4.4), iterated lazily.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupedAvps {
    payload: Bytes,
}

impl GroupedAvps {
    /// Wraps a Grouped data field.
    pub const fn new(payload: Bytes) -> Self {
        Self { payload }
    }
    /// The payload bytes.
    pub const fn as_bytes(&self) -> &Bytes {
        &self.payload
    }
}

fn value_error(avp: &Avp, e: ValueError) -> Error {
    match e {
        ValueError::InvalidLength => Error::InvalidAvpLength {
            code: avp.code(),
            offset: 0,
            failed_avp: avp.raw().clone(),
        },
        ValueError::InvalidValue => Error::InvalidAvpValue {
            code: avp.code(),
            failed_avp: avp.raw().clone(),
        },
    }
}

/// Decodes `avp` as format `F`, mapping a bad value to 5004/5014 with the AVP as Failed-AVP.
pub fn decode_value<F: Format>(avp: &Avp) -> Result<F::Value, Error> {
    F::decode(&avp.data()).map_err(|e| value_error(avp, e))
}

/// Anything holding a sequence of AVPs: a message body or a Grouped payload. The provided
/// methods are the typed accessors over the generated [`AvpDef`]s.
pub trait AvpContainer {
    /// The buffer and where the AVPs start in it (20 in a message, 0 in a Grouped payload).
    fn payload(&self) -> (&Bytes, usize);

    /// Iterates over the AVPs.
    fn avps(&self) -> AvpIter {
        let (buf, start) = self.payload();
        AvpIter::new(buf.slice(start.min(buf.len())..), start)
    }

    /// The first AVP with `code`. Only the match is sliced out of the buffer.
    fn find(&self, code: AvpCode) -> Result<Option<Avp>, Error> {
        let (buf, start) = self.payload();
        let mut out = None;
        crate::avp::scan(buf, start, code, |a| {
            out = Some(a);
            false
        })?;
        Ok(out)
    }

    /// The value of the first `def` AVP, if present.
    fn get<F: Format>(&self, def: &AvpDef<F>) -> Result<Option<F::Value>, Error> {
        match self.find(def.code())? {
            Some(avp) => decode_value::<F>(&avp).map(Some),
            None => Ok(None),
        }
    }

    /// The value of the first `def` AVP; 5005 with an example AVP when absent.
    fn require<F: Format>(&self, def: &AvpDef<F>) -> Result<F::Value, Error> {
        self.get(def)?.ok_or_else(|| Error::MissingAvp {
            code: def.code(),
            failed_avp: crate::avp::avp_stub(
                def.code(),
                def.meta.flags(),
                def.meta.data_type.min_len(),
            ),
        })
    }

    /// The values of every `def` AVP, in order.
    fn get_all<F: Format>(&self, def: &AvpDef<F>) -> Result<Vec<F::Value>, Error> {
        let (buf, start) = self.payload();
        let mut out = Vec::new();
        let mut bad = None;
        crate::avp::scan(buf, start, def.code(), |a| match decode_value::<F>(&a) {
            Ok(v) => {
                out.push(v);
                true
            }
            Err(e) => {
                bad = Some(e);
                false
            }
        })?;
        match bad {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

impl AvpContainer for Message {
    fn payload(&self) -> (&Bytes, usize) {
        (&self.frame, HEADER_LEN)
    }
}

impl AvpContainer for GroupedAvps {
    fn payload(&self) -> (&Bytes, usize) {
        (&self.payload, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{MessageBuilder, WriteAvps};
    use crate::generated::base;

    #[test]
    fn typed_get_and_missing() {
        let mut b = MessageBuilder::request(&base::cmd::DWR, 1, 2);
        b.put(&base::avp::ORIGIN_HOST, "a.test")
            .put(&base::avp::ORIGIN_REALM, "test")
            .put(&base::avp::ORIGIN_STATE_ID, &7);
        let m = Message::decode(b.finish()).unwrap();
        assert_eq!(m.get(&base::avp::ORIGIN_HOST).unwrap().unwrap(), "a.test");
        assert_eq!(m.require(&base::avp::ORIGIN_STATE_ID).unwrap(), 7);
        let e = m.require(&base::avp::RESULT_CODE).unwrap_err();
        assert_eq!(e.result_code().0, 5005);
        assert_eq!(e.failed_avp().unwrap().len(), 12);
        assert_eq!(m.get_all(&base::avp::ORIGIN_REALM).unwrap().len(), 1);
    }

    #[test]
    fn bad_value_is_5014_or_5004() {
        let mut b = MessageBuilder::request(&base::cmd::DWR, 1, 2);
        b.put(&base::avp::ORIGIN_HOST, "a.test");
        // Origin-State-Id (Unsigned32) with 2 bytes of data.
        b.put_raw_parts(
            base::avp::ORIGIN_STATE_ID.code(),
            base::avp::ORIGIN_STATE_ID.meta.flags(),
            &[1, 2],
        );
        let m = Message::decode(b.finish()).unwrap();
        let e = m.get(&base::avp::ORIGIN_STATE_ID).unwrap_err();
        assert_eq!(e.result_code().0, 5014);
        assert_eq!(e.failed_avp().unwrap().len(), 10);
    }
}
