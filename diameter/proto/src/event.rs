//! What the node tells the driver and the user (outputs of the sans-IO core).

use diameter_codec::Message;

use crate::config::{Application, ConnectionId, PeerId, RequestRef};

/// An output of the node, taken by [`crate::Node::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// The driver opens a transport to that peer (it knows the address) and reports
    /// [`crate::Node::handle_connected`] or [`crate::Node::handle_connect_failed`].
    Connect {
        /// The peer.
        peer: PeerId,
    },
    /// The driver closes the transport, after writing the frames already polled for it; a
    /// later `handle_closed` for it is ignored.
    Close {
        /// The connection.
        conn: ConnectionId,
    },
    /// The capabilities exchange completed: the peer is Open (§5.6).
    PeerUp {
        /// The peer.
        peer: PeerId,
        /// Its Origin-Host.
        host: String,
        /// The applications in common.
        applications: Vec<Application>,
    },
    /// The peer left the Open state (or its watchdog declared it DOWN).
    PeerDown {
        /// The peer.
        peer: PeerId,
    },
    /// An incoming request for local handling (bad ones were already answered with the
    /// RFC 6733 error answer by the node; duplicates (T flag, §5.5.4) are answered from cache).
    Request {
        /// The decoded, validated request.
        request: Message,
        /// Where to send the answer ([`crate::Node::send_answer`]).
        from: RequestRef,
    },
    /// The answer to a request sent with [`crate::Node::send_request`].
    Answer {
        /// The caller's token.
        token: u64,
        /// The decoded answer (its Hop-by-Hop Identifier is the one the node assigned).
        answer: Message,
    },
    /// No answer within `request_timeout` (after failover attempts).
    Timeout {
        /// The caller's token.
        token: u64,
    },
}

/// Why [`crate::Node::send_request`] or [`crate::Node::send_answer`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No route for the Destination-Realm/Destination-Host and application (3003/3002).
    #[error("no route to the destination")]
    NoRoute,
    /// The peer or connection is not open.
    #[error("peer connection not open")]
    NotOpen,
    /// The message does not decode, or is not the right kind (request vs answer).
    #[error("malformed message")]
    Malformed,
    /// No such pending incoming request (already answered or its connection is gone).
    #[error("unknown request")]
    UnknownRequest,
}

/// The RFC 6733 §5.6 peer state. `Open` covers both R-Open and I-Open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerState {
    /// No connection.
    Closed,
    /// Waiting for the transport we started (Wait-Conn-Ack).
    WaitConnAck,
    /// CER sent on our connection, waiting for the CEA (Wait-I-CEA).
    WaitICea,
    /// Our connection is pending while an incoming CER waits for the election
    /// (Wait-Conn-Ack/Elect).
    WaitConnAckElect,
    /// Both connections exist; waiting for our CEA or its loss (Wait-Returns).
    WaitReturns,
    /// Capabilities exchanged (R-Open or I-Open).
    Open,
    /// DPR sent, waiting for the DPA (Closing).
    Closing,
}

/// The RFC 3539 §3.4 watchdog state of a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchdogState {
    /// Connection being set up.
    Initial,
    /// Answers flowing.
    Okay,
    /// One Tw without traffic and a DWR outstanding.
    Suspect,
    /// Connection declared failed.
    Down,
    /// Connection reestablished; waiting for 3 DWAs before use.
    Reopen,
}
