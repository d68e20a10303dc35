//! The user API: start a [`DiameterNode`], send requests through a [`ClientHandle`], list
//! peers for the admin API.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use diameter_codec::Message;
use diameter_proto::{Application, PeerId, PeerState, SendError};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::config::{NetConfig, Transport};
use crate::driver::{self, Command, Inner};
use crate::handler::Handler;

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// No answer within the peer's request timeout (after failover, RFC 6733 §5.5.4).
    #[error("request timed out")]
    Timeout,
    /// No route for the destination (RFC 6733 §6.1.4: 3003/3002).
    #[error("no route")]
    NoRoute,
    /// The routed peer is not open.
    #[error("peer not open")]
    NotOpen,
    /// The request does not decode or is not a request.
    #[error("malformed request")]
    Malformed,
    /// The node stopped.
    #[error("node stopped")]
    Stopped,
}

impl From<SendError> for RequestError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::NoRoute => Self::NoRoute,
            SendError::NotOpen => Self::NotOpen,
            SendError::Malformed | SendError::UnknownRequest => Self::Malformed,
        }
    }
}

/// Why the node could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding a listener failed.
    #[error("bind: {0}")]
    Io(#[from] std::io::Error),
    /// TLS material could not be loaded.
    #[error("tls: {0}")]
    Tls(#[from] crate::tls::TlsError),
    /// TLS is used but no [`crate::TlsFiles`] are configured.
    #[error("TLS listener or peer without TLS files")]
    TlsMissing,
    /// A route names a host that is not a configured peer.
    #[error("route to unknown peer {0}")]
    UnknownRoutePeer(String),
    /// The transport is not compiled in or not supported.
    #[error("unsupported transport: {0}")]
    Unsupported(&'static str),
}

/// One peer's status, for the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerStatus {
    /// Its id in the node.
    pub id: PeerId,
    /// Configured Origin-Host.
    pub host: String,
    /// Configured realm.
    pub realm: String,
    /// Configured address, if we connect to it.
    pub address: Option<SocketAddr>,
    /// Configured transport.
    pub transport: Transport,
    /// RFC 6733 §5.6 state.
    pub state: PeerState,
    /// Whether the last event was PeerUp.
    pub up: bool,
    /// Applications in common, from the last capabilities exchange.
    pub applications: Vec<Application>,
}

/// A cheap, cloneable handle for sending requests and querying the node.
#[derive(Debug, Clone)]
pub struct ClientHandle {
    tx: mpsc::Sender<Inner>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inner")
    }
}

impl ClientHandle {
    /// Routes and sends an encoded request (e.g. `MessageBuilder::finish()` output; the node
    /// assigns the Hop-by-Hop Identifier, and the End-to-End one if zero) and waits for its
    /// answer.
    pub async fn request(&self, request: Bytes) -> Result<Message, RequestError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Inner::Cmd(Command::Request {
                bytes: request,
                reply,
            }))
            .await
            .map_err(|_| RequestError::Stopped)?;
        rx.await.map_err(|_| RequestError::Stopped)?
    }

    /// The status of every configured peer.
    pub async fn peers(&self) -> Vec<PeerStatus> {
        let (reply, rx) = oneshot::channel();
        if self
            .tx
            .send(Inner::Cmd(Command::Peers { reply }))
            .await
            .is_err()
        {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Graceful stop: DPR to every open peer (RFC 6733 §5.4), then close; returns when done.
    pub async fn shutdown(&self) {
        let (done, rx) = oneshot::channel();
        if self
            .tx
            .send(Inner::Cmd(Command::Shutdown { done }))
            .await
            .is_ok()
        {
            let _ = rx.await;
        }
    }
}

/// A running Diameter node: the driver task plus its listeners.
#[derive(Debug)]
pub struct DiameterNode {
    handle: ClientHandle,
    local_addrs: Vec<SocketAddr>,
    task: JoinHandle<()>,
}

/// Handlers by Application-Id.
#[derive(Default, Clone)]
pub struct Handlers {
    map: HashMap<u32, Arc<dyn Handler>>,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.map.keys()).finish()
    }
}

impl Handlers {
    /// No handlers: every request is answered 3007.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for `application_id`.
    pub fn with(mut self, application_id: u32, handler: impl Handler) -> Self {
        self.map.insert(application_id, Arc::new(handler));
        self
    }
}

impl DiameterNode {
    /// Binds the listeners and starts the driver task; peers with `connect` are dialled.
    pub async fn start(config: NetConfig, handlers: Handlers) -> Result<Self, StartError> {
        let started = driver::start(config, handlers.map).await?;
        Ok(Self {
            handle: ClientHandle { tx: started.tx },
            local_addrs: started.local_addrs,
            task: started.task,
        })
    }

    /// A handle for requests and status.
    pub fn handle(&self) -> ClientHandle {
        self.handle.clone()
    }

    /// The bound listener addresses, in configuration order.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// Graceful stop (DPR/DPA), then waits for the driver task.
    pub async fn shutdown(self) {
        self.handle.shutdown().await;
        let _ = self.task.await;
    }

    /// Stops at once, without DPR (simulates a crash in tests).
    pub fn abort(self) {
        self.task.abort();
    }
}
