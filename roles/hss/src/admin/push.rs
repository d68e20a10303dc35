//! `hss.deregister` and `hss.set_profile`: the HSS-initiated Cx procedures on an operator's
//! request. The requests are built and their answers applied by [`crate::Hss`] (`push.rs`);
//! this sends them to the assigned S-CSCF through the HSS's Diameter node and waits for the
//! answer.
//!
//! - RTR/RTA (TS 29.228 §6.1.3): one RTR per implicit registration set served by an S-CSCF;
//!   the identities become not registered only on DIAMETER_SUCCESS (the store is unchanged
//!   when the S-CSCF is unreachable or refuses).
//! - PPR/PPA (§6.2.2): the profile is stored first (the S-CSCF would get it at its next SAR
//!   anyway), then pushed to each S-CSCF serving one of the IMPI's registered sets.

use diameter_codec::generated::cx::ReasonCode;
use ims_store::{RegistrationState, ServiceProfile};
use role_kit::admin::{MethodResult, Params, RpcError};
use serde::Deserialize;
use serde_json::{json, Value};

use super::fault;
use super::Admin;
use crate::{parse_stored_profile, Outcome, PushRequest};

const SUCCESS: Outcome = Outcome::Base(crate::cx_codes::SUCCESS);

/// Deregistration-Reason's Reason-Code by name (TS 29.229 §6.3.17).
fn reason_code(name: &str) -> Option<ReasonCode> {
    let n = name.trim().to_ascii_uppercase().replace('-', "_");
    Some(match n.as_str() {
        "PERMANENT_TERMINATION" | "0" => ReasonCode::PERMANENT_TERMINATION,
        "NEW_SERVER_ASSIGNED" | "1" => ReasonCode::NEW_SERVER_ASSIGNED,
        "SERVER_CHANGE" | "2" => ReasonCode::SERVER_CHANGE,
        "REMOVE_S_CSCF" | "3" => ReasonCode::REMOVE_S_CSCF,
        _ => return None,
    })
}

fn reason_name(code: ReasonCode) -> &'static str {
    match code.0 {
        0 => "PERMANENT_TERMINATION",
        1 => "NEW_SERVER_ASSIGNED",
        2 => "SERVER_CHANGE",
        _ => "REMOVE_S-CSCF",
    }
}

/// What one pushed request achieved.
fn pushed(request: &PushRequest, outcome: Outcome) -> Value {
    json!({
        "destination_host": request.destination_host,
        "impus": request.impus,
        "result": fault::outcome_json(outcome),
    })
}

/// Sends `request` (`command` for `identity`) and waits for its answer.
async fn send(
    a: &Admin,
    command: &str,
    identity: &str,
    request: &PushRequest,
) -> Result<diameter_codec::Message, RpcError> {
    a.diameter
        .request(request.message.clone())
        .await
        .map_err(|e| fault::unreachable(command, identity, &request.destination_host, e))
}

/// RTR for `impu`'s set; Ok only on DIAMETER_SUCCESS.
async fn rtr(
    a: &Admin,
    impu: &str,
    reason: ReasonCode,
    info: Option<&str>,
) -> Result<Value, RpcError> {
    let request = a
        .hss
        .build_rtr(impu, reason, info, &a.session_id(), 0, 0)
        .await
        .map_err(fault::from_hss)?;
    let answer = send(a, "RTR", impu, &request).await?;
    let outcome = a
        .hss
        .handle_rta(&request, &answer)
        .await
        .map_err(fault::from_hss)?;
    if outcome != SUCCESS {
        return Err(fault::refused(
            "RTR",
            impu,
            &request.destination_host,
            outcome,
        ));
    }
    tracing::info!(%impu, reason = reason_name(reason), host = %request.destination_host,
        "admin: de-registered");
    Ok(pushed(&request, outcome))
}

/// PPR for `impu`'s set; Ok only on DIAMETER_SUCCESS.
async fn ppr(a: &Admin, impu: &str) -> Result<Value, RpcError> {
    let request = a
        .hss
        .build_ppr(impu, &a.session_id(), 0, 0)
        .await
        .map_err(fault::from_hss)?;
    let answer = send(a, "PPR", impu, &request).await?;
    let outcome = a.hss.handle_ppa(&answer).map_err(fault::from_hss)?;
    if outcome != SUCCESS {
        return Err(fault::refused(
            "PPR",
            impu,
            &request.destination_host,
            outcome,
        ));
    }
    Ok(pushed(&request, outcome))
}

/// The public identities of `impi` that an S-CSCF holds (registered or unregistered with an
/// assigned S-CSCF), in store order.
async fn assigned_impus(a: &Admin, impi: &str) -> Result<Vec<String>, RpcError> {
    let store = a.hss.store.as_ref();
    let err = |e| fault::from_store(&e);
    let mut out = Vec::new();
    for p in store.public_identities_of(impi).await.map_err(err)? {
        let reg = store.registration(&p.impu).await.map_err(err)?;
        if reg.state != RegistrationState::NotRegistered && reg.origin_host.is_some() {
            out.push(p.impu);
        }
    }
    Ok(out)
}

