//! A client of a role's admin API (docs/admin-api.md): JSON-RPC 2.0 over HTTP/1.1, one
//! connection per call (`Connection: close`), over a plain tokio `TcpStream`.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Environment variable holding the admin URL when `--admin` is not given.
pub const ENV_ADMIN: &str = "IMSCTL_ADMIN";
/// Environment variable holding the bearer token when `--token` is not given.
pub const ENV_TOKEN: &str = "IMSCTL_ADMIN_TOKEN";

/// Largest answer read (the server caps requests at 1 MiB; answers such as `hss.list` pages
/// can be larger).
const MAX_ANSWER: usize = 16 << 20;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is not `http://HOST:PORT[/PATH]`.
    #[error("admin URL {0:?}: expected http://HOST:PORT[/PATH]")]
    Url(String),
    /// Connecting, writing or reading failed.
    #[error("{addr}: {source}")]
    Io {
        /// The server.
        addr: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No answer in time.
    #[error("{0}: no answer in time")]
    Timeout(String),
    /// An HTTP error status (401 bad token, 413, ...), with the server's text.
    #[error("HTTP {status}: {text}")]
    Http {
        /// Status code.
        status: u16,
        /// The body, as text.
        text: String,
    },
    /// The answer is not an HTTP response carrying a JSON-RPC response.
    #[error("malformed answer: {0}")]
    Answer(String),
    /// The method answered with a JSON-RPC error.
    #[error("{message} ({code})")]
    Rpc {
        /// The error code.
        code: i64,
        /// The message.
        message: String,
        /// The error's data, if any.
        data: Option<Value>,
    },
}

/// Where the admin API is and how to authenticate.
#[derive(Clone)]
pub struct AdminClient {
    authority: String,
    path: String,
    token: Option<String>,
    timeout: Duration,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("authority", &self.authority)
            .field("path", &self.path)
            .field("token", &self.token.as_ref().map(|_| "(set)"))
            .finish()
    }
}

impl AdminClient {
    /// A client of `url` (`http://HOST:PORT[/PATH]`, path `/` by default).
    pub fn new(url: &str, token: Option<String>) -> Result<Self, ClientError> {
        let bad = || ClientError::Url(url.to_owned());
        let rest = url.strip_prefix("http://").ok_or_else(bad)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        let port_ok = authority
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        Ok(Self {
            authority: authority.to_owned(),
            path: path.to_owned(),
            token,
            timeout: Duration::from_secs(30),
        })
    }

    /// The client of `--admin`/`--token`, else `$IMSCTL_ADMIN`/`$IMSCTL_ADMIN_TOKEN`.
    pub fn from_args(url: Option<&str>, token: Option<&str>) -> Result<Self, ClientError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let url = match url {
            Some(u) => u.to_owned(),
            None => env(ENV_ADMIN)
                .ok_or_else(|| ClientError::Url("(none: give --admin or IMSCTL_ADMIN)".into()))?,
        };
        Self::new(&url, token.map(str::to_owned).or_else(|| env(ENV_TOKEN)))
    }

    /// Sets the time allowed for a whole call (default 30 s).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Calls `method` with `params` (an object or array; `Null` sends none) and returns its
    /// `result`.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let mut request = json!({ "jsonrpc": "2.0", "method": method, "id": 1 });
        if !params.is_null() {
            request["params"] = params;
        }
        let body = serde_json::to_vec(&request).map_err(|e| ClientError::Answer(e.to_string()))?;
        let (status, answer) = self.post(&body).await?;
        if status != 200 {
            return Err(ClientError::Http {
                status,
                text: String::from_utf8_lossy(&answer).trim().to_owned(),
            });
        }
        let mut v: Value = serde_json::from_slice(&answer)
            .map_err(|e| ClientError::Answer(format!("not JSON: {e}")))?;
        if let Some(e) = v.get_mut("error") {
            return Err(ClientError::Rpc {
                code: e["code"].as_i64().unwrap_or(0),
                message: e["message"].as_str().unwrap_or("").to_owned(),
                data: e.get("data").cloned(),
            });
        }
        v.get_mut("result")
            .map(Value::take)
            .ok_or_else(|| ClientError::Answer("neither result nor error".into()))
    }

    /// POSTs `body` and returns the status and body of the answer.
    pub async fn post(&self, body: &[u8]) -> Result<(u16, Vec<u8>), ClientError> {
        tokio::time::timeout(self.timeout, self.exchange(body))
            .await
            .map_err(|_| ClientError::Timeout(self.authority.clone()))?
    }

    async fn exchange(&self, body: &[u8]) -> Result<(u16, Vec<u8>), ClientError> {
        let io = |source| ClientError::Io {
            addr: self.authority.clone(),
            source,
        };
        let mut stream = TcpStream::connect(&self.authority).await.map_err(io)?;
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n",
            self.path,
            self.authority,
            body.len()
        );
        if let Some(t) = &self.token {
            head.push_str("Authorization: Bearer ");
            head.push_str(t);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.map_err(io)?;
        stream.write_all(body).await.map_err(io)?;
        let mut answer = Vec::new();
        (&mut stream)
            .take(MAX_ANSWER as u64 + 1)
            .read_to_end(&mut answer)
            .await
            .map_err(io)?;
        if answer.len() > MAX_ANSWER {
            return Err(ClientError::Answer("answer larger than 16 MiB".into()));
        }
        parse_answer(&answer)
    }
}

/// Status and body of the final response in `bytes` (interim 1xx responses skipped).
fn parse_answer(mut bytes: &[u8]) -> Result<(u16, Vec<u8>), ClientError> {
    let bad = |why: &str| ClientError::Answer(why.to_owned());
    loop {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| bad("no end of head"))?;
        let head = std::str::from_utf8(bytes.get(..end).unwrap_or_default())
            .map_err(|_| bad("head is not UTF-8"))?;
        let rest = bytes.get(end + 4..).unwrap_or_default();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.strip_prefix("HTTP/1."))
            .and_then(|l| l.get(2..5))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        if (100..200).contains(&status) {
            bytes = rest;
            continue;
        }
        let length = lines.find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        });
        let body = match length {
            Some(n) => rest
                .get(..n)
                .ok_or_else(|| bad("body shorter than Content-Length"))?,
            None => rest,
        };
        return Ok((status, body.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let c = AdminClient::new("http://127.0.0.1:9100", None).unwrap();
        assert_eq!(
            (c.authority.as_str(), c.path.as_str()),
            ("127.0.0.1:9100", "/")
        );
        let c = AdminClient::new("http://localhost:1/RPC", Some("t".into())).unwrap();
        assert_eq!(c.path, "/RPC");
        assert!(!format!("{c:?}").contains("\"t\""));
        for bad in [
            "127.0.0.1:9100",
            "https://h:1",
            "http://h",
            "http://:1",
            "http://h:x/",
        ] {
            assert!(AdminClient::new(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers() {
        let a = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(parse_answer(a).unwrap(), (200, b"{}".to_vec()));
        let a = b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 3\r\n\r\nno\n";
        assert_eq!(parse_answer(a).unwrap(), (401, b"no\n".to_vec()));
        assert!(parse_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}").is_err());
        assert!(parse_answer(b"garbage").is_err());
    }
}
