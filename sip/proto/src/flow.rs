//! Where a message came from or goes to: transport, remote address and, for connection-oriented
//! transports, the connection it travelled on (RFC 3261 §18.2.2: responses go back over it).

use std::net::SocketAddr;

/// A SIP transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP (RFC 3261 §18)
    Udp,
    /// TCP
    Tcp,
    /// TLS over TCP
    Tls,
    /// SCTP (RFC 4168)
    Sctp,
    /// WebSocket (RFC 7118)
    Ws,
    /// Secure WebSocket
    Wss,
}

impl Transport {
    /// Reliable transports need no retransmissions (RFC 3261 §17: timers A, E, G unused).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Self::Udp)
    }

    /// The token used in Via (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, `WSS`).
    pub fn via_token(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
            Self::Sctp => "SCTP",
            Self::Ws => "WS",
            Self::Wss => "WSS",
        }
    }

    /// The `transport=` URI parameter value (lower case).
    pub fn param(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Tls => "tls",
            Self::Sctp => "sctp",
            Self::Ws => "ws",
            Self::Wss => "wss",
        }
    }

    /// Parse a Via token or `transport=` value, case-insensitively.
    pub fn from_token(token: &str) -> Option<Self> {
        [
            Self::Udp,
            Self::Tcp,
            Self::Tls,
            Self::Sctp,
            Self::Ws,
            Self::Wss,
        ]
        .into_iter()
        .find(|t| t.via_token().eq_ignore_ascii_case(token))
    }
}

/// Identifies one connection of a connection-oriented transport inside a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// A message's path: the transport, the remote and local socket addresses, and the connection
/// for stream transports (`None` for UDP, or to let the driver pick or open one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flow {
    /// Transport.
    pub transport: Transport,
    /// The peer's address.
    pub remote: SocketAddr,
    /// Our listening address the message arrived on or should leave from.
    pub local: SocketAddr,
    /// The connection, for TCP/TLS/WS.
    pub connection: Option<ConnectionId>,
}
