//! The tokio driver of a proxy core in application mode: the sockets, the timers and the core
//! on one task, and the role (a registrar, a CSCF) on others. The role reads [`AppEvent`]s,
//! decides each request (often after a Diameter exchange) through a cloneable [`SipHandle`],
//! and sends requests of its own with [`SipHandle::originate`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_proto::proxy::{AppEvent, Decision, LocalResponse, Proxy, ProxyConfig, ProxyStats, Target};
use sip_proto::transaction::{ClientTransactionId, ServerTransactionId};
use sip_proto::Transport;
use sip_types::{Message, StatusCode};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::config::{ListenerConfig, NetConfig};
use crate::error::NetError;
use crate::event::NetEvent;
use crate::network::Network;

/// A request the role did not decide within this long is answered 500, so that a stuck
/// Diameter peer cannot leave transactions (and the UE) hanging forever.
pub const DECISION_TIMEOUT: Duration = Duration::from_secs(30);

/// The final outcome of a request sent with [`SipHandle::originate`].
#[derive(Debug, Clone)]
pub struct Originated {
    /// The final status: received, or 408 (timeout) / 503 (transport error, no listener).
    pub status: StatusCode,
    /// The response, when one arrived.
    pub response: Option<Message>,
}

/// The driver has stopped.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the SIP driver has stopped")]
pub struct DriverStopped;

enum Command {
    Decide(ServerTransactionId, Decision),
    Originate {
        request: Bytes,
        target: Target,
        reply: oneshot::Sender<Originated>,
    },
    Stats(oneshot::Sender<ProxyStats>),
}

/// Talks to the driver task; cheap to clone.
#[derive(Debug, Clone)]
pub struct SipHandle {
    commands: mpsc::UnboundedSender<Command>,
    listeners: std::sync::Arc<Vec<(Transport, SocketAddr)>>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Decide(id, _) => write!(f, "Decide({id:?})"),
            Self::Originate { target, .. } => write!(f, "Originate({target:?})"),
            Self::Stats(_) => write!(f, "Stats"),
        }
    }
}

impl SipHandle {
    /// Carry out the decision on request `id`.
    pub fn decide(&self, id: ServerTransactionId, decision: Decision) {
        let _ = self.commands.send(Command::Decide(id, decision));
    }

    /// Answer request `id` with `response`.
    pub fn respond(&self, id: ServerTransactionId, response: LocalResponse) {
        self.decide(id, Decision::Respond(response));
    }

    /// Send a request of the role's own to `target` (our Via is added) and wait for its final
    /// outcome.
    pub async fn originate(
        &self,
        request: Bytes,
        target: Target,
    ) -> Result<Originated, DriverStopped> {
        let (reply, outcome) = oneshot::channel();
        self.commands
            .send(Command::Originate {
                request,
                target,
                reply,
            })
            .map_err(|_| DriverStopped)?;
        outcome.await.map_err(|_| DriverStopped)
    }

    /// The core's counters.
    pub async fn stats(&self) -> Result<ProxyStats, DriverStopped> {
        let (reply, stats) = oneshot::channel();
        self.commands
            .send(Command::Stats(reply))
            .map_err(|_| DriverStopped)?;
        stats.await.map_err(|_| DriverStopped)
    }

    /// The bound listeners (ports resolved when 0 was configured).
    pub fn listeners(&self) -> &[(Transport, SocketAddr)] {
        &self.listeners
    }

    /// The first bound listener of `transport`.
    pub fn local_addr(&self, transport: Transport) -> Option<SocketAddr> {
        self.listeners
            .iter()
            .find(|(t, _)| *t == transport)
            .map(|(_, a)| *a)
    }
}

/// A running application-mode SIP node: the handle, the role's events and the driver task.
#[derive(Debug)]
pub struct SipApp {
    /// Decide requests and originate new ones.
    pub handle: SipHandle,
    /// Requests to decide and finals to observe ([`AppEvent::Request`], [`AppEvent::Final`]).
    pub events: mpsc::UnboundedReceiver<AppEvent>,
    /// The driver; ends when every [`SipHandle`] is dropped or [`SipApp::stop`] is called.
    pub task: JoinHandle<ProxyStats>,
    stop: Option<oneshot::Sender<()>>,
}

