//! The I-CSCF's decision on each request the proxy core hands over: REGISTER after a UAR
//! (TS 24.229 §5.3.1.2), other requests for the home network after an LIR (§5.3.2.1), and
//! requests with a Route left (or in-dialog ones) as the plan says. The I-CSCF never
//! record-routes: without THIG it is not on the dialog path (§5.3.2.1).

use ims_cx::{AuthorizationType, CxClient};
use sip_proto::proxy::{AppRequest, Decision, Forward, HostTable, LocalResponse, Plan, Target};
use sip_types::{Message, Method, StatusCode, Uri};

use crate::config::ScscfEntry;
use crate::outcome::{after_lia, after_uaa, hss_unreachable, Refusal, Routing};
use crate::query::{lir, location_identity, RegistrationQuery};

/// Decides requests; shared by the per-request tasks.
#[derive(Debug)]
pub(crate) struct Router {
    pub(crate) cx: CxClient,
    pub(crate) hosts: HostTable,
    pub(crate) scscfs: Vec<ScscfEntry>,
    pub(crate) home_domain: String,
}

/// The targets of S-CSCF `name` (a SIP URI): an IP literal, or its host from `[sip.hosts]`.
pub fn scscf_targets(hosts: &HostTable, name: &str) -> Vec<Target> {
    match Uri::parse(name) {
        Ok(Uri::Sip(uri)) => hosts.locate(&uri),
        _ => Vec::new(),
    }
}

/// The targets of every S-CSCF in `names`, in order, each address once: the proxy core tries
/// them in series on 408, 5xx or a transport error (TS 24.229 §5.3.1.3).
pub fn targets_in_order(hosts: &HostTable, names: &[String]) -> Vec<Target> {
    let mut all: Vec<Target> = Vec::new();
    for name in names {
        for t in scscf_targets(hosts, name) {
            if !all.contains(&t) {
                all.push(t);
            }
        }
    }
    all
}

/// The Request-URI has no user part (a node, not a user: `sip:icscf.ims.test`).
fn names_no_user(request: &Message) -> bool {
    matches!(
        Uri::parse(request.request_uri().unwrap_or_default()),
        Ok(Uri::Sip(u)) if u.user.is_none()
    )
}

fn forward(plan: Plan, targets: Vec<Target>) -> Decision {
    Decision::Forward(Forward {
        edits: plan.edits,
        targets,
        record_route: false,
        observe: true,
        strip_from_responses: Vec::new(),
        give_up_after: Vec::new(),
    })
}

fn refuse(refusal: Refusal) -> Decision {
    Decision::Respond(refusal.into_response())
}

impl Router {
    /// The decision on `request`.
    pub(crate) async fn decide(&self, request: AppRequest) -> Decision {
        let AppRequest { request, plan, .. } = request;
        if !plan.by_request_uri {
            let mut f = Forward::from_plan(plan);
            f.record_route = false;
            return Decision::Forward(f);
        }
        if request.method() == Some(&Method::REGISTER) {
            return self.register(&request, plan).await;
        }
        if request.to().ok().and_then(|t| t.tag()).is_some() {
            return self.in_dialog(&request, plan);
        }
        if request.method() == Some(&Method::OPTIONS) && names_no_user(&request) {
            // A keep-alive or probe (a dispatcher's) for this node, not for a user.
            return Decision::Respond(LocalResponse::new(StatusCode::OK));
        }
        self.terminating(&request, plan).await
    }

