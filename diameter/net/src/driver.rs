//! The driver task: owns the sans-IO [`Node`] and feeds it accepted and opened connections,
//! frames, timer expiries and API commands; drains `poll_transmit` / `poll_event` after each
//! wake-up.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use diameter_codec::Message;
use diameter_proto::{ConnectionId, Node, NodeEvent, PeerId, RequestRef};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::api::{PeerStatus, RequestError};
use crate::config::{NetConfig, Peer, Transport};
use crate::framing::FrameReader;
use crate::handler::{application_unsupported, Handler};
use crate::transport::{self, BoxStream};

/// Frames queued towards one connection before it is declared too slow and closed.
const WRITE_QUEUE: usize = 8192;
/// Messages queued towards the driver task.
const DRIVER_QUEUE: usize = 4096;
/// How long a graceful shutdown waits for DPA.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Commands from the API handles.
pub(crate) enum Command {
    Request {
        bytes: Bytes,
        reply: oneshot::Sender<Result<Message, RequestError>>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerStatus>>,
    },
    Shutdown {
        done: oneshot::Sender<()>,
    },
}

/// Everything the driver task receives.
pub(crate) enum Inner {
    Accepted {
        stream: BoxStream,
        remote: SocketAddr,
    },
    Connected {
        peer: PeerId,
        stream: BoxStream,
    },
    ConnectFailed {
        peer: PeerId,
    },
    Frame {
        conn: ConnectionId,
        frame: Bytes,
    },
    Closed {
        conn: ConnectionId,
    },
    Answer {
        to: RequestRef,
        answer: Bytes,
    },
    Cmd(Command),
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

struct PeerEntry {
    peer: Peer,
    up: bool,
    applications: Vec<diameter_proto::Application>,
}

pub(crate) struct Driver {
    node: Node,
    config: NetConfig,
    peers: HashMap<PeerId, PeerEntry>,
    handlers: HashMap<u32, Arc<dyn Handler>>,
    tls_client: Option<Arc<rustls::ClientConfig>>,
    conns: HashMap<ConnectionId, mpsc::Sender<Bytes>>,
    next_conn: u64,
    pending: HashMap<u64, oneshot::Sender<Result<Message, RequestError>>>,
    next_token: u64,
    tx: mpsc::Sender<Inner>,
    rx: mpsc::Receiver<Inner>,
    listeners: Vec<JoinHandle<()>>,
    shutdown: Option<(Instant, Vec<oneshot::Sender<()>>)>,
}

/// Starting Hop-by-Hop and End-to-End Identifiers (RFC 6733 §3): the End-to-End one with the
/// low 12 bits of the time on top and 20 random bits below, the Hop-by-Hop one random, so
/// that nodes started in the same second (and restarts) never share identifiers — the
/// duplicate detection of every peer keys on Origin-Host and End-to-End Identifier.
fn identifier_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.write_u128(now.as_nanos());
    let random = h.finish();
    let e2e = ((now.as_secs() & 0xfff) << 20) | (random & 0xf_ffff);
    let hbh = random >> 32;
    (e2e << 32) | hbh
}

/// What [`crate::DiameterNode::start`] gets back from binding.
pub(crate) struct Started {
    pub(crate) tx: mpsc::Sender<Inner>,
    pub(crate) local_addrs: Vec<SocketAddr>,
    pub(crate) task: JoinHandle<()>,
}

