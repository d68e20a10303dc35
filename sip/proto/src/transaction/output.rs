//! What a machine may do while handling an input: send, tell the TU, arm timers.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::config::TimerConfig;
use super::event::{TransactionEvent, Transmit};
use super::timer::{Deadlines, Side, Timer, TimerQueue};
use crate::flow::Flow;

/// Whether a machine lives on after an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Still running.
    Alive,
    /// Reached Terminated: the layer drops it.
    Terminated,
}

/// The layer's output queues, lent to one machine for one input.
pub(crate) struct Output<'a> {
    pub(crate) now: Instant,
    pub(crate) config: &'a TimerConfig,
    pub(crate) transmits: &'a mut VecDeque<Transmit>,
    pub(crate) events: &'a mut VecDeque<TransactionEvent>,
    pub(crate) timers: &'a mut TimerQueue,
}

impl Output<'_> {
    /// Queue `bytes` for `flow`.
    pub(crate) fn send(&mut self, flow: Flow, bytes: Bytes) {
        self.transmits.push_back(Transmit { flow, bytes });
    }

    /// Queue an event for the TU.
    pub(crate) fn emit(&mut self, event: TransactionEvent) {
        self.events.push_back(event);
    }

    /// Arm `timer` to fire `after` from now (never, if that is beyond what `Instant` holds).
    pub(crate) fn arm(
        &mut self,
        deadlines: &mut Deadlines,
        side: Side,
        id: u64,
        timer: Timer,
        after: Duration,
    ) {
        if let Some(at) = self.now.checked_add(after) {
            self.timers.arm(deadlines, side, id, timer, at);
        }
    }
}
