//! End-to-end codec flows: CER/CEA, Cx MAR/MAA with SIP-Auth-Data-Item, Ro CCR-I/CCA with
//! Service-Information/IMS-Information and MSCC, and an Rf ACR: built, encoded, decoded,
//! validated and read back through the typed accessors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod samples;

use diameter_codec::format::{AddressValue, NtpTime};
use diameter_codec::generated::{base, cc, charging, cx, rf, ro};
use diameter_codec::{dict, validate, AvpContainer, Message};

fn decode_and_validate(frame: bytes::Bytes) -> Message {
    let m = Message::decode(frame).unwrap();
    let h = m.header();
    let cmd = dict::command(h.code, h.application_id, h.flags.is_request()).unwrap();
    validate(&m, cmd).unwrap_or_else(|e| panic!("{} invalid: {e}", cmd.name));
    m
}

#[test]
fn cer_cea() {
    let cer = decode_and_validate(samples::cer());
    assert_eq!(cer.header().code, base::cmd::CER.code);
    assert!(!cer.header().flags.is_proxiable());
    assert_eq!(
        cer.require(&base::avp::HOST_IP_ADDRESS).unwrap(),
        AddressValue::V4(std::net::Ipv4Addr::LOCALHOST)
    );
    let vsai = cer
        .require(&base::avp::VENDOR_SPECIFIC_APPLICATION_ID)
        .unwrap();
    assert_eq!(
        vsai.require(&base::avp::AUTH_APPLICATION_ID).unwrap(),
        16_777_216
    );
    let cea = decode_and_validate(samples::cea(cer.header()));
    assert_eq!(cea.header().hop_by_hop, 0x1000);
    assert!(!cea.header().flags.is_request());
    assert_eq!(cea.require(&base::avp::RESULT_CODE).unwrap(), 2001);
    // CER with CEA's Result-Code is not a CER.
    let e = validate(&cea, &base::cmd::CER).unwrap_err();
    assert_eq!(e.result_code().0, 3008);
}

#[test]
fn cx_mar_maa_with_aka_vector() {
    let mar = decode_and_validate(samples::mar());
    assert_eq!(mar.header().application_id, cx::APPLICATION_ID);
    assert_eq!(mar.require(&base::avp::SESSION_ID).unwrap(), samples::SID);
    let item = mar.require(&cx::avp::SIP_AUTH_DATA_ITEM).unwrap();
    assert_eq!(
        item.require(&cx::avp::SIP_AUTHENTICATION_SCHEME).unwrap(),
        "Digest-AKAv1-MD5"
    );

    let maa = decode_and_validate(samples::maa(mar.header()));
    assert_eq!(maa.header().end_to_end, 8);
    let items = maa.get_all(&cx::avp::SIP_AUTH_DATA_ITEM).unwrap();
    assert_eq!(items.len(), 1);
    let v = &items[0];
    assert_eq!(
        &v.require(&cx::avp::SIP_AUTHENTICATE).unwrap()[..],
        &samples::RAND_AUTN
    );
    assert_eq!(
        &v.require(&cx::avp::SIP_AUTHORIZATION).unwrap()[..],
        &samples::XRES
    );
    assert_eq!(
        &v.require(&cx::avp::CONFIDENTIALITY_KEY).unwrap()[..],
        &samples::CK
    );
    assert_eq!(
        &v.require(&cx::avp::INTEGRITY_KEY).unwrap()[..],
        &samples::IK
    );
    assert_eq!(
        maa.require(&base::avp::AUTH_SESSION_STATE).unwrap(),
        base::AuthSessionState::NO_STATE_MAINTAINED
    );
    // Zero-copy: the vector bytes are a view into the received frame.
    let ik = v.require(&cx::avp::INTEGRITY_KEY).unwrap();
    let frame = maa.as_bytes();
    let start = frame.as_ptr() as usize;
    let p = ik.as_ptr() as usize;
    assert!(p >= start && p + ik.len() <= start + frame.len());
}

