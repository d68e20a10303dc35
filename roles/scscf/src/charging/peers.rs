//! The Diameter side of charging in the S-CSCF's node: Ro (application 4, RFC 4006 §1.3) and
//! Rf (accounting, application 3, TS 32.299 §6.1) advertised in the CER, realm routes per
//! application to the OCSs and the CDF, and the client identities.

use diameter_codec::generated::{rf, ro};
use diameter_net::{ClientHandle, Route};
use diameter_proto::Application;
use ims_charging::ClientIdentity;
use role_kit::diameter::DiameterSection;
use sip_net::SipHandle;

use super::{ChargingLinks, ChargingSection};
use crate::config::ScscfConfig;

/// The applications a charging S-CSCF advertises besides Cx.
pub fn applications() -> Vec<Application> {
    vec![
        Application::Auth(ro::APPLICATION_ID.0),
        Application::Acct(rf::APPLICATION_ID.0),
    ]
}

/// The realm of the configured peer `host` (our own realm when it is not configured).
fn peer_realm(diameter: &DiameterSection, host: &str) -> String {
    diameter
        .peer
        .iter()
        .find(|p| p.host.eq_ignore_ascii_case(host))
        .map_or_else(|| diameter.origin_realm.clone(), |p| p.realm.clone())
}

/// Routes Ro to the OCS (metric 0) and the alternative OCS (metric 1), and Rf to the CDF, in
/// each peer's realm (RFC 6733 §2.7). A peer that is down is skipped by the node's routing,
/// so Ro requests fail over to the alternative OCS.
pub fn add_diameter_routes(
    section: &ChargingSection,
    diameter: &DiameterSection,
    routes: &mut Vec<Route>,
) {
    let wanted = [
        (&section.ocs, ro::APPLICATION_ID.0, 0),
        (&section.ocs_secondary, ro::APPLICATION_ID.0, 1),
        (&section.cdf, rf::APPLICATION_ID.0, 0),
    ];
    for (host, application, metric) in wanted {
        if let Some(host) = host {
            routes.push(Route {
                realm: peer_realm(diameter, host),
                application: Some(application),
                peer_host: host.clone(),
                metric,
            });
        }
    }
}

impl ChargingLinks {
    /// The links of an S-CSCF configured by `config`, over its Diameter node `diameter` and
    /// SIP driver `sip`.
    pub fn new(
        config: &ScscfConfig,
        diameter: ClientHandle,
        sip: SipHandle,
    ) -> Result<Self, role_kit::ConfigError> {
        let d = &config.diameter;
        let realm_of = |host: &Option<String>| {
            host.as_deref()
                .map_or_else(|| d.origin_realm.clone(), |h| peer_realm(d, h))
        };
        let (ocs, cdf) = config
            .charging
            .as_ref()
            .map(|c| (c.ocs.clone(), c.cdf.clone()))
            .unwrap_or_default();
        Ok(Self {
            diameter,
            ro_identity: ClientIdentity::new(
                d.origin_host.clone(),
                d.origin_realm.clone(),
                realm_of(&ocs),
            ),
            rf_identity: ClientIdentity::new(
                d.origin_host.clone(),
                d.origin_realm.clone(),
                realm_of(&cdf),
            ),
            sip,
            hosts: config.sip.host_table()?,
            aliases: config.sip.aliases.clone(),
        })
    }
}
