//! `imsctl rpc METHOD [PARAMS]`: any admin API method of a running role (docs/admin-api.md),
//! and the `--admin`/`--token` options the commands that need a running role share.

use anyhow::{bail, Context};
use clap::Args;
use serde_json::Value;

use imsctl::admin_client::{AdminClient, ClientError};

/// Where the running role's admin API is.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Admin API")]
pub(crate) struct AdminArgs {
    /// Admin API URL, http://HOST:PORT[/PATH] [env: IMSCTL_ADMIN]
    #[arg(long, value_name = "URL")]
    pub(crate) admin: Option<String>,
    /// Bearer token of the admin API [env: IMSCTL_ADMIN_TOKEN]
    #[arg(long, value_name = "TOKEN")]
    pub(crate) token: Option<String>,
}

impl AdminArgs {
    /// The client these options name.
    pub(crate) fn client(&self) -> anyhow::Result<AdminClient> {
        Ok(AdminClient::from_args(
            self.admin.as_deref(),
            self.token.as_deref(),
        )?)
    }
}

/// Calls `method` and prints its result as indented JSON; a JSON-RPC error is the command's
/// error, its data printed too.
pub(crate) async fn call(
    client: &AdminClient,
    method: &str,
    params: Value,
) -> anyhow::Result<Value> {
    match client.call(method, params).await {
        Ok(v) => Ok(v),
        Err(ClientError::Rpc {
            code,
            message,
            data,
        }) => {
            let detail = data
                .map(|d| format!("\n{}", serde_json::to_string_pretty(&d).unwrap_or_default()))
                .unwrap_or_default();
            bail!("{method}: {message} (JSON-RPC error {code}){detail}")
        }
        Err(e) => Err(anyhow::Error::new(e).context(method.to_owned())),
    }
}

/// Prints `v` indented.
pub(crate) fn print(v: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
    );
}

/// `imsctl rpc METHOD [PARAMS]`.
pub(crate) async fn run(
    method: &str,
    params: Option<&str>,
    admin: &AdminArgs,
) -> anyhow::Result<()> {
    let params = match params {
        Some(text) => serde_json::from_str(text).context("PARAMS is not JSON")?,
        None => Value::Null,
    };
    if !matches!(params, Value::Null | Value::Object(_) | Value::Array(_)) {
        bail!("PARAMS must be a JSON object or array");
    }
    let result = call(&admin.client()?, method, params).await?;
    print(&result);
    Ok(())
}
