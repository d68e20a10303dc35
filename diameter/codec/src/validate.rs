//! Grammar validation (RFC 6733 §3.2, §4.4, §7.1): fixed positions, required and optional
//! slots, arity, unknown M-bit AVPs and data formats, reporting the first violation as the
//! [`Error`] that names the Result-Code and Failed-AVP of the answer.

use bytes::Bytes;

use crate::avp::{avp_stub, parse_head, AvpCode, AvpFlags, AvpIter};
use crate::dict::{self, AvpMeta, CommandDef, DataType, Grammar, Rule, Slot};
use crate::error::Error;
use crate::format::{self, ValueError};
use crate::generated::base::avp as b;
use crate::header::HEADER_LEN;
use crate::message::Message;

/// Grouped AVPs nested deeper than this are rejected with 5004 (stack safety).
pub const MAX_DEPTH: usize = 16;

/// Rules counted per grammar; the generator keeps grammars below this.
const MAX_RULES: usize = 64;

const fn rule(def: &AvpMeta, slot: Slot, min: u32, max: u32) -> Rule {
    Rule {
        avp: def.code,
        name: def.name,
        slot,
        min,
        max,
    }
}

/// The answer-message grammar used for answers with the E bit (RFC 6733 §7.2).
pub static ANSWER_MESSAGE: Grammar = Grammar {
    name: "answer-message",
    rules: &[
        rule(&b::SESSION_ID.meta, Slot::Fixed, 0, 1),
        rule(&b::ORIGIN_HOST.meta, Slot::Required, 1, 1),
        rule(&b::ORIGIN_REALM.meta, Slot::Required, 1, 1),
        rule(&b::RESULT_CODE.meta, Slot::Required, 1, 1),
        rule(&b::ORIGIN_STATE_ID.meta, Slot::Optional, 0, 1),
        rule(&b::ERROR_MESSAGE.meta, Slot::Optional, 0, 1),
        rule(&b::ERROR_REPORTING_HOST.meta, Slot::Optional, 0, 1),
        rule(&b::FAILED_AVP.meta, Slot::Optional, 0, 1),
        rule(&b::EXPERIMENTAL_RESULT.meta, Slot::Optional, 0, 1),
        rule(&b::REDIRECT_HOST.meta, Slot::Optional, 0, u32::MAX),
        rule(&b::REDIRECT_HOST_USAGE.meta, Slot::Optional, 0, 1),
        rule(&b::REDIRECT_MAX_CACHE_TIME.meta, Slot::Optional, 0, 1),
        rule(&b::PROXY_INFO.meta, Slot::Optional, 0, u32::MAX),
    ],
    extensible: true,
};

/// Validates `msg` against `cmd`: header bits (R and P as the command defines them, 3008),
/// then the AVPs against the command grammar, or the answer-message grammar when the E bit is
/// set (§7.2). Grouped AVPs known to the dictionary are validated recursively.
pub fn validate(msg: &Message, cmd: &CommandDef) -> Result<(), Error> {
    let flags = msg.header().flags;
    if flags.is_request() != cmd.request
        || (cmd.request && flags.is_proxiable() != cmd.proxiable)
        || msg.header().code != cmd.code
    {
        return Err(Error::InvalidHeaderBits);
    }
    let grammar = if flags.is_error() {
        &ANSWER_MESSAGE
    } else {
        cmd.grammar
    };
    let body = msg.as_bytes().get(HEADER_LEN..).unwrap_or_default();
    check(body, HEADER_LEN, grammar, 0)
}

/// Validates a sequence of AVPs against `grammar` (a command body or a Grouped payload).
pub fn validate_avps(avps: AvpIter, grammar: &Grammar) -> Result<(), Error> {
    let (payload, base) = avps.remaining();
    check(&payload, base, grammar, 0)
}

fn failed(raw: &[u8]) -> Bytes {
    Bytes::copy_from_slice(raw)
}

fn check_value(
    code: AvpCode,
    raw: &[u8],
    data: &[u8],
    data_type: DataType,
    depth: usize,
) -> Result<(), Error> {
    if data_type == DataType::Grouped {
        if depth >= MAX_DEPTH {
            return Err(Error::InvalidAvpValue {
                code,
                failed_avp: failed(raw),
            });
        }
        // Failed-AVP carries whatever the peer rejected, known or not: framing only (§7.5).
        if code == b::FAILED_AVP.code() {
            return crate::avp::check_framing(data, 0);
        }
        return match dict::grouped_grammar(code) {
            Some(g) => check(data, 0, g, depth + 1),
            None => crate::avp::check_framing(data, 0),
        };
    }
    format::check_slice(data_type, data).map_err(|e| match e {
        ValueError::InvalidLength => Error::InvalidAvpLength {
            code,
            offset: 0,
            failed_avp: failed(raw),
        },
        ValueError::InvalidValue => Error::InvalidAvpValue {
            code,
            failed_avp: failed(raw),
        },
    })
}

