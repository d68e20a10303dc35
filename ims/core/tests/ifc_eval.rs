//! iFC evaluation (TS 29.228 Annex C) over parsed SIP requests: each SPT kind, CNF vs DNF,
//! negation, multi-group SPTs, profile parts, priority order and REGISTER handling.

use bytes::Bytes;
use ims_core::ifc::{
    parse_ims_subscription, ApplicationServer, EvalContext, InitialFilterCriteria, Pattern,
    RegistrationState, RegistrationType, ServiceProfile, SessionCase, Spt, SptKind, TriggerPoint,
};
use sip_types::Message;

fn request(method: &str, uri: &str, headers: &[&str], body: &str) -> Message {
    let mut text = format!(
        "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@ims.example.net>;tag=1\r\n\
         To: <sip:bob@ims.example.net>\r\nCall-ID: c1\r\nCSeq: 1 {method}\r\n"
    );
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    Message::parse(Bytes::from(text)).expect("test request parses")
}

const SDP_AUDIO: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                         m=audio 4000 RTP/AVP 0\r\n";
const SDP_VIDEO: &str =
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n";

fn orig() -> EvalContext {
    EvalContext::new(SessionCase::Originating, RegistrationState::Registered)
}

fn spt(groups: &[u32], negated: bool, kind: SptKind) -> Spt {
    Spt {
        condition_negated: negated,
        groups: groups.to_vec(),
        kind,
        registration_types: Vec::new(),
    }
}

fn ifc(priority: i32, cnf: bool, spts: Vec<Spt>) -> InitialFilterCriteria {
    InitialFilterCriteria {
        priority,
        trigger_point: Some(TriggerPoint {
            condition_type_cnf: cnf,
            spts,
        }),
        application_server: ApplicationServer {
            server_name: format!("sip:as{priority}@example.net"),
            ..ApplicationServer::default()
        },
        profile_part_indicator: None,
    }
}

fn method(m: &str) -> SptKind {
    SptKind::Method(m.into())
}

fn pat(p: &str) -> Pattern {
    Pattern::new(p, "Content").expect("valid test pattern")
}

fn names(list: &[&InitialFilterCriteria]) -> Vec<i32> {
    list.iter().map(|i| i.priority).collect()
}

#[test]
fn method_spt() {
    let f = ifc(1, true, vec![spt(&[0], false, method("INVITE"))]);
    assert!(f.matches(
        &request("INVITE", "sip:bob@ims.example.net", &[], ""),
        &orig()
    ));
    assert!(f.matches(&request("INVITE", "sip:bob@x", &[], ""), &orig()));
    assert!(!f.matches(&request("MESSAGE", "sip:bob@x", &[], ""), &orig()));
}

#[test]
fn request_uri_spt_is_a_regex_over_the_uri_text() {
    let f = ifc(
        1,
        true,
        vec![spt(&[0], false, SptKind::RequestUri(pat("^tel:\\+1555")))],
    );
    assert!(f.matches(&request("INVITE", "tel:+15551230001", &[], ""), &orig()));
    assert!(!f.matches(&request("INVITE", "tel:+4930123", &[], ""), &orig()));
    assert!(!f.matches(&request("INVITE", "sip:+15551230001@x", &[], ""), &orig()));
}

#[test]
fn sip_header_spt_presence_and_content() {
    let present = ifc(
        1,
        true,
        vec![spt(
            &[0],
            false,
            SptKind::SipHeader {
                header: "P-Asserted-Service".into(),
                content: None,
            },
        )],
    );
    let with = request(
        "INVITE",
        "sip:bob@x",
        &["P-Asserted-Service: urn:urn-7:3gpp-service.ims.icsi.mmtel"],
        "",
    );
    assert!(present.matches(&with, &orig()));
    assert!(!present.matches(&request("INVITE", "sip:bob@x", &[], ""), &orig()));

    let content = ifc(
        1,
        true,
        vec![spt(
            &[0],
            false,
            SptKind::SipHeader {
                header: "accept-contact".into(),
                content: Some(pat("mmtel")),
            },
        )],
    );
    let ac = request(
        "INVITE",
        "sip:bob@x",
        &["Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\""],
        "",
    );
    assert!(content.matches(&ac, &orig()));
    let other = request("INVITE", "sip:bob@x", &["Accept-Contact: *;video"], "");
    assert!(!content.matches(&other, &orig()));

    // A known header written in compact form still matches its full name.
    let subject = ifc(
        1,
        true,
        vec![spt(
            &[0],
            false,
            SptKind::SipHeader {
                header: "Subject".into(),
                content: Some(pat("urgent")),
            },
        )],
    );
    assert!(subject.matches(
        &request("MESSAGE", "sip:bob@x", &["s: very urgent"], ""),
        &orig()
    ));
    // Any line of a repeated header may match.
    let two = request(
        "MESSAGE",
        "sip:bob@x",
        &["Subject: hello", "Subject: urgent"],
        "",
    );
    assert!(subject.matches(&two, &orig()));
}

