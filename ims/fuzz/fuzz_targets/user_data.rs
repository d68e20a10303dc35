//! TS 29.228 User-Data (IMSSubscription XML) on arbitrary bytes, as an S-CSCF gets it in an SAA
//! or a PPR: parsing never panics; what parses prints to XML that parses back to the same
//! subscription; every iFC of every profile is evaluated against an INVITE and a REGISTER in
//! every session case and registration state (SPT regexes included) without panicking.
#![no_main]

use bytes::Bytes;
use ims_core::ifc::{
    parse_ims_subscription_bytes, print_ims_subscription, EvalContext, RegistrationState,
    RegistrationType, SessionCase,
};
use libfuzzer_sys::fuzz_target;
use sip_types::Message;

const INVITE: &[u8] = b"INVITE sip:bob@ims.test SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKfuzz\r\n\
Max-Forwards: 70\r\n\
From: <sip:alice@ims.test>;tag=a\r\n\
To: <sip:bob@ims.test>\r\n\
Call-ID: fuzz@127.0.0.1\r\n\
CSeq: 1 INVITE\r\n\
P-Asserted-Identity: <sip:alice@ims.test>\r\n\
Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\"\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 37\r\n\r\n\
v=0\r\nm=audio 4000 RTP/AVP 0\r\ns=fuzz\r\n";

const REGISTER: &[u8] = b"REGISTER sip:ims.test SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKfuzz2\r\n\
Max-Forwards: 70\r\n\
From: <sip:alice@ims.test>;tag=a\r\n\
To: <sip:alice@ims.test>\r\n\
Call-ID: fuzz2@127.0.0.1\r\n\
CSeq: 1 REGISTER\r\n\
Contact: <sip:alice@127.0.0.1:5062>\r\n\
Expires: 600\r\n\
Content-Length: 0\r\n\r\n";

const CASES: [SessionCase; 5] = [
    SessionCase::Originating,
    SessionCase::TerminatingRegistered,
    SessionCase::TerminatingUnregistered,
    SessionCase::OriginatingUnregistered,
    SessionCase::OriginatingCdiv,
];

fuzz_target!(|data: &[u8]| {
    let Ok(sub) = parse_ims_subscription_bytes(data) else {
        return;
    };
    let printed = print_ims_subscription(&sub);
    match parse_ims_subscription_bytes(printed.as_bytes()) {
        Ok(again) => assert_eq!(
            again, sub,
            "printed XML parses to something else:\n{printed}"
        ),
        Err(e) => panic!("printed XML does not parse ({e}):\n{printed}"),
    }
    let (Ok(invite), Ok(register)) = (
        Message::parse(Bytes::from_static(INVITE)),
        Message::parse(Bytes::from_static(REGISTER)),
    ) else {
        return;
    };
    for profile in &sub.service_profiles {
        for case in CASES {
            for state in [
                RegistrationState::Registered,
                RegistrationState::Unregistered,
            ] {
                let ctx = EvalContext::new(case, state);
                let _ = profile.matching_ifcs(&invite, &ctx);
                for t in [
                    RegistrationType::Initial,
                    RegistrationType::Reregistration,
                    RegistrationType::Deregistration,
                ] {
                    let _ = profile.matching_ifcs(&register, &ctx.with_registration_type(t));
                }
            }
        }
    }
});