    /// REGISTER: UAR, then the named or a selected S-CSCF.
    async fn register(&self, request: &Message, plan: Plan) -> Decision {
        let query = match RegistrationQuery::from_register(request, &self.home_domain) {
            Ok(q) => q,
            Err(r) => return refuse(r),
        };
        let uaa = match self.cx.uar(&query.uar(None)).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, impu = %query.impu, "UAR failed");
                return refuse(hss_unreachable(&e));
            }
        };
        tracing::debug!(impu = %query.impu, result = %uaa.result, server = ?uaa.server_name, "UAA");
        let mut routing = after_uaa(&uaa, &self.scscfs);
        if let Routing::Named(name) = &routing {
            if scscf_targets(&self.hosts, name).is_empty() {
                // The assigned S-CSCF cannot be reached: ask for capabilities to select
                // another (TS 29.228 §6.1.1, REGISTRATION_AND_CAPABILITIES).
                tracing::warn!(scscf = %name, "S-CSCF name not resolvable; reselecting");
                let again = query.uar(Some(AuthorizationType::RegistrationAndCapabilities));
                routing = match self.cx.uar(&again).await {
                    Ok(a) => match after_uaa(&a, &self.scscfs) {
                        Routing::Named(_) => Routing::Selected(Vec::new()),
                        other => other,
                    },
                    Err(e) => Routing::Refuse(hss_unreachable(&e)),
                };
            }
        }
        self.route(routing, plan)
    }

    /// A request for a user of ours (terminating): LIR, then the named or a selected S-CSCF.
    async fn terminating(&self, request: &Message, plan: Plan) -> Decision {
        let impu = match location_identity(request.request_uri().unwrap_or_default()) {
            Ok(i) => i,
            Err(r) => return refuse(r),
        };
        let lia = match self.cx.lir(&lir(&impu, None)).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, %impu, "LIR failed");
                return refuse(hss_unreachable(&e));
            }
        };
        tracing::debug!(%impu, result = %lia.result, server = ?lia.server_name, "LIA");
        let mut routing = after_lia(&lia, &self.scscfs);
        if let Routing::Named(name) = &routing {
            if scscf_targets(&self.hosts, name).is_empty() {
                tracing::warn!(scscf = %name, "S-CSCF name not resolvable; reselecting");
                let again = lir(&impu, Some(AuthorizationType::RegistrationAndCapabilities));
                routing = match self.cx.lir(&again).await {
                    Ok(a) => match after_lia(&a, &self.scscfs) {
                        Routing::Named(_) => Routing::Selected(Vec::new()),
                        other => other,
                    },
                    Err(e) => Routing::Refuse(hss_unreachable(&e)),
                };
            }
        }
        self.route(routing, plan)
    }

    /// Forward to the routing's S-CSCFs, Request-URI unchanged, or refuse.
    fn route(&self, routing: Routing, plan: Plan) -> Decision {
        let names = match routing {
            Routing::Refuse(r) => return refuse(r),
            Routing::Named(name) => vec![name],
            Routing::Selected(names) => names,
        };
        let targets = targets_in_order(&self.hosts, &names);
        if targets.is_empty() {
            return refuse(Refusal::no_suitable_scscf());
        }
        forward(plan, targets)
    }

    /// An in-dialog request with no Route left (we are not on dialog paths, so this is a
    /// stray): to its Request-URI when that is an address we can reach, else 404.
    fn in_dialog(&self, request: &Message, plan: Plan) -> Decision {
        let targets = match Uri::parse(request.request_uri().unwrap_or_default()) {
            Ok(Uri::Sip(uri)) => self.hosts.locate(&uri),
            _ => Vec::new(),
        };
        if targets.is_empty() {
            return refuse(Refusal::new(
                StatusCode::NOT_FOUND,
                "Not Found (in-dialog request without a route)",
            ));
        }
        let mut f = Forward::from_plan(plan);
        f.targets = targets;
        f.record_route = false;
        Decision::Forward(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip_proto::Transport;

    #[test]
    fn names_resolve_through_the_host_table_once_each() {
        let mut hosts = HostTable::new();
        let a = Target {
            transport: Transport::Udp,
            addr: "127.0.0.1:5080".parse().unwrap(),
        };
        hosts.insert("scscf.ims.test", vec![a]);
        let names = [
            "sip:scscf.ims.test:5080".to_owned(),
            "sip:127.0.0.2:5090".to_owned(),
            "sip:SCSCF.ims.test:5080".to_owned(),
            "sip:unknown.ims.test".to_owned(),
            "not a uri".to_owned(),
        ];
        let got = targets_in_order(&hosts, &names);
        assert_eq!(
            got,
            [
                a,
                Target {
                    transport: Transport::Udp,
                    addr: "127.0.0.2:5090".parse().unwrap()
                }
            ]
        );
        assert!(scscf_targets(&hosts, "sip:unknown.ims.test").is_empty());
    }
}