#[test]
fn session_case_spt() {
    let f = ifc(
        1,
        true,
        vec![spt(
            &[0],
            false,
            SptKind::SessionCase(SessionCase::TerminatingUnregistered),
        )],
    );
    let r = request("INVITE", "sip:bob@x", &[], "");
    let unreg = EvalContext::new(
        SessionCase::TerminatingUnregistered,
        RegistrationState::Unregistered,
    );
    assert!(f.matches(&r, &unreg));
    assert!(!f.matches(&r, &orig()));
    let cdiv = EvalContext::new(SessionCase::OriginatingCdiv, RegistrationState::Registered);
    assert!(!f.matches(&r, &cdiv));
}

#[test]
fn session_description_spt() {
    let f = ifc(
        1,
        true,
        vec![spt(
            &[0],
            false,
            SptKind::SessionDescription {
                line: "m".into(),
                content: Some(pat("^audio")),
            },
        )],
    );
    assert!(f.matches(
        &request(
            "INVITE",
            "sip:bob@x",
            &["Content-Type: application/sdp"],
            SDP_AUDIO
        ),
        &orig()
    ));
    assert!(!f.matches(
        &request(
            "INVITE",
            "sip:bob@x",
            &["Content-Type: application/sdp"],
            SDP_VIDEO
        ),
        &orig()
    ));
    assert!(!f.matches(&request("INVITE", "sip:bob@x", &[], ""), &orig()));
    let any_c = ifc(
        1,
        true,
        vec![spt(
            &[0],
            false,
            SptKind::SessionDescription {
                line: "c".into(),
                content: None,
            },
        )],
    );
    assert!(any_c.matches(&request("INVITE", "sip:bob@x", &[], SDP_AUDIO), &orig()));
    assert!(!any_c.matches(&request("INVITE", "sip:bob@x", &[], SDP_VIDEO), &orig()));
}

#[test]
fn cnf_and_dnf_differ_on_the_same_spts() {
    // Group 0: Method INVITE, Method MESSAGE; group 1: SessionCase ORIGINATING.
    let spts = vec![
        spt(&[0], false, method("INVITE")),
        spt(&[0], false, method("MESSAGE")),
        spt(&[1], false, SptKind::SessionCase(SessionCase::Originating)),
    ];
    let cnf = ifc(1, true, spts.clone()); // (INVITE or MESSAGE) and ORIGINATING
    let dnf = ifc(2, false, spts); // (INVITE and MESSAGE) or ORIGINATING
    let invite = request("INVITE", "sip:bob@x", &[], "");
    let term = EvalContext::new(
        SessionCase::TerminatingRegistered,
        RegistrationState::Registered,
    );
    assert!(cnf.matches(&invite, &orig()));
    assert!(!cnf.matches(&invite, &term), "CNF needs every group");
    assert!(dnf.matches(&invite, &orig()), "DNF: group 1 alone suffices");
    assert!(
        !dnf.matches(&invite, &term),
        "DNF: group 0 needs both methods"
    );
}

#[test]
fn negation_inverts_one_spt() {
    // INVITE that is NOT to a tel: URI.
    let f = ifc(
        1,
        true,
        vec![
            spt(&[0], false, method("INVITE")),
            spt(&[1], true, SptKind::RequestUri(pat("^tel:"))),
        ],
    );
    assert!(f.matches(&request("INVITE", "sip:bob@x", &[], ""), &orig()));
    assert!(!f.matches(&request("INVITE", "tel:+1555", &[], ""), &orig()));
    assert!(!f.matches(&request("BYE", "sip:bob@x", &[], ""), &orig()));
}

#[test]
fn an_spt_in_several_groups_counts_in_each() {
    // DNF: group 0 = {A}, group 1 = {A, B}: matches whenever A does.
    let f = ifc(
        1,
        false,
        vec![
            spt(&[0, 1], false, method("OPTIONS")),
            spt(
                &[1],
                false,
                SptKind::SessionCase(SessionCase::OriginatingCdiv),
            ),
        ],
    );
    assert!(f.matches(&request("OPTIONS", "sip:bob@x", &[], ""), &orig()));
    assert!(!f.matches(&request("INVITE", "sip:bob@x", &[], ""), &orig()));
}