#[test]
fn ro_ccr_initial_with_ims_information_and_mscc() {
    let ccr = decode_and_validate(samples::ccr_initial());
    assert_eq!(ccr.header().application_id, ro::APPLICATION_ID);
    assert_eq!(
        ccr.require(&cc::avp::CC_REQUEST_TYPE).unwrap(),
        cc::CcRequestType::INITIAL_REQUEST
    );
    assert_eq!(
        ccr.require(&base::avp::EVENT_TIMESTAMP).unwrap(),
        NtpTime::from_unix(1_700_000_000)
    );
    let mscc = ccr
        .require(&cc::avp::MULTIPLE_SERVICES_CREDIT_CONTROL)
        .unwrap();
    let rsu = mscc.require(&cc::avp::REQUESTED_SERVICE_UNIT).unwrap();
    assert_eq!(rsu.require(&cc::avp::CC_TIME).unwrap(), 300);
    assert_eq!(mscc.require(&cc::avp::RATING_GROUP).unwrap(), 100);
    let si = ccr.require(&charging::avp::SERVICE_INFORMATION).unwrap();
    let ims = si.require(&charging::avp::IMS_INFORMATION).unwrap();
    assert_eq!(
        ims.require(&charging::avp::NODE_FUNCTIONALITY).unwrap(),
        charging::NodeFunctionality::S_CSCF
    );
    assert_eq!(
        ims.require(&charging::avp::ROLE_OF_NODE).unwrap(),
        charging::RoleOfNode::ORIGINATING_ROLE
    );
    let ts = ims.require(&charging::avp::TIME_STAMPS).unwrap();
    assert_eq!(
        ts.require(&charging::avp::SIP_REQUEST_TIMESTAMP_FRACTION)
            .unwrap(),
        250
    );
    let ev = ims.require(&charging::avp::EVENT_TYPE).unwrap();
    assert_eq!(ev.require(&charging::avp::SIP_METHOD).unwrap(), "INVITE");
    let sdp = ims.require(&charging::avp::SDP_MEDIA_COMPONENT).unwrap();
    assert_eq!(
        sdp.require(&charging::avp::SDP_TYPE).unwrap(),
        charging::SdpType::SDP_OFFER
    );

    let cca = decode_and_validate(samples::cca(ccr.header()));
    let mscc = cca
        .require(&cc::avp::MULTIPLE_SERVICES_CREDIT_CONTROL)
        .unwrap();
    let fui = mscc.require(&cc::avp::FINAL_UNIT_INDICATION).unwrap();
    assert_eq!(
        fui.require(&cc::avp::FINAL_UNIT_ACTION).unwrap(),
        cc::FinalUnitAction::TERMINATE
    );
    let cost = cca.require(&cc::avp::COST_INFORMATION).unwrap();
    let unit = cost.require(&cc::avp::UNIT_VALUE).unwrap();
    assert_eq!(unit.require(&cc::avp::EXPONENT).unwrap(), -2);
    assert_eq!(unit.require(&cc::avp::VALUE_DIGITS).unwrap(), 125);
}

#[test]
fn ro_ccr_without_node_functionality_is_5005() {
    // IMS-Information requires Node-Functionality (TS 32.299 §7.2.77).
    let mut m = diameter_codec::MessageBuilder::request(&ro::cmd::CCR, 1, 1);
    use diameter_codec::WriteAvps;
    m.put(&base::avp::SESSION_ID, "s")
        .put(&base::avp::ORIGIN_HOST, "a")
        .put(&base::avp::ORIGIN_REALM, "b")
        .put(&base::avp::DESTINATION_REALM, "c")
        .put(&base::avp::AUTH_APPLICATION_ID, &4)
        .put(&cc::avp::SERVICE_CONTEXT_ID, "32260@3gpp.org")
        .put(&cc::avp::CC_REQUEST_TYPE, &cc::CcRequestType::EVENT_REQUEST)
        .put(&cc::avp::CC_REQUEST_NUMBER, &0)
        .put_grouped(&charging::avp::SERVICE_INFORMATION, |s| {
            s.put_grouped(&charging::avp::IMS_INFORMATION, |i| {
                i.put(&charging::avp::USER_SESSION_ID, "x");
            });
        });
    let msg = Message::decode(m.finish()).unwrap();
    let e = validate(&msg, &ro::cmd::CCR).unwrap_err();
    assert_eq!(e.result_code().0, 5005);
    assert_eq!(&e.failed_avp().unwrap()[..4], &862u32.to_be_bytes());
}

