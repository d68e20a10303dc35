//! The P-CSCF's decision on each request (TS 24.229 §5.2): REGISTER to the I-CSCF,
//! originating requests of registered UEs along their Service-Route, terminating requests to
//! the UE's registered flow, everything else as the Route says.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sip_proto::proxy::{
    AppRequest, Decision, Forward, HostTable, LocalAddrs, LocalResponse, Target,
};
use sip_proto::transaction::ServerTransactionId;
use sip_proto::Flow;
use sip_types::ims::{contacts, name_addrs, Contact};
use sip_types::{HeaderName, Message, Method, NameAddr, StatusCode, Uri};

use crate::charging::ChargingVectors;
use crate::headers::{forms_dialog, has_to_tag, remove_headers, CHARGING_HEADERS, TERM_USER};
use crate::originating::{asserted_identity, originating_edits};
use crate::register::{register_edits, registration_update};
use crate::registrations::{contact_key, Binding, Registrations};

/// A REGISTER whose final response has not come back after this long is forgotten.
const PENDING_REGISTER_LIFETIME: Duration = Duration::from_secs(300);

/// What the rules need from the configuration and the bound sockets.
#[derive(Debug, Clone)]
pub struct RulesConfig {
    /// Our listeners and aliases (to recognise our own Route values).
    pub locals: LocalAddrs,
    /// `[sip.hosts]`, for next hops given by name.
    pub hosts: HostTable,
    /// Where REGISTER goes.
    pub icscf: Vec<Target>,
    /// Addresses of the core side (I-CSCF, `[sip.hosts]` entries): the only sources whose
    /// initial requests with a Route to follow are relayed without a registration.
    pub core_peers: Vec<SocketAddr>,
    /// P-Visited-Network-ID value.
    pub visited_network_id: String,
}

/// The P-CSCF's rules and state: the registration cache and the REGISTERs in flight.
#[derive(Debug)]
pub struct Rules {
    config: RulesConfig,
    vectors: ChargingVectors,
    registrations: Mutex<Registrations>,
    /// REGISTERs forwarded, by server transaction: the UE's flow and when it was sent.
    pending: Mutex<HashMap<ServerTransactionId, (Flow, Instant)>>,
}

fn respond(status: StatusCode, reason: &str) -> Decision {
    Decision::Respond(LocalResponse::new(status).reason(reason))
}

impl Rules {
    /// Rules over an empty registration cache; ICIDs are named after `node_name`.
    pub fn new(config: RulesConfig, node_name: &str) -> Self {
        let vectors = ChargingVectors::new(node_name, config.visited_network_id.clone());
        Self {
            config,
            vectors,
            registrations: Mutex::new(Registrations::new()),
            pending: Mutex::new(HashMap::new()),
        }
    }

    fn registrations(&self) -> std::sync::MutexGuard<'_, Registrations> {
        self.registrations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<ServerTransactionId, (Flow, Instant)>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Live bindings of the contact `uri`.
    pub fn bindings_of_contact(&self, uri: &str, now: Instant) -> Vec<Binding> {
        self.registrations().by_contact(uri, now)
    }

    /// The UE an originating `request` on `flow` comes from and the identity to assert
    /// ([`Registrations::originating`]).
    fn originating_ue(
        &self,
        request: &Message,
        flow: &Flow,
        now: Instant,
    ) -> Option<(String, Binding)> {
        let contact = match contacts(request).next() {
            Some(Ok(Contact::Addr(c))) => Some(c.uri),
            _ => None,
        };
        let preferred: Vec<String> = name_addrs(request, HeaderName::P_PREFERRED_IDENTITY)
            .filter_map(Result::ok)
            .map(|na| contact_key(na.uri))
            .collect();
        let from = request
            .header(HeaderName::FROM)
            .and_then(|v| NameAddr::parse(v).ok())
            .map(|na| contact_key(na.uri));
        self.registrations().originating(
            flow.transport,
            flow.remote,
            contact,
            &preferred,
            from.as_deref(),
            now,
        )
    }

    /// Drop lapsed registrations and forgotten REGISTERs.
    pub fn purge(&self, now: Instant) {
        let gone = self.registrations().purge(now);
        if gone > 0 {
            tracing::debug!(gone, "registrations lapsed");
        }
        self.pending()
            .retain(|_, (_, at)| now.saturating_duration_since(*at) < PENDING_REGISTER_LIFETIME);
    }

