//! One behavioural suite for every SubscriberStore backend.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use common::{with_backend, Kind};
use ims_store::subscriber::SQN_MAX;
use ims_store::{
    import_toml, AssignOutcome, AuthScheme, IdentityType, ImpuRegistration, OpKind,
    PrivateIdentity, PublicIdentity, RegistrationState, ScscfCapabilities, ServiceProfile,
    StoreError, SubscriberStore,
};

fn private(impi: &str) -> PrivateIdentity {
    PrivateIdentity {
        impi: impi.to_owned(),
        auth_schemes: [AuthScheme::AkaV1Md5, AuthScheme::DigestMd5]
            .into_iter()
            .collect(),
        k: [0x46; 16],
        op: OpKind::Opc([0xcd; 16]),
        amf: [0x80, 0x00],
        sqn: 0,
        digest_password: Some("secret".into()),
        digest_ha1: None,
        realm: "ims.example.com".into(),
    }
}

fn public(impu: &str, impis: &[&str], set: &str) -> PublicIdentity {
    PublicIdentity {
        impu: impu.to_owned(),
        impis: impis.iter().map(|s| (*s).to_owned()).collect(),
        barred: false,
        identity_type: IdentityType::PublicUser,
        implicit_set: set.to_owned(),
        service_profile: "p1".into(),
        display_name: None,
    }
}

async fn identities(store: &dyn SubscriberStore) {
    assert_eq!(store.get_private("nobody@x").await.expect("get"), None);
    let mut alice = private("alice@ims.example.com");
    alice.op = OpKind::Op([0x11; 16]);
    alice
        .auth_schemes
        .insert(AuthScheme::Other("NASS-Bundled".into()));
    alice.digest_ha1 = Some("ha1".into());
    store.put_private(&alice).await.expect("put alice");
    store
        .put_private(&private("bob@ims.example.com"))
        .await
        .expect("put bob");
    assert_eq!(
        store
            .get_private("alice@ims.example.com")
            .await
            .expect("get"),
        Some(alice.clone())
    );

    // A link to an unprovisioned IMPI is refused and nothing is written.
    let err = store
        .put_public(&public("sip:x@ims.example.com", &["ghost@x"], "s"))
        .await;
    assert!(matches!(err, Err(StoreError::NotFound { .. })), "{err:?}");
    assert_eq!(
        store
            .find_public("sip:x@ims.example.com")
            .await
            .expect("find"),
        None
    );

    let mut a1 = public(
        "sip:alice@ims.example.com",
        &["alice@ims.example.com"],
        "alice",
    );
    a1.display_name = Some("Alice".into());
    let a2 = public("tel:+15550001", &["alice@ims.example.com"], "alice");
    let shared = public(
        "sip:family@ims.example.com",
        &["bob@ims.example.com", "alice@ims.example.com"],
        "family",
    );
    let mut chat = public("sip:chat-wild@ims.example.com", &[], "psi");
    chat.identity_type = IdentityType::WildcardedPsi {
        pattern: "sip:chat!.*!@ims.example.com".into(),
    };
    let mut bad = chat.clone();
    bad.impu = "sip:bad@x".into();
    bad.identity_type = IdentityType::WildcardedPsi {
        pattern: "sip:(a|b)".into(),
    };
    assert!(
        store.put_public(&bad).await.is_err(),
        "unsupported pattern accepted"
    );
    for p in [&a1, &a2, &shared, &chat] {
        store.put_public(p).await.expect("put public");
    }

    let of_alice: Vec<String> = store
        .public_identities_of("alice@ims.example.com")
        .await
        .expect("of alice")
        .into_iter()
        .map(|p| p.impu)
        .collect();
    assert_eq!(
        of_alice,
        [
            "sip:alice@ims.example.com",
            "sip:family@ims.example.com",
            "tel:+15550001"
        ]
    );
    let fam = store
        .find_public("sip:family@ims.example.com")
        .await
        .expect("find")
        .expect("family exists");
    assert_eq!(fam.impis, ["alice@ims.example.com", "bob@ims.example.com"]);
    assert_eq!(
        store
            .find_public("sip:alice@ims.example.com")
            .await
            .expect("find"),
        Some(a1.clone())
    );

    // Wildcarded PSI (TS 23.003 §13.5).
    let w = store
        .find_public("sip:chat42@ims.example.com")
        .await
        .expect("wild");
    assert_eq!(
        w.map(|p| p.impu),
        Some("sip:chat-wild@ims.example.com".to_owned())
    );
    assert_eq!(
        store
            .find_public("sip:chat42@evil.example.com")
            .await
            .expect("wild"),
        None
    );

    let set: Vec<String> = store
        .implicit_set("tel:+15550001")
        .await
        .expect("set")
        .into_iter()
        .map(|p| p.impu)
        .collect();
    assert_eq!(set, ["sip:alice@ims.example.com", "tel:+15550001"]);
    assert!(store
        .implicit_set("sip:none@x")
        .await
        .expect("set")
        .is_empty());

    // Replacing a public identity replaces its links.
    let mut a2b = a2.clone();
    a2b.impis = vec!["bob@ims.example.com".into()];
    a2b.barred = true;
    store.put_public(&a2b).await.expect("replace");
    assert_eq!(
        store.find_public("tel:+15550001").await.expect("find"),
        Some(a2b)
    );

    // Deleting a private identity drops its links, not the identities.
    assert!(store
        .delete_private("alice@ims.example.com")
        .await
        .expect("del"));
    assert!(!store
        .delete_private("alice@ims.example.com")
        .await
        .expect("del"));
    assert!(store
        .public_identities_of("alice@ims.example.com")
        .await
        .expect("of")
        .is_empty());
    let fam = store
        .find_public("sip:family@ims.example.com")
        .await
        .expect("find");
    assert_eq!(
        fam.map(|p| p.impis),
        Some(vec!["bob@ims.example.com".to_owned()])
    );
    assert!(store
        .delete_public("sip:family@ims.example.com")
        .await
        .expect("del"));
    assert!(!store
        .delete_public("sip:family@ims.example.com")
        .await
        .expect("del"));
}

