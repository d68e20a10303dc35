//! `imsctl hss deregister` and `imsctl hss set-profile`: these need the running HSS (it sends
//! RTR/PPR to the S-CSCF, TS 29.228 §6.1.3, §6.2.2), so they go through its admin API
//! (`hss.deregister`, `hss.set_profile`) instead of the database.

use std::path::Path;

use anyhow::Context;
use serde_json::{json, Value};

use crate::rpc::{self, AdminArgs};

/// `imsctl hss deregister ID [--reason R] [--reason-info TEXT]`: ID is an IMPU when it has a
/// scheme (`sip:`, `sips:`, `tel:`), else an IMPI.
pub(crate) async fn deregister(
    id: &str,
    reason: &str,
    reason_info: Option<&str>,
    admin: &AdminArgs,
    json: bool,
) -> anyhow::Result<()> {
    let key = if id.contains(':') { "impu" } else { "impi" };
    let mut params = json!({ key: id, "reason": reason });
    if let Some(info) = reason_info {
        params["reason_info"] = Value::from(info);
    }
    let result = rpc::call(&admin.client()?, "hss.deregister", params).await?;
    if json {
        rpc::print(&result);
        return Ok(());
    }
    for rtr in result["rtr"].as_array().into_iter().flatten() {
        println!(
            "de-registered {} at {} ({}): {}",
            rtr["impus"]
                .as_array()
                .map(|a| a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default(),
            rtr["destination_host"].as_str().unwrap_or("?"),
            result["reason"].as_str().unwrap_or("?"),
            rtr["result"]["name"].as_str().unwrap_or("?"),
        );
    }
    Ok(())
}

/// `imsctl hss set-profile IMPI --profile-xml FILE | --profile ID`.
pub(crate) async fn set_profile(
    impi: &str,
    profile_xml: Option<&Path>,
    profile: Option<&str>,
    admin: &AdminArgs,
    json: bool,
) -> anyhow::Result<()> {
    let params = match (profile_xml, profile) {
        (Some(file), None) => {
            let xml = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            json!({ "impi": impi, "profile_xml": xml })
        }
        (None, Some(id)) => json!({ "impi": impi, "profile": id }),
        _ => anyhow::bail!("give one of --profile-xml FILE or --profile ID"),
    };
    let result = rpc::call(&admin.client()?, "hss.set_profile", params).await?;
    if json {
        rpc::print(&result);
        return Ok(());
    }
    println!(
        "{impi}: service profile {}",
        result["profile"].as_str().unwrap_or("?")
    );
    let pushed = result["ppr"].as_array().cloned().unwrap_or_default();
    if pushed.is_empty() {
        println!("not registered: no PPR sent (the S-CSCF gets it at the next registration)");
    }
    for ppr in pushed {
        println!(
            "pushed to {}: {}",
            ppr["destination_host"].as_str().unwrap_or("?"),
            ppr["result"]["name"].as_str().unwrap_or("?"),
        );
    }
    Ok(())
}
