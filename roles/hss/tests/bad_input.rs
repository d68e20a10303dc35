//! Robustness: every single-byte corruption and truncation of valid Cx requests is answered
//! (or refused by the decoder) without a panic, and every answer decodes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use diameter_codec::generated::cx::ServerAssignmentType;
use diameter_codec::Message;
use ims_hss::Hss;

async fn mutations_never_panic(hss: Hss) {
    let samples = [
        uar("alice@ims.test", "sip:alice@ims.test", "ims.test", None),
        mar(
            "alice@ims.test",
            "sip:alice@ims.test",
            "Digest-AKAv1-MD5",
            2,
            Some(&[7u8; 30]),
        ),
        mar(
            "alice@ims.test",
            "sip:alice@ims.test",
            "SIP Digest",
            1,
            None,
        ),
        sar(
            Some("alice@ims.test"),
            Some("sip:alice@ims.test"),
            ServerAssignmentType::REGISTRATION,
            SCSCF,
        ),
        lir("sip:alice@ims.test"),
    ];
    let mut answered = 0usize;
    for sample in &samples {
        for i in 0..sample.len() {
            for delta in [0x01u8, 0x80, 0xff] {
                let mut m = sample.to_vec();
                m[i] ^= delta;
                answered += answer_if_decodes(&hss, m).await;
            }
            answered += answer_if_decodes(&hss, sample[..i].to_vec()).await;
        }
    }
    assert!(answered > 1000, "only {answered} mutated requests decoded");
}

async fn answer_if_decodes(hss: &Hss, bytes: Vec<u8>) -> usize {
    let Ok(req) = Message::decode(bytes.into()) else {
        return 0;
    };
    let ans = hss.handle(&req).await;
    let ans = Message::decode(ans).expect("answer decodes");
    assert!(!ans.header().flags.is_request());
    1
}

#[tokio::test]
async fn mutations_never_panic_memory() {
    with_hss(Kind::Memory, mutations_never_panic).await;
}
