//! Configuration of the local node and its peers, and the identifiers the driver and the user
//! hold (RFC 6733 §2.1, §5.3; RFC 3539 §3.4.1).

use std::net::IpAddr;
use std::time::Duration;

/// The local Diameter node: what it advertises in CER/CEA (RFC 6733 §5.3.1, §5.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalNode {
    /// Origin-Host (DiameterIdentity, §6.3).
    pub origin_host: String,
    /// Origin-Realm (§6.4).
    pub origin_realm: String,
    /// Host-IP-Address values (§5.3.5); at least one is required on the wire.
    pub host_ip_addresses: Vec<IpAddr>,
    /// Vendor-Id (§5.3.3).
    pub vendor_id: u32,
    /// Product-Name (§5.3.7).
    pub product_name: String,
    /// Firmware-Revision (§5.3.4), if any.
    pub firmware_revision: Option<u32>,
    /// Origin-State-Id (§8.16): the driver passes e.g. the boot time.
    pub origin_state_id: u32,
    /// Applications advertised in CER/CEA (§5.3).
    pub applications: Vec<Application>,
    /// Supported-Vendor-Id values (§5.3.6).
    pub supported_vendor_ids: Vec<u32>,
}

/// An application advertised or negotiated in the capabilities exchange (RFC 6733 §5.3,
/// §6.8, §6.9, §6.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Application {
    /// Auth-Application-Id.
    Auth(u32),
    /// Acct-Application-Id.
    Acct(u32),
    /// Vendor-Specific-Application-Id with an Auth-Application-Id.
    VendorAuth {
        /// Vendor-Id.
        vendor: u32,
        /// Auth-Application-Id.
        app: u32,
    },
    /// Vendor-Specific-Application-Id with an Acct-Application-Id.
    VendorAcct {
        /// Vendor-Id.
        vendor: u32,
        /// Acct-Application-Id.
        app: u32,
    },
    /// The relay application (0xffffffff, §2.4): supports every application.
    Relay,
}

impl Application {
    /// The Application-Id carried in message headers.
    pub const fn id(self) -> u32 {
        match self {
            Self::Auth(a) | Self::Acct(a) => a,
            Self::VendorAuth { app, .. } | Self::VendorAcct { app, .. } => app,
            Self::Relay => crate::wire::RELAY_APP,
        }
    }
}

/// A configured peer (RFC 6733 §2.1, §5.6; RFC 3539 §3.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConfig {
    /// The expected Origin-Host (DiameterIdentity) of the peer.
    pub host: String,
    /// The peer's realm.
    pub realm: String,
    /// Whether we initiate the connection (and reconnect every Tc); false = wait for it.
    pub connect: bool,
    /// Reconnect timer Tc (§2.1; default 30 s).
    pub tc: Duration,
    /// Watchdog timer Tw (RFC 3539 §3.4.1; default 30 s), jittered deterministically by
    /// ±2 s from the peer index.
    pub tw: Duration,
    /// How long a request waits for its answer before failover or Timeout (default 10 s).
    pub request_timeout: Duration,
}

impl PeerConfig {
    /// A peer with the default timers: Tc 30 s, Tw 30 s, request timeout 10 s.
    pub fn new(host: impl Into<String>, realm: impl Into<String>, connect: bool) -> Self {
        Self {
            host: host.into(),
            realm: realm.into(),
            connect,
            tc: Duration::from_secs(30),
            tw: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Node-wide behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeConfig {
    /// Accept a CER from a host that is not a configured peer (else CEA 3010, §5.3).
    pub accept_unknown_peers: bool,
    /// Entries of the duplicate-detection cache (Origin-Host + End-to-End, §5.5.4).
    pub duplicate_cache: usize,
    /// Act as a relay agent (§6.1.8) for requests not addressed to this node.
    pub relay: bool,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            accept_unknown_peers: false,
            duplicate_cache: 4096,
            relay: false,
        }
    }
}

/// A peer of the peer table, as returned by [`crate::Node::add_peer`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct PeerId(pub u32);

/// A transport connection, numbered by the driver.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// Where an incoming request came from: the user passes it back to
/// [`crate::Node::send_answer`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RequestRef {
    /// The connection the request arrived on.
    pub conn: ConnectionId,
    /// The request's Hop-by-Hop Identifier (§3).
    pub hop_by_hop: u32,
}