async fn profiles_and_scscfs(store: &dyn SubscriberStore) {
    let p = ServiceProfile {
        id: "p1".into(),
        ifc_xml: "<ServiceProfile>é</ServiceProfile>".into(),
    };
    store.put_service_profile(&p).await.expect("put");
    assert_eq!(store.get_service_profile("p1").await.expect("get"), Some(p));
    assert_eq!(store.get_service_profile("p2").await.expect("get"), None);
    let s2 = ScscfCapabilities {
        name: "sip:scscf2".into(),
        mandatory: vec![],
        optional: vec![7],
    };
    let s1 = ScscfCapabilities {
        name: "sip:scscf1".into(),
        mandatory: vec![1, 2],
        optional: vec![],
    };
    store.put_scscf(&s2).await.expect("put");
    store.put_scscf(&s1).await.expect("put");
    assert_eq!(store.list_scscfs().await.expect("list"), vec![s1, s2]);
}

async fn sqn(store: &dyn SubscriberStore) {
    store.put_private(&private("sqn@x")).await.expect("put");
    assert_eq!(store.next_sqn("sqn@x", 32).await.expect("next"), 32);
    assert_eq!(store.next_sqn("sqn@x", 32).await.expect("next"), 64);
    assert!(matches!(
        store.next_sqn("ghost@x", 1).await,
        Err(StoreError::NotFound { .. })
    ));
    store.set_sqn("sqn@x", SQN_MAX - 10).await.expect("resync");
    assert!(matches!(
        store.next_sqn("sqn@x", 32).await,
        Err(StoreError::SqnExhausted { .. })
    ));
    assert_eq!(store.next_sqn("sqn@x", 10).await.expect("next"), SQN_MAX);
    assert!(store.set_sqn("sqn@x", SQN_MAX + 1).await.is_err());
    assert!(matches!(
        store.set_sqn("ghost@x", 1).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.next_sqn("sqn@x", u64::MAX).await.is_err());
}

async fn concurrent_sqn(store: Arc<dyn SubscriberStore>) {
    store.put_private(&private("race@x")).await.expect("put");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.next_sqn("race@x", 1).await.expect("next_sqn") })
        })
        .collect();
    let mut got = BTreeSet::new();
    for t in tasks {
        got.insert(t.await.expect("join"));
    }
    assert_eq!(got, (1..=50).collect::<BTreeSet<u64>>());
    let stored = store
        .get_private("race@x")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.sqn, 50);
}

