//! The running P-CSCF: the SIP driver in application mode, and the loop that hands each
//! request to [`Rules`] on its own task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sip_net::SipApp;
use sip_proto::proxy::{AppEvent, LocalAddr, LocalAddrs};
use sip_proto::Transport;
use sip_types::Method;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::PcscfConfig;
use crate::rules::{Rules, RulesConfig};

/// How often lapsed registrations are dropped.
const PURGE_INTERVAL: Duration = Duration::from_secs(10);

/// A running P-CSCF.
#[derive(Debug)]
pub struct Pcscf {
    listeners: Vec<(Transport, SocketAddr)>,
    rules: Arc<Rules>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Pcscf {
    /// Check `config`, bind the listeners and start serving.
    pub async fn start(config: PcscfConfig) -> anyhow::Result<Self> {
        config.check()?;
        let icscf = config.icscf_targets()?;
        let hosts = config.sip.host_table()?;
        let mut core_peers: Vec<SocketAddr> = icscf.iter().map(|t| t.addr).collect();
        for targets in config.sip.hosts.values() {
            core_peers.extend(
                targets
                    .iter()
                    .filter_map(|t| role_kit::sip::parse_target(t))
                    .map(|t| t.addr),
            );
        }
        let app = config.sip.start().await?;
        let listeners = app.handle.listeners().to_vec();
        let locals = LocalAddrs::new(
            listeners
                .iter()
                .map(|(transport, addr)| LocalAddr {
                    transport: *transport,
                    addr: *addr,
                })
                .collect(),
            config.sip.aliases.clone(),
        );
        let rules = Arc::new(Rules::new(
            RulesConfig {
                locals,
                hosts,
                icscf,
                core_peers,
                visited_network_id: config.pcscf.visited_network_id.clone(),
            },
            &config.pcscf.node_name,
        ));
        let (stop, stop_rx) = oneshot::channel();
        let task = tokio::spawn(serve(app, rules.clone(), stop_rx));
        tracing::info!(?listeners, "ims-pcscf running");
        Ok(Self {
            listeners,
            rules,
            stop,
            task,
        })
    }

    /// The bound SIP listeners (ports resolved when 0 was configured).
    pub fn sip_listeners(&self) -> Vec<(Transport, SocketAddr)> {
        self.listeners.clone()
    }

    /// The rules and the registration cache (for inspection).
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Stop serving and close the sockets.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// The event loop: requests to the rules (synchronous, in this loop), finals of REGISTERs to the
/// cache, a periodic purge.
async fn serve(mut app: SipApp, rules: Arc<Rules>, mut stop: oneshot::Receiver<()>) {
    let mut purge = tokio::time::interval(PURGE_INTERVAL);
    purge.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            event = app.events.recv() => {
                let Some(event) = event else { break };
                match event {
                    AppEvent::Request(request) => {
                        // The rules never wait (no I/O): decided here, without a task per request.
                        let id = request.id;
                        let decision = rules.decide(request, Instant::now());
                        app.handle.decide(id, decision);
                    }
                    AppEvent::Final { id, request, status, response } => {
                        if request.method() == Some(&Method::REGISTER) {
                            rules.register_final(id, &request, status, response.as_ref(), Instant::now());
                        }
                    }
                    AppEvent::Originated { .. } => {}
                }
            }
            _ = purge.tick() => rules.purge(Instant::now()),
        }
    }
    app.stop().await;
}
