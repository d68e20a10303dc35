//! Correlation of the START, INTERIM and STOP records of one session into one call detail
//! (TS 32.260 §5.2.2: one IMS CDR per session, closed by the STOP; TS 32.299 §6.1.2).

use crate::record::RecordType;
use crate::store::Cdr;

/// One session as billed: identities from the records, start and stop times and duration.
///
/// The start is the START's SIP-Response-Timestamp (the 200 OK, TS 32.260 §5.1.3.1.x
/// "Service Delivery Start Time Stamp"), else its Event-Timestamp, else its reception time.
/// The stop is the STOP's SIP-Request-Timestamp (the BYE), else its Event-Timestamp, else its
/// reception time. Records may arrive in any order (an INTERIM before its START is kept).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallDetail {
    /// Session-Id of the Rf session.
    pub session_id: String,
    /// IMS-Charging-Identifier, first one present.
    pub ims_charging_identifier: Option<String>,
    /// User-Session-Id (SIP Call-ID), first one present.
    pub user_session_id: Option<String>,
    /// Calling-Party-Address, first one present.
    pub calling_party_address: Option<String>,
    /// Called-Party-Address, first one present.
    pub called_party_address: Option<String>,
    /// Origin-Host of the CTF.
    pub origin_host: String,
    /// Node-Functionality, first one present.
    pub node_functionality: Option<i32>,
    /// Role-Of-Node, first one present.
    pub role_of_node: Option<i32>,
    /// Session start (Unix seconds), when a START was received.
    pub start_time: Option<u64>,
    /// Session end (Unix seconds), when a STOP was received.
    pub stop_time: Option<u64>,
    /// `stop_time - start_time` in seconds, when both are known (0 if the stop precedes
    /// the start).
    pub duration: Option<u64>,
    /// Number of INTERIM records.
    pub interim_count: u32,
    /// Number of records of the session.
    pub record_count: u32,
    /// Highest Accounting-Record-Number seen.
    pub last_record_number: u32,
    /// Cause-Code of the STOP, else of the latest record carrying one.
    pub cause_code: Option<i32>,
}

impl CallDetail {
    /// Whether both the START and the STOP were received.
    pub const fn is_complete(&self) -> bool {
        self.start_time.is_some() && self.stop_time.is_some()
    }

    /// The time to order details by: the start, else the stop, else 0.
    pub fn sort_time(&self) -> u64 {
        self.start_time.or(self.stop_time).unwrap_or(0)
    }
}

/// Groups `cdrs` by Session-Id (in order of first appearance) into call details, taking each
/// group in Accounting-Record-Number order. EVENT records are ignored.
pub fn correlate(cdrs: &[Cdr]) -> Vec<CallDetail> {
    let mut order: Vec<&str> = Vec::new();
    let mut groups: std::collections::HashMap<&str, Vec<&Cdr>> = std::collections::HashMap::new();
    for c in cdrs {
        if c.record.record_type == RecordType::Event {
            continue;
        }
        let sid = c.record.session_id.as_str();
        groups
            .entry(sid)
            .or_insert_with(|| {
                order.push(sid);
                Vec::new()
            })
            .push(c);
    }
    order
        .into_iter()
        .filter_map(|sid| groups.remove(sid))
        .map(|mut group| {
            group.sort_by_key(|c| (c.record.record_number, c.id));
            detail_of(&group)
        })
        .collect()
}

fn first<T: Clone>(group: &[&Cdr], f: impl Fn(&Cdr) -> Option<&T>) -> Option<T> {
    group.iter().find_map(|c| f(c)).cloned()
}

fn detail_of(group: &[&Cdr]) -> CallDetail {
    let mut d = CallDetail {
        session_id: group
            .first()
            .map(|c| c.record.session_id.clone())
            .unwrap_or_default(),
        ims_charging_identifier: first(group, |c| c.record.ims_charging_identifier.as_ref()),
        user_session_id: first(group, |c| c.record.user_session_id.as_ref()),
        calling_party_address: first(group, |c| c.record.calling_party_address.as_ref()),
        called_party_address: first(group, |c| c.record.called_party_address.as_ref()),
        origin_host: group
            .first()
            .map(|c| c.record.origin_host.clone())
            .unwrap_or_default(),
        node_functionality: first(group, |c| c.record.node_functionality.as_ref()),
        role_of_node: first(group, |c| c.record.role_of_node.as_ref()),
        ..CallDetail::default()
    };
    let mut stop_cause = None;
    let mut last_cause = None;
    for c in group {
        let r = &c.record;
        d.record_count = d.record_count.saturating_add(1);
        d.last_record_number = d.last_record_number.max(r.record_number);
        if r.cause_code.is_some() {
            last_cause = r.cause_code;
        }
        match r.record_type {
            RecordType::Start if d.start_time.is_none() => {
                d.start_time = Some(
                    r.sip_response_timestamp
                        .or(r.event_timestamp)
                        .unwrap_or(r.received_at),
                );
            }
            RecordType::Interim => d.interim_count = d.interim_count.saturating_add(1),
            RecordType::Stop => {
                d.stop_time = Some(
                    r.sip_request_timestamp
                        .or(r.event_timestamp)
                        .unwrap_or(r.received_at),
                );
                stop_cause = r.cause_code;
            }
            _ => {}
        }
    }
    d.cause_code = stop_cause.or(last_cause);
    d.duration = match (d.start_time, d.stop_time) {
        (Some(start), Some(stop)) => Some(stop.saturating_sub(start)),
        _ => None,
    };
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::AccountingRecord;

    fn cdr(id: i64, sid: &str, t: RecordType, n: u32, ts: u64) -> Cdr {
        Cdr {
            id,
            record_time: ts,
            record: AccountingRecord {
                session_id: sid.into(),
                record_type: t,
                record_number: n,
                event_timestamp: Some(ts),
                ..AccountingRecord::default()
            },
        }
    }

    #[test]
    fn start_interim_stop_in_any_order() {
        let mut stop = cdr(3, "a", RecordType::Stop, 2, 200);
        stop.record.sip_request_timestamp = Some(190);
        stop.record.cause_code = Some(0);
        let mut start = cdr(2, "a", RecordType::Start, 0, 100);
        start.record.sip_response_timestamp = Some(101);
        start.record.ims_charging_identifier = Some("icid-1".into());
        let cdrs = vec![
            cdr(1, "a", RecordType::Interim, 1, 150),
            start,
            cdr(4, "b", RecordType::Start, 0, 300),
            cdr(5, "c", RecordType::Event, 0, 300),
            stop,
        ];
        let ds = correlate(&cdrs);
        assert_eq!(ds.len(), 2);
        let a = &ds[0];
        assert_eq!(a.session_id, "a");
        assert_eq!(
            (a.start_time, a.stop_time, a.duration),
            (Some(101), Some(190), Some(89))
        );
        assert_eq!(
            (a.interim_count, a.record_count, a.last_record_number),
            (1, 3, 2)
        );
        assert_eq!(a.ims_charging_identifier.as_deref(), Some("icid-1"));
        assert_eq!(a.cause_code, Some(0));
        assert!(a.is_complete());
        let b = &ds[1];
        assert_eq!(
            (b.start_time, b.stop_time, b.duration),
            (Some(300), None, None)
        );
        assert!(!b.is_complete());
    }
}