fn check(payload: &[u8], base: usize, grammar: &Grammar, depth: usize) -> Result<(), Error> {
    let mut counts = [0u32; MAX_RULES];
    let fixed = grammar.fixed_count();
    let mut pos = 0;
    let mut position = 0;
    while let Some(rest) = payload.get(pos..).filter(|r| !r.is_empty()) {
        let h = parse_head(rest, base + pos)?;
        pos += h.padded;
        let raw = rest.get(..h.length).unwrap_or_default();
        let data = raw.get(h.header_len..).unwrap_or_default();
        let code = h.code;
        match grammar.rule(code) {
            Some((index, rule)) => {
                let count = counts.get_mut(index).map_or(1, |c| {
                    *c += 1;
                    *c
                });
                if count > rule.max {
                    let failed_avp = failed(raw);
                    return Err(if rule.max == 0 {
                        Error::AvpNotAllowed { code, failed_avp }
                    } else {
                        Error::AvpOccursTooManyTimes { code, failed_avp }
                    });
                }
                // A fixed AVP sits at its own position, before all others (§3.2).
                if rule.slot == Slot::Fixed && position >= fixed {
                    return Err(Error::AvpNotAllowed {
                        code,
                        failed_avp: failed(raw),
                    });
                }
                if let Some(meta) = dict::avp_meta(code) {
                    check_value(code, raw, data, meta.data_type, depth)?;
                }
            }
            None => match dict::avp_meta(code) {
                _ if !grammar.extensible => {
                    return Err(Error::AvpNotAllowed {
                        code,
                        failed_avp: failed(raw),
                    })
                }
                Some(meta) => check_value(code, raw, data, meta.data_type, depth)?,
                None if h.flags.is_mandatory() => {
                    return Err(Error::AvpUnsupported {
                        code,
                        failed_avp: failed(raw),
                    })
                }
                None => {}
            },
        }
        position += 1;
    }
    for (index, rule) in grammar.rules.iter().enumerate() {
        let count = counts.get(index).copied().unwrap_or(0);
        if count < rule.min {
            let (flags, len) = dict::avp_meta(rule.avp)
                .map_or((AvpFlags(0), 0), |m| (m.flags(), m.data_type.min_len()));
            return Err(Error::MissingAvp {
                code: rule.avp,
                failed_avp: avp_stub(rule.avp, flags, len),
            });
        }
    }
    Ok(())
}

