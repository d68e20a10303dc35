//! The S-CSCF (TS 24.229 §5.4): the registrar of the IMS (IMS AKA and digest with vectors from
//! the HSS over Cx, SAR, the location service, RTR/PPR) and session control (originating and
//! terminating routing, iFC evaluation and ISC routing to application servers).
//!
//! [`Scscf::start`] binds the SIP listeners (a proxy core in application mode), connects the
//! Cx client and serves the HSS's requests, and hands each request to [`registrar`] or
//! [`session`] on its own task.
#![warn(missing_docs)]

pub mod charging;
pub mod config;
pub mod registrar;
pub mod session;
pub mod state;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use diameter_net::{DiameterNode, Handlers};
use diameter_proto::Application;
use ims_cx::{CxClient, CxIdentity};
use sip_proto::proxy::AppEvent;
use sip_proto::Transport;
use sip_types::Method;
use tokio::task::JoinHandle;

pub use config::{ScscfConfig, DEFAULTS, ENV_PREFIX};
use state::Shared;

/// Cx application (TS 29.229 §5.1), vendor 3GPP.
const CX_APPLICATION: u32 = 16_777_216;
const VENDOR_3GPP: u32 = 10_415;

/// A running S-CSCF.
#[derive(Debug)]
pub struct Scscf {
    shared: Arc<Shared>,
    diameter: DiameterNode,
    /// Kept whole: dropping its stop sender would stop the SIP driver at once.
    sip_app: SipApp,
    tasks: Vec<JoinHandle<()>>,
    listeners: Vec<(Transport, SocketAddr)>,
}

impl Scscf {
    /// Start from `config` (already checked with [`ScscfConfig::check`]).
    pub async fn start(config: ScscfConfig) -> anyhow::Result<Self> {
        config.check()?;
        let mut applications = vec![Application::VendorAuth {
            vendor: VENDOR_3GPP,
            app: CX_APPLICATION,
        }];
        let mut net = config.diameter.net_config("ims-scscf", Vec::new())?;
        if let Some(charging) = &config.charging {
            charging::add_diameter_routes(charging, &config.diameter, &mut net.routes);
            applications.extend(charging::applications());
        }
        net.local.applications = applications;
        let slot: Arc<OnceLock<Arc<Shared>>> = Arc::new(OnceLock::new());
        let handler_slot = Arc::clone(&slot);
        let origin_host = config.diameter.origin_host.clone();
        let origin_realm = config.diameter.origin_realm.clone();
        let handlers = Handlers::new().with(CX_APPLICATION, move |request| {
            let slot = Arc::clone(&handler_slot);
            let (host, realm) = (origin_host.clone(), origin_realm.clone());
            async move {
                match slot.get() {
                    Some(shared) => registrar::handle_hss_request(shared, &request).await,
                    // Not started yet: DIAMETER_UNABLE_TO_DELIVER would be wrong; too busy is
                    // what RFC 6733 §7.1.3 offers for "try again".
                    None => diameter_net::handler::simple_answer(
                        &request,
                        diameter_codec::generated::base::ResultCode::DIAMETER_TOO_BUSY,
                        &host,
                        &realm,
                    ),
                }
            }
        });
        let diameter = DiameterNode::start(net, handlers).await?;
        let hss_realm = config.diameter.origin_realm.clone();
        let cx = CxClient::new(
            diameter.handle(),
            CxIdentity::new(
                config.diameter.origin_host.clone(),
                config.diameter.origin_realm.clone(),
                hss_realm,
            ),
        );
        let registrations = state::open_registrations(&config.store).await?;
        let mut app = config.sip.start().await?;
        let listeners = app.handle.listeners().to_vec();
        let route_host = listeners
            .first()
            .map(|(_, a)| sip_proto::proxy::HostPort(*a).to_string())
            .unwrap_or_default();
        let charging = match &config.charging {
            Some(section) => Some(
                charging::ChargingTrigger::start(
                    section.clone(),
                    charging::ChargingLinks::new(&config, diameter.handle(), app.handle.clone())?,
                )
                .await?,
            ),
            None => None,
        };
        let shared = Arc::new(Shared {
            config: config.scscf.clone(),
            sip: app.handle.clone(),
            cx,
            registrations,
            profiles: state::Profiles::default(),
            auth: registrar::AuthState::new(config.scscf.auth_vector_timeout()),
            route_host,
            sessions: session::SessionState::new(config.sip.host_table()?)
                .with_isc_timeout(config.isc.timeout()),
            charging,
        });
        let _ = slot.set(Arc::clone(&shared));
        let mut tasks = Vec::new();
        tasks.push(tokio::spawn(registrar::run_expiry(Arc::clone(&shared))));
        let loop_shared = Arc::clone(&shared);
        let mut events =
            std::mem::replace(&mut app.events, tokio::sync::mpsc::unbounded_channel().1);
        tasks.push(tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let shared = Arc::clone(&loop_shared);
                tokio::spawn(async move { dispatch(&shared, event).await });
            }
        }));
        Ok(Self {
            shared,
            diameter,
            sip_app: app,
            tasks,
            listeners,
        })
    }

    /// The bound SIP listeners.
    pub fn sip_listeners(&self) -> Vec<(Transport, SocketAddr)> {
        self.listeners.clone()
    }

    /// A client handle on the S-CSCF's Diameter node (peer states, requests).
    pub fn diameter_handle(&self) -> diameter_net::ClientHandle {
        self.diameter.handle()
    }

    /// The shared state (for tests and the lab's admin views).
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Stop: SIP first, then Diameter.
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Some(charging) = &self.shared.charging {
            charging.shutdown().await;
        }
        let _ = self.sip_app.stop().await;
        self.diameter.shutdown().await;
    }
}

use sip_net::SipApp;

async fn dispatch(shared: &Shared, event: AppEvent) {
    match event {
        AppEvent::Request(request) => {
            let id = request.id;
            let decision = if request.request.method() == Some(&Method::REGISTER)
                && request.plan.by_request_uri
            {
                registrar::handle_register(shared, &request).await
            } else {
                session::handle_request(shared, request).await
            };
            shared.sip.decide(id, decision);
        }
        AppEvent::Final {
            id,
            request,
            status,
            response,
        } => session::on_final(shared, id, &request, status, response.as_ref()).await,
        AppEvent::Originated { .. } => {}
    }
}
