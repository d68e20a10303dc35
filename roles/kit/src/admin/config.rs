//! The `[admin]` section of a role's file: where the admin API listens, its bearer token, its
//! timeouts and connection limit.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::ConfigError;

/// `[admin]`
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSection {
    /// Address and port of the HTTP listener, e.g. `127.0.0.1:9100`.
    pub listen: SocketAddr,
    /// Bearer token requests must carry (`Authorization: Bearer TOKEN`); better given through
    /// the environment (`IMS_<ROLE>__ADMIN__TOKEN`) or `token_file`.
    pub token: Option<String>,
    /// File holding the token (surrounding whitespace ignored).
    pub token_file: Option<PathBuf>,
    /// Most connections at once; more are answered 503 and closed (default 16).
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Time allowed for a whole request once its first byte came in, in seconds (default 10).
    #[serde(default = "default_read_timeout")]
    pub read_timeout_s: u64,
    /// Time an idle keep-alive connection stays open, in seconds (default 60).
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_s: u64,
}

impl fmt::Debug for AdminSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminSection")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "(set)"))
            .field("token_file", &self.token_file)
            .field("max_connections", &self.max_connections)
            .field("read_timeout_s", &self.read_timeout_s)
            .field("idle_timeout_s", &self.idle_timeout_s)
            .finish()
    }
}

const fn default_max_connections() -> usize {
    16
}

const fn default_read_timeout() -> u64 {
    10
}

const fn default_idle_timeout() -> u64 {
    60
}

/// A bearer token, compared in constant time and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

impl Token {
    /// A token from its text.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// Whether `offered` is this token. The time taken depends on the token's length only,
    /// not on where `offered` differs.
    pub fn matches(&self, offered: &[u8]) -> bool {
        let expected = self.0.as_bytes();
        let mut diff = u8::from(expected.len() != offered.len());
        for (i, e) in expected.iter().enumerate() {
            diff |= e ^ offered.get(i).copied().unwrap_or(0);
        }
        std::hint::black_box(diff) == 0
    }
}

/// The checked section, token read.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// Listener address.
    pub listen: SocketAddr,
    /// The token, when requests must carry one.
    pub token: Option<Token>,
    /// Connection limit.
    pub max_connections: usize,
    /// Read timeout of a request.
    pub read_timeout: Duration,
    /// Idle timeout of a connection.
    pub idle_timeout: Duration,
}

impl AdminConfig {
    /// Defaults around `listen`, no token.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            token: None,
            max_connections: default_max_connections(),
            read_timeout: Duration::from_secs(default_read_timeout()),
            idle_timeout: Duration::from_secs(default_idle_timeout()),
        }
    }
}

impl AdminSection {
    /// Checks the values and reads `token_file`; errors name the key.
    pub fn resolve(&self) -> Result<AdminConfig, ConfigError> {
        let value = |key: &str, message: String| ConfigError::Value {
            key: format!("admin.{key}"),
            message,
        };
        let token = match (&self.token, &self.token_file) {
            (Some(_), Some(_)) => {
                return Err(value("token", "give token or token_file, not both".into()))
            }
            (Some(t), None) => Some(t.clone()),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| value("token_file", format!("{}: {e}", path.display())))?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        if let Some(t) = &token {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(value(
                    "token",
                    "must be non-empty visible ASCII (RFC 6750 b64token)".into(),
                ));
            }
        }
        if self.max_connections == 0 {
            return Err(value("max_connections", "must be at least 1".into()));
        }
        if self.read_timeout_s == 0 || self.idle_timeout_s == 0 {
            return Err(value(
                "read_timeout_s",
                "timeouts must be at least 1 s".into(),
            ));
        }
        Ok(AdminConfig {
            listen: self.listen,
            token: token.map(Token),
            max_connections: self.max_connections,
            read_timeout: Duration::from_secs(self.read_timeout_s),
            idle_timeout: Duration::from_secs(self.idle_timeout_s),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(extra: &str) -> Result<AdminSection, toml::de::Error> {
        toml::from_str(&format!("listen = \"127.0.5.1:9100\"\n{extra}"))
    }

    #[test]
    fn defaults_and_token() {
        let c = section("").unwrap().resolve().unwrap();
        assert!(c.token.is_none());
        assert_eq!(c.max_connections, 16);
        assert_eq!(c.read_timeout, Duration::from_secs(10));
        let c = section("token = \"abc\"").unwrap().resolve().unwrap();
        assert!(c.token.unwrap().matches(b"abc"));
    }

    #[test]
    fn token_file_and_errors() {
        let dir = std::env::temp_dir().join(format!("kit-admin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        std::fs::write(&file, "s3cret\n").unwrap();
        let s = section(&format!("token_file = {:?}", file.display().to_string())).unwrap();
        assert!(s.resolve().unwrap().token.unwrap().matches(b"s3cret"));
        let both = section(&format!(
            "token = \"a\"\ntoken_file = {:?}",
            file.display().to_string()
        ));
        let e = both.unwrap().resolve().unwrap_err().to_string();
        assert!(e.starts_with("admin.token:"), "{e}");
        let missing = section("token_file = \"/nonexistent/token\"").unwrap();
        let e = missing.resolve().unwrap_err().to_string();
        assert!(e.starts_with("admin.token_file:"), "{e}");
        let e = section("token = \"a b\"").unwrap().resolve().unwrap_err();
        assert!(e.to_string().contains("visible ASCII"));
        let e = section("max_connections = 0")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(e.to_string().starts_with("admin.max_connections"));
        assert!(section("bogus = 1")
            .unwrap_err()
            .to_string()
            .contains("bogus"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn token_comparison_and_secrecy() {
        let t = Token::new("correct-horse");
        assert!(t.matches(b"correct-horse"));
        for wrong in [
            &b""[..],
            b"correct-hors",
            b"correct-horsf",
            b"correct-horse!",
        ] {
            assert!(!t.matches(wrong), "{wrong:?}");
        }
        assert!(!format!("{t:?}").contains("horse"));
        let s = section("token = \"correct-horse\"").unwrap();
        assert!(!format!("{s:?}").contains("horse"));
    }
}
