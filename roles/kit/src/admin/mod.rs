//! The admin API every role can serve: JSON-RPC 2.0 over HTTP/1.1 (so `curl` works), what
//! Kamailio operators know as jsonrpcs/kamcmd. A role builds [`AdminMethods`], the `[admin]`
//! section of its file gives the listener ([`AdminSection`]), and [`AdminServer`] runs it.
//!
//! - [`http`]: sans-IO request framing (request line, header fields, `Content-Length` body,
//!   1 MiB cap, pipelining) and the answers (400/401/404/405/411/413/...).
//! - [`jsonrpc`]: sans-IO JSON-RPC 2.0 (single calls and batches, errors -32700/-32600/
//!   -32601/-32602, role errors from -32000 down).
//! - [`route`]: the bearer token (constant-time comparison), path and method checks.
//! - [`AdminMethods`]: the registry, with the built-in `system.methods` and `system.health`.
//! - [`AdminServer`]: the tokio driver: timeouts, connection limit, graceful stop.
//!
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! use role_kit::admin::{AdminConfig, AdminMethods, AdminServer, Params};
//! let methods = AdminMethods::new().method("demo.echo", |p: Params| async move {
//!     Ok(p.into_value())
//! });
//! let server = AdminServer::start(AdminConfig::new("127.0.0.1:9100".parse().unwrap()), methods)
//!     .await?;
//! server.stop().await;
//! # Ok(()) }
//! ```

mod config;
pub mod http;
pub mod jsonrpc;
mod methods;
pub mod route;
mod server;

pub use config::{AdminConfig, AdminSection, Token};
pub use jsonrpc::RpcError;
pub use methods::{AdminMethods, MethodResult, Params};
pub use server::AdminServer;
