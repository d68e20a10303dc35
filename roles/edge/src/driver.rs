//! The event loops: sockets in, the sans-IO proxy core in the middle, sockets out.
//!
//! With one UDP listener (the common case and the hot path) the proxy runs on its own thread
//! in a blocking UDP loop: one `recvfrom` per datagram and one `sendto` per message, with no
//! readiness polling (Kamailio's UDP workers work the same way). TCP and TLS stay on tokio; what
//! they receive is handed to the proxy thread through a channel, and a one-byte datagram from a
//! private loopback socket wakes it. With no UDP listener, or several, everything runs on tokio.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::{Duration, Instant};

use sip_net::{BlockingUdp, NetConfig, NetEvent, Network, Received};
use sip_proto::proxy::{Proxy, ProxyStats};
use sip_proto::{Flow, Transport};
use tokio::sync::mpsc::Receiver;

use crate::config::EdgeConfig;
use crate::setup;

/// How often the blocking loop wakes up at the latest to run timers (SIP timers are in
/// hundreds of milliseconds; T1 is 500 ms).
const TIMER_TICK: Duration = Duration::from_millis(10);

/// A bound, configured edge proxy, ready to run.
pub struct Edge {
    proxy: Proxy,
    network: Network,
    events: Receiver<NetEvent>,
    /// The UDP listener and the socket that wakes its thread, when the blocking engine owns it.
    udp: Option<(BlockingUdp, std::net::UdpSocket)>,
    listeners: Vec<(Transport, SocketAddr)>,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("listeners", &self.listeners)
            .finish()
    }
}

impl Edge {
    /// Bind the listeners and build the proxy from `config`.
    pub async fn bind(config: &EdgeConfig) -> anyhow::Result<Self> {
        let listeners = setup::listeners(config)?;
        let net_config = NetConfig {
            max_message_size: config.limits.max_message_size,
            tcp_idle_timeout: Duration::from_secs(config.limits.tcp_idle_timeout_s),
            tls_client_roots: config.tls.client_ca.clone(),
            ..NetConfig::default()
        };
        let udp_listeners = listeners
            .iter()
            .filter(|l| l.transport == Transport::Udp)
            .count();
        let (udp, streams): (Option<BlockingUdp>, Vec<_>) = if udp_listeners == 1 {
            let mut udp = None;
            let mut rest = Vec::new();
            for l in listeners.iter().cloned() {
                if l.transport == Transport::Udp {
                    udp = Some(
                        BlockingUdp::bind(l.addr, config.limits.max_message_size)
                            .map_err(|e| anyhow::anyhow!("cannot bind udp {}: {e}", l.addr))?,
                    );
                } else {
                    rest.push(l);
                }
            }
            (udp, rest)
        } else {
            (None, listeners.clone())
        };
        let (network, events) = Network::bind(&streams, net_config).await?;
        let mut bound = network.listeners();
        let udp = match udp {
            Some(u) => {
                bound.insert(0, (Transport::Udp, u.local_addr()));
                let waker_bind = if u.local_addr().is_ipv4() {
                    "127.0.0.1:0"
                } else {
                    "[::1]:0"
                };
                let waker = std::net::UdpSocket::bind(waker_bind).map_err(|e| {
                    anyhow::anyhow!("cannot bind the proxy thread's waker socket: {e}")
                })?;
                Some((u, waker))
            }
            None => None,
        };
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ u64::from(std::process::id()).rotate_left(32);
        let proxy_config = setup::proxy_config(config, &bound, seed).await?;
        Ok(Self {
            proxy: Proxy::new(proxy_config),
            network,
            events,
            udp,
            listeners: bound,
        })
    }

    /// The bound listeners (ports resolved when 0 was configured).
    pub fn listeners(&self) -> Vec<(Transport, SocketAddr)> {
        self.listeners.clone()
    }

    /// Run until `shutdown` resolves; returns the proxy's counters.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> ProxyStats {
        let Self {
            proxy,
            network,
            events,
            udp,
            ..
        } = self;
        match udp {
            Some((udp, waker)) => run_hybrid(proxy, udp, waker, network, events, shutdown).await,
            None => run_tokio(proxy, network, events, shutdown).await,
        }
    }
}

/// Everything on tokio (no UDP listener, or several).
async fn run_tokio(
    mut proxy: Proxy,
    network: Network,
    mut events: Receiver<NetEvent>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> ProxyStats {
    // The signal futures are costly to poll; a task waits on them and completes a oneshot
    // that is cheap to check on every turn of the loop.
    let (stop_tx, mut stop) = tokio::sync::oneshot::channel::<()>();
    let waiter = tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(());
    });
    loop {
        let deadline = proxy.poll_timeout();
        tokio::select! {
            biased;
            _ = &mut stop => break,
            event = events.recv() => {
                let Some(event) = event else { break };
                let now = Instant::now();
                handle(&mut proxy, now, event);
                // Take whatever else is queued before sleeping again.
                while let Ok(event) = events.try_recv() {
                    handle(&mut proxy, now, event);
                }
            }
            () = sleep_until(deadline) => proxy.handle_timeout(Instant::now()),
        }
        flush(&mut proxy, &network, None);
    }
    waiter.abort();
    network.shutdown().await;
    proxy.stats()
}