/// Runs `push` for each assigned identity of `impi` not covered by an earlier request (one
/// request covers an implicit set).
async fn per_set<'a, F, Fut>(a: &'a Admin, impi: &str, push: F) -> Result<Vec<Value>, RpcError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Value, RpcError>> + 'a,
{
    let mut done: Vec<String> = Vec::new();
    let mut results = Vec::new();
    for impu in assigned_impus(a, impi).await? {
        if done.contains(&impu) {
            continue;
        }
        let result = push(impu.clone()).await?;
        done.extend(
            result["impus"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned),
        );
        done.push(impu);
        results.push(result);
    }
    Ok(results)
}

/// De-registers every assigned identity of `impi`; empty when none is.
pub(super) async fn deregister_all(
    a: &Admin,
    impi: &str,
    reason: ReasonCode,
    info: Option<&str>,
) -> Result<Vec<Value>, RpcError> {
    per_set(
        a,
        impi,
        |impu| async move { rtr(a, &impu, reason, info).await },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeregisterParams {
    impi: Option<String>,
    impu: Option<String>,
    reason: Option<String>,
    reason_info: Option<String>,
}

/// `hss.deregister {impi | impu, reason?, reason_info?}`.
pub(super) async fn deregister(a: &Admin, p: Params) -> MethodResult {
    let params: DeregisterParams = p.parse()?;
    let reason = match params.reason.as_deref() {
        None => ReasonCode::PERMANENT_TERMINATION,
        Some(name) => reason_code(name).ok_or_else(|| {
            RpcError::invalid_params(
                "reason must be PERMANENT_TERMINATION, NEW_SERVER_ASSIGNED, SERVER_CHANGE or \
                 REMOVE_S-CSCF (TS 29.229 §6.3.17)",
            )
        })?,
    };
    let info = params.reason_info.as_deref();
    let (identity, results) = match (params.impi, params.impu) {
        (Some(impi), None) => {
            if a.hss
                .store
                .get_private(&impi)
                .await
                .map_err(|e| fault::from_store(&e))?
                .is_none()
            {
                return Err(fault::from_hss(crate::HssError::UnknownIdentity(impi)));
            }
            let results = deregister_all(a, &impi, reason, info).await?;
            if results.is_empty() {
                return Err(fault::from_hss(crate::HssError::NotAssigned(impi)));
            }
            (impi, results)
        }
        (None, Some(impu)) => {
            let result = rtr(a, &impu, reason, info).await?;
            (impu, vec![result])
        }
        _ => return Err(RpcError::invalid_params("give one of impi or impu")),
    };
    Ok(json!({ "identity": identity, "reason": reason_name(reason), "rtr": results }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetProfileParams {
    impi: String,
    /// A `<ServiceProfile>` fragment or an `<IMSSubscription>` document (TS 29.228 Annex E);
    /// stored as the profile named after the IMPI, as `imsctl hss import`'s `ifc_xml` is.
    profile_xml: Option<String>,
    /// A stored profile id instead.
    profile: Option<String>,
}

/// `hss.set_profile {impi, profile_xml | profile}`: every public identity of `impi` gets the
/// profile; each registered set is pushed to its S-CSCF with PPR.
pub(super) async fn set_profile(a: &Admin, p: Params) -> MethodResult {
    let SetProfileParams {
        impi,
        profile_xml,
        profile,
    } = p.parse()?;
    let store = a.hss.store.as_ref();
    let err = |e| fault::from_store(&e);
    let publics = store.public_identities_of(&impi).await.map_err(err)?;
    if publics.is_empty() {
        return Err(fault::from_hss(crate::HssError::UnknownIdentity(impi)));
    }
    let id = match (profile_xml, profile) {
        (Some(xml), None) => {
            parse_stored_profile(&impi, &xml)
                .map_err(|e| RpcError::invalid_params(format!("profile_xml: {e}")))?;
            store
                .put_service_profile(&ServiceProfile {
                    id: impi.clone(),
                    ifc_xml: xml,
                })
                .await
                .map_err(err)?;
            impi.clone()
        }
        (None, Some(id)) => {
            let stored = store.get_service_profile(&id).await.map_err(err)?;
            let Some(stored) = stored else {
                return Err(RpcError::invalid_params(format!(
                    "service profile {id:?} is not provisioned"
                )));
            };
            parse_stored_profile(&id, &stored.ifc_xml).map_err(fault::from_hss)?;
            id
        }
        _ => {
            return Err(RpcError::invalid_params(
                "give one of profile_xml or profile",
            ))
        }
    };
    for mut public in publics {
        if public.service_profile != id {
            public.service_profile.clone_from(&id);
            store.put_public(&public).await.map_err(err)?;
        }
    }
    tracing::info!(%impi, profile = %id, "admin: service profile set");
    let results = per_set(a, &impi, |impu| async move { ppr(a, &impu).await })
        .await
        .map_err(|mut e| {
            // The profile is stored whatever the S-CSCF said: say so.
            e.message = format!("profile stored, but {}", e.message);
            e
        })?;
    Ok(json!({ "impi": impi, "profile": id, "ppr": results }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_names_round_trip() {
        for name in [
            "PERMANENT_TERMINATION",
            "NEW_SERVER_ASSIGNED",
            "SERVER_CHANGE",
            "REMOVE_S-CSCF",
        ] {
            let code = reason_code(name).unwrap();
            assert_eq!(reason_name(code), name);
        }
        assert_eq!(
            reason_code("remove_s_cscf"),
            Some(ReasonCode::REMOVE_S_CSCF)
        );
        assert_eq!(reason_code("2"), Some(ReasonCode::SERVER_CHANGE));
        assert_eq!(reason_code("LEAVING"), None);
    }
}
