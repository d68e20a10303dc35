//! Sample messages shared by the integration tests and the benches: a CER/CEA, a Cx MAR/MAA
//! with an AKA SIP-Auth-Data-Item, a Ro CCR-I with IMS-Information and MSCC, and an Rf ACR.
#![allow(dead_code, unreachable_pub)]

use std::net::Ipv4Addr;

use bytes::Bytes;
use diameter_codec::format::{AddressValue, NtpTime};
use diameter_codec::generated::{base, cc, charging, cx, rf, ro};
use diameter_codec::{ApplicationId, Header, MessageBuilder, WriteAvps};

pub const SID: &str = "scscf.ims.test;1700000000;42";

pub fn cer() -> Bytes {
    let mut m = MessageBuilder::request(&base::cmd::CER, 0x1000, 0x2000);
    m.put(&base::avp::ORIGIN_HOST, "scscf.ims.test")
        .put(&base::avp::ORIGIN_REALM, "ims.test")
        .put(
            &base::avp::HOST_IP_ADDRESS,
            &AddressValue::V4(Ipv4Addr::new(127, 0, 0, 1)),
        )
        .put(&base::avp::VENDOR_ID, &10415)
        .put(&base::avp::PRODUCT_NAME, "ims-rs")
        .put(&base::avp::ORIGIN_STATE_ID, &1)
        .put(&base::avp::SUPPORTED_VENDOR_ID, &10415)
        .put(
            &base::avp::AUTH_APPLICATION_ID,
            &ApplicationId::CREDIT_CONTROL.0,
        )
        .put(
            &base::avp::ACCT_APPLICATION_ID,
            &ApplicationId::BASE_ACCOUNTING.0,
        )
        .put_grouped(&base::avp::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
            g.put(&base::avp::VENDOR_ID, &10415)
                .put(&base::avp::AUTH_APPLICATION_ID, &ApplicationId::CX.0);
        })
        .put(&base::avp::FIRMWARE_REVISION, &1);
    m.finish()
}

pub fn cea(request: &Header) -> Bytes {
    let mut m = MessageBuilder::answer(request);
    m.put(
        &base::avp::RESULT_CODE,
        &base::ResultCode::DIAMETER_SUCCESS.0,
    )
    .put(&base::avp::ORIGIN_HOST, "hss.ims.test")
    .put(&base::avp::ORIGIN_REALM, "ims.test")
    .put(
        &base::avp::HOST_IP_ADDRESS,
        &AddressValue::V6(std::net::Ipv6Addr::LOCALHOST),
    )
    .put(&base::avp::VENDOR_ID, &10415)
    .put(&base::avp::PRODUCT_NAME, "hss")
    .put_grouped(&base::avp::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
        g.put(&base::avp::VENDOR_ID, &10415)
            .put(&base::avp::AUTH_APPLICATION_ID, &ApplicationId::CX.0);
    });
    m.finish()
}

fn cx_common(m: &mut MessageBuilder) {
    m.put(&base::avp::SESSION_ID, SID)
        .put_grouped(&base::avp::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
            g.put(&base::avp::VENDOR_ID, &10415)
                .put(&base::avp::AUTH_APPLICATION_ID, &cx::APPLICATION_ID.0);
        })
        .put(
            &base::avp::AUTH_SESSION_STATE,
            &base::AuthSessionState::NO_STATE_MAINTAINED,
        );
}

pub fn mar() -> Bytes {
    let mut m = MessageBuilder::request(&cx::cmd::MAR, 7, 8);
    cx_common(&mut m);
    m.put(&base::avp::ORIGIN_HOST, "scscf.ims.test")
        .put(&base::avp::ORIGIN_REALM, "ims.test")
        .put(&base::avp::DESTINATION_REALM, "ims.test")
        .put(&base::avp::USER_NAME, "001010000000001@ims.test")
        .put(&cx::avp::PUBLIC_IDENTITY, "sip:001010000000001@ims.test")
        .put_grouped(&cx::avp::SIP_AUTH_DATA_ITEM, |g| {
            g.put(&cx::avp::SIP_AUTHENTICATION_SCHEME, "Digest-AKAv1-MD5");
        })
        .put(&cx::avp::SIP_NUMBER_AUTH_ITEMS, &1)
        .put(&cx::avp::SERVER_NAME, "sip:scscf.ims.test:6060");
    m.finish()
}