pub(crate) async fn start(
    config: NetConfig,
    handlers: HashMap<u32, Arc<dyn Handler>>,
) -> Result<Started, crate::api::StartError> {
    let tls_server = match &config.tls {
        Some(files) if config.listen.iter().any(|l| l.transport == Transport::Tls) => {
            Some(crate::tls::server_config(files)?)
        }
        _ => None,
    };
    let tls_client = match &config.tls {
        Some(files) if config.peers.iter().any(|p| p.transport == Transport::Tls) => {
            Some(crate::tls::client_config(files)?)
        }
        _ => None,
    };
    if config
        .peers
        .iter()
        .any(|p| p.transport == Transport::Tls && p.config.connect)
        && tls_client.is_none()
    {
        return Err(crate::api::StartError::TlsMissing);
    }
    let mut node = Node::new(config.local.clone(), config.node);
    node.seed_identifiers(identifier_seed());
    let mut peers = HashMap::new();
    let mut by_host = HashMap::new();
    for p in &config.peers {
        if p.transport == Transport::Sctp && !cfg!(feature = "sctp") {
            return Err(crate::api::StartError::Unsupported("sctp"));
        }
        let id = node.add_peer(p.config.clone());
        by_host.insert(p.config.host.clone(), id);
        peers.insert(
            id,
            PeerEntry {
                peer: p.clone(),
                up: false,
                applications: Vec::new(),
            },
        );
    }
    for r in &config.routes {
        let id = by_host
            .get(&r.peer_host)
            .ok_or_else(|| crate::api::StartError::UnknownRoutePeer(r.peer_host.clone()))?;
        node.add_route(&r.realm, r.application, *id, r.metric);
    }
    let (tx, rx) = mpsc::channel(DRIVER_QUEUE);
    let mut local_addrs = Vec::new();
    let mut listeners = Vec::new();
    for l in &config.listen {
        let acceptor = match l.transport {
            Transport::Tcp => None,
            Transport::Tls => match &tls_server {
                Some(c) => Some(tokio_rustls::TlsAcceptor::from(c.clone())),
                None => return Err(crate::api::StartError::TlsMissing),
            },
            Transport::Sctp => {
                #[cfg(feature = "sctp")]
                {
                    let listener = crate::sctp::listen(l.addr)?;
                    local_addrs.push(l.addr);
                    listeners.push(tokio::spawn(sctp_accept_loop(listener, tx.clone())));
                    continue;
                }
                #[cfg(not(feature = "sctp"))]
                return Err(crate::api::StartError::Unsupported("sctp listen"));
            }
        };
        let listener = TcpListener::bind(l.addr).await?;
        local_addrs.push(listener.local_addr()?);
        listeners.push(tokio::spawn(accept_loop(
            listener,
            acceptor,
            tx.clone(),
            config.connect_timeout,
        )));
    }
    let driver = Driver {
        node,
        config,
        peers,
        handlers,
        tls_client,
        conns: HashMap::new(),
        next_conn: 1,
        pending: HashMap::new(),
        next_token: 1,
        tx: tx.clone(),
        rx,
        listeners,
        shutdown: None,
    };
    let task = tokio::spawn(driver.run());
    Ok(Started {
        tx,
        local_addrs,
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    tx: mpsc::Sender<Inner>,
    handshake_timeout: Duration,
) {
    loop {
        let (tcp, remote) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        match &tls {
            None => {
                if tx
                    .send(Inner::Accepted {
                        stream: Box::new(tcp),
                        remote,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)).await {
                        Ok(Ok(s)) => {
                            let _ = tx
                                .send(Inner::Accepted {
                                    stream: Box::new(s),
                                    remote,
                                })
                                .await;
                        }
                        Ok(Err(e)) => warn!(%remote, error = %e, "TLS handshake failed"),
                        Err(_) => warn!(%remote, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
}

#[cfg(feature = "sctp")]
async fn sctp_accept_loop(listener: sctp_rs::Listener, tx: mpsc::Sender<Inner>) {
    loop {
        match crate::sctp::accept(&listener).await {
            Ok((stream, remote)) => {
                if tx.send(Inner::Accepted { stream, remote }).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                warn!(error = %e, "SCTP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn connection(
    conn: ConnectionId,
    stream: BoxStream,
    max_len: usize,
    mut wrx: mpsc::Receiver<Bytes>,
    tx: mpsc::Sender<Inner>,
) {
    let (r, mut w) = tokio::io::split(stream);
    let mut reader = FrameReader::new(r, max_len);
    let mut out = BytesMut::with_capacity(16 * 1024);
    loop {
        tokio::select! {
            f = reader.next_frame() => match f {
                Ok(Some(frame)) => {
                    if tx.send(Inner::Frame { conn, frame }).await.is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    debug!(?conn, error = %e, "connection read ended");
                    break;
                }
            },
            m = wrx.recv() => match m {
                Some(first) => {
                    out.clear();
                    out.extend_from_slice(&first);
                    while out.len() < 64 * 1024 {
                        match wrx.try_recv() {
                            Ok(more) => out.extend_from_slice(&more),
                            Err(_) => break,
                        }
                    }
                    if let Err(e) = w.write_all(&out).await {
                        debug!(?conn, error = %e, "connection write failed");
                        break;
                    }
                }
                None => {
                    let _ = w.shutdown().await;
                    break;
                }
            },
        }
    }
    let _ = tx.send(Inner::Closed { conn }).await;
}

impl Driver {
    async fn run(mut self) {
        self.node.start(now());
        loop {
            self.drain();
            if let Some((deadline, _)) = &self.shutdown {
                if self.conns.is_empty() || Instant::now() >= *deadline {
                    break;
                }
            }
            let timer = self.node.poll_timeout().map(Instant::from_std);
            let stop = self.shutdown.as_ref().map(|(d, _)| *d);
            let wake = match (timer, stop) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            tokio::select! {
                m = self.rx.recv() => match m {
                    Some(m) => {
                        self.on_inner(m);
                        // Take what else is queued before polling outputs.
                        for _ in 0..256 {
                            match self.rx.try_recv() {
                                Ok(m) => self.on_inner(m),
                                Err(_) => break,
                            }
                        }
                    }
                    None => break,
                },
                () = sleep_opt(wake) => {
                    self.node.handle_timeout(now());
                }
            }
        }
        for l in &self.listeners {
            l.abort();
        }
        for (_, reply) in self.pending.drain() {
            let _ = reply.send(Err(RequestError::Stopped));
        }
        if let Some((_, waiters)) = self.shutdown.take() {
            for w in waiters {
                let _ = w.send(());
            }
        }
        info!("diameter node stopped");
    }

    fn on_inner(&mut self, m: Inner) {
        match m {
            Inner::Accepted { stream, remote } => {
                let conn = self.spawn_connection(stream);
                self.node.handle_accepted(now(), conn, remote);
            }
            Inner::Connected { peer, stream } => {
                let conn = self.spawn_connection(stream);
                self.node.handle_connected(now(), peer, conn);
            }
            Inner::ConnectFailed { peer } => self.node.handle_connect_failed(now(), peer),
            Inner::Frame { conn, frame } => {
                if self.conns.contains_key(&conn) {
                    self.node.handle_frame(now(), conn, frame);
                }
            }
            Inner::Closed { conn } => {
                if self.conns.remove(&conn).is_some() {
                    self.node.handle_closed(now(), conn);
                }
            }
            Inner::Answer { to, answer } => {
                if let Err(e) = self.node.send_answer(now(), to, answer) {
                    debug!(?to, error = %e, "answer not sent");
                }
            }
            Inner::Cmd(c) => self.on_command(c),
        }
    }

    fn on_command(&mut self, c: Command) {
        match c {
            Command::Request { bytes, reply } => {
                let token = self.next_token;
                self.next_token = self.next_token.wrapping_add(1);
                match self.node.send_request(now(), bytes, token) {
                    Ok(()) => {
                        self.pending.insert(token, reply);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e.into()));
                    }
                }
            }
            Command::Peers { reply } => {
                let mut list: Vec<PeerStatus> = self
                    .peers
                    .iter()
                    .map(|(id, e)| PeerStatus {
                        id: *id,
                        host: e.peer.config.host.clone(),
                        realm: e.peer.config.realm.clone(),
                        address: e.peer.address,
                        transport: e.peer.transport,
                        state: self.node.peer_state(*id),
                        up: e.up,
                        applications: e.applications.clone(),
                    })
                    .collect();
                list.sort_by_key(|p| p.id);
                let _ = reply.send(list);
            }
            Command::Shutdown { done } => match &mut self.shutdown {
                Some((_, waiters)) => waiters.push(done),
                None => {
                    self.node.shutdown(now());
                    self.shutdown = Some((Instant::now() + SHUTDOWN_GRACE, vec![done]));
                }
            },
        }
    }

    fn spawn_connection(&mut self, stream: BoxStream) -> ConnectionId {
        let conn = ConnectionId(self.next_conn);
        self.next_conn += 1;
        let (wtx, wrx) = mpsc::channel(WRITE_QUEUE);
        self.conns.insert(conn, wtx);
        tokio::spawn(connection(
            conn,
            stream,
            self.config.max_message_len,
            wrx,
            self.tx.clone(),
        ));
        conn
    }

    fn drain(&mut self) {
        loop {
            let mut progressed = false;
            while let Some((conn, bytes)) = self.node.poll_transmit() {
                progressed = true;
                let full = match self.conns.get(&conn) {
                    Some(w) => w.try_send(bytes).is_err(),
                    None => false,
                };
                if full {
                    warn!(?conn, "write queue full or closed: closing");
                    self.conns.remove(&conn);
                    self.node.handle_closed(now(), conn);
                }
            }
            while let Some(ev) = self.node.poll_event() {
                progressed = true;
                self.on_event(ev);
            }
            if !progressed {
                break;
            }
        }
    }

    fn on_event(&mut self, ev: NodeEvent) {
        match ev {
            NodeEvent::Connect { peer } => self.connect(peer),
            NodeEvent::Close { conn } => {
                // Dropping the sender lets the connection task flush and shut down.
                self.conns.remove(&conn);
            }
            NodeEvent::PeerUp {
                peer,
                host,
                applications,
            } => {
                info!(?peer, %host, "peer up");
                if let Some(e) = self.peers.get_mut(&peer) {
                    e.up = true;
                    e.applications = applications;
                }
            }
            NodeEvent::PeerDown { peer } => {
                info!(?peer, "peer down");
                if let Some(e) = self.peers.get_mut(&peer) {
                    e.up = false;
                }
            }
            NodeEvent::Request { request, from } => {
                let app = request.header().application_id.0;
                match self.handlers.get(&app) {
                    Some(h) => {
                        let fut = h.handle(request);
                        let tx = self.tx.clone();
                        tokio::spawn(async move {
                            let answer = fut.await;
                            let _ = tx.send(Inner::Answer { to: from, answer }).await;
                        });
                    }
                    None => {
                        let answer = application_unsupported(
                            &request,
                            &self.config.local.origin_host,
                            &self.config.local.origin_realm,
                        );
                        if let Err(e) = self.node.send_answer(now(), from, answer) {
                            debug!(error = %e, "3007 answer not sent");
                        }
                    }
                }
            }
            NodeEvent::Answer { token, answer } => {
                if let Some(reply) = self.pending.remove(&token) {
                    let _ = reply.send(Ok(answer));
                }
            }
            NodeEvent::Timeout { token } => {
                if let Some(reply) = self.pending.remove(&token) {
                    let _ = reply.send(Err(RequestError::Timeout));
                }
            }
        }
    }

    fn connect(&mut self, peer: PeerId) {
        let Some(entry) = self.peers.get(&peer) else {
            self.node.handle_connect_failed(now(), peer);
            return;
        };
        let Some(addr) = entry.peer.address else {
            self.node.handle_connect_failed(now(), peer);
            return;
        };
        let tls = match entry.peer.transport {
            Transport::Tls => self.tls_client.clone().map(|c| {
                let name = entry
                    .peer
                    .tls_name
                    .clone()
                    .unwrap_or_else(|| entry.peer.config.host.clone());
                (c, name)
            }),
            _ => None,
        };
        let timeout = self.config.connect_timeout;
        let tx = self.tx.clone();
        let sctp = entry.peer.transport == Transport::Sctp;
        tokio::spawn(async move {
            let r = match &tls {
                _ if sctp => connect_sctp(addr, timeout).await,
                Some((c, name)) => transport::connect(addr, Some((c.clone(), name)), timeout).await,
                None => transport::connect(addr, None, timeout).await,
            };
            let msg = match r {
                Ok(stream) => Inner::Connected { peer, stream },
                Err(e) => {
                    debug!(?peer, %addr, error = %e, "connect failed");
                    Inner::ConnectFailed { peer }
                }
            };
            let _ = tx.send(msg).await;
        });
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Also on abort: free the listening ports at once.
        for l in &self.listeners {
            l.abort();
        }
    }
}

#[cfg(feature = "sctp")]
async fn connect_sctp(
    addr: SocketAddr,
    timeout: Duration,
) -> Result<BoxStream, transport::ConnectError> {
    crate::sctp::connect(addr, timeout).await
}

#[cfg(not(feature = "sctp"))]
async fn connect_sctp(
    _addr: SocketAddr,
    _timeout: Duration,
) -> Result<BoxStream, transport::ConnectError> {
    Err(transport::ConnectError::Unsupported("sctp"))
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_seeds_differ_and_carry_the_time() {
        let a = identifier_seed();
        let b = identifier_seed();
        assert_ne!(a, b);
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let top = (a >> 52) & 0xfff;
        // The same second, or the one before when the clock ticked in between.
        assert!(top == secs & 0xfff || top == (secs.wrapping_sub(1)) & 0xfff);
    }

    #[tokio::test(start_paused = true)]
    async fn sleep_opt_waits_for_its_deadline_only() {
        let t = Instant::now() + Duration::from_secs(5);
        let fired = tokio::time::timeout(Duration::from_secs(4), sleep_opt(Some(t))).await;
        assert!(fired.is_err());
        assert!(
            tokio::time::timeout(Duration::from_secs(2), sleep_opt(Some(t)))
                .await
                .is_ok()
        );
        assert!(
            tokio::time::timeout(Duration::from_secs(3600), sleep_opt(None))
                .await
                .is_err()
        );
    }

    #[cfg(not(feature = "sctp"))]
    #[tokio::test]
    async fn sctp_without_the_feature_is_unsupported() {
        let r = connect_sctp("127.0.0.1:1".parse().unwrap(), Duration::from_secs(1)).await;
        assert!(matches!(r, Err(transport::ConnectError::Unsupported(_))));
    }

    #[tokio::test]
    async fn start_refuses_routes_to_unknown_peers_and_missing_tls() {
        let local = diameter_proto::LocalNode {
            origin_host: "a.test".into(),
            origin_realm: "test".into(),
            host_ip_addresses: vec![],
            vendor_id: 0,
            product_name: "t".into(),
            firmware_revision: None,
            origin_state_id: 1,
            applications: vec![],
            supported_vendor_ids: vec![],
        };
        let mut c = NetConfig::new(local.clone());
        c.routes.push(crate::config::Route {
            realm: "test".into(),
            application: None,
            peer_host: "nobody.test".into(),
            metric: 1,
        });
        assert!(matches!(
            start(c, HashMap::new()).await,
            Err(crate::api::StartError::UnknownRoutePeer(h)) if h == "nobody.test"
        ));
        let mut c = NetConfig::new(local);
        c.listen.push(crate::config::Listen {
            addr: "127.0.0.1:0".parse().unwrap(),
            transport: Transport::Tls,
        });
        assert!(matches!(
            start(c, HashMap::new()).await,
            Err(crate::api::StartError::TlsMissing)
        ));
    }
}