#[test]
fn rf_acr_start() {
    let acr = decode_and_validate(samples::acr_start());
    assert_eq!(acr.header().application_id, rf::APPLICATION_ID);
    assert_eq!(
        acr.require(&base::avp::ACCOUNTING_RECORD_TYPE).unwrap(),
        base::AccountingRecordType::START_RECORD
    );
    let ims = acr
        .require(&charging::avp::SERVICE_INFORMATION)
        .unwrap()
        .require(&charging::avp::IMS_INFORMATION)
        .unwrap();
    assert_eq!(
        ims.require(&charging::avp::IMS_CHARGING_IDENTIFIER)
            .unwrap(),
        "icid-0001"
    );
    let ioi = ims
        .require(&charging::avp::INTER_OPERATOR_IDENTIFIER)
        .unwrap();
    assert_eq!(
        ioi.require(&charging::avp::ORIGINATING_IOI).unwrap(),
        "ims.test"
    );
}

#[test]
fn unknown_avps_are_carried_through_a_relay() {
    use diameter_codec::{AvpCode, AvpFlags, MessageBuilder, WriteAvps};
    let mut m = MessageBuilder::request(&base::cmd::DWR, 1, 1);
    m.put(&base::avp::ORIGIN_HOST, "a")
        .put(&base::avp::ORIGIN_REALM, "b")
        .put_raw_parts(AvpCode::new(4242, 99), AvpFlags(0), b"opaque");
    let original = m.finish();
    let msg = decode_and_validate(original.clone());
    // Relay: copy every AVP as received.
    let mut out = MessageBuilder::new(*msg.header());
    for avp in msg.avps() {
        out.put_raw(&avp.unwrap());
    }
    assert_eq!(out.finish(), original);
}

#[test]
fn generated_views_read_commands_and_groups() {
    let mar = Message::decode(samples::mar()).unwrap();
    let maa = Message::decode(samples::maa(mar.header())).unwrap();
    let view = cx::view::Maa(&maa);
    assert_eq!(view.session_id().unwrap(), samples::SID);
    assert_eq!(view.result_code().unwrap(), Some(2001));
    assert_eq!(view.experimental_result().unwrap(), None);
    let items = view.sip_auth_data_item().unwrap();
    assert_eq!(items.len(), 1);
    let item = cx::view::SipAuthDataItem(&items[0]);
    assert_eq!(&item.integrity_key().unwrap().unwrap()[..], &samples::IK);
    assert_eq!(item.sip_item_number().unwrap(), Some(1));

    let ccr = Message::decode(samples::ccr_initial()).unwrap();
    let v = ro::view::Ccr(&ccr);
    assert_eq!(
        v.cc_request_type().unwrap(),
        cc::CcRequestType::INITIAL_REQUEST
    );
    let si = v.service_information().unwrap().unwrap();
    let ims = charging::view::ServiceInformation(&si)
        .ims_information()
        .unwrap()
        .unwrap();
    let ims = charging::view::ImsInformation(&ims);
    assert_eq!(
        ims.node_functionality().unwrap(),
        charging::NodeFunctionality::S_CSCF
    );
    assert_eq!(ims.calling_party_address().unwrap().len(), 1);
    // A required AVP that is absent is 5005 through the view too.
    let dwr = Message::decode(samples::cer()).unwrap();
    assert_eq!(
        base::view::Cea(&dwr)
            .result_code()
            .unwrap_err()
            .result_code()
            .0,
        5005
    );
}

#[test]
#[ignore = "tool: refreshes diameter/fuzz/seeds/decode_message from the sample messages"]
fn write_fuzz_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/decode_message");
    std::fs::create_dir_all(&dir).unwrap();
    let mar = Message::decode(samples::mar()).unwrap();
    let ccr = Message::decode(samples::ccr_initial()).unwrap();
    let cer = Message::decode(samples::cer()).unwrap();
    let seeds = [
        ("cer", samples::cer()),
        ("cea", samples::cea(cer.header())),
        ("mar", samples::mar()),
        ("maa", samples::maa(mar.header())),
        ("ccr_i", samples::ccr_initial()),
        ("cca", samples::cca(ccr.header())),
        ("acr_start", samples::acr_start()),
    ];
    for (name, frame) in seeds {
        std::fs::write(dir.join(name), &frame).unwrap();
    }
}
