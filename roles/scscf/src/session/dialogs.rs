//! Session records of originating INVITEs that were answered 2xx (one per dialog, by
//! Call-ID): an originating INVITE forwarded out of the iFC chain is observed; its 2xx opens
//! a record and the BYE closes it. [`super::charging_hooks`] reports both.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use sip_proto::transaction::ServerTransactionId;
use sip_types::{Message, Method, StatusCode};

/// Records kept at most; when full, those older than [`STALE_AFTER`] go first.
pub const DIALOG_CAPACITY: usize = 100_000;

/// A record (or an INVITE waiting for its final) this old is dropped when space is needed.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// An established originating session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The Call-ID of the dialog.
    pub call_id: String,
    /// The served (originating) user.
    pub served_user: String,
    /// When the 2xx was seen (wall clock, for records).
    pub started_at: SystemTime,
    /// When the 2xx was seen (monotonic, for durations).
    pub started: Instant,
}

/// Originating INVITEs in flight (by server transaction) and established dialogs.
#[derive(Debug)]
pub struct Dialogs<K = ServerTransactionId> {
    expected: Mutex<HashMap<K, (String, Instant)>>,
    active: Mutex<HashMap<String, SessionRecord>>,
}

impl<K> Default for Dialogs<K> {
    fn default() -> Self {
        Self {
            expected: Mutex::new(HashMap::new()),
            active: Mutex::new(HashMap::new()),
        }
    }
}

fn make_room<K: Eq + Hash, V>(map: &mut HashMap<K, V>, age: impl Fn(&V) -> Instant) {
    if map.len() < DIALOG_CAPACITY {
        return;
    }
    let now = Instant::now();
    map.retain(|_, v| now.duration_since(age(v)) < STALE_AFTER);
    if map.len() >= DIALOG_CAPACITY {
        map.clear();
        tracing::warn!("dialog records full of live entries: cleared");
    }
}

impl<K: Eq + Hash> Dialogs<K> {
    /// An originating INVITE of `served_user` was forwarded as transaction `id` (observed).
    pub fn expect(&self, id: K, served_user: &str) {
        let mut map = self.expected.lock().unwrap_or_else(PoisonError::into_inner);
        make_room(&mut map, |(_, at)| *at);
        map.insert(id, (served_user.to_owned(), Instant::now()));
    }

    /// The final response of an observed request: a 2xx to an expected INVITE opens a record,
    /// which is returned (the first 2xx of a forked INVITE only).
    pub fn on_final(&self, id: K, request: &Message, status: StatusCode) -> Option<SessionRecord> {
        let (served_user, _) = self
            .expected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id)?;
        if !status.is_success() || request.method() != Some(&Method::INVITE) {
            return None;
        }
        let call_id = request.call_id().ok()?.to_owned();
        let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        if active.contains_key(&call_id) {
            return None;
        }
        make_room(&mut active, |r| r.started);
        let record = SessionRecord {
            call_id: call_id.clone(),
            served_user,
            started_at: SystemTime::now(),
            started: Instant::now(),
        };
        active.insert(call_id, record.clone());
        Some(record)
    }

    /// A BYE in dialog `call_id`: close and return its record.
    pub fn end(&self, call_id: &str) -> Option<SessionRecord> {
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(call_id)
    }

    /// The record of `call_id`, if the dialog is established.
    pub fn get(&self, call_id: &str) -> Option<SessionRecord> {
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(call_id)
            .cloned()
    }

    /// Established dialogs.
    pub fn active(&self) -> usize {
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn invite() -> Message {
        Message::parse(Bytes::from_static(
            b"INVITE sip:bob@ims.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
From: <sip:alice@ims.test>;tag=a\r\nTo: <sip:bob@ims.test>\r\nCall-ID: call-1\r\n\
CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
        ))
        .unwrap()
    }

    #[test]
    fn a_2xx_opens_and_bye_closes() {
        let d = Dialogs::<u32>::default();
        let id = 7;
        assert!(
            d.on_final(id, &invite(), StatusCode::OK).is_none(),
            "not expected"
        );
        d.expect(id, "sip:alice@ims.test");
        let r = d.on_final(id, &invite(), StatusCode::OK).unwrap();
        assert_eq!(r.call_id, "call-1");
        assert_eq!(r.served_user, "sip:alice@ims.test");
        assert_eq!(d.active(), 1);
        assert!(d.get("call-1").is_some());
        assert_eq!(d.end("call-1").map(|r| r.call_id), Some("call-1".into()));
        assert_eq!(d.active(), 0);
    }

    #[test]
    fn a_failure_opens_nothing() {
        let d = Dialogs::<u32>::default();
        let id = 7;
        d.expect(id, "sip:alice@ims.test");
        assert!(d
            .on_final(id, &invite(), StatusCode::TEMPORARILY_UNAVAILABLE)
            .is_none());
        assert_eq!(d.active(), 0);
    }
}
