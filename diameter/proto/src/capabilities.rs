//! Capabilities negotiation on a received CER or CEA (RFC 6733 §5.3): the peer's identity and
//! the applications in common. Nothing here allocates in proportion to the peer's message:
//! the result is bounded by the local application list (pre-authentication memory safety).

use diameter_codec::generated::base::avp as b;
use diameter_codec::{AvpContainer, Message, ResultCode};

use crate::config::{Application, LocalNode};
use crate::wire::RELAY_APP;

/// Most applications kept from a relay peer's list when the local node is itself a relay.
const MAX_RELAYED_APPS: usize = 64;

/// Inband-Security-Id NO_INBAND_SECURITY (§6.10).
const NO_INBAND_SECURITY: u32 =
    diameter_codec::generated::base::InbandSecurityId::NO_INBAND_SECURITY.0;

/// What a CER/CEA told us about the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PeerCaps {
    /// Origin-Host as sent.
    pub(crate) host: String,
    /// Applications in common (§5.3: at least one, else 5010).
    pub(crate) common: Vec<Application>,
    /// The peer advertised the relay application (§2.4).
    pub(crate) relay: bool,
}

/// Reads Origin-Host and negotiates the applications of a validated CER or CEA.
/// Errors: 5010 (no common application), 5017 (no common security), 5004 on a bad value.
pub(crate) fn negotiate(msg: &Message, local: &LocalNode) -> Result<PeerCaps, ResultCode> {
    let host = msg
        .require(&b::ORIGIN_HOST)
        .map_err(|e| e.result_code())?
        .as_str()
        .to_owned();
    let local_relay = local.applications.contains(&Application::Relay);
    let mut common: Vec<Application> = Vec::new();
    let mut relay = false;
    let mut security_seen = false;
    let mut security_ok = false;
    let mut offer = |id: u32, make: Application, common: &mut Vec<Application>| {
        if id == RELAY_APP {
            relay = true;
            return;
        }
        let matched = local
            .applications
            .iter()
            .find(|a| a.id() == id && **a != Application::Relay)
            .copied();
        let pick = match matched {
            Some(a) => Some(a),
            None if local_relay && common.len() < MAX_RELAYED_APPS => Some(make),
            None => None,
        };
        if let Some(a) = pick {
            if !common.contains(&a) {
                common.push(a);
            }
        }
    };
    for avp in msg.avps() {
        let avp = avp.map_err(|e| e.result_code())?;
        let code = avp.code();
        let u32_of = |a: &diameter_codec::Avp| {
            diameter_codec::message::decode_value::<diameter_codec::format::Unsigned32>(a)
                .map_err(|e| e.result_code())
        };
        if code == b::AUTH_APPLICATION_ID.code() {
            let id = u32_of(&avp)?;
            offer(id, Application::Auth(id), &mut common);
        } else if code == b::ACCT_APPLICATION_ID.code() {
            let id = u32_of(&avp)?;
            offer(id, Application::Acct(id), &mut common);
        } else if code == b::VENDOR_SPECIFIC_APPLICATION_ID.code() {
            let g = diameter_codec::message::decode_value::<diameter_codec::format::Grouped>(&avp)
                .map_err(|e| e.result_code())?;
            let vendor = g
                .get(&b::VENDOR_ID)
                .map_err(|e| e.result_code())?
                .unwrap_or(0);
            if let Some(app) = g
                .get(&b::AUTH_APPLICATION_ID)
                .map_err(|e| e.result_code())?
            {
                offer(app, Application::VendorAuth { vendor, app }, &mut common);
            } else if let Some(app) = g
                .get(&b::ACCT_APPLICATION_ID)
                .map_err(|e| e.result_code())?
            {
                offer(app, Application::VendorAcct { vendor, app }, &mut common);
            }
        } else if code == b::INBAND_SECURITY_ID.code() {
            security_seen = true;
            if u32_of(&avp)? == NO_INBAND_SECURITY {
                security_ok = true;
            }
        }
    }
    if relay {
        // A relay peer supports every application (§2.4): everything local is in common.
        for a in &local.applications {
            if *a != Application::Relay && !common.contains(a) {
                common.push(*a);
            }
        }
    }
    if security_seen && !security_ok {
        return Err(ResultCode::DIAMETER_NO_COMMON_SECURITY);
    }
    if common.is_empty() && !relay {
        return Err(ResultCode::DIAMETER_NO_COMMON_APPLICATION);
    }
    Ok(PeerCaps {
        host,
        common,
        relay,
    })
}

/// Whether `caps` lets messages of Application-Id `app` go to that peer (§6.1.6): the common
/// messages (0), a negotiated application, or any application through a relay.
pub(crate) fn supports(common: &[Application], relay: bool, app: u32) -> bool {
    app == 0 || relay || common.iter().any(|a| a.id() == app)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::base;
    use diameter_codec::{MessageBuilder, WriteAvps};

    fn local(apps: Vec<Application>) -> LocalNode {
        LocalNode {
            origin_host: "hss.test".into(),
            origin_realm: "test".into(),
            host_ip_addresses: vec![],
            vendor_id: 0,
            product_name: "p".into(),
            firmware_revision: None,
            origin_state_id: 1,
            applications: apps,
            supported_vendor_ids: vec![],
        }
    }

    fn cer(build: impl FnOnce(&mut MessageBuilder)) -> Message {
        let mut m = MessageBuilder::request(&base::cmd::CER, 1, 1);
        m.put(&b::ORIGIN_HOST, "Peer.Test");
        build(&mut m);
        Message::decode(m.finish()).unwrap()
    }

    #[test]
    fn vendor_specific_matches_by_id() {
        let l = local(vec![Application::VendorAuth {
            vendor: 10415,
            app: 16_777_216,
        }]);
        let m = cer(|m| {
            m.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
                g.put(&b::VENDOR_ID, &10415)
                    .put(&b::AUTH_APPLICATION_ID, &16_777_216);
            });
        });
        let c = negotiate(&m, &l).unwrap();
        assert_eq!(c.host, "Peer.Test");
        assert_eq!(c.common, l.applications);
        assert!(!c.relay);
        assert!(supports(&c.common, c.relay, 16_777_216));
        assert!(!supports(&c.common, c.relay, 4));
    }

    #[test]
    fn no_common_application_is_5010() {
        let l = local(vec![Application::Auth(4)]);
        let m = cer(|m| {
            m.put(&b::AUTH_APPLICATION_ID, &16_777_216);
        });
        assert_eq!(negotiate(&m, &l).unwrap_err().0, 5010);
        let m = cer(|_| {});
        assert_eq!(negotiate(&m, &l).unwrap_err().0, 5010);
    }

    #[test]
    fn relay_peer_and_security() {
        let l = local(vec![Application::Auth(4), Application::Acct(3)]);
        let m = cer(|m| {
            m.put(&b::AUTH_APPLICATION_ID, &RELAY_APP);
        });
        let c = negotiate(&m, &l).unwrap();
        assert!(c.relay);
        assert_eq!(c.common.len(), 2);
        let m = cer(|m| {
            m.put(&b::AUTH_APPLICATION_ID, &4)
                .put(&b::INBAND_SECURITY_ID, &1);
        });
        assert_eq!(negotiate(&m, &l).unwrap_err().0, 5017);
    }
}