    /// Decide request `req` at `now`.
    pub fn decide(&self, req: AppRequest, now: Instant) -> Decision {
        let AppRequest {
            id,
            request,
            flow,
            plan,
        } = req;
        let Some(method) = request.method().cloned() else {
            return respond(StatusCode::BAD_REQUEST, "Bad Request (not a request)");
        };
        if method == Method::REGISTER {
            return self.register(id, &request, &flow, plan.edits, now);
        }
        let from_ue = self
            .registrations()
            .flow_is_registered(flow.transport, flow.remote, now);
        let ruri = request.request_uri().unwrap_or("");
        if has_to_tag(&request) {
            return self.in_dialog(&request, plan, from_ue, now);
        }
        if self.came_by_path(&request) {
            return self.terminating(&request, plan, ruri, now);
        }
        if from_ue {
            let ue = self.originating_ue(&request, &flow, now);
            return self.originating(&request, &flow, plan, ue);
        }
        let by_contact = self.bindings_by_request_contact(&request, &flow, now);
        if !by_contact.is_empty() {
            let ue = asserted_identity(&request, &by_contact).map(|(id, b)| (id, b.clone()));
            return self.originating(&request, &flow, plan, ue);
        }
        if !plan.by_request_uri && self.config.core_peers.contains(&flow.remote) {
            return Decision::Forward(Forward::from_plan(plan));
        }
        respond(StatusCode::FORBIDDEN, "Forbidden (not registered)")
    }

    /// REGISTER (TS 24.229 §5.2.2.1): to the I-CSCF with our Path, observed so that the 200 OK
    /// fills the cache.
    fn register(
        &self,
        id: ServerTransactionId,
        request: &Message,
        flow: &Flow,
        edits: sip_types::Edits,
        now: Instant,
    ) -> Decision {
        let vector = self.vectors.fresh(flow.local.ip());
        let edits = register_edits(
            request,
            edits,
            flow,
            &self.config.visited_network_id,
            &vector,
        );
        self.pending().insert(id, (*flow, now));
        Decision::Forward(Forward {
            edits,
            targets: self.config.icscf.clone(),
            record_route: false,
            observe: true,
            strip_from_responses: CHARGING_HEADERS.to_vec(),
            give_up_after: Vec::new(),
        })
    }

    /// The final response to a REGISTER we forwarded: a 2xx updates the cache.
    pub fn register_final(
        &self,
        id: ServerTransactionId,
        request: &Message,
        status: StatusCode,
        response: Option<&Message>,
        now: Instant,
    ) {
        let Some((flow, _)) = self.pending().remove(&id) else {
            return;
        };
        let Some(response) = response.filter(|_| status.is_success()) else {
            return;
        };
        match registration_update(request, response, &flow) {
            Some(update) => {
                tracing::debug!(impu = %update.impu, contacts = ?update.contacts, "registration");
                self.registrations().apply(&update, now);
            }
            None => tracing::warn!("2xx to a REGISTER without a readable To: not cached"),
        }
    }

    /// True when the leading Route values that name us include our Path URI (`term` user):
    /// a terminating request from the core (TS 24.229 §5.2.6.4).
    fn came_by_path(&self, request: &Message) -> bool {
        for value in request.header_values(HeaderName::ROUTE) {
            let Ok(Ok(Uri::Sip(uri))) = NameAddr::parse(value.text).map(|na| na.parsed_uri())
            else {
                return false;
            };
            if !self.config.locals.is_our_uri(&uri) {
                return false;
            }
            if uri.user == Some(TERM_USER) {
                return true;
            }
        }
        false
    }

    /// A UE whose request came over another connection (TCP/TLS: a new source port): the
    /// same transport and source IP, and a Contact it registered. Not for UDP, whose source
    /// port is the UE's.
    fn bindings_by_request_contact(
        &self,
        request: &Message,
        flow: &Flow,
        now: Instant,
    ) -> Vec<Binding> {
        if !flow.transport.is_reliable() {
            return Vec::new();
        }
        let Some(Ok(Contact::Addr(contact))) = contacts(request).next() else {
            return Vec::new();
        };
        self.bindings_of_contact(contact.uri, now)
            .into_iter()
            .filter(|b| {
                b.flow.remote.ip() == flow.remote.ip() && b.flow.transport == flow.transport
            })
            .collect()
    }

