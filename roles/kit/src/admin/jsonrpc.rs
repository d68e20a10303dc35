//! JSON-RPC 2.0 (<https://www.jsonrpc.org/specification>) over the body of an HTTP request,
//! sans-IO: a body becomes [`Call`]s, results and errors become the response body. Batches are
//! supported (§6), up to [`MAX_BATCH`] calls.

use serde_json::{json, Map, Value};

/// Most calls in one batch.
pub const MAX_BATCH: usize = 100;

/// Longest method name echoed in an error message.
const ECHO_MAX: usize = 64;

/// A JSON-RPC error object (§5.1). Codes from -32768 to -32000 are the specification's; the
/// roles use -32000 and below for their own faults ([`RpcError::server`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// The code.
    pub code: i64,
    /// A short sentence naming the fault.
    pub message: String,
    /// Structured detail, if any.
    pub data: Option<Value>,
}

impl RpcError {
    /// -32700: the body is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// -32600: the JSON is not a valid request object.
    pub const INVALID_REQUEST: i64 = -32600;
    /// -32601: no such method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// -32602: the parameters do not fit the method.
    pub const INVALID_PARAMS: i64 = -32602;
    /// -32603: the server failed.
    pub const INTERNAL_ERROR: i64 = -32603;

    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// -32602 with `message`.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(Self::INVALID_PARAMS, message)
    }

    /// -32603 with `message`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Self::INTERNAL_ERROR, message)
    }

    /// An implementation-defined server error: `-32000 - offset` (offset 0..=99).
    pub fn server(offset: u8, message: impl Into<String>) -> Self {
        Self::new(-32_000 - i64::from(offset.min(99)), message)
    }

    /// Adds `data`.
    #[must_use]
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    fn to_value(&self) -> Value {
        let mut e = Map::new();
        e.insert("code".into(), Value::from(self.code));
        e.insert("message".into(), Value::from(self.message.clone()));
        if let Some(d) = &self.data {
            e.insert("data".into(), d.clone());
        }
        Value::Object(e)
    }
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for RpcError {}

/// One valid request object (§4).
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Its id; `None` for a notification (§4.1), which gets no response.
    pub id: Option<Value>,
    /// The method name.
    pub method: String,
    /// `params` (an array or object), `Null` when absent.
    pub params: Value,
}

/// One entry of a body: a call, or the error response an invalid entry gets (with the id it
/// carried when that id was usable, else `null`).
pub type Entry = Result<Call, (Value, RpcError)>;

/// A parsed body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// One request object.
    Single(Entry),
    /// A batch (§6), never empty.
    Batch(Vec<Entry>),
}

/// Parses a request body. An `Err` is the one response to send (parse error, empty or
/// oversized batch).
pub fn parse_body(body: &[u8]) -> Result<Body, Value> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let fault = RpcError::new(RpcError::PARSE_ERROR, format!("parse error: {e}"));
        error_response(Value::Null, &fault)
    })?;
    match value {
        Value::Array(items) => {
            if items.is_empty() {
                let fault = RpcError::new(RpcError::INVALID_REQUEST, "empty batch");
                return Err(error_response(Value::Null, &fault));
            }
            if items.len() > MAX_BATCH {
                let fault = RpcError::new(
                    RpcError::INVALID_REQUEST,
                    format!("batch of {} calls, at most {MAX_BATCH}", items.len()),
                );
                return Err(error_response(Value::Null, &fault));
            }
            Ok(Body::Batch(items.into_iter().map(parse_call).collect()))
        }
        other => Ok(Body::Single(parse_call(other))),
    }
}

/// One request object (§4).
pub fn parse_call(value: Value) -> Entry {
    let invalid = |id: Value, why: &str| {
        Err((
            id,
            RpcError::new(RpcError::INVALID_REQUEST, format!("invalid request: {why}")),
        ))
    };
    let Value::Object(mut obj) = value else {
        return invalid(Value::Null, "not an object");
    };
    let id = match obj.remove("id") {
        None => None,
        Some(v @ (Value::Null | Value::String(_) | Value::Number(_))) => Some(v),
        Some(_) => return invalid(Value::Null, "id must be a string, number or null"),
    };
    let reply_id = id.clone().unwrap_or(Value::Null);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid(reply_id, "jsonrpc must be \"2.0\"");
    }
    let Some(Value::String(method)) = obj.remove("method") else {
        return invalid(reply_id, "method must be a string");
    };
    let params = match obj.remove("params") {
        None => Value::Null,
        Some(p @ (Value::Array(_) | Value::Object(_))) => p,
        Some(_) => return invalid(reply_id, "params must be an array or object"),
    };
    Ok(Call { id, method, params })
}

