//! Data-driven wildcarded PSI lookups (tests/data/wildcard_psi.txt) through
//! `SubscriberStore::find_public` of the memory backend.

use ims_store::{IdentityType, MemorySubscriberStore, PublicIdentity, SubscriberStore};

#[tokio::test]
async fn wildcard_psi_vectors() {
    let text = include_str!("data/wildcard_psi.txt");
    let mut checked = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split(" | ").map(str::trim).collect();
        let [pattern, uri, expected] = parts.as_slice() else {
            panic!("line {}: malformed: {line}", n + 1);
        };
        let store = MemorySubscriberStore::new();
        let psi = PublicIdentity {
            impu: "sip:psi-holder@x".into(),
            impis: vec![],
            barred: false,
            identity_type: IdentityType::WildcardedPsi {
                pattern: (*pattern).to_owned(),
            },
            implicit_set: "psi".into(),
            service_profile: "p".into(),
            display_name: None,
        };
        store.put_public(&psi).await.expect("valid pattern");
        let found = store.find_public(uri).await.expect("find").is_some();
        assert_eq!(found, *expected == "yes", "line {}: {line}", n + 1);
        checked += 1;
    }
    assert_eq!(checked, 14);
}