async fn registration(store: &dyn SubscriberStore) {
    store.put_private(&private("reg@x")).await.expect("put");
    store
        .put_public(&public("sip:reg@x", &["reg@x"], "r"))
        .await
        .expect("put");
    assert_eq!(
        store.registration("sip:reg@x").await.expect("get"),
        ImpuRegistration::default()
    );
    assert!(matches!(
        store.registration("sip:ghost@x").await,
        Err(StoreError::NotFound { .. })
    ));
    let r = store
        .assign_scscf(
            "sip:reg@x",
            "sip:s1",
            "s1.host",
            RegistrationState::Registered,
        )
        .await
        .expect("assign");
    assert_eq!(r, AssignOutcome::Assigned);
    let r = store
        .assign_scscf(
            "sip:reg@x",
            "sip:s2",
            "s2.host",
            RegistrationState::Registered,
        )
        .await
        .expect("assign");
    assert_eq!(
        r,
        AssignOutcome::AlreadyAssigned {
            scscf_name: "sip:s1".into(),
            origin_host: Some("s1.host".into())
        }
    );
    // The holder may change the state.
    let r = store
        .assign_scscf(
            "sip:reg@x",
            "sip:s1",
            "s1.host",
            RegistrationState::Unregistered,
        )
        .await
        .expect("assign");
    assert_eq!(r, AssignOutcome::Assigned);
    assert_eq!(
        store.registration("sip:reg@x").await.expect("get"),
        ImpuRegistration {
            state: RegistrationState::Unregistered,
            scscf_name: Some("sip:s1".into()),
            origin_host: Some("s1.host".into()),
        }
    );
    store
        .set_registration("sip:reg@x", &ImpuRegistration::default())
        .await
        .expect("clear");
    let r = store
        .assign_scscf(
            "sip:reg@x",
            "sip:s2",
            "s2.host",
            RegistrationState::Registered,
        )
        .await
        .expect("assign");
    assert_eq!(r, AssignOutcome::Assigned);
    assert!(matches!(
        store
            .assign_scscf("sip:ghost@x", "sip:s1", "h", RegistrationState::Registered)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .set_registration("sip:ghost@x", &ImpuRegistration::default())
            .await,
        Err(StoreError::NotFound { .. })
    ));
    // Removing the identity removes its state.
    assert!(store.delete_public("sip:reg@x").await.expect("del"));
    store
        .put_public(&public("sip:reg@x", &["reg@x"], "r"))
        .await
        .expect("put");
    assert_eq!(
        store.registration("sip:reg@x").await.expect("get"),
        ImpuRegistration::default()
    );
}

