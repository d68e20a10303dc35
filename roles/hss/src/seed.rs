//! The demo subscribers of the lab (alice, bob, carol @ ims.test): AKA with the sipp-style
//! ASCII keys (K `0123456789abcdef`, OP `fedcba9876543210`, AMF "00") and SIP Digest.

use std::collections::BTreeSet;

use ims_store::{
    AuthScheme, IdentityType, OpKind, PrivateIdentity, PublicIdentity, ServiceProfile, StoreError,
    SubscriberStore,
};

/// The demo home domain.
pub const DEMO_DOMAIN: &str = "ims.test";
/// The demo user names.
pub const DEMO_USERS: [&str; 3] = ["alice", "bob", "carol"];
/// The demo service profile id.
pub const DEMO_PROFILE: &str = "default";
/// K of every demo user.
pub const DEMO_K: [u8; 16] = *b"0123456789abcdef";
/// OP of every demo user.
pub const DEMO_OP: [u8; 16] = *b"fedcba9876543210";
/// AMF of every demo user: the ASCII characters "00".
pub const DEMO_AMF: [u8; 2] = *b"00";

/// The demo private identity of `name` (`name@ims.test`, password `name-secret`, SQN 0).
pub fn demo_private(name: &str) -> PrivateIdentity {
    PrivateIdentity {
        impi: format!("{name}@{DEMO_DOMAIN}"),
        auth_schemes: BTreeSet::from([AuthScheme::AkaV1Md5, AuthScheme::DigestMd5]),
        k: DEMO_K,
        op: OpKind::Op(DEMO_OP),
        amf: DEMO_AMF,
        sqn: 0,
        digest_password: Some(format!("{name}-secret")),
        digest_ha1: None,
        realm: DEMO_DOMAIN.to_owned(),
    }
}

/// The demo public identity of `name` (`sip:name@ims.test`, its own implicit set).
pub fn demo_public(name: &str) -> PublicIdentity {
    PublicIdentity {
        impu: format!("sip:{name}@{DEMO_DOMAIN}"),
        impis: vec![format!("{name}@{DEMO_DOMAIN}")],
        barred: false,
        identity_type: IdentityType::PublicUser,
        implicit_set: name.to_owned(),
        service_profile: DEMO_PROFILE.to_owned(),
        display_name: None,
    }
}

/// Inserts (or resets) the demo profile and subscribers alice, bob and carol into `store`.
pub async fn seed_demo(store: &dyn SubscriberStore) -> Result<(), StoreError> {
    store
        .put_service_profile(&ServiceProfile {
            id: DEMO_PROFILE.to_owned(),
            ifc_xml: "<ServiceProfile/>".to_owned(),
        })
        .await?;
    for name in DEMO_USERS {
        store.put_private(&demo_private(name)).await?;
        store.put_public(&demo_public(name)).await?;
    }
    Ok(())
}
