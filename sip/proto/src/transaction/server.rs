//! A server transaction of either kind, dispatched by method (RFC 3261 §17.2).

use bytes::Bytes;
use sip_types::StatusCode;

use super::key::StoredKey;
use super::output::{Output, Step};
use super::server_invite::{ServerInvite, ServerInviteState};
use super::server_non_invite::{ServerNonInvite, ServerNonInviteState};
use super::timer::{Deadlines, Timer};
use crate::flow::Flow;

/// The state of a server transaction, as reported by
/// [`super::TransactionLayer::server_state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// An INVITE server transaction.
    Invite(ServerInviteState),
    /// A non-INVITE server transaction.
    NonInvite(ServerNonInviteState),
}

#[derive(Debug)]
pub(crate) enum ServerTransaction {
    Invite(ServerInvite),
    NonInvite(ServerNonInvite),
}

impl ServerTransaction {
    pub(crate) fn state(&self) -> ServerState {
        match self {
            Self::Invite(t) => ServerState::Invite(t.state),
            Self::NonInvite(t) => ServerState::NonInvite(t.state),
        }
    }

    pub(crate) fn key(&self) -> &StoredKey {
        match self {
            Self::Invite(t) => &t.key,
            Self::NonInvite(t) => &t.key,
        }
    }

    pub(crate) fn flow(&self) -> &Flow {
        match self {
            Self::Invite(t) => &t.flow,
            Self::NonInvite(t) => &t.flow,
        }
    }

    pub(crate) fn deadlines(&self) -> &Deadlines {
        match self {
            Self::Invite(t) => &t.deadlines,
            Self::NonInvite(t) => &t.deadlines,
        }
    }

    pub(crate) fn deadlines_mut(&mut self) -> &mut Deadlines {
        match self {
            Self::Invite(t) => &mut t.deadlines,
            Self::NonInvite(t) => &mut t.deadlines,
        }
    }

    #[cfg(test)]
    pub(crate) fn held_bytes(&self) -> usize {
        match self {
            Self::Invite(t) => t.held_bytes(),
            Self::NonInvite(t) => t.held_bytes(),
        }
    }

    pub(crate) fn on_retransmission(&self, out: &mut Output<'_>) {
        match self {
            Self::Invite(t) => t.on_retransmission(out),
            Self::NonInvite(t) => t.on_retransmission(out),
        }
    }

    pub(crate) fn send_response(
        &mut self,
        status: StatusCode,
        bytes: Bytes,
        out: &mut Output<'_>,
    ) -> (bool, Step) {
        match self {
            Self::Invite(t) => t.send_response(status, bytes, out),
            Self::NonInvite(t) => t.send_response(status, bytes, out),
        }
    }

    pub(crate) fn on_timer(&mut self, timer: Timer, out: &mut Output<'_>) -> Step {
        match self {
            Self::Invite(t) => t.on_timer(timer, out),
            Self::NonInvite(t) => t.on_timer(timer),
        }
    }
}
