//! CSeq (RFC 3261 §20.16): `CSeq: 1*DIGIT LWS Method`, the number below 2^31.

use crate::error::{ParseError, ParseErrorKind};
use crate::header_name::HeaderName;
use crate::method::Method;
use crate::scan::{is_lws, is_token, parse_u32, trim_lws};

/// A parsed CSeq value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CSeq {
    /// Sequence number.
    pub seq: u32,
    /// Method.
    pub method: Method,
}

impl CSeq {
    /// Parse a CSeq header value.
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        let err = ParseError::new(ParseErrorKind::Invalid(HeaderName::CSEQ), 0);
        let v = trim_lws(value);
        let split = v.bytes().position(is_lws).ok_or(err)?;
        let (num, method) = v.split_at(split);
        let method = trim_lws(method);
        let seq = parse_u32(num).filter(|n| *n < 1 << 31).ok_or(err)?;
        if !is_token(method) {
            return Err(err);
        }
        Ok(Self {
            seq,
            method: Method::from_token(method.as_bytes()),
        })
    }
}

impl std::fmt::Display for CSeq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.seq, self.method.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(
            CSeq::parse("4711 INVITE").unwrap(),
            CSeq {
                seq: 4711,
                method: Method::INVITE
            }
        );
        let c = CSeq::parse("0009\r\n  INVITE").unwrap();
        assert_eq!(c.seq, 9);
        assert_eq!(c.to_string(), "9 INVITE");
        assert_eq!(
            CSeq::parse("1 NEWMETHOD").unwrap().method.as_str(),
            "NEWMETHOD"
        );
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "INVITE",
            "1",
            "1INVITE",
            "-1 INVITE",
            "2147483648 INVITE",
            "36893488147419103232 INVITE",
            "1 INVITE x",
            "x INVITE",
        ] {
            assert_eq!(
                CSeq::parse(bad).unwrap_err().kind,
                ParseErrorKind::Invalid(HeaderName::CSEQ),
                "{bad:?}"
            );
        }
    }
}