impl SipApp {
    /// Bind `listeners`, build the proxy core from the bound addresses with `proxy_config`
    /// (which must choose [`sip_proto::proxy::Mode::Application`]) and start the driver on the
    /// current runtime.
    pub async fn start(
        listeners: &[ListenerConfig],
        net: NetConfig,
        proxy_config: impl FnOnce(&[(Transport, SocketAddr)]) -> ProxyConfig,
    ) -> Result<Self, NetError> {
        let (network, net_events) = Network::bind(listeners, net).await?;
        let bound = network.listeners();
        let proxy = Proxy::new(proxy_config(&bound));
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (stop, stop_rx) = oneshot::channel();
        let task = tokio::spawn(drive(
            proxy, network, net_events, command_rx, events_tx, stop_rx,
        ));
        Ok(Self {
            handle: SipHandle {
                commands,
                listeners: std::sync::Arc::new(bound),
            },
            events,
            task,
            stop: Some(stop),
        })
    }

    /// Stop the driver and close the sockets; returns the core's counters.
    pub async fn stop(mut self) -> ProxyStats {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap_or_default()
    }
}

struct Driver {
    proxy: Proxy,
    network: Network,
    events: mpsc::UnboundedSender<AppEvent>,
    originated: HashMap<ClientTransactionId, oneshot::Sender<Originated>>,
    /// Requests handed to the role, by when they must be decided.
    deadlines: HashMap<ServerTransactionId, Instant>,
}

async fn drive(
    proxy: Proxy,
    network: Network,
    mut net_events: mpsc::Receiver<NetEvent>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<AppEvent>,
    mut stop: oneshot::Receiver<()>,
) -> ProxyStats {
    let mut d = Driver {
        proxy,
        network,
        events,
        originated: HashMap::new(),
        deadlines: HashMap::new(),
    };
    let mut sweep = tokio::time::interval(Duration::from_secs(1));
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let deadline = d.proxy.poll_timeout();
        tokio::select! {
            biased;
            _ = &mut stop => break,
            event = net_events.recv() => {
                let Some(event) = event else { break };
                let now = Instant::now();
                d.net_event(now, event);
                while let Ok(event) = net_events.try_recv() {
                    d.net_event(now, event);
                }
            }
            command = commands.recv() => {
                let Some(command) = command else { break };
                let now = Instant::now();
                d.command(now, command);
                while let Ok(command) = commands.try_recv() {
                    d.command(now, command);
                }
            }
            () = sleep_until(deadline) => d.proxy.handle_timeout(Instant::now()),
            _ = sweep.tick() => d.expire_decisions(Instant::now()),
        }
        d.flush();
    }
    d.network.shutdown().await;
    d.proxy.stats()
}

impl Driver {
    fn net_event(&mut self, now: Instant, event: NetEvent) {
        match event {
            NetEvent::Message(incoming) => {
                self.proxy.handle_message(now, incoming.data, incoming.flow);
            }
            NetEvent::SendFailed { flow } => self.proxy.handle_transport_error(now, &flow),
        }
    }

    fn command(&mut self, now: Instant, command: Command) {
        match command {
            Command::Decide(id, decision) => {
                self.deadlines.remove(&id);
                self.proxy.decide(now, id, decision);
            }
            Command::Originate {
                request,
                target,
                reply,
            } => match self.proxy.originate(now, request, target) {
                Some(id) => {
                    self.originated.insert(id, reply);
                }
                None => {
                    let _ = reply.send(Originated {
                        status: StatusCode::SERVICE_UNAVAILABLE,
                        response: None,
                    });
                }
            },
            Command::Stats(reply) => {
                let _ = reply.send(self.proxy.stats());
            }
        }
    }

    fn expire_decisions(&mut self, now: Instant) {
        let late: Vec<ServerTransactionId> = self
            .deadlines
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            self.deadlines.remove(&id);
            tracing::warn!("no decision on {id:?} within {DECISION_TIMEOUT:?}: answering 500");
            self.proxy.decide(
                now,
                id,
                Decision::Respond(
                    LocalResponse::new(StatusCode::SERVER_INTERNAL_ERROR)
                        .reason("Server Internal Error (no decision)"),
                ),
            );
        }
    }

    /// Send what the core queued and hand its events on.
    fn flush(&mut self) {
        loop {
            while let Some(transmit) = self.proxy.poll_transmit() {
                if self.network.send(&transmit.flow, transmit.bytes).is_err() {
                    self.proxy
                        .handle_transport_error(Instant::now(), &transmit.flow);
                }
            }
            let Some(event) = self.proxy.poll_app_event() else {
                break;
            };
            match event {
                AppEvent::Originated {
                    id,
                    status,
                    response,
                } => {
                    if let Some(reply) = self.originated.remove(&id) {
                        let _ = reply.send(Originated { status, response });
                    }
                }
                AppEvent::Request(request) => {
                    self.deadlines
                        .insert(request.id, Instant::now() + DECISION_TIMEOUT);
                    let _ = self.events.send(AppEvent::Request(request));
                }
                other => {
                    let _ = self.events.send(other);
                }
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
