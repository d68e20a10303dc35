//! Data-driven malformed-frame cases (`tests/data/malformed_dwr.txt`): each frame must decode
//! and validate to the expected Result-Code without panicking, and the error answer built from
//! it must itself decode and name the same code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use diameter_codec::dict::command;
use diameter_codec::generated::base;
use diameter_codec::{error_answer, validate, AvpContainer, Error, Header, Message};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn check(frame: Bytes) -> Result<Message, Error> {
    let msg = Message::decode(frame)?;
    let h = msg.header();
    // Bit flips may turn the command into an unknown one: then only framing is checked.
    if let Some(cmd) = command(h.code, h.application_id, h.flags.is_request()) {
        validate(&msg, cmd)?;
    }
    Ok(msg)
}

#[test]
fn malformed_frames_map_to_result_codes() {
    let data = include_str!("data/malformed_dwr.txt");
    let mut n = 0;
    for line in data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (case, why) = line.split_once(" # ").unwrap();
        let (expected, frame) = case.split_once(' ').unwrap();
        let frame = Bytes::from(hex(frame.trim()));
        let got = check(frame.clone());
        match (expected, &got) {
            ("ok", Ok(_)) => {}
            (code, Err(e)) => {
                assert_eq!(e.result_code().0.to_string(), code, "{why}: got {e}");
                // The answer: built from the header whenever the header decoded.
                if let Some(h) = frame.get(..20).and_then(|b| {
                    Header::decode(b).ok().or_else(|| {
                        // Length faults: answer from the 20 header bytes with the length fixed.
                        let mut v = b.to_vec();
                        v[1..4].copy_from_slice(&[0, 0, 20]);
                        Header::decode(&v).ok()
                    })
                }) {
                    let ans = Message::decode(error_answer(&h, e, "hss.test", "test")).unwrap();
                    assert_eq!(
                        ans.require(&base::avp::RESULT_CODE).unwrap().to_string(),
                        code,
                        "{why}"
                    );
                    assert_eq!(
                        ans.header().flags.is_error(),
                        e.is_protocol_error(),
                        "{why}"
                    );
                    assert_eq!(ans.header().hop_by_hop, h.hop_by_hop);
                    if let Some(failed) = e.failed_avp() {
                        let f = ans.require(&base::avp::FAILED_AVP).unwrap();
                        assert_eq!(f.as_bytes().slice(..failed.len()), failed, "{why}");
                    }
                }
            }
            (_, Ok(_)) => panic!("{why}: expected {expected}, decoded fine"),
        }
        n += 1;
    }
    assert!(n >= 20, "only {n} cases");
}

#[test]
fn every_prefix_and_bit_flip_is_safe() {
    let data = include_str!("data/malformed_dwr.txt");
    let line = data.lines().find(|l| l.starts_with("ok ")).unwrap();
    let frame = hex(line.split(' ').nth(1).unwrap());
    for len in 0..frame.len() {
        let _ = check(Bytes::copy_from_slice(&frame[..len]));
    }
    for i in 0..frame.len() * 8 {
        let mut f = frame.clone();
        f[i / 8] ^= 1 << (i % 8);
        let _ = check(Bytes::from(f));
    }
}
