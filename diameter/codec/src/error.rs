//! Decoding and validation faults, each mapped to the Result-Code and Failed-AVP of the answer
//! (RFC 6733 §7.1). Display never shows peer bytes.

use bytes::Bytes;

use crate::avp::AvpCode;
use crate::generated::base::ResultCode;

/// A fault in a received message. [`Error::result_code`] and [`Error::failed_avp`] give what the
/// answer must carry ([`crate::error_answer`] builds it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer than 20 bytes: no header (5015).
    #[error("message of {len} bytes is shorter than the Diameter header")]
    TruncatedHeader {
        /// Bytes received.
        len: usize,
    },
    /// Version other than 1 (5011, §7.1.5).
    #[error("unsupported Diameter version {0}")]
    UnsupportedVersion(u8),
    /// Message Length below 20, not a multiple of 4, or not the frame size (5015).
    #[error("invalid message length {declared} for a frame of {received} bytes")]
    InvalidMessageLength {
        /// Message Length field.
        declared: u32,
        /// Frame size.
        received: usize,
    },
    /// Header bits in an invalid combination or inconsistent with the command (3008, §7.1.3).
    #[error("invalid header bits")]
    InvalidHeaderBits,
    /// AVP flag bits unrecognised or inconsistent with the AVP's definition (3009, §7.1.3).
    #[error("invalid flag bits in AVP {code}")]
    InvalidAvpBits {
        /// The AVP.
        code: AvpCode,
        /// The offending AVP.
        failed_avp: Bytes,
    },
    /// AVP length shorter than its header or running past the end (5014, §7.1.5).
    #[error("invalid length of AVP {code} at offset {offset}")]
    InvalidAvpLength {
        /// The AVP (as far as it could be read).
        code: AvpCode,
        /// Offset of the AVP in the message.
        offset: usize,
        /// The AVP header with a zero-filled payload.
        failed_avp: Bytes,
    },
    /// An AVP with the M bit that the receiver does not know (5001, §7.1.5).
    #[error("unsupported mandatory AVP {code}")]
    AvpUnsupported {
        /// The AVP.
        code: AvpCode,
        /// The offending AVP.
        failed_avp: Bytes,
    },
    /// An AVP whose value is not valid for its data format (5004, §7.1.5).
    #[error("invalid value in AVP {code}")]
    InvalidAvpValue {
        /// The AVP.
        code: AvpCode,
        /// The offending AVP.
        failed_avp: Bytes,
    },
    /// A required AVP is missing (5005, §7.1.5).
    #[error("missing AVP {code}")]
    MissingAvp {
        /// The missing AVP.
        code: AvpCode,
        /// An example of the AVP with zero-filled data (§7.5).
        failed_avp: Bytes,
    },
    /// An AVP that the command grammar does not allow (5008, §7.1.5).
    #[error("AVP {code} not allowed here")]
    AvpNotAllowed {
        /// The AVP.
        code: AvpCode,
        /// The offending AVP.
        failed_avp: Bytes,
    },
    /// An AVP occurring more often than the grammar allows (5009, §7.1.5).
    #[error("AVP {code} occurs too many times")]
    AvpOccursTooManyTimes {
        /// The AVP.
        code: AvpCode,
        /// The first occurrence beyond the limit.
        failed_avp: Bytes,
    },
}

impl Error {
    /// The Result-Code the answer must carry (RFC 6733 §7.1).
    pub const fn result_code(&self) -> ResultCode {
        match self {
            Self::TruncatedHeader { .. } | Self::InvalidMessageLength { .. } => {
                ResultCode::DIAMETER_INVALID_MESSAGE_LENGTH
            }
            Self::UnsupportedVersion(_) => ResultCode::DIAMETER_UNSUPPORTED_VERSION,
            Self::InvalidHeaderBits => ResultCode::DIAMETER_INVALID_HDR_BITS,
            Self::InvalidAvpBits { .. } => ResultCode::DIAMETER_INVALID_AVP_BITS,
            Self::InvalidAvpLength { .. } => ResultCode::DIAMETER_INVALID_AVP_LENGTH,
            Self::AvpUnsupported { .. } => ResultCode::DIAMETER_AVP_UNSUPPORTED,
            Self::InvalidAvpValue { .. } => ResultCode::DIAMETER_INVALID_AVP_VALUE,
            Self::MissingAvp { .. } => ResultCode::DIAMETER_MISSING_AVP,
            Self::AvpNotAllowed { .. } => ResultCode::DIAMETER_AVP_NOT_ALLOWED,
            Self::AvpOccursTooManyTimes { .. } => ResultCode::DIAMETER_AVP_OCCURS_TOO_MANY_TIMES,
        }
    }

    /// The AVP to put in Failed-AVP (§7.5), when the fault names one.
    pub const fn failed_avp(&self) -> Option<&Bytes> {
        match self {
            Self::InvalidAvpBits { failed_avp, .. }
            | Self::InvalidAvpLength { failed_avp, .. }
            | Self::AvpUnsupported { failed_avp, .. }
            | Self::InvalidAvpValue { failed_avp, .. }
            | Self::MissingAvp { failed_avp, .. }
            | Self::AvpNotAllowed { failed_avp, .. }
            | Self::AvpOccursTooManyTimes { failed_avp, .. } => Some(failed_avp),
            _ => None,
        }
    }

    /// Whether the answer is a protocol error (3xxx): sent with the E bit, as an answer-message
    /// (§7.1.3, §7.2).
    pub const fn is_protocol_error(&self) -> bool {
        let c = self.result_code().0;
        c >= 3000 && c < 4000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_avp_not_its_bytes() {
        let e = Error::InvalidAvpValue {
            code: AvpCode::new(610, 10415),
            failed_avp: Bytes::from_static(b"SECRET-RES"),
        };
        let shown = format!("{e} {e:?}");
        assert!(shown.contains("10415/610"));
        assert!(!format!("{e}").contains("SECRET"));
        assert_eq!(e.result_code().0, 5004);
        assert!(!e.is_protocol_error());
        assert!(Error::InvalidHeaderBits.is_protocol_error());
        assert!(Error::InvalidHeaderBits.failed_avp().is_none());
    }
}
