//! Stateless forwarding (RFC 3261 §16.11): each request and response is forwarded on its own;
//! branches are derived from the request so retransmissions, ACK and CANCEL follow it.

use bytes::BytesMut;
use sip_types::{HeaderName, Message, Method, ResponseBuilder, Via};

use super::request::{plan, response_destination};
use super::stateful::{add_record_route, local_tag};
use super::Proxy;
use crate::flow::Flow;
use crate::transaction::Transmit;

impl Proxy {
    /// Forward `request` without a transaction (stateless mode, and the ACK of a 2xx).
    pub(super) fn stateless_request(&mut self, request: Message, flow: Flow) {
        let is_ack = request.method() == Some(&Method::ACK);
        let plan = match plan(self.routing(), &request, &flow) {
            Ok(plan) => plan,
            Err(rejection) => {
                if is_ack {
                    self.stats.dropped += 1;
                    return;
                }
                self.stats.rejected += 1;
                let tag = local_tag(self.config.seed, &request);
                let mut builder = ResponseBuilder::new(&request, rejection.status)
                    .reason(rejection.reason)
                    .to_tag(&tag);
                if let Some(tags) = rejection.unsupported.as_deref() {
                    builder = builder.header("Unsupported", tags);
                }
                self.out.push_back(Transmit {
                    flow,
                    bytes: builder.build(),
                });
                return;
            }
        };
        // Without state there is no failover: the first target it is.
        let Some(target) = plan.targets.first().copied() else {
            return;
        };
        let Some(local) = self.config.locals.for_transport(target.transport).cloned() else {
            self.stats.rejected += 1;
            return;
        };
        let mut via_line = BytesMut::with_capacity(96);
        let branches = &self.branches;
        self.config
            .locals
            .write_via_line(&local, &mut via_line, |out| {
                branches.write_stateless(&request, out)
            });
        let mut edits = plan.edits;
        edits.insert(request.headers_start(), via_line.freeze());
        if plan.record_route {
            add_record_route(&self.config.locals, &mut edits, &request, &flow, &local);
        }
        let out_flow = Flow {
            transport: target.transport,
            remote: target.addr,
            local: local.addr,
            connection: None,
        };
        self.out.push_back(Transmit {
            flow: out_flow,
            bytes: edits.apply(&request),
        });
        self.stats.forwarded_requests += 1;
    }

    /// Forward a response by its Via alone (§16.7 step 1 for stray responses, §16.11): the top
    /// Via must be ours; it is removed and the response goes where the next Via says.
    pub(super) fn forward_response_statelessly(&mut self, response: Message) {
        let mut vias = response.header_values(HeaderName::VIA);
        let (Some(top), Some(next)) = (vias.next(), vias.next()) else {
            self.stats.unroutable_responses += 1;
            return;
        };
        let ours = response
            .top_via()
            .map(|v| {
                self.config
                    .locals
                    .is_ours(&v.host, v.host_str, v.port, false)
            })
            .unwrap_or(false);
        let destination = Via::parse(next.text)
            .ok()
            .and_then(|v| response_destination(&v));
        let Some(destination) = destination.filter(|_| ours) else {
            self.stats.unroutable_responses += 1;
            return;
        };
        // §16.7: never forward to a broadcast address (RFC 4475 §3.3.10).
        if destination.addr.ip() == std::net::IpAddr::V4(std::net::Ipv4Addr::BROADCAST) {
            self.stats.unroutable_responses += 1;
            return;
        }
        let Some(local) = self.config.locals.for_transport(destination.transport) else {
            self.stats.unroutable_responses += 1;
            return;
        };
        let mut edits = sip_types::Edits::new();
        edits.remove_value(&response, &top);
        let flow = Flow {
            transport: destination.transport,
            remote: destination.addr,
            local: local.addr,
            connection: None,
        };
        self.out.push_back(Transmit {
            flow,
            bytes: edits.apply(&response),
        });
        self.stats.forwarded_responses += 1;
    }
}
