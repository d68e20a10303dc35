//! Who sends a Cx request and where it goes (TS 29.229 §6.1: the common AVPs of every
//! request), and the request header they make.

use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::base::AuthSessionState;
use diameter_codec::generated::cx;
use diameter_codec::{CommandDef, MessageBuilder, WriteAvps};

/// 3GPP vendor id (TS 29.229 §6.4).
pub const VENDOR_3GPP: u32 = 10415;

/// The Diameter identity of a CSCF talking Cx and its destination (TS 29.229 §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CxIdentity {
    /// Origin-Host of our requests.
    pub origin_host: String,
    /// Origin-Realm of our requests.
    pub origin_realm: String,
    /// Destination-Realm: the home network's realm.
    pub destination_realm: String,
    /// Destination-Host: a given HSS, or none to let realm routing choose (TS 29.228 §6.1.2:
    /// the S-CSCF may address the HSS that answered before).
    pub destination_host: Option<String>,
}

impl CxIdentity {
    /// An identity sending to `destination_realm` without Destination-Host.
    pub fn new(
        origin_host: impl Into<String>,
        origin_realm: impl Into<String>,
        destination_realm: impl Into<String>,
    ) -> Self {
        Self {
            origin_host: origin_host.into(),
            origin_realm: origin_realm.into(),
            destination_realm: destination_realm.into(),
            destination_host: None,
        }
    }

    /// Starts a request of `cmd`: Session-Id, Vendor-Specific-Application-Id,
    /// Auth-Session-State NO_STATE_MAINTAINED, Origin-Host/Realm, Destination-Host (if any)
    /// and Destination-Realm. Hop-by-Hop and End-to-End are zero: the node assigns them.
    pub(crate) fn request(&self, cmd: &CommandDef, session_id: &str) -> MessageBuilder {
        let mut r = MessageBuilder::request(cmd, 0, 0);
        r.put(&b::SESSION_ID, session_id);
        put_vendor_app(&mut r);
        r.put(
            &b::AUTH_SESSION_STATE,
            &AuthSessionState::NO_STATE_MAINTAINED,
        )
        .put(&b::ORIGIN_HOST, self.origin_host.as_str())
        .put(&b::ORIGIN_REALM, self.origin_realm.as_str());
        if let Some(h) = &self.destination_host {
            r.put(&b::DESTINATION_HOST, h.as_str());
        }
        r.put(&b::DESTINATION_REALM, self.destination_realm.as_str());
        r
    }
}

/// Vendor-Specific-Application-Id { Vendor-Id 10415, Auth-Application-Id 16777216 }
/// (TS 29.229 §5.1).
pub(crate) fn put_vendor_app<W: WriteAvps>(w: &mut W) {
    w.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
        g.put(&b::VENDOR_ID, &VENDOR_3GPP)
            .put(&b::AUTH_APPLICATION_ID, &cx::APPLICATION_ID.0);
    });
}
