//! A client transaction of either kind, dispatched by method (RFC 3261 §17.1).

use sip_types::Message;

use super::client_invite::{ClientInvite, ClientInviteState};
use super::client_non_invite::{ClientNonInvite, ClientNonInviteState};
use super::key::StoredKey;
use super::output::{Output, Step};
use super::timer::{Deadlines, Timer};
use crate::flow::Flow;

/// The state of a client transaction, as reported by
/// [`super::TransactionLayer::client_state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// An INVITE client transaction.
    Invite(ClientInviteState),
    /// A non-INVITE client transaction.
    NonInvite(ClientNonInviteState),
}

#[derive(Debug)]
pub(crate) enum ClientTransaction {
    Invite(ClientInvite),
    NonInvite(ClientNonInvite),
}

impl ClientTransaction {
    pub(crate) fn state(&self) -> ClientState {
        match self {
            Self::Invite(t) => ClientState::Invite(t.state),
            Self::NonInvite(t) => ClientState::NonInvite(t.state),
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

    pub(crate) fn on_response(&mut self, response: Message, out: &mut Output<'_>) -> Step {
        match self {
            Self::Invite(t) => t.on_response(response, out),
            Self::NonInvite(t) => t.on_response(response, out),
        }
    }

    pub(crate) fn on_timer(&mut self, timer: Timer, out: &mut Output<'_>) -> Step {
        match self {
            Self::Invite(t) => t.on_timer(timer, out),
            Self::NonInvite(t) => t.on_timer(timer, out),
        }
    }

    pub(crate) fn on_transport_error(&mut self, out: &mut Output<'_>) -> Step {
        match self {
            Self::Invite(t) => t.on_transport_error(out),
            Self::NonInvite(t) => t.on_transport_error(out),
        }
    }
}
