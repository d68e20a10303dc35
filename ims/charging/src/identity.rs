//! Who the client is and where its requests go (RFC 6733 §6.3-§6.6).

/// Origin and destination of the requests a client builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// Origin-Host (the S-CSCF's DiameterIdentity).
    pub origin_host: String,
    /// Origin-Realm.
    pub origin_realm: String,
    /// Destination-Realm (the OCS's or CDF's realm).
    pub destination_realm: String,
    /// Destination-Host, when the requests must reach one server.
    pub destination_host: Option<String>,
}

impl ClientIdentity {
    /// An identity sending from `origin_host`@`origin_realm` to `destination_realm`.
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
}