/// The -32601 error for `method`.
pub fn method_not_found(method: &str) -> RpcError {
    let shown: String = method.chars().take(ECHO_MAX).collect();
    RpcError::new(
        RpcError::METHOD_NOT_FOUND,
        format!("method not found: {shown}"),
    )
}

/// A success response (§5).
pub fn result_response(id: Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "result": result, "id": id })
}

/// An error response (§5).
pub fn error_response(id: Value, error: &RpcError) -> Value {
    json!({ "jsonrpc": "2.0", "error": error.to_value(), "id": id })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(body: &str) -> Entry {
        match parse_body(body.as_bytes()).unwrap() {
            Body::Single(e) => e,
            Body::Batch(_) => panic!("batch"),
        }
    }

    fn code(e: &Value) -> i64 {
        e["error"]["code"].as_i64().unwrap()
    }

    #[test]
    fn valid_calls() {
        let c = single(r#"{"jsonrpc":"2.0","method":"a.b","params":{"x":1},"id":7}"#).unwrap();
        assert_eq!(c.method, "a.b");
        assert_eq!(c.id, Some(json!(7)));
        assert_eq!(c.params, json!({"x": 1}));
        let n = single(r#"{"jsonrpc":"2.0","method":"n"}"#).unwrap();
        assert_eq!(n.id, None);
        assert_eq!(n.params, Value::Null);
        let s = single(r#"{"jsonrpc":"2.0","method":"n","id":"x","params":[1]}"#).unwrap();
        assert_eq!(s.id, Some(json!("x")));
    }

    #[test]
    fn bad_json_is_parse_error() {
        for body in ["", "{", "{\"jsonrpc\":\"2.0\",", "\u{0}", "[1,]"] {
            let e = parse_body(body.as_bytes()).unwrap_err();
            assert_eq!(code(&e), -32700, "{body}");
            assert_eq!(e["id"], Value::Null);
            assert!(e["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("parse error"));
        }
    }

    #[test]
    fn invalid_requests_name_the_fault() {
        let cases = [
            ("1", "not an object", Value::Null),
            (r#"{"method":"m","id":1}"#, "jsonrpc", json!(1)),
            (
                r#"{"jsonrpc":"1.0","method":"m","id":1}"#,
                "jsonrpc",
                json!(1),
            ),
            (r#"{"jsonrpc":"2.0","id":2}"#, "method", json!(2)),
            (r#"{"jsonrpc":"2.0","method":5,"id":2}"#, "method", json!(2)),
            (
                r#"{"jsonrpc":"2.0","method":"m","params":3,"id":"a"}"#,
                "params",
                json!("a"),
            ),
            (
                r#"{"jsonrpc":"2.0","method":"m","id":{}}"#,
                "id",
                Value::Null,
            ),
        ];
        for (body, word, id) in cases {
            let (got_id, e) = single(body).unwrap_err();
            assert_eq!(e.code, -32600, "{body}");
            assert!(e.message.contains(word), "{body}: {}", e.message);
            assert_eq!(got_id, id, "{body}");
        }
    }

    #[test]
    fn batches() {
        let Body::Batch(entries) =
            parse_body(br#"[{"jsonrpc":"2.0","method":"a","id":1}, 5]"#).unwrap()
        else {
            panic!("not a batch")
        };
        assert!(entries[0].is_ok());
        assert!(entries[1].is_err());
        assert_eq!(code(&parse_body(b"[]").unwrap_err()), -32600);
        let big = format!("[{}]", vec!["1"; MAX_BATCH + 1].join(","));
        assert_eq!(code(&parse_body(big.as_bytes()).unwrap_err()), -32600);
    }

    #[test]
    fn responses_and_errors() {
        let r = result_response(json!(1), json!({"ok": true}));
        assert_eq!(r, json!({"jsonrpc":"2.0","result":{"ok":true},"id":1}));
        let e = RpcError::server(3, "peer down").with_data(json!({"impu": "sip:a@x"}));
        assert_eq!(e.code, -32003);
        let v = error_response(json!("q"), &e);
        assert_eq!(v["error"]["data"]["impu"], "sip:a@x");
        assert_eq!(v["error"]["message"], "peer down");
        let long = "m".repeat(500);
        assert_eq!(method_not_found(&long).message.len(), 18 + ECHO_MAX);
        assert_eq!(method_not_found("x.y").code, -32601);
    }
}
