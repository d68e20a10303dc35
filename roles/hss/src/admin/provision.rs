//! Provisioning over the admin API: `hss.list`, `hss.show`, `hss.add`, `hss.import` and
//! `hss.delete`. Additions go through `ims_store::import_toml`, so they take the schema of
//! `imsctl hss import` (docs/imsctl.md), given as JSON or as the TOML text itself.

use ims_store::{import_toml, ImportReport, SubscriberStore};
use role_kit::admin::{MethodResult, Params, RpcError};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::fault::{self, codes};
use super::{push, view, Admin};

/// Subscribers per `hss.list` page unless `limit` says otherwise.
const DEFAULT_PAGE: u32 = 100;
/// Largest `limit`.
const MAX_PAGE: u32 = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    /// Start after this IMPI (the `next` of the previous page).
    after: Option<String>,
    limit: Option<u32>,
}

/// `hss.list {after?, limit?}` → `{subscribers: [...], next}`.
pub(super) async fn list(a: &Admin, p: Params) -> MethodResult {
    let ListParams { after, limit } = p.parse()?;
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(RpcError::invalid_params(format!(
            "limit must be in 1..={MAX_PAGE}"
        )));
    }
    let store = a.hss.store.as_ref();
    let page = store
        .list_subscribers(after.as_deref(), limit)
        .await
        .map_err(|e| fault::from_store(&e))?;
    let mut subscribers = Vec::new();
    for p in &page {
        subscribers.push(
            view::summary(store, p)
                .await
                .map_err(|e| fault::from_store(&e))?,
        );
    }
    let next = (page.len() == limit as usize)
        .then(|| page.last().map(|p| p.impi.clone()))
        .flatten();
    Ok(json!({ "subscribers": subscribers, "next": next }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShowParams {
    impi: String,
    #[serde(default)]
    secrets: bool,
}

/// `hss.show {impi, secrets?}`.
pub(super) async fn show(a: &Admin, p: Params) -> MethodResult {
    let ShowParams { impi, secrets } = p.parse()?;
    let store = a.hss.store.as_ref();
    let private = store
        .get_private(&impi)
        .await
        .map_err(|e| fault::from_store(&e))?
        .ok_or_else(|| unknown(&impi))?;
    view::detail(store, &private, secrets)
        .await
        .map_err(|e| fault::from_store(&e))
}

fn unknown(impi: &str) -> RpcError {
    RpcError::new(codes::UNKNOWN_IDENTITY, format!("no subscriber {impi}"))
        .with_data(json!({ "identity": impi }))
}

/// `hss.add {<a [[subscriber]] entry>, replace?}`: one subscriber; refused when the IMPI exists
/// (unless `replace`) or one of its IMPUs belongs to another IMPI.
pub(super) async fn add(a: &Admin, p: Params) -> MethodResult {
    let Value::Object(mut entry) = p.into_value() else {
        return Err(RpcError::invalid_params(
            "params must be an object: a [[subscriber]] entry",
        ));
    };
    let replace = match entry.remove("replace") {
        None => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(RpcError::invalid_params("replace must be a boolean")),
    };
    let Some(impi) = entry.get("impi").and_then(Value::as_str).map(str::to_owned) else {
        return Err(RpcError::invalid_params("impi (a string) is required"));
    };
    let store = a.hss.store.as_ref();
    let exists = |e| fault::from_store(&e);
    if !replace && store.get_private(&impi).await.map_err(exists)?.is_some() {
        return Err(RpcError::new(
            codes::ALREADY_EXISTS,
            format!("{impi} already exists (set replace: true to overwrite)"),
        )
        .with_data(json!({ "identity": impi })));
    }
    let impus: Vec<String> = entry
        .get("impus")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    for impu in &impus {
        if let Some(public) = store.find_public(impu).await.map_err(exists)? {
            if let Some(other) = public
                .impis
                .iter()
                .find(|i| public.impu == *impu && **i != impi)
            {
                return Err(RpcError::new(
                    codes::ALREADY_EXISTS,
                    format!("{impu} belongs to {other}"),
                )
                .with_data(json!({ "identity": impu, "owner": other })));
            }
        }
    }
    let mut doc = Map::new();
    doc.insert(
        "subscriber".into(),
        Value::Array(vec![Value::Object(entry)]),
    );
    let report = write(store, doc).await?;
    tracing::info!(%impi, "admin: subscriber added");
    Ok(report_json(&report))
}

/// `hss.import {toml}` or `hss.import {service_profile?, scscf?, subscriber?}`: a whole import
/// document.
pub(super) async fn import(a: &Admin, p: Params) -> MethodResult {
    let Value::Object(mut params) = p.into_value() else {
        return Err(RpcError::invalid_params(
            "params must be an object: {\"toml\": TEXT} or the document as JSON",
        ));
    };
    let doc = match params.remove("toml") {
        Some(Value::String(text)) if params.is_empty() => {
            let table: toml::Table = toml::from_str(&text)
                .map_err(|e| RpcError::invalid_params(format!("import document: {e}")))?;
            serde_json::to_value(table)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .ok_or_else(|| RpcError::invalid_params("import document is not a table"))?
        }
        Some(_) => {
            return Err(RpcError::invalid_params(
                "toml must be a string and come alone",
            ))
        }
        None => params,
    };
    let report = write(a.hss.store.as_ref(), doc).await?;
    tracing::info!(
        private = report.private_identities,
        public = report.public_identities,
        "admin: import"
    );
    Ok(report_json(&report))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteParams {
    impi: String,
    #[serde(default)]
    keep_impus: bool,
}

/// `hss.delete {impi, keep_impus?}`: a registered subscriber is de-registered first (RTR
/// PERMANENT_TERMINATION, TS 29.228 §6.1.3); if that fails nothing is deleted.
pub(super) async fn delete(a: &Admin, p: Params) -> MethodResult {
    let DeleteParams { impi, keep_impus } = p.parse()?;
    let store = a.hss.store.as_ref();
    let err = |e| fault::from_store(&e);
    if store.get_private(&impi).await.map_err(err)?.is_none() {
        return Err(unknown(&impi));
    }
    let deregistered = push::deregister_all(
        a,
        &impi,
        diameter_codec::generated::cx::ReasonCode::PERMANENT_TERMINATION,
        Some("subscription deleted"),
    )
    .await?;
    let publics = store.public_identities_of(&impi).await.map_err(err)?;
    store.delete_private(&impi).await.map_err(err)?;
    let mut removed = Vec::new();
    if !keep_impus {
        for p in publics
            .iter()
            .filter(|p| p.impis.iter().all(|i| *i == impi))
        {
            if store.delete_public(&p.impu).await.map_err(err)? {
                removed.push(p.impu.clone());
            }
        }
    }
    tracing::info!(%impi, "admin: subscriber deleted");
    Ok(json!({ "impi": impi, "deregistered": deregistered, "removed_impus": removed }))
}

fn report_json(r: &ImportReport) -> Value {
    json!({
        "service_profiles": r.service_profiles,
        "scscfs": r.scscfs,
        "private_identities": r.private_identities,
        "public_identities": r.public_identities,
    })
}

/// Checks a JSON import document, adds the stored profiles its subscribers name, and imports
/// it.
async fn write(
    store: &dyn SubscriberStore,
    mut doc: Map<String, Value>,
) -> Result<ImportReport, RpcError> {
    refuse_file_references(&doc)?;
    add_stored_profiles(store, &mut doc).await?;
    let table = toml::Value::try_from(Value::Object(doc)).map_err(|e| {
        RpcError::invalid_params(format!("import document: {e} (omit keys instead of null)"))
    })?;
    let text = toml::to_string(&table)
        .map_err(|e| RpcError::invalid_params(format!("import document: {e}")))?;
    import_toml(store, &text, None).await.map_err(|e| match e {
        ims_store::ImportError::Store(s) => fault::from_store(&s),
        other => RpcError::invalid_params(other.to_string()),
    })
}

/// Files are read on the operator's machine (`imsctl`), never on the HSS's: over the API the
/// XML comes inline.
fn refuse_file_references(doc: &Map<String, Value>) -> Result<(), RpcError> {
    for (section, key, instead) in [
        ("service_profile", "file", "xml"),
        ("subscriber", "ifc_file", "ifc_xml"),
    ] {
        let entries = doc.get(section).and_then(Value::as_array);
        if entries.into_iter().flatten().any(|e| e.get(key).is_some()) {
            return Err(RpcError::invalid_params(format!(
                "{section}.{key} is not accepted over the admin API: send {instead} inline"
            )));
        }
    }
    Ok(())
}

/// Adds `service_profile` entries for the `profile` ids the subscribers name but the document
/// does not define, read from the store (the import only knows its own document).
async fn add_stored_profiles(
    store: &dyn SubscriberStore,
    doc: &mut Map<String, Value>,
) -> Result<(), RpcError> {
    let ids = |v: Option<&Value>, key: &str| -> Vec<String> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get(key).and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    };
    let defined = ids(doc.get("service_profile"), "id");
    let mut wanted: Vec<String> = ids(doc.get("subscriber"), "profile")
        .into_iter()
        .filter(|id| !defined.contains(id))
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut extra = Vec::new();
    for id in wanted {
        let Some(p) = store
            .get_service_profile(&id)
            .await
            .map_err(|e| fault::from_store(&e))?
        else {
            return Err(RpcError::invalid_params(format!(
                "service profile {id:?} is neither in the document nor in the store"
            )));
        };
        extra.push(json!({ "id": p.id, "xml": p.ifc_xml }));
    }
    if !extra.is_empty() {
        match doc.get_mut("service_profile") {
            Some(Value::Array(a)) => a.extend(extra),
            _ => {
                doc.insert("service_profile".into(), Value::Array(extra));
            }
        }
    }
    Ok(())
}