async fn concurrent_assign(store: Arc<dyn SubscriberStore>) {
    store.put_private(&private("cas@x")).await.expect("put");
    store
        .put_public(&public("sip:cas@x", &["cas@x"], "c"))
        .await
        .expect("put");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let s = store.clone();
            tokio::spawn(async move {
                let name = format!("sip:scscf{i}");
                let out = s
                    .assign_scscf("sip:cas@x", &name, "h", RegistrationState::Registered)
                    .await
                    .expect("assign");
                (name, out)
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut holders = BTreeSet::new();
    for t in tasks {
        match t.await.expect("join") {
            (name, AssignOutcome::Assigned) => winners.push(name),
            (_, AssignOutcome::AlreadyAssigned { scscf_name, .. }) => {
                holders.insert(scscf_name);
            }
        }
    }
    assert_eq!(winners.len(), 1, "exactly one S-CSCF wins: {winners:?}");
    let stored = store
        .registration("sip:cas@x")
        .await
        .expect("get")
        .scscf_name;
    assert_eq!(stored.as_ref(), winners.first());
    assert!(
        holders.iter().all(|h| Some(h) == winners.first()),
        "{holders:?}"
    );
}

async fn paging(store: &dyn SubscriberStore) {
    let names = ["u5@x", "u1@x", "u3@x", "u2@x", "u4@x"];
    for n in names {
        store.put_private(&private(n)).await.expect("put");
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_subscribers(after.as_deref(), 2)
            .await
            .expect("page");
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(last.impi.clone());
        seen.extend(page.into_iter().map(|p| p.impi));
    }
    // Earlier sections left bob, cas, race, reg and sqn behind.
    let expected = [
        "bob@ims.example.com",
        "cas@x",
        "race@x",
        "reg@x",
        "sqn@x",
        "u1@x",
        "u2@x",
        "u3@x",
        "u4@x",
        "u5@x",
    ];
    assert_eq!(seen, expected);
    assert!(store
        .list_subscribers(None, 0)
        .await
        .expect("page")
        .is_empty());
}

async fn import(store: &dyn SubscriberStore) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let doc = std::fs::read_to_string(dir.join("subscribers.toml")).expect("fixture");
    let report = import_toml(store, &doc, Some(&dir)).await.expect("import");
    assert_eq!(
        (
            report.service_profiles,
            report.scscfs,
            report.private_identities,
            report.public_identities
        ),
        (3, 1, 3, 4)
    );
    let alice = store
        .get_private("alice@ims.example.com")
        .await
        .expect("get")
        .expect("alice");
    assert_eq!(alice.k[..4], [0x46, 0x5b, 0x5c, 0xe8]);
    assert_eq!(alice.op.bytes()[..2], [0xcd, 0xc2]);
    assert!(matches!(alice.op, OpKind::Op(_)));
    assert_eq!(alice.amf, [0xb9, 0xb9]);
    assert_eq!(alice.sqn, 0xff9b_b4d0_b607);
    assert_eq!(alice.realm, "ims.example.com");
    let bob = store
        .get_private("bob@ims.example.com")
        .await
        .expect("get")
        .expect("bob");
    assert_eq!(&bob.k, b"0123456789abcdef");
    assert_eq!(bob.op, OpKind::Opc(*b"fedcba9876543210"));
    assert_eq!(
        bob.auth_schemes,
        [AuthScheme::AkaV1Md5, AuthScheme::DigestMd5]
            .into_iter()
            .collect()
    );
    let carol = store
        .get_private("carol")
        .await
        .expect("get")
        .expect("carol");
    assert_eq!(carol.realm, "other.example.net");
    assert_eq!(
        carol.auth_schemes,
        [AuthScheme::DigestMd5].into_iter().collect()
    );
    let cp = store
        .find_public("sip:carol@other.example.net")
        .await
        .expect("find")
        .expect("carol impu");
    assert!(cp.barred);
    assert_eq!(cp.implicit_set, "carol-set");
    let tel = store
        .find_public("tel:+15550001")
        .await
        .expect("find")
        .expect("tel");
    assert_eq!(tel.service_profile, "alice@ims.example.com");
    assert_eq!(tel.display_name.as_deref(), Some("Alice"));
    let xml = store
        .get_service_profile("alice@ims.example.com")
        .await
        .expect("get")
        .expect("profile");
    assert!(
        xml.ifc_xml.contains("sip:as.ims.example.com"),
        "{}",
        xml.ifc_xml
    );
    assert_eq!(
        store
            .find_public("sip:bob@ims.example.com")
            .await
            .expect("find")
            .map(|p| p.service_profile),
        Some("default".to_owned())
    );

    // Re-import: an SQN given in the file is rewritten; a missing one is kept.
    let bob_sqn = store
        .next_sqn("bob@ims.example.com", 32)
        .await
        .expect("sqn");
    store
        .next_sqn("alice@ims.example.com", 32)
        .await
        .expect("sqn");
    import_toml(store, &doc, Some(&dir))
        .await
        .expect("re-import");
    let bob = store
        .get_private("bob@ims.example.com")
        .await
        .expect("get")
        .expect("bob");
    assert_eq!(bob.sqn, bob_sqn);
    let alice = store
        .get_private("alice@ims.example.com")
        .await
        .expect("get")
        .expect("a");
    assert_eq!(alice.sqn, 0xff9b_b4d0_b607);
}

async fn suite(store: Arc<dyn SubscriberStore>) {
    identities(store.as_ref()).await;
    profiles_and_scscfs(store.as_ref()).await;
    sqn(store.as_ref()).await;
    concurrent_sqn(store.clone()).await;
    registration(store.as_ref()).await;
    concurrent_assign(store.clone()).await;
    paging(store.as_ref()).await;
}

async fn run(kind: Kind) {
    with_backend(kind, |b| async move {
        suite(b.subscribers()).await;
    })
    .await;
    // Import on a fresh store of the same backend.
    with_backend(kind, |b| async move {
        import(b.subscribers().as_ref()).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_backend() {
    run(Kind::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_backend() {
    run(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_backend() {
    run(Kind::Postgres).await;
}
