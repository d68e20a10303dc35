//! Cx messages (TS 29.229) on arbitrary bytes, as the CSCFs read them: every answer reader
//! (UAA, MAA, SAA, LIA, with the SAA's User-Data) and both HSS-initiated requests (RTR, PPR)
//! never panic, and the RTA/PPA built for a request, or the error answer for one that failed
//! to parse (RFC 6733 §7.1), always decodes.
#![no_main]

use bytes::Bytes;
use diameter_codec::Message;
use ims_cx::{
    push_answer, push_error_answer, CxIdentity, CxResult, LocationInfoAnswer, MultimediaAuthAnswer,
    PushProfile, RegistrationTermination, ServerAssignmentAnswer, UserAuthorizationAnswer,
};
use libfuzzer_sys::fuzz_target;

fn answers_decode(request: &Message, ok: bool, err: Option<&diameter_codec::Error>) {
    let identity = CxIdentity::new("scscf.ims.test", "ims.test", "ims.test");
    let bytes = match err {
        Some(e) => push_error_answer(request, &identity, e),
        None if ok => push_answer(request, &identity, CxResult::SUCCESS),
        None => return,
    };
    let decoded = Message::decode(bytes);
    assert!(
        decoded.is_ok(),
        "our answer does not decode: {:?}",
        decoded.err()
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Message::decode(Bytes::copy_from_slice(data)) else {
        return;
    };
    let _ = UserAuthorizationAnswer::parse(&msg).map(|a| a.result);
    let _ = MultimediaAuthAnswer::parse(&msg).map(|a| a.items.len());
    let _ = LocationInfoAnswer::parse(&msg).map(|a| a.result);
    if let Ok(saa) = ServerAssignmentAnswer::parse(&msg) {
        let _ = saa.subscription();
    }
    match RegistrationTermination::parse(&msg) {
        Ok(_) => answers_decode(&msg, true, None),
        Err(e) => answers_decode(&msg, false, Some(&e)),
    }
    match PushProfile::parse(&msg) {
        Ok(ppr) => {
            if let Some(xml) = &ppr.user_data {
                let _ = ims_core::ifc::parse_ims_subscription(xml);
            }
            answers_decode(&msg, true, None);
        }
        Err(e) => answers_decode(&msg, false, Some(&e)),
    }
});