/// RAND‖AUTN, XRES, CK and IK of an AKA vector (TS 33.102 sizes).
pub const RAND_AUTN: [u8; 32] = [0x23; 32];
pub const XRES: [u8; 8] = [0xa5; 8];
pub const CK: [u8; 16] = [0xb4; 16];
pub const IK: [u8; 16] = [0xf7; 16];

pub fn maa(request: &Header) -> Bytes {
    let mut m = MessageBuilder::answer(request);
    cx_common(&mut m);
    m.put(
        &base::avp::RESULT_CODE,
        &base::ResultCode::DIAMETER_SUCCESS.0,
    )
    .put(&base::avp::ORIGIN_HOST, "hss.ims.test")
    .put(&base::avp::ORIGIN_REALM, "ims.test")
    .put(&base::avp::USER_NAME, "001010000000001@ims.test")
    .put(&cx::avp::PUBLIC_IDENTITY, "sip:001010000000001@ims.test")
    .put(&cx::avp::SIP_NUMBER_AUTH_ITEMS, &1)
    .put_grouped(&cx::avp::SIP_AUTH_DATA_ITEM, |g| {
        g.put(&cx::avp::SIP_ITEM_NUMBER, &1)
            .put(&cx::avp::SIP_AUTHENTICATION_SCHEME, "Digest-AKAv1-MD5")
            .put(&cx::avp::SIP_AUTHENTICATE, &RAND_AUTN)
            .put(&cx::avp::SIP_AUTHORIZATION, &XRES)
            .put(&cx::avp::CONFIDENTIALITY_KEY, &CK)
            .put(&cx::avp::INTEGRITY_KEY, &IK);
    });
    m.finish()
}

pub fn ims_information(g: &mut diameter_codec::GroupWriter<'_>) {
    g.put_grouped(&charging::avp::EVENT_TYPE, |e| {
        e.put(&charging::avp::SIP_METHOD, "INVITE");
    })
    .put(
        &charging::avp::ROLE_OF_NODE,
        &charging::RoleOfNode::ORIGINATING_ROLE,
    )
    .put(
        &charging::avp::NODE_FUNCTIONALITY,
        &charging::NodeFunctionality::S_CSCF,
    )
    .put(
        &charging::avp::USER_SESSION_ID,
        "a84b4c76e66710@pc33.ims.test",
    )
    .put(&charging::avp::CALLING_PARTY_ADDRESS, "sip:alice@ims.test")
    .put(&charging::avp::CALLED_PARTY_ADDRESS, "tel:+15551234567")
    .put_grouped(&charging::avp::TIME_STAMPS, |t| {
        t.put(
            &charging::avp::SIP_REQUEST_TIMESTAMP,
            &NtpTime::from_unix(1_700_000_000),
        )
        .put(&charging::avp::SIP_REQUEST_TIMESTAMP_FRACTION, &250);
    })
    .put_grouped(&charging::avp::INTER_OPERATOR_IDENTIFIER, |i| {
        i.put(&charging::avp::ORIGINATING_IOI, "ims.test");
    })
    .put(&charging::avp::IMS_CHARGING_IDENTIFIER, "icid-0001")
    .put(&charging::avp::SDP_SESSION_DESCRIPTION, "v=0")
    .put_grouped(&charging::avp::SDP_MEDIA_COMPONENT, |s| {
        s.put(&charging::avp::SDP_MEDIA_NAME, "m=audio 49170 RTP/AVP 0")
            .put(
                &charging::avp::SDP_MEDIA_DESCRIPTION,
                "a=rtpmap:0 PCMU/8000",
            )
            .put(
                &charging::avp::MEDIA_INITIATOR_FLAG,
                &charging::MediaInitiatorFlag::CALLING_PARTY,
            )
            .put(&charging::avp::SDP_TYPE, &charging::SdpType::SDP_OFFER);
    });
}