    /// TS 24.229 §5.2.6.3: assert the identity, route along the Service-Route.
    fn originating(
        &self,
        request: &Message,
        flow: &Flow,
        plan: sip_proto::proxy::Plan,
        ue: Option<(String, Binding)>,
    ) -> Decision {
        let Some((identity, binding)) = ue else {
            return respond(
                StatusCode::FORBIDDEN,
                "Forbidden (not registered, or the UE behind a shared flow not identified)",
            );
        };
        let targets = match binding.service_route.first() {
            Some(first) => match Uri::parse(first) {
                Ok(Uri::Sip(uri)) => self.config.hosts.locate(&uri),
                _ => Vec::new(),
            },
            None if !plan.by_request_uri => plan.targets.clone(),
            None => {
                return respond(
                    StatusCode::FORBIDDEN,
                    "Forbidden (no Service-Route for this registration)",
                )
            }
        };
        if targets.is_empty() {
            return respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable (Service-Route not reachable)",
            );
        }
        let vector = request
            .header(HeaderName::P_CHARGING_VECTOR)
            .is_none()
            .then(|| self.vectors.fresh(flow.local.ip()));
        let method = request.method().cloned().unwrap_or(Method::OPTIONS);
        Decision::Forward(Forward {
            edits: originating_edits(
                request,
                plan.edits,
                &self.config.locals,
                &identity,
                &binding.service_route,
                vector.as_ref(),
            ),
            targets,
            record_route: forms_dialog(&method),
            observe: false,
            strip_from_responses: CHARGING_HEADERS.to_vec(),
            give_up_after: Vec::new(),
        })
    }

    /// TS 24.229 §5.2.6.4: to the flow the UE registered from, without charging headers.
    fn terminating(
        &self,
        request: &Message,
        plan: sip_proto::proxy::Plan,
        ruri: &str,
        now: Instant,
    ) -> Decision {
        if !plan.by_request_uri {
            // A Route beyond our Path: not for a UE of ours.
            return Decision::Forward(Forward::from_plan(plan));
        }
        let Some(binding) = self.bindings_of_contact(ruri, now).into_iter().next() else {
            return respond(
                StatusCode::TEMPORARILY_UNAVAILABLE,
                "Temporarily Unavailable (no registration for the Request-URI)",
            );
        };
        let method = request.method().cloned().unwrap_or(Method::OPTIONS);
        Decision::Forward(to_ue(request, plan, &binding, forms_dialog(&method)))
    }

    /// In-dialog requests: as the Route says; by the Request-URI (the UE's contact, or a
    /// remote target we can reach) when no Route is left.
    fn in_dialog(
        &self,
        request: &Message,
        plan: sip_proto::proxy::Plan,
        from_ue: bool,
        now: Instant,
    ) -> Decision {
        let strip = if from_ue {
            CHARGING_HEADERS.to_vec()
        } else {
            Vec::new()
        };
        if !plan.by_request_uri {
            let mut forward = Forward::from_plan(plan);
            forward.strip_from_responses = strip;
            return Decision::Forward(forward);
        }
        let ruri = request.request_uri().unwrap_or("");
        if let Some(binding) = self.bindings_of_contact(ruri, now).into_iter().next() {
            return Decision::Forward(to_ue(request, plan, &binding, false));
        }
        let targets = match Uri::parse(ruri) {
            Ok(Uri::Sip(uri)) => self.config.hosts.locate(&uri),
            _ => Vec::new(),
        };
        if targets.is_empty() {
            return respond(
                StatusCode::NOT_FOUND,
                "Not Found (Request-URI not reachable)",
            );
        }
        let mut forward = Forward::from_plan(plan);
        forward.targets = targets;
        forward.record_route = false;
        forward.strip_from_responses = strip;
        Decision::Forward(forward)
    }
}

/// Forward to the UE of `binding` over the flow it registered from, charging headers removed.
fn to_ue(
    request: &Message,
    plan: sip_proto::proxy::Plan,
    binding: &Binding,
    record_route: bool,
) -> Forward {
    let mut edits = plan.edits;
    remove_headers(&mut edits, request, &CHARGING_HEADERS);
    Forward {
        edits,
        targets: vec![Target {
            transport: binding.flow.transport,
            addr: binding.flow.remote,
        }],
        record_route,
        observe: false,
        strip_from_responses: Vec::new(),
        give_up_after: Vec::new(),
    }
}