#[test]
fn results_come_in_priority_order_and_resume_after_a_priority() {
    let profile = ServiceProfile {
        initial_filter_criteria: vec![
            ifc(30, true, vec![spt(&[0], false, method("INVITE"))]),
            ifc(5, true, vec![spt(&[0], false, method("INVITE"))]),
            ifc(10, true, vec![spt(&[0], false, method("MESSAGE"))]),
            ifc(20, true, vec![spt(&[0], true, method("BYE"))]),
        ],
        ..ServiceProfile::default()
    };
    let invite = request("INVITE", "sip:bob@x", &[], "");
    assert_eq!(
        names(&profile.matching_ifcs(&invite, &orig())),
        vec![5, 20, 30]
    );
    assert_eq!(
        names(&profile.matching_ifcs_after(&invite, &orig(), Some(5))),
        vec![20, 30]
    );
    assert_eq!(
        names(&profile.matching_ifcs_after(&invite, &orig(), Some(30))),
        Vec::<i32>::new()
    );
    let resp = Message::parse(Bytes::from_static(
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\n\
          To: <sip:b@x>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    ))
    .unwrap();
    assert!(profile.matching_ifcs(&resp, &orig()).is_empty());
}

#[test]
fn realistic_profile_register_and_profile_parts() {
    let sub = parse_ims_subscription(include_str!("data/ims_subscription.xml")).unwrap();
    let sp = &sub.service_profiles[0];
    let ctx = orig().with_registration_type(RegistrationType::Initial);
    let register = request("REGISTER", "sip:ims.example.net", &["Expires: 600"], "");
    // Priority 10 (REGISTER, initial, not Expires 0, ims URI) and 40 (unconditional).
    let hits = sp.matching_ifcs(&register, &ctx);
    assert_eq!(names(&hits), vec![10, 40]);
    assert!(hits[0].application_server.include_register_request);
    assert!(hits[0].application_server.include_register_response);

    // Re-registration is not listed in the SPT's RegistrationType extension.
    let re = orig().with_registration_type(RegistrationType::Reregistration);
    assert_eq!(names(&sp.matching_ifcs(&register, &re)), vec![40]);
    // A REGISTER without a known registration type does not match a typed SPT.
    assert_eq!(names(&sp.matching_ifcs(&register, &orig())), vec![40]);
    // Group 1 (CNF: an OR) = NOT Expires 0, or a Request-URI in ims.example.net.
    let de = orig().with_registration_type(RegistrationType::Deregistration);
    let dereg_ims = request("REGISTER", "sip:ims.example.net", &["Expires: 0"], "");
    assert_eq!(names(&sp.matching_ifcs(&dereg_ims, &de)), vec![10, 40]);
    let dereg_other = request("REGISTER", "sip:other.example.org", &["Expires: 0"], "");
    assert_eq!(names(&sp.matching_ifcs(&dereg_other, &de)), vec![40]);
    let reg_other = request("REGISTER", "sip:other.example.org", &["Expires: 600"], "");
    assert_eq!(names(&sp.matching_ifcs(&reg_other, &ctx)), vec![10, 40]);

    // Originating audio INVITE: the MMTel iFC (DNF group 0) for a registered user only.
    let invite = request("INVITE", "sip:bob@ims.example.net", &[], SDP_AUDIO);
    assert_eq!(names(&sp.matching_ifcs(&invite, &orig())), vec![20, 40]);
    let unreg = EvalContext::new(SessionCase::Originating, RegistrationState::Unregistered);
    assert_eq!(names(&sp.matching_ifcs(&invite, &unreg)), vec![40]);
    // MESSAGE matches the MMTel iFC through DNF group 1.
    let message = request("MESSAGE", "sip:bob@ims.example.net", &[], "hi");
    assert_eq!(names(&sp.matching_ifcs(&message, &orig())), vec![20, 40]);

    // Terminating unregistered with P-Asserted-Service: voicemail (unregistered part).
    let tu = EvalContext::new(
        SessionCase::TerminatingUnregistered,
        RegistrationState::Unregistered,
    );
    let to_vm = request(
        "INVITE",
        "sip:alice@ims.example.net",
        &["P-Asserted-Service: urn:x"],
        "",
    );
    assert_eq!(names(&sp.matching_ifcs(&to_vm, &tu)), vec![30, 40]);
    let no_pas = request("INVITE", "sip:alice@ims.example.net", &[], "");
    assert_eq!(names(&sp.matching_ifcs(&no_pas, &tu)), vec![40]);
}