/// The blocking UDP loop on its own thread; tokio carries TCP/TLS and the shutdown signal.
async fn run_hybrid(
    proxy: Proxy,
    udp: BlockingUdp,
    waker: std::net::UdpSocket,
    network: Network,
    mut events: Receiver<NetEvent>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> ProxyStats {
    let local = udp.local_addr();
    // Where the waker sends: the listener itself, or loopback on its port when it is bound to
    // the unspecified address.
    let target = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), local.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), local.port())
        }
        _ => local,
    };
    // The proxy thread tells wake-ups from traffic by this source address.
    let waker_addr = waker.local_addr().unwrap_or(target);
    let (to_proxy, from_tokio) = std_mpsc::channel::<NetEvent>();
    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<ProxyStats>();
    let thread_network = network.clone();
    let thread_stop = Arc::clone(&stop);
    let spawned = std::thread::Builder::new()
        .name("sip-proxy".into())
        .spawn(move || {
            let stats = proxy_loop(
                proxy,
                udp,
                &thread_network,
                &from_tokio,
                waker_addr,
                &thread_stop,
            );
            let _ = done_tx.send(stats);
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the proxy thread: {e}");
        return ProxyStats::default();
    }
    tokio::pin!(shutdown);
    tokio::pin!(done_rx);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            stats = &mut done_rx => return stats.unwrap_or_default(),
            event = events.recv() => {
                let Some(event) = event else { break };
                let _ = to_proxy.send(event);
                while let Ok(event) = events.try_recv() {
                    let _ = to_proxy.send(event);
                }
                let _ = waker.send_to(&[0], target);
            }
        }
    }
    stop.store(true, Ordering::Release);
    let _ = waker.send_to(&[0], target);
    let stats = done_rx.await.unwrap_or_default();
    network.shutdown().await;
    stats
}

fn proxy_loop(
    mut proxy: Proxy,
    mut udp: BlockingUdp,
    network: &Network,
    from_tokio: &std_mpsc::Receiver<NetEvent>,
    waker: SocketAddr,
    stop: &AtomicBool,
) -> ProxyStats {
    if let Err(e) = udp.set_read_timeout(Some(TIMER_TICK)) {
        tracing::error!("cannot set the UDP read timeout: {e}");
    }
    let local = udp.local_addr();
    loop {
        match udp.recv() {
            Ok(Received::Datagram(data, from)) if from == waker => {
                let now = Instant::now();
                while let Ok(event) = from_tokio.try_recv() {
                    handle(&mut proxy, now, event);
                    flush(&mut proxy, network, Some(&udp));
                }
                if stop.load(Ordering::Acquire) {
                    break;
                }
                drop(data);
            }
            Ok(Received::Datagram(data, from)) => {
                let flow = Flow {
                    transport: Transport::Udp,
                    remote: from,
                    local,
                    connection: None,
                };
                proxy.handle_message(Instant::now(), data, flow);
            }
            Ok(Received::Dropped | Received::TimedOut) => {}
            Err(e) => {
                tracing::warn!("udp receive on {local}: {e}");
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        if let Some(deadline) = proxy.poll_timeout() {
            let now = Instant::now();
            if deadline <= now {
                proxy.handle_timeout(now);
            }
        }
        flush(&mut proxy, network, Some(&udp));
    }
    proxy.stats()
}

fn handle(proxy: &mut Proxy, now: Instant, event: NetEvent) {
    match event {
        NetEvent::Message(incoming) => proxy.handle_message(now, incoming.data, incoming.flow),
        NetEvent::SendFailed { flow } => proxy.handle_transport_error(now, &flow),
    }
}

/// Send everything the proxy has queued: UDP straight from the blocking socket when there is
/// one, the rest through the tokio transports.
fn flush(proxy: &mut Proxy, network: &Network, udp: Option<&BlockingUdp>) {
    while let Some(transmit) = proxy.poll_transmit() {
        let sent = match udp {
            Some(udp) if transmit.flow.transport == Transport::Udp => udp
                .send_to(&transmit.bytes, transmit.flow.remote)
                .map(|_| ())
                .map_err(|_| ()),
            _ => network.send(&transmit.flow, transmit.bytes).map_err(|_| ()),
        };
        if sent.is_err() {
            proxy.handle_transport_error(Instant::now(), &transmit.flow);
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
