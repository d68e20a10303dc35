//! The method registry of the admin API: each role registers its methods by name, and
//! [`AdminMethods::dispatch`] runs the calls of a JSON-RPC body against them. `system.methods`
//! and `system.health` are built in.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::jsonrpc::{self, Body, Call, RpcError};

/// The `params` of a call (an array, an object, or `Null` when absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Params(pub Value);

impl Params {
    /// Deserialises the params into `T`; a mismatch is -32602 naming the field (absent params
    /// deserialise as an empty object, so optional fields work).
    pub fn parse<T: DeserializeOwned>(self) -> Result<T, RpcError> {
        let value = match self.0 {
            Value::Null => Value::Object(serde_json::Map::new()),
            v => v,
        };
        serde_json::from_value(value).map_err(|e| RpcError::invalid_params(format!("params: {e}")))
    }

    /// The raw value.
    pub fn into_value(self) -> Value {
        self.0
    }
}

/// What a method returns.
pub type MethodResult = Result<Value, RpcError>;

type BoxFuture = Pin<Box<dyn Future<Output = MethodResult> + Send>>;
type Handler = Arc<dyn Fn(Params) -> BoxFuture + Send + Sync>;

/// The methods an admin endpoint serves, by name.
#[derive(Clone, Default)]
pub struct AdminMethods {
    methods: BTreeMap<String, Handler>,
    started: Option<Instant>,
}

impl std::fmt::Debug for AdminMethods {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.methods.keys()).finish()
    }
}

impl AdminMethods {
    /// An empty registry (the built-in `system.*` methods are always there).
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `name` (dotted, `role.verb`); a later registration replaces an earlier one.
    #[must_use]
    pub fn method<F, Fut>(mut self, name: &str, handler: F) -> Self
    where
        F: Fn(Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = MethodResult> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |p| Box::pin(handler(p)));
        self.methods.insert(name.to_owned(), handler);
        self
    }

    /// Names of every method, the built-ins included, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.methods.keys().cloned().collect();
        for builtin in ["system.health", "system.methods"] {
            if !self.methods.contains_key(builtin) {
                names.push(builtin.to_owned());
            }
        }
        names.sort();
        names
    }

    /// Marks the start time `system.health` reports uptime from.
    pub(crate) fn started_now(&mut self) {
        self.started = Some(Instant::now());
    }

    /// Runs one call; `None` for a notification.
    pub async fn call(&self, call: Call) -> Option<Value> {
        let Call { id, method, params } = call;
        let outcome = match self.methods.get(&method) {
            Some(handler) => handler(Params(params)).await,
            None => match method.as_str() {
                "system.methods" => Ok(json!(self.names())),
                "system.health" => {
                    let uptime = self.started.map_or(0, |s| s.elapsed().as_secs());
                    Ok(json!({ "status": "ok", "uptime_s": uptime }))
                }
                _ => Err(jsonrpc::method_not_found(&method)),
            },
        };
        let id = id?;
        Some(match outcome {
            Ok(result) => jsonrpc::result_response(id, result),
            Err(e) => jsonrpc::error_response(id, &e),
        })
    }

    /// Runs every call of a body in order; the response body, or `None` when there is
    /// nothing to answer (only notifications, §6).
    pub async fn dispatch(&self, body: &[u8]) -> Option<Value> {
        let parsed = match jsonrpc::parse_body(body) {
            Ok(b) => b,
            Err(response) => return Some(response),
        };
        match parsed {
            Body::Single(entry) => self.entry(entry).await,
            Body::Batch(entries) => {
                let mut out = Vec::new();
                for entry in entries {
                    out.extend(self.entry(entry).await);
                }
                (!out.is_empty()).then_some(Value::Array(out))
            }
        }
    }

    async fn entry(&self, entry: jsonrpc::Entry) -> Option<Value> {
        match entry {
            Ok(call) => self.call(call).await,
            Err((id, e)) => Some(jsonrpc::error_response(id, &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn methods() -> AdminMethods {
        AdminMethods::new()
            .method("t.echo", |p: Params| async move { Ok(p.into_value()) })
            .method("t.add", |p: Params| async move {
                #[derive(serde::Deserialize)]
                struct Add {
                    a: i64,
                    b: i64,
                }
                let Add { a, b } = p.parse()?;
                Ok(json!(a + b))
            })
            .method("t.fail", |_| async { Err(RpcError::server(1, "it broke")) })
    }

    async fn run(body: &str) -> Option<Value> {
        methods().dispatch(body.as_bytes()).await
    }

    #[tokio::test]
    async fn calls_results_and_errors() {
        let r = run(r#"{"jsonrpc":"2.0","method":"t.add","params":{"a":2,"b":3},"id":1}"#).await;
        assert_eq!(r.unwrap()["result"], 5);
        let r = run(r#"{"jsonrpc":"2.0","method":"t.add","params":{"a":"x"},"id":1}"#)
            .await
            .unwrap();
        assert_eq!(r["error"]["code"], -32602);
        assert!(r["error"]["message"].as_str().unwrap().contains("params"));
        let r = run(r#"{"jsonrpc":"2.0","method":"t.fail","id":"f"}"#)
            .await
            .unwrap();
        assert_eq!(r["error"]["code"], -32001);
        assert_eq!(r["id"], "f");
        let r = run(r#"{"jsonrpc":"2.0","method":"nope","id":2}"#)
            .await
            .unwrap();
        assert_eq!(r["error"]["code"], -32601);
        assert_eq!(r["error"]["message"], "method not found: nope");
    }

    #[tokio::test]
    async fn builtins() {
        let r = run(r#"{"jsonrpc":"2.0","method":"system.methods","id":1}"#)
            .await
            .unwrap();
        assert_eq!(
            r["result"],
            json!([
                "system.health",
                "system.methods",
                "t.add",
                "t.echo",
                "t.fail"
            ])
        );
        let r = run(r#"{"jsonrpc":"2.0","method":"system.health","id":1}"#)
            .await
            .unwrap();
        assert_eq!(r["result"]["status"], "ok");
    }

    #[tokio::test]
    async fn notifications_and_batches() {
        assert_eq!(run(r#"{"jsonrpc":"2.0","method":"t.echo"}"#).await, None);
        assert_eq!(
            run(r#"[{"jsonrpc":"2.0","method":"t.echo"},{"jsonrpc":"2.0","method":"x"}]"#).await,
            None
        );
        let r = run(r#"[{"jsonrpc":"2.0","method":"t.echo","params":[1],"id":1},
                {"jsonrpc":"2.0","method":"t.echo"},
                {"foo":"bar"},
                {"jsonrpc":"2.0","method":"nope","id":3}]"#)
        .await
        .unwrap();
        let a = r.as_array().unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a[0]["result"], json!([1]));
        assert_eq!(a[1]["error"]["code"], -32600);
        assert_eq!(a[2]["error"]["code"], -32601);
        let r = run("{bad").await.unwrap();
        assert_eq!(r["error"]["code"], -32700);
    }
}
