//! IMSSubscription XML (TS 29.228 Annex E): parse a realistic document, round-trip it, and
//! refuse malformed, truncated and mutated documents with typed errors, never a panic.

use ims_core::ifc::{
    parse_ims_subscription, parse_ims_subscription_bytes, print_ims_subscription, DefaultHandling,
    IdentityType, IfcError, ProfilePartIndicator, RegistrationType, SessionCase, SptKind,
};

const DOC: &str = include_str!("data/ims_subscription.xml");

#[test]
fn parses_the_realistic_document() {
    let sub = parse_ims_subscription(DOC).unwrap();
    assert_eq!(sub.private_id, "alice@ims.example.net");
    assert_eq!(sub.service_profiles.len(), 2);
    let sp = &sub.service_profiles[0];
    assert_eq!(sp.public_identities.len(), 2);
    let alice = &sp.public_identities[0];
    assert_eq!(alice.identity, "sip:alice@ims.example.net");
    assert_eq!(alice.barring_indication, Some(false));
    assert_eq!(
        alice.identity_type,
        Some(IdentityType::PUBLIC_USER_IDENTITY)
    );
    assert_eq!(alice.display_name.as_deref(), Some("Alice & Co"));
    assert_eq!(sp.public_identities[1].identity, "tel:+15551230001");
    assert_eq!(sp.subscribed_media_profile_id, Some(1));
    assert_eq!(sp.shared_ifc_set_ids, vec![7]);
    assert_eq!(sp.initial_filter_criteria.len(), 4);

    let mmtel = &sp.initial_filter_criteria[0];
    assert_eq!(mmtel.priority, 20);
    assert_eq!(
        mmtel.profile_part_indicator,
        Some(ProfilePartIndicator::Registered)
    );
    let tp = mmtel.trigger_point.as_ref().unwrap();
    assert!(!tp.condition_type_cnf);
    assert_eq!(tp.spts.len(), 4);
    assert_eq!(tp.spts[0].kind, SptKind::Method("INVITE".into()));
    assert_eq!(
        tp.spts[1].kind,
        SptKind::SessionCase(SessionCase::Originating)
    );
    match &tp.spts[2].kind {
        SptKind::SessionDescription { line, content } => {
            assert_eq!(line, "m");
            assert_eq!(content.as_ref().unwrap().as_str(), "^audio");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(tp.spts[3].groups, vec![1]);
    let asv = &mmtel.application_server;
    assert_eq!(asv.server_name, "sip:mmtel.ims.example.net:5060");
    assert_eq!(asv.default_handling, DefaultHandling::SessionContinued);
    assert_eq!(asv.service_info.as_deref(), Some("mmtel;profile=gold"));
    assert!(!asv.include_register_request);

    let tas = &sp.initial_filter_criteria[1];
    let tp = tas.trigger_point.as_ref().unwrap();
    assert!(tp.condition_type_cnf);
    assert_eq!(
        tp.spts[0].registration_types,
        vec![RegistrationType::Initial, RegistrationType::Deregistration]
    );
    assert!(tp.spts[1].condition_negated);
    match &tp.spts[1].kind {
        SptKind::SipHeader { header, content } => {
            assert_eq!(header, "Expires");
            assert_eq!(content.as_ref().unwrap().as_str(), "^0$");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        matches!(&tp.spts[2].kind, SptKind::RequestUri(p) if p.as_str() == "ims\\.example\\.net")
    );
    assert_eq!(
        tas.application_server.default_handling,
        DefaultHandling::SessionTerminated
    );
    assert!(tas.application_server.include_register_request);
    assert!(tas.application_server.include_register_response);

    let vm = &sp.initial_filter_criteria[2];
    assert_eq!(
        vm.trigger_point.as_ref().unwrap().spts[0].groups,
        vec![0, 1]
    );
    assert_eq!(
        vm.application_server.service_info.as_deref(),
        Some("<vm box=\"1\"/>")
    );
    assert!(sp.initial_filter_criteria[3].trigger_point.is_none());

    let work = &sub.service_profiles[1];
    assert_eq!(work.public_identities[0].barring_indication, Some(true));
    assert_eq!(
        work.public_identities[1].identity_type,
        Some(IdentityType::WILDCARDED_PSI)
    );
    assert_eq!(
        work.public_identities[1].wildcarded.as_deref(),
        Some("sip:conf!.*!@ims.example.net")
    );
}

#[test]
fn round_trips_through_print() {
    let sub = parse_ims_subscription(DOC).unwrap();
    let printed = print_ims_subscription(&sub);
    let again = parse_ims_subscription(&printed).unwrap();
    assert_eq!(again, sub);
    assert_eq!(
        print_ims_subscription(&again),
        printed,
        "printing is stable"
    );
    assert!(printed.contains("<DisplayName>Alice &amp; Co</DisplayName>"));
    assert!(printed.contains("<IncludeRegisterRequest/>"));
    assert!(printed.contains("<ServiceInfo>&lt;vm box=&quot;1&quot;/&gt;</ServiceInfo>"));
}

#[test]
fn accepts_legacy_include_register_placement_and_prefixes() {
    let doc = "<x:IMSSubscription><PrivateID>b@r</PrivateID><ServiceProfile>\
        <PublicIdentity><Identity>sip:b@r</Identity></PublicIdentity>\
        <InitialFilterCriteria><Priority>-1</Priority><ApplicationServer>\
        <ServerName>sip:as</ServerName><IncludeRegisterRequest/></ApplicationServer>\
        </InitialFilterCriteria></ServiceProfile></x:IMSSubscription>";
    let sub = parse_ims_subscription(doc).unwrap();
    let ifc = &sub.service_profiles[0].initial_filter_criteria[0];
    assert_eq!(ifc.priority, -1);
    assert!(ifc.application_server.include_register_request);
    assert!(!ifc.application_server.include_register_response);
}

fn wrap_ifc(ifc: &str) -> String {
    format!(
        "<IMSSubscription><PrivateID>b@r</PrivateID><ServiceProfile><PublicIdentity>\
         <Identity>sip:b@r</Identity></PublicIdentity>{ifc}</ServiceProfile></IMSSubscription>"
    )
}

#[test]
fn rejects_invalid_documents_with_typed_errors() {
    let spt = |body: &str| {
        wrap_ifc(&format!(
            "<InitialFilterCriteria><Priority>0</Priority><TriggerPoint>\
             <ConditionTypeCNF>1</ConditionTypeCNF><SPT>{body}</SPT></TriggerPoint>\
             <ApplicationServer><ServerName>sip:as</ServerName></ApplicationServer>\
             </InitialFilterCriteria>"
        ))
    };
    let cases: Vec<(String, IfcError)> =
        vec![
        ("<Other/>".into(), IfcError::NotImsSubscription),
        ("<IMSSubscription></IMSSubscription>".into(), IfcError::Missing { element: "PrivateID" }),
        (
            "<IMSSubscription><PrivateID>a</PrivateID></IMSSubscription>".into(),
            IfcError::Missing { element: "ServiceProfile" },
        ),
        (
            "<IMSSubscription><PrivateID>a</PrivateID><PrivateID>b</PrivateID></IMSSubscription>"
                .into(),
            IfcError::Repeated { element: "PrivateID" },
        ),
        (
            wrap_ifc("<InitialFilterCriteria><Priority>x</Priority></InitialFilterCriteria>"),
            IfcError::BadValue { element: "Priority" },
        ),
        (
            wrap_ifc(
                "<InitialFilterCriteria><Priority>1</Priority><ApplicationServer>\
                 <ServerName>sip:as</ServerName><DefaultHandling>5</DefaultHandling>\
                 </ApplicationServer></InitialFilterCriteria>",
            ),
            IfcError::BadValue { element: "DefaultHandling" },
        ),
        (
            spt("<Group>0</Group><Method>INVITE</Method><SessionCase>0</SessionCase>"),
            IfcError::BadSpt,
        ),
        (spt("<Group>0</Group>"), IfcError::BadSpt),
        (spt("<Method>INVITE</Method>"), IfcError::Missing { element: "Group" }),
        (
            spt("<Group>0</Group><SessionCase>9</SessionCase>"),
            IfcError::BadValue { element: "SessionCase" },
        ),
        (
            spt("<Group>0</Group><RequestURI>(</RequestURI>"),
            IfcError::BadRegex { element: "RequestURI" },
        ),
        (
            spt("<Group>0</Group><SIPHeader><Header>To</Header><Content>[</Content></SIPHeader>"),
            IfcError::BadRegex { element: "Content" },
        ),
        (
            spt("<ConditionNegated>maybe</ConditionNegated><Group>0</Group><Method>A</Method>"),
            IfcError::BadValue { element: "ConditionNegated" },
        ),
        ("<IMSSubscription>".into(), IfcError::Truncated),
        ("<IMSSubscription><a></b></IMSSubscription>".into(), IfcError::Xml { offset: 0 }),
    ];
    for (doc, want) in cases {
        let got = parse_ims_subscription(&doc).unwrap_err();
        match want {
            // The offset depends on the reader; the kind is what matters.
            IfcError::Xml { .. } => assert!(matches!(got, IfcError::Xml { .. }), "{doc}: {got:?}"),
            _ => assert_eq!(got, want, "{doc}"),
        }
    }
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    // Trailing whitespace after the root is not part of the document's content.
    let full = DOC.trim_end();
    let mut cut = 0;
    for end in (0..full.len()).filter(|&i| full.is_char_boundary(i)) {
        let prefix = &full[..end];
        assert!(
            parse_ims_subscription(prefix).is_err(),
            "prefix of {end} bytes parsed"
        );
        cut += 1;
    }
    assert!(cut > 1000);
    assert!(parse_ims_subscription(full).is_ok());
}

#[test]
fn mutated_documents_never_panic() {
    // Deterministic byte mutations (xorshift), so a failure is reproducible.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"<>/&;!-[]=\"' 0123456789abcSPTGroup";
    let mut refused = 0;
    for _ in 0..3000 {
        let mut bytes = DOC.as_bytes().to_vec();
        for _ in 0..(1 + next() % 4) {
            let i = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[i] = alphabet[(next() as usize) % alphabet.len()],
                1 => {
                    bytes.remove(i);
                }
                _ => bytes.insert(i, alphabet[(next() as usize) % alphabet.len()]),
            }
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if parse_ims_subscription(text).is_err() {
                refused += 1;
            }
        }
    }
    assert!(
        refused > 100,
        "mutations should mostly be refused, got {refused}"
    );
}

#[test]
fn bytes_entry_point_and_wildcarded_impu_round_trip() {
    assert_eq!(
        parse_ims_subscription_bytes(b"<IMSSubscription>\xff</IMSSubscription>").unwrap_err(),
        IfcError::NotUtf8
    );
    let doc = "<IMSSubscription><PrivateID>b@r</PrivateID><ServiceProfile><PublicIdentity>\
        <Identity>sip:user!.*!@r</Identity><Extension><IdentityType>3</IdentityType>\
        <WildcardedIMPU>sip:user!.*!@r</WildcardedIMPU></Extension></PublicIdentity>\
        </ServiceProfile></IMSSubscription>";
    let sub = parse_ims_subscription_bytes(doc.as_bytes()).unwrap();
    let p = &sub.service_profiles[0].public_identities[0];
    assert_eq!(p.identity_type, Some(IdentityType::WILDCARDED_IMPU));
    let printed = print_ims_subscription(&sub);
    assert!(
        printed.contains("<WildcardedIMPU>sip:user!.*!@r</WildcardedIMPU>"),
        "{printed}"
    );
    assert_eq!(parse_ims_subscription(&printed).unwrap(), sub);
}