pub fn ccr_initial() -> Bytes {
    let mut m = MessageBuilder::request(&ro::cmd::CCR, 21, 22);
    m.put(&base::avp::SESSION_ID, SID)
        .put(&base::avp::ORIGIN_HOST, "scscf.ims.test")
        .put(&base::avp::ORIGIN_REALM, "ims.test")
        .put(&base::avp::DESTINATION_REALM, "ocs.test")
        .put(&base::avp::AUTH_APPLICATION_ID, &ro::APPLICATION_ID.0)
        .put(&cc::avp::SERVICE_CONTEXT_ID, "32260@3gpp.org")
        .put(
            &cc::avp::CC_REQUEST_TYPE,
            &cc::CcRequestType::INITIAL_REQUEST,
        )
        .put(&cc::avp::CC_REQUEST_NUMBER, &0)
        .put(
            &base::avp::EVENT_TIMESTAMP,
            &NtpTime::from_unix(1_700_000_000),
        )
        .put_grouped(&cc::avp::SUBSCRIPTION_ID, |s| {
            s.put(
                &cc::avp::SUBSCRIPTION_ID_TYPE,
                &cc::SubscriptionIdType::END_USER_SIP_URI,
            )
            .put(&cc::avp::SUBSCRIPTION_ID_DATA, "sip:alice@ims.test");
        })
        .put(
            &cc::avp::MULTIPLE_SERVICES_INDICATOR,
            &cc::MultipleServicesIndicator::MULTIPLE_SERVICES_SUPPORTED,
        )
        .put_grouped(&cc::avp::MULTIPLE_SERVICES_CREDIT_CONTROL, |g| {
            g.put_grouped(&cc::avp::REQUESTED_SERVICE_UNIT, |r| {
                r.put(&cc::avp::CC_TIME, &300);
            })
            .put(&cc::avp::SERVICE_IDENTIFIER, &1000)
            .put(&cc::avp::RATING_GROUP, &100);
        })
        .put_grouped(&charging::avp::SERVICE_INFORMATION, |s| {
            s.put_grouped(&charging::avp::IMS_INFORMATION, ims_information);
        });
    m.finish()
}

pub fn cca(request: &Header) -> Bytes {
    let mut m = MessageBuilder::answer(request);
    m.put(&base::avp::SESSION_ID, SID)
        .put(
            &base::avp::RESULT_CODE,
            &base::ResultCode::DIAMETER_SUCCESS.0,
        )
        .put(&base::avp::ORIGIN_HOST, "ocs.test")
        .put(&base::avp::ORIGIN_REALM, "ocs.test")
        .put(&base::avp::AUTH_APPLICATION_ID, &ro::APPLICATION_ID.0)
        .put(
            &cc::avp::CC_REQUEST_TYPE,
            &cc::CcRequestType::INITIAL_REQUEST,
        )
        .put(&cc::avp::CC_REQUEST_NUMBER, &0)
        .put_grouped(&cc::avp::MULTIPLE_SERVICES_CREDIT_CONTROL, |g| {
            g.put_grouped(&cc::avp::GRANTED_SERVICE_UNIT, |r| {
                r.put(&cc::avp::CC_TIME, &300);
            })
            .put(&cc::avp::RATING_GROUP, &100)
            .put(&base::avp::RESULT_CODE, &2001)
            .put_grouped(&cc::avp::FINAL_UNIT_INDICATION, |f| {
                f.put(&cc::avp::FINAL_UNIT_ACTION, &cc::FinalUnitAction::TERMINATE);
            });
        })
        .put_grouped(&cc::avp::COST_INFORMATION, |c| {
            c.put_grouped(&cc::avp::UNIT_VALUE, |u| {
                u.put(&cc::avp::VALUE_DIGITS, &125)
                    .put(&cc::avp::EXPONENT, &-2);
            })
            .put(&cc::avp::CURRENCY_CODE, &978);
        });
    m.finish()
}

pub fn acr_start() -> Bytes {
    let mut m = MessageBuilder::request(&rf::cmd::ACR, 31, 32);
    m.put(&base::avp::SESSION_ID, SID)
        .put(&base::avp::ORIGIN_HOST, "scscf.ims.test")
        .put(&base::avp::ORIGIN_REALM, "ims.test")
        .put(&base::avp::DESTINATION_REALM, "cdf.test")
        .put(
            &base::avp::ACCOUNTING_RECORD_TYPE,
            &base::AccountingRecordType::START_RECORD,
        )
        .put(&base::avp::ACCOUNTING_RECORD_NUMBER, &0)
        .put(&base::avp::ACCT_APPLICATION_ID, &rf::APPLICATION_ID.0)
        .put(&cc::avp::SERVICE_CONTEXT_ID, "32260@3gpp.org")
        .put_grouped(&charging::avp::SERVICE_INFORMATION, |s| {
            s.put_grouped(&charging::avp::IMS_INFORMATION, ims_information);
        });
    m.finish()
}
