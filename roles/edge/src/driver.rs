//! The event loop: sockets in, the sans-IO proxy core in the middle, sockets out, one timer.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sip_net::{NetConfig, NetEvent, Network};
use sip_proto::proxy::{Proxy, ProxyStats};
use sip_proto::Transport;
use tokio::sync::mpsc::Receiver;

use crate::config::EdgeConfig;
use crate::setup;

/// A bound, configured edge proxy, ready to run.
pub struct Edge {
    proxy: Proxy,
    network: Network,
    events: Receiver<NetEvent>,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge").field("listeners", &self.network.listeners()).finish()
    }
}

impl Edge {
    /// Bind the listeners and build the proxy from `config`.
    pub async fn bind(config: &EdgeConfig) -> anyhow::Result<Self> {
        let listeners = setup::listeners(config)?;
        let net_config = NetConfig {
            max_message_size: config.limits.max_message_size,
            tcp_idle_timeout: Duration::from_secs(config.limits.tcp_idle_timeout_s),
            ..NetConfig::default()
        };
        let (network, events) = Network::bind(&listeners, net_config).await?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ u64::from(std::process::id()).rotate_left(32);
        let proxy_config = setup::proxy_config(config, &network.listeners(), seed).await?;
        Ok(Self { proxy: Proxy::new(proxy_config), network, events })
    }

    /// The bound listeners (ports resolved when 0 was configured).
    pub fn listeners(&self) -> Vec<(Transport, SocketAddr)> {
        self.network.listeners()
    }

    /// Run until `shutdown` resolves; returns the proxy's counters.
    pub async fn run(mut self, shutdown: impl Future<Output = ()> + Send + 'static) -> ProxyStats {
        // The signal futures are costly to poll; a task waits on them and flips a flag that is
        // cheap to check on every turn of the loop.
        let (stop_tx, mut stop) = tokio::sync::oneshot::channel::<()>();
        let waiter = tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(());
        });
        loop {
            let deadline = self.proxy.poll_timeout();
            tokio::select! {
                biased;
                _ = &mut stop => break,
                event = self.events.recv() => {
                    let Some(event) = event else { break };
                    let now = Instant::now();
                    self.handle(now, event);
                    // Take whatever else is queued before sleeping again.
                    while let Ok(event) = self.events.try_recv() {
                        self.handle(now, event);
                    }
                }
                () = sleep_until(deadline) => {
                    self.proxy.handle_timeout(Instant::now());
                }
            }
            self.flush();
        }
        waiter.abort();
        self.network.shutdown().await;
        self.proxy.stats()
    }

    fn handle(&mut self, now: Instant, event: NetEvent) {
        match event {
            NetEvent::Message(incoming) => self.proxy.handle_message(now, incoming.data, incoming.flow),
            NetEvent::SendFailed { flow } => self.proxy.handle_transport_error(now, &flow),
        }
        self.flush();
    }

    fn flush(&mut self) {
        while let Some(transmit) = self.proxy.poll_transmit() {
            if self.network.send(&transmit.flow, transmit.bytes).is_err() {
                self.proxy.handle_transport_error(Instant::now(), &transmit.flow);
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
