//! The [`Network`] handle: binds listeners, runs their tasks and sends messages.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use rustls::pki_types::ServerName;
use sip_proto::{ConnectionId, Flow, Transport};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::config::{ListenerConfig, NetConfig};
use crate::connection::{self, ConnEntry, ConnTable, WRITE_QUEUE};
use crate::error::{NetError, SendError};
use crate::event::NetEvent;
use crate::stats::{Counters, NetStats};
use crate::tls;
use crate::udp::{self, UdpEndpoint};

/// Capacity of the event channel returned by [`Network::bind`].
pub const EVENT_QUEUE: usize = 4096;

/// State shared by the handle and every task.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: NetConfig,
    pub(crate) events: mpsc::Sender<NetEvent>,
    pub(crate) counters: Counters,
    pub(crate) udp: Vec<UdpEndpoint>,
    pub(crate) runtime: Handle,
    listeners: Vec<(Transport, SocketAddr)>,
    conns: Mutex<ConnTable>,
    next_id: AtomicU64,
    tls_client: Option<Arc<rustls::ClientConfig>>,
    tasks: Mutex<Vec<AbortHandle>>,
    shut: AtomicBool,
}

impl Shared {
    /// The connection table; a poisoned lock is still usable (the table stays consistent).
    pub(crate) fn conns_lock(&self) -> MutexGuard<'_, ConnTable> {
        self.conns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn next_connection_id(&self) -> ConnectionId {
        ConnectionId(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Registers a new connection, with `first` already queued, and returns its id and queue.
    fn register(
        &self,
        transport: Transport,
        remote: SocketAddr,
        first: Option<Bytes>,
    ) -> (ConnectionId, mpsc::Receiver<Bytes>) {
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        if let Some(first) = first {
            // A fresh queue of WRITE_QUEUE (> 0) slots has room for one message.
            let _ = tx.try_send(first);
        }
        let id = self.next_connection_id();
        self.conns_lock().insert(
            id,
            ConnEntry {
                tx,
                transport,
                remote,
            },
        );
        (id, rx)
    }

    fn track(&self, handle: AbortHandle) {
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(handle);
    }
}

/// The running transports: a cheap, cloneable handle (RFC 3261 §18).
#[derive(Debug, Clone)]
pub struct Network {
    shared: Arc<Shared>,
}

/// A TCP or TLS listener waiting for its accept task.
struct StreamListener {
    listener: TcpListener,
    local: SocketAddr,
    tls: Option<TlsAcceptor>,
}

impl Network {
    /// Binds every listener (UDP, TCP, TLS) and starts their tasks on the current tokio runtime.
    /// Port 0 picks an ephemeral port; [`Network::listeners`] reports the bound addresses.
    pub async fn bind(
        listeners: &[ListenerConfig],
        config: NetConfig,
    ) -> Result<(Self, mpsc::Receiver<NetEvent>), NetError> {
        let runtime = Handle::try_current().map_err(|_| NetError::NoRuntime)?;
        let mut udp_eps = Vec::new();
        let mut streams = Vec::new();
        let mut bound = Vec::new();
        for l in listeners {
            let bind_err = |source| NetError::Bind {
                transport: l.transport,
                addr: l.addr,
                source,
            };
            match l.transport {
                Transport::Udp => {
                    let ep = udp::bind(l.addr).map_err(bind_err)?;
                    bound.push((Transport::Udp, ep.local));
                    udp_eps.push(ep);
                }
                Transport::Tcp | Transport::Tls => {
                    let tls = if l.transport == Transport::Tls {
                        let files = l.tls.as_ref().ok_or(NetError::MissingCertificate(l.addr))?;
                        Some(TlsAcceptor::from(tls::server_config(
                            &files.cert,
                            &files.key,
                        )?))
                    } else {
                        None
                    };
                    let listener = TcpListener::bind(l.addr).await.map_err(bind_err)?;
                    let local = listener.local_addr().map_err(bind_err)?;
                    bound.push((l.transport, local));
                    streams.push(StreamListener {
                        listener,
                        local,
                        tls,
                    });
                }
                other => return Err(NetError::UnsupportedTransport(other)),
            }
        }
        let tls_client = match &config.tls_client_roots {
            Some(path) => Some(tls::client_config(path)?),
            None => None,
        };
        let (events, rx) = mpsc::channel(EVENT_QUEUE);
        let shared = Arc::new(Shared {
            config,
            events,
            counters: Counters::default(),
            udp: udp_eps,
            runtime: runtime.clone(),
            listeners: bound,
            conns: Mutex::new(ConnTable::default()),
            next_id: AtomicU64::new(1),
            tls_client,
            tasks: Mutex::new(Vec::new()),
            shut: AtomicBool::new(false),
        });
        for ep in &shared.udp {
            let task = runtime.spawn(udp::recv_loop(
                Arc::clone(&shared),
                Arc::clone(&ep.socket),
                ep.local,
            ));
            shared.track(task.abort_handle());
        }
        for s in streams {
            let task = runtime.spawn(accept_loop(Arc::clone(&shared), s));
            shared.track(task.abort_handle());
        }
        Ok((Self { shared }, rx))
    }

    /// Every bound listener, in configuration order.
    pub fn listeners(&self) -> Vec<(Transport, SocketAddr)> {
        self.shared.listeners.clone()
    }

    /// The address of the first listener of `transport`.
    pub fn local_addr(&self, transport: Transport) -> Option<SocketAddr> {
        self.shared
            .listeners
            .iter()
            .find(|(t, _)| *t == transport)
            .map(|(_, a)| *a)
    }

    /// Sends one message without blocking. UDP: from the socket bound to `flow.local` (or the
    /// first UDP socket). TCP/TLS: over `flow.connection` if open, else any open connection to
    /// `flow.remote` (RFC 5923-style reuse), else a new connection (TLS verifies the peer's IP).
    /// Failures after queueing arrive as [`NetEvent::SendFailed`].
    pub fn send(&self, flow: &Flow, data: Bytes) -> Result<(), SendError> {
        self.send_to_name(flow, None, data)
    }

    /// As [`Network::send`], with the TLS server name to verify when a new TLS connection is
    /// opened (the URI's domain, RFC 5922 §4.1); `None` verifies the peer's IP address.
    pub fn send_to_name(
        &self,
        flow: &Flow,
        server_name: Option<&str>,
        data: Bytes,
    ) -> Result<(), SendError> {
        let shared = &self.shared;
        if shared.shut.load(Ordering::Relaxed) {
            return Err(SendError::Shutdown);
        }
        match flow.transport {
            Transport::Udp => udp::send(shared, flow, data),
            Transport::Tcp | Transport::Tls => self.send_stream(flow, server_name, data),
            other => Err(SendError::NoTransport(other)),
        }
    }

    fn send_stream(
        &self,
        flow: &Flow,
        server_name: Option<&str>,
        data: Bytes,
    ) -> Result<(), SendError> {
        let shared = &self.shared;
        if data.len() > shared.config.max_message_size {
            return Err(SendError::TooLarge);
        }
        {
            let table = shared.conns_lock();
            if let Some((_, entry)) = table.find(flow.connection, flow.transport, flow.remote) {
                return match entry.tx.try_send(data) {
                    Ok(()) => Ok(()),
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        Counters::inc(&shared.counters.send_failures);
                        Err(SendError::QueueFull)
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => Err(SendError::ConnectionClosed),
                };
            }
        }
        // No connection: open one.
        let tls = if flow.transport == Transport::Tls {
            let connector = TlsConnector::from(
                shared
                    .tls_client
                    .clone()
                    .ok_or(SendError::TlsNotConfigured)?,
            );
            let name = tls::server_name(server_name, flow.remote.ip())
                .ok_or(SendError::InvalidServerName)?;
            Some((connector, name))
        } else {
            None
        };
        let (id, rx) = shared.register(flow.transport, flow.remote, Some(data));
        let mut flow = *flow;
        flow.connection = Some(id);
        if flow.local.port() == 0 || !shared.listeners.contains(&(flow.transport, flow.local)) {
            if let Some(local) = self.local_addr(flow.transport) {
                flow.local = local;
            }
        }
        shared
            .runtime
            .spawn(connect(Arc::clone(shared), flow, tls, rx));
        Ok(())
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> NetStats {
        self.shared.counters.snapshot()
    }

    /// Stops the listeners and closes every connection; later sends fail with
    /// [`SendError::Shutdown`].
    pub async fn shutdown(&self) {
        let shared = &self.shared;
        shared.shut.store(true, Ordering::Relaxed);
        let tasks = std::mem::take(
            &mut *shared
                .tasks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for t in tasks {
            t.abort();
        }
        // Dropping the write queues wakes each connection task, which then closes.
        let table = std::mem::take(&mut *shared.conns_lock());
        drop(table);
        tokio::task::yield_now().await;
    }
}

/// Accepts connections (and TLS handshakes) on one listener.
async fn accept_loop(shared: Arc<Shared>, l: StreamListener) {
    let transport = if l.tls.is_some() {
        Transport::Tls
    } else {
        Transport::Tcp
    };
    loop {
        let (tcp, remote) = match l.listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let task_shared = Arc::clone(&shared);
        let tls = l.tls.clone();
        let local = l.local;
        shared.runtime.spawn(async move {
            let stream = match tls {
                Some(acceptor) => {
                    let limit = task_shared.config.connect_timeout;
                    match tokio::time::timeout(limit, acceptor.accept(tcp)).await {
                        Ok(Ok(s)) => Stream::TlsServer(Box::new(s)),
                        _ => {
                            tracing::debug!(%remote, "TLS handshake failed");
                            return;
                        }
                    }
                }
                None => Stream::Tcp(tcp),
            };
            let (id, rx) = task_shared.register(transport, remote, None);
            let flow = Flow {
                transport,
                remote,
                local,
                connection: Some(id),
            };
            run(task_shared, stream, rx, flow).await;
        });
    }
}

/// Connects (and handshakes), then drives the connection; on failure every queued message is
/// reported as [`NetEvent::SendFailed`].
async fn connect(
    shared: Arc<Shared>,
    flow: Flow,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    mut rx: mpsc::Receiver<Bytes>,
) {
    let limit = shared.config.connect_timeout;
    let Ok(Ok(tcp)) = tokio::time::timeout(limit, TcpStream::connect(flow.remote)).await else {
        return connection::fail_queued(&shared, &mut rx, flow);
    };
    let _ = tcp.set_nodelay(true);
    let stream = match tls {
        None => Stream::Tcp(tcp),
        Some((connector, name)) => {
            match tokio::time::timeout(limit, connector.connect(name, tcp)).await {
                Ok(Ok(s)) => Stream::TlsClient(Box::new(s)),
                _ => return connection::fail_queued(&shared, &mut rx, flow),
            }
        }
    };
    run(shared, stream, rx, flow).await;
}

/// The stream types a connection task runs over.
enum Stream {
    Tcp(TcpStream),
    TlsServer(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    TlsClient(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

async fn run(shared: Arc<Shared>, stream: Stream, rx: mpsc::Receiver<Bytes>, flow: Flow) {
    match stream {
        Stream::Tcp(s) => connection::drive(shared, s, rx, flow).await,
        Stream::TlsServer(s) => connection::drive(shared, s, rx, flow).await,
        Stream::TlsClient(s) => connection::drive(shared, s, rx, flow).await,
    }
}