impl Grammar {
    /// Number of leading fixed rules.
    pub fn fixed_count(&self) -> usize {
        self.rules
            .iter()
            .take_while(|r| r.slot == Slot::Fixed)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{MessageBuilder, WriteAvps};
    use crate::generated::base;

    fn dwr(extra: impl FnOnce(&mut MessageBuilder)) -> Message {
        let mut m = MessageBuilder::request(&base::cmd::DWR, 1, 2);
        m.put(&base::avp::ORIGIN_HOST, "a.test");
        extra(&mut m);
        Message::decode(m.finish()).unwrap()
    }

    #[test]
    fn arity_and_unknowns() {
        let ok = dwr(|m| {
            m.put(&base::avp::ORIGIN_REALM, "test");
        });
        validate(&ok, &base::cmd::DWR).unwrap();

        let missing = dwr(|_| {});
        let e = validate(&missing, &base::cmd::DWR).unwrap_err();
        assert_eq!(e.result_code().0, 5005);
        assert_eq!(e.failed_avp().unwrap()[3], 40); // Origin-Realm's code, 296 = 0x128
        assert_eq!(
            e,
            Error::MissingAvp {
                code: base::avp::ORIGIN_REALM.code(),
                failed_avp: e.failed_avp().unwrap().clone()
            }
        );

        let twice = dwr(|m| {
            m.put(&base::avp::ORIGIN_REALM, "test");
            m.put(&base::avp::ORIGIN_REALM, "test2");
        });
        assert_eq!(
            validate(&twice, &base::cmd::DWR)
                .unwrap_err()
                .result_code()
                .0,
            5009
        );

        let unknown_m = dwr(|m| {
            m.put(&base::avp::ORIGIN_REALM, "test");
            m.put_raw_parts(AvpCode::new(99_999, 0), AvpFlags(AvpFlags::MANDATORY), b"x");
        });
        let e = validate(&unknown_m, &base::cmd::DWR).unwrap_err();
        assert_eq!(e.result_code().0, 5001);
        assert_eq!(&e.failed_avp().unwrap()[..4], &99_999u32.to_be_bytes());

        let unknown_plain = dwr(|m| {
            m.put(&base::avp::ORIGIN_REALM, "test");
            m.put_raw_parts(AvpCode::new(99_999, 0), AvpFlags(0), b"x");
        });
        validate(&unknown_plain, &base::cmd::DWR).unwrap();

        let bad_value = dwr(|m| {
            m.put(&base::avp::ORIGIN_REALM, "test");
            m.put_raw_parts(base::avp::ORIGIN_STATE_ID.code(), AvpFlags(0x40), &[1]);
        });
        assert_eq!(
            validate(&bad_value, &base::cmd::DWR)
                .unwrap_err()
                .result_code()
                .0,
            5014
        );

        let bad_utf8 = dwr(|m| {
            m.put_raw_parts(base::avp::ORIGIN_REALM.code(), AvpFlags(0x40), &[0xff]);
        });
        assert_eq!(
            validate(&bad_utf8, &base::cmd::DWR)
                .unwrap_err()
                .result_code()
                .0,
            5004
        );
    }

    #[test]
    fn not_allowed_in_closed_grammar_and_misplaced_fixed() {
        // Experimental-Result is closed: {Vendor-Id}{Experimental-Result-Code}.
        let mut m = MessageBuilder::answer(&crate::header::Header::new(
            crate::header::CommandFlags(0x80),
            base::cmd::DWA.code,
            base::cmd::DWA.application,
            1,
            1,
        ));
        m.put(&base::avp::RESULT_CODE, &2001)
            .put(&base::avp::ORIGIN_HOST, "a")
            .put(&base::avp::ORIGIN_REALM, "b")
            .put_grouped(&base::avp::EXPERIMENTAL_RESULT, |g| {
                g.put(&base::avp::VENDOR_ID, &10415)
                    .put(&base::avp::EXPERIMENTAL_RESULT_CODE, &2001)
                    .put(&base::avp::ORIGIN_HOST, "x");
            });
        let msg = Message::decode(m.finish()).unwrap();
        let e = validate(&msg, &base::cmd::DWA).unwrap_err();
        assert_eq!(e.result_code().0, 5008);

        let mut m = MessageBuilder::request(&base::cmd::STR, 1, 2);
        m.put(&base::avp::ORIGIN_HOST, "a")
            .put(&base::avp::SESSION_ID, "s");
        let msg = Message::decode(m.finish()).unwrap();
        assert_eq!(
            validate(&msg, &base::cmd::STR).unwrap_err().result_code().0,
            5008
        );
    }

    #[test]
    fn failed_avp_contents_are_opaque() {
        let req = *dwr(|_| {}).header();
        let mut a = MessageBuilder::answer(&req);
        a.put(&base::avp::RESULT_CODE, &5001)
            .put(&base::avp::ORIGIN_HOST, "a")
            .put(&base::avp::ORIGIN_REALM, "b")
            .put_grouped(&base::avp::FAILED_AVP, |g| {
                g.put_raw_parts(AvpCode::new(77_777, 0), AvpFlags(AvpFlags::MANDATORY), b"?");
            });
        let msg = Message::decode(a.finish()).unwrap();
        validate(&msg, &base::cmd::DWA).unwrap();
    }

    #[test]
    fn header_bits_and_error_answers() {
        let ok = dwr(|m| {
            m.put(&base::avp::ORIGIN_REALM, "test");
        });
        assert_eq!(
            validate(&ok, &base::cmd::DWA).unwrap_err().result_code().0,
            3008
        );
        let mut m = MessageBuilder::request(&base::cmd::STR, 1, 2);
        m.set_flag(crate::header::CommandFlags::PROXIABLE, false);
        let msg = Message::decode(m.finish()).unwrap();
        assert_eq!(
            validate(&msg, &base::cmd::STR).unwrap_err().result_code().0,
            3008
        );
        // An E-bit answer follows the answer-message grammar, not the DWA one.
        let req = *ok.header();
        let mut a = MessageBuilder::answer(&req);
        a.set_flag(crate::header::CommandFlags::ERROR, true);
        a.put(&base::avp::ORIGIN_HOST, "a")
            .put(&base::avp::ORIGIN_REALM, "b")
            .put(&base::avp::RESULT_CODE, &3002);
        let msg = Message::decode(a.finish()).unwrap();
        validate(&msg, &base::cmd::DWA).unwrap();
    }
}
