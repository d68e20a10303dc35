//! Data-driven: malformed requests on an open connection are answered with the RFC 6733 §7
//! Result-Code and Failed-AVP, and never reach the user.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use bytes::Bytes;
use common::*;
use diameter_codec::generated::base::avp as b;
use diameter_codec::{AvpCode, AvpContainer, AvpFlags, Header, WriteAvps};

const UAR: u32 = 300;

struct Case {
    name: &'static str,
    frame: fn() -> Vec<u8>,
    result: u32,
    failed_avp: Option<u32>,
    e_bit: bool,
}

fn base() -> Vec<u8> {
    let mut f = uar("pcscf.a.test", "a.test", "b.test", None).to_vec();
    f[12..16].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    f
}

fn extra(add: fn(&mut diameter_codec::MessageBuilder)) -> Vec<u8> {
    let mut f = uar_with("pcscf.a.test", "a.test", "b.test", None, add).to_vec();
    f[12..16].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    f
}

/// Rewrites Message Length after editing.
fn relen(mut f: Vec<u8>) -> Vec<u8> {
    let l = (f.len() as u32).to_be_bytes();
    f[1..4].copy_from_slice(&l[1..]);
    f
}

const CASES: &[Case] = &[
    Case {
        name: "missing User-Name",
        frame: || {
            // Drop the User-Name AVP (code 1): rebuild without it.
            let f = base();
            let m = diameter_codec::Message::decode(Bytes::from(f.clone())).unwrap();
            let mut out = f[..20].to_vec();
            for a in m.avps() {
                let a = a.unwrap();
                if a.code().code != 1 {
                    out.extend_from_slice(a.raw());
                    while out.len() % 4 != 0 {
                        out.push(0);
                    }
                }
            }
            relen(out)
        },
        result: 5005,
        failed_avp: Some(1),
        e_bit: false,
    },
    Case {
        name: "unknown mandatory AVP",
        frame: || {
            extra(|m| {
                m.put_raw_parts(AvpCode::new(99_999, 0), AvpFlags(AvpFlags::MANDATORY), b"x");
            })
        },
        result: 5001,
        failed_avp: Some(99_999),
        e_bit: false,
    },
    Case {
        name: "User-Name twice",
        frame: || {
            extra(|m| {
                m.put(&b::USER_NAME, "bob@ims.test");
            })
        },
        result: 5009,
        failed_avp: Some(1),
        e_bit: false,
    },
    Case {
        name: "non-ASCII Destination-Host",
        frame: || {
            extra(|m| {
                m.put_raw_parts(
                    AvpCode::new(293, 0),
                    AvpFlags(AvpFlags::MANDATORY),
                    &[0xff, 0xfe],
                );
            })
        },
        result: 5004,
        failed_avp: Some(293),
        e_bit: false,
    },
    Case {
        name: "AVP length overruns the message",
        frame: || {
            let mut f = base();
            // First AVP (Session-Id) at offset 20: length field at 25..28.
            f[25..28].copy_from_slice(&[0x00, 0xff, 0xf0]);
            f
        },
        result: 5014,
        failed_avp: Some(263),
        e_bit: false,
    },
    Case {
        name: "version 2",
        frame: || {
            let mut f = base();
            f[0] = 2;
            f
        },
        result: 5011,
        failed_avp: None,
        e_bit: false,
    },
    Case {
        name: "Message Length not the frame size",
        frame: || {
            let mut f = base();
            let l = (f.len() as u32 + 4).to_be_bytes();
            f[1..4].copy_from_slice(&l[1..]);
            f
        },
        result: 5015,
        failed_avp: None,
        e_bit: false,
    },
    Case {
        name: "E bit on a request",
        frame: || {
            let mut f = base();
            f[4] |= 0x20;
            f
        },
        result: 3008,
        failed_avp: None,
        e_bit: true,
    },
    Case {
        name: "unknown command",
        frame: || {
            let mut f = base();
            f[5..8].copy_from_slice(&[0, 0x03, 0xe7]);
            f
        },
        result: 3001,
        failed_avp: None,
        e_bit: true,
    },
    Case {
        name: "application not supported",
        frame: || {
            let mut f = base();
            f[8..12].copy_from_slice(&4u32.to_be_bytes());
            f
        },
        result: 3007,
        failed_avp: None,
        e_bit: true,
    },
];

#[test]
fn malformed_requests_get_the_right_answer() {
    for case in CASES {
        let (mut net, a, b_, pa, _pb) = open_pair();
        net.take(b_);
        let frame = (case.frame)();
        let code = u32::from_be_bytes([0, frame[5], frame[6], frame[7]]);
        net.inject(a, b_, Bytes::from(frame));
        let answers: Vec<_> = net
            .trace
            .iter()
            .filter(|f| f.from == b_ && f.code() == code && !f.is_request())
            .cloned()
            .collect();
        assert_eq!(answers.len(), 1, "{}: one answer", case.name);
        let h = Header::decode(&answers[0].bytes).unwrap();
        assert_eq!(h.hop_by_hop, 0x1234_5678, "{}", case.name);
        let msg = answers[0].msg();
        assert_eq!(
            msg.require(&b::RESULT_CODE).unwrap(),
            case.result,
            "{}",
            case.name
        );
        assert_eq!(h.flags.is_error(), case.e_bit, "{}: E bit", case.name);
        let failed = msg.get(&b::FAILED_AVP).unwrap();
        match case.failed_avp {
            Some(c) => {
                let inner = failed.expect(case.name).avps().next().unwrap().unwrap();
                assert_eq!(inner.code().code, c, "{}: Failed-AVP", case.name);
            }
            None => assert!(failed.is_none(), "{}: no Failed-AVP", case.name),
        }
        assert!(
            requests(&net.take(b_)).is_empty(),
            "{}: not delivered",
            case.name
        );
        // The connection survives a bad request.
        assert_eq!(net.link_count(a, b_), 1, "{}", case.name);
        assert_eq!(net.nodes[a].peer_state(pa), diameter_proto::PeerState::Open);
        let _ = UAR;
    }
}

#[test]
fn truncated_frames_are_dropped_safely() {
    let (mut net, a, b_, _pa, _pb) = open_pair();
    for len in [0usize, 1, 4, 19] {
        let f = base();
        net.inject(a, b_, Bytes::copy_from_slice(&f[..len]));
    }
    assert!(requests(&net.take(b_)).is_empty());
    assert_eq!(net.link_count(a, b_), 1);
}
