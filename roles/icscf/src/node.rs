//! A running I-CSCF: the Diameter node (Cx client towards the HSS), the SIP proxy core in
//! application mode, and the loop that hands each request to its own task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use diameter_net::{ClientHandle, DiameterNode, Handlers};
use diameter_proto::PeerState;
use ims_cx::{CxClient, CxIdentity};
use sip_net::{SipApp, SipHandle};
use sip_proto::proxy::AppEvent;
use sip_proto::Transport;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::IcscfConfig;
use crate::router::Router;

/// A running I-CSCF node.
#[derive(Debug)]
pub struct Icscf {
    sip: SipApp,
    diameter: DiameterNode,
    events: JoinHandle<()>,
}

impl Icscf {
    /// Checks `config`, starts the Diameter node (which dials the HSS) and the SIP listeners,
    /// and starts deciding requests.
    pub async fn start(config: IcscfConfig) -> anyhow::Result<Self> {
        config.check()?;
        let net = config.diameter_net()?;
        // The HSS sends the I-CSCF no requests: no handlers (anything arriving is answered 3007).
        let diameter = DiameterNode::start(net, Handlers::new()).await?;
        let mut identity = CxIdentity::new(
            config.diameter.origin_host.clone(),
            config.diameter.origin_realm.clone(),
            config.hss_realm().to_owned(),
        );
        identity.destination_host = config.icscf.hss_host.clone();
        let router = Arc::new(Router {
            cx: CxClient::new(diameter.handle(), identity),
            hosts: config.sip.host_table()?,
            scscfs: config.icscf.scscf.clone(),
            home_domain: config.icscf.home_domain.clone(),
        });
        let mut sip = match config.sip.start().await {
            Ok(s) => s,
            Err(e) => {
                diameter.shutdown().await;
                return Err(e);
            }
        };
        let (_, closed) = mpsc::unbounded_channel();
        let events = std::mem::replace(&mut sip.events, closed);
        let events = tokio::spawn(run(events, sip.handle.clone(), router));
        tracing::info!(listeners = ?sip.handle.listeners(), "ims-icscf running");
        Ok(Self {
            sip,
            diameter,
            events,
        })
    }

    /// The bound SIP listeners (ports resolved when 0 was configured).
    pub fn sip_listeners(&self) -> Vec<(Transport, SocketAddr)> {
        self.sip.handle.listeners().to_vec()
    }

    /// The Cx client's Diameter handle (peer status for the admin API and tests).
    pub fn diameter_handle(&self) -> ClientHandle {
        self.diameter.handle()
    }

    /// Waits up to `within` for the connection to the HSS to open; true when it did.
    pub async fn wait_hss_open(&self, within: Duration) -> bool {
        let handle = self.diameter.handle();
        let end = tokio::time::Instant::now() + within;
        loop {
            if handle
                .peers()
                .await
                .iter()
                .any(|p| p.state == PeerState::Open)
            {
                return true;
            }
            if tokio::time::Instant::now() >= end {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the SIP driver (closing its sockets), the request loop and the Diameter node
    /// (DPR to the HSS).
    pub async fn stop(self) {
        let Self {
            sip,
            diameter,
            events,
        } = self;
        let stats = sip.stop().await;
        tracing::info!(?stats, "ims-icscf SIP stopped");
        // The driver has dropped its event sender; the loop ends on its own.
        let _ = events.await;
        diameter.shutdown().await;
    }
}

/// Hands every request to its own task, so that one slow Cx exchange blocks no other.
async fn run(
    mut events: mpsc::UnboundedReceiver<AppEvent>,
    handle: SipHandle,
    router: Arc<Router>,
) {
    while let Some(event) = events.recv().await {
        match event {
            AppEvent::Request(request) => {
                let router = Arc::clone(&router);
                let handle = handle.clone();
                tokio::spawn(async move {
                    let id = request.id;
                    let decision = router.decide(request).await;
                    handle.decide(id, decision);
                });
            }
            AppEvent::Final {
                request, status, ..
            } => {
                // A challenge (401/407) is the normal first answer to a REGISTER: not logged.
                if status.0 >= 300 && !matches!(status.0, 401 | 407) {
                    tracing::info!(
                        method = ?request.method(),
                        call_id = request.call_id().unwrap_or_default(),
                        status = status.0,
                        "S-CSCF answered with a failure"
                    );
                }
            }
            AppEvent::Originated { .. } => {}
        }
    }
}
