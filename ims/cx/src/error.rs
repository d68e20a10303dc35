//! Errors of the Cx client: no answer, or an answer that does not say what it must.

use diameter_net::RequestError;

/// Why a Cx request produced no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CxError {
    /// No answer within the peer's request timeout (RFC 6733 §5.5.4).
    #[error("no answer: request timed out")]
    Timeout,
    /// The request could not be sent (no route, peer not open, node stopped).
    #[error("transport: {0}")]
    Transport(RequestError),
    /// The answer lacks an AVP it must carry.
    #[error("malformed answer: missing {avp}")]
    MissingAvp {
        /// Dictionary name of the AVP.
        avp: &'static str,
    },
    /// An AVP of the answer has an invalid value or length.
    #[error("malformed answer: invalid {avp}")]
    InvalidAvp {
        /// Dictionary name of the AVP.
        avp: &'static str,
    },
    /// The answer does not decode (framing, AVP lengths).
    #[error("malformed answer: {0}")]
    Decode(diameter_codec::Error),
    /// The answer is not the answer of the request's command.
    #[error("unexpected answer: command {got}, expected {expected}")]
    UnexpectedAnswer {
        /// The command we expected (UAA, MAA, ...).
        expected: &'static str,
        /// The Command-Code received.
        got: u32,
    },
}

impl From<RequestError> for CxError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Timeout => Self::Timeout,
            other => Self::Transport(other),
        }
    }
}

impl From<diameter_codec::Error> for CxError {
    /// Names the AVP of a missing or invalid value from the dictionary when it is known.
    fn from(e: diameter_codec::Error) -> Self {
        use diameter_codec::dict::avp_meta;
        use diameter_codec::Error as E;
        match &e {
            E::MissingAvp { code, .. } => match avp_meta(*code) {
                Some(m) => Self::MissingAvp { avp: m.name },
                None => Self::Decode(e),
            },
            E::InvalidAvpValue { code, .. } | E::InvalidAvpLength { code, .. } => {
                match avp_meta(*code) {
                    Some(m) => Self::InvalidAvp { avp: m.name },
                    None => Self::Decode(e),
                }
            }
            _ => Self::Decode(e),
        }
    }
}
