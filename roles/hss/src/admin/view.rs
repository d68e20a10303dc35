//! JSON views of subscribers for `hss.list` and `hss.show`: the fields `imsctl hss show --json`
//! prints. Keys and passwords appear only when asked for.

use ims_store::{
    OpKind, PrivateIdentity, PublicIdentity, RegistrationState, StoreError, SubscriberStore,
};
use serde_json::{json, Value};

pub(super) fn state_name(s: RegistrationState) -> &'static str {
    match s {
        RegistrationState::NotRegistered => "not-registered",
        RegistrationState::Registered => "registered",
        RegistrationState::Unregistered => "unregistered",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One public identity with its registration record.
pub(super) async fn impu(
    store: &dyn SubscriberStore,
    p: &PublicIdentity,
) -> Result<Value, StoreError> {
    let reg = store.registration(&p.impu).await?;
    Ok(json!({
        "impu": p.impu,
        "barred": p.barred,
        "implicit_set": p.implicit_set,
        "service_profile": p.service_profile,
        "display_name": p.display_name,
        "state": state_name(reg.state),
        "scscf": reg.scscf_name,
        "origin_host": reg.origin_host,
    }))
}

/// The public identities of `impi`.
pub(super) async fn impus_of(
    store: &dyn SubscriberStore,
    impi: &str,
) -> Result<Vec<Value>, StoreError> {
    let mut out = Vec::new();
    for p in store.public_identities_of(impi).await? {
        out.push(impu(store, &p).await?);
    }
    Ok(out)
}

fn schemes(p: &PrivateIdentity) -> Vec<&str> {
    p.auth_schemes.iter().map(|s| s.as_str()).collect()
}

/// A line of `hss.list`.
pub(super) async fn summary(
    store: &dyn SubscriberStore,
    p: &PrivateIdentity,
) -> Result<Value, StoreError> {
    Ok(json!({
        "impi": p.impi,
        "schemes": schemes(p),
        "impus": impus_of(store, &p.impi).await?,
    }))
}

/// `hss.show`: everything about `p`; K, OP/OPc, the password and H(A1) only with `secrets`
/// (otherwise `"(set)"` or null).
pub(super) async fn detail(
    store: &dyn SubscriberStore,
    p: &PrivateIdentity,
    secrets: bool,
) -> Result<Value, StoreError> {
    let (op_kind, op) = match &p.op {
        OpKind::Op(b) => ("OP", b),
        OpKind::Opc(b) => ("OPc", b),
    };
    let hidden = |v: &Option<String>| {
        if secrets {
            v.clone()
        } else {
            v.as_ref().map(|_| "(set)".to_owned())
        }
    };
    let mut v = json!({
        "impi": p.impi,
        "realm": p.realm,
        "schemes": schemes(p),
        "amf": hex(&p.amf),
        "sqn": p.sqn,
        "op_kind": op_kind,
        "password": hidden(&p.digest_password),
        "ha1": hidden(&p.digest_ha1),
        "impus": impus_of(store, &p.impi).await?,
    });
    if secrets {
        if let Some(o) = v.as_object_mut() {
            o.insert("k".into(), Value::from(hex(&p.k)));
            o.insert("op".into(), Value::from(hex(op)));
        }
    }
    Ok(v)
}
