//! What every Cx answer parser does first: check the answer belongs to the command, read its
//! result (TS 29.229 §6.2); and small conversions of decoded values.

use diameter_codec::format::Utf8Bytes;
use diameter_codec::{CommandDef, Message};

use crate::error::CxError;
use crate::result::CxResult;

/// Checks that `answer` is an answer (R bit clear) of `cmd`'s Command-Code and reads its
/// result. Error answers (E bit, RFC 6733 §7.2) pass: they carry a Result-Code.
pub(crate) fn check(answer: &Message, cmd: &CommandDef) -> Result<CxResult, CxError> {
    let h = answer.header();
    if h.flags.is_request() || h.code != cmd.code {
        return Err(CxError::UnexpectedAnswer {
            expected: cmd.name,
            got: h.code.0,
        });
    }
    CxResult::read(answer)
}

/// An owned copy of a decoded text value.
pub(crate) fn text(v: &Utf8Bytes) -> String {
    v.as_str().to_owned()
}
