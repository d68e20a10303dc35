//! The P-CSCF's view of who is registered through it (TS 24.229 §5.2.2.1, after the 200 OK to
//! REGISTER): per contact, the flow the UE registered from, and per public identity the
//! Service-Route (RFC 3608) and P-Associated-URI (RFC 7315 §4.1) lists. In memory, with
//! expiry: keeping registrations across restarts is the S-CSCF's job. Pure: the caller passes
//! the time.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sip_proto::{Flow, Transport};
use sip_types::Uri;

/// A contact URI reduced to what identifies it (scheme, user, host lower-cased, port with
/// its default; parameters dropped), so that a Request-URI built from a contact matches it.
pub fn contact_key(uri: &str) -> String {
    match Uri::parse(uri.trim()) {
        Ok(Uri::Sip(u)) => {
            let default = if u.secure { 5061 } else { 5060 };
            format!(
                "{}:{}@{}:{}",
                if u.secure { "sips" } else { "sip" },
                u.user.unwrap_or(""),
                u.host_str.to_ascii_lowercase(),
                u.port.unwrap_or(default)
            )
        }
        _ => uri.trim().to_ascii_lowercase(),
    }
}

/// One registered contact of one public identity: what a lookup returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The contact URI as the UE registered it.
    pub contact: String,
    /// The flow the UE registered from (where terminating requests go).
    pub flow: Flow,
    /// The registered public identity (the To of the REGISTER).
    pub impu: String,
    /// Service-Route URIs from the 200 OK, in order (RFC 3608 §6).
    pub service_route: Vec<String>,
    /// P-Associated-URI values from the 200 OK, in order; the IMPU when there were none.
    pub associated_uris: Vec<String>,
    /// When the binding lapses.
    pub expires_at: Instant,
}

/// What a 200 OK to REGISTER says about the UE's contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationUpdate {
    /// The registered public identity.
    pub impu: String,
    /// The flow the REGISTER came from.
    pub flow: Flow,
    /// Service-Route URIs, in order.
    pub service_route: Vec<String>,
    /// P-Associated-URI values, in order.
    pub associated_uris: Vec<String>,
    /// Each contact of the request with its granted expiry (0: removed).
    pub contacts: Vec<(String, u32)>,
    /// `Contact: *`: every contact of `impu` is removed.
    pub remove_all: bool,
}

/// Per identity data of one contact.
#[derive(Debug, Clone)]
struct Identity {
    impu: String,
    /// Shared: every user served by one S-CSCF is given the same route.
    service_route: Arc<[String]>,
    associated_uris: Vec<String>,
    expires_at: Instant,
}

#[derive(Debug, Clone)]
struct ContactEntry {
    contact: String,
    flow: Flow,
    identities: Vec<Identity>,
}

type FlowKey = (Transport, SocketAddr);

fn flow_key(flow: &Flow) -> FlowKey {
    (flow.transport, flow.remote)
}

/// The registration cache, indexed by contact and by flow. It holds every contact registered
/// through this P-CSCF, so the contact key text is stored once for both indexes and equal
/// Service-Routes once for all.
#[derive(Debug, Default)]
pub struct Registrations {
    contacts: HashMap<Arc<str>, ContactEntry>,
    flows: HashMap<FlowKey, HashSet<Arc<str>>>,
    /// The Service-Route last stored, handed to the next registration that has the same one.
    last_route: Option<Arc<[String]>>,
}

impl Registrations {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Apply what a 200 OK to REGISTER granted, at `now`.
    pub fn apply(&mut self, update: &RegistrationUpdate, now: Instant) {
        if update.remove_all {
            let keys: Vec<Arc<str>> = self
                .contacts
                .iter()
                .filter(|(_, e)| e.identities.iter().any(|i| i.impu == update.impu))
                .map(|(k, _)| k.clone())
                .collect();
            for key in keys {
                self.remove_identity(&key, &update.impu);
            }
            return;
        }
        for (contact, expires) in &update.contacts {
            let key = contact_key(contact);
            if *expires == 0 {
                self.remove_identity(&key, &update.impu);
                continue;
            }
            let identity = Identity {
                impu: update.impu.clone(),
                service_route: self.shared_route(&update.service_route),
                associated_uris: update.associated_uris.clone(),
                expires_at: now + Duration::from_secs(u64::from(*expires)),
            };
            let existing = self
                .contacts
                .get_key_value(key.as_str())
                .map(|(k, e)| (k.clone(), flow_key(&e.flow)));
            let key: Arc<str> = match existing {
                Some((shared, old)) => {
                    if old != flow_key(&update.flow) {
                        self.unindex(old, &shared);
                    }
                    shared
                }
                None => Arc::from(key),
            };
            let entry = self
                .contacts
                .entry(key.clone())
                .or_insert_with(|| ContactEntry {
                    contact: contact.clone(),
                    flow: update.flow,
                    identities: Vec::new(),
                });
            entry.contact.clone_from(contact);
            entry.flow = update.flow;
            match entry.identities.iter_mut().find(|i| i.impu == update.impu) {
                Some(existing) => *existing = identity,
                None => entry.identities.push(identity),
            }
            self.flows
                .entry(flow_key(&update.flow))
                .or_default()
                .insert(key);
        }
    }

    /// `route` as a shared list: the last one stored when it is equal.
    fn shared_route(&mut self, route: &[String]) -> Arc<[String]> {
        match &self.last_route {
            Some(last) if **last == *route => last.clone(),
            _ => {
                let fresh: Arc<[String]> = route.into();
                self.last_route = Some(fresh.clone());
                fresh
            }
        }
    }

    fn remove_identity(&mut self, key: &str, impu: &str) {
        let Some(entry) = self.contacts.get_mut(key) else {
            return;
        };
        entry.identities.retain(|i| i.impu != impu);
        if entry.identities.is_empty() {
            let flow = flow_key(&entry.flow);
            self.contacts.remove(key);
            self.unindex(flow, key);
        }
    }

    fn unindex(&mut self, flow: FlowKey, key: &str) {
        if let Some(set) = self.flows.get_mut(&flow) {
            set.remove(key);
            if set.is_empty() {
                self.flows.remove(&flow);
            }
        }
    }

    fn bindings_of<'a>(
        entry: &'a ContactEntry,
        now: Instant,
    ) -> impl Iterator<Item = Binding> + 'a {
        entry
            .identities
            .iter()
            .filter(move |i| i.expires_at > now)
            .map(|i| Self::binding(entry, i))
    }

    /// Live bindings registered from `transport` and `remote` (the UE's source address); the
    /// decisions use [`Registrations::originating`], which copies one binding.
    #[cfg(test)]
    pub fn by_flow(&self, transport: Transport, remote: SocketAddr, now: Instant) -> Vec<Binding> {
        let Some(keys) = self.flows.get(&(transport, remote)) else {
            return Vec::new();
        };
        let mut out: Vec<Binding> = keys
            .iter()
            .filter_map(|k| self.contacts.get(k))
            .flat_map(|e| Self::bindings_of(e, now))
            .collect();
        out.sort_by(|a, b| (&a.contact, &a.impu).cmp(&(&b.contact, &b.impu)));
        out
    }

    /// Whether any live binding was registered from `transport` and `remote`.
    pub fn flow_is_registered(
        &self,
        transport: Transport,
        remote: SocketAddr,
        now: Instant,
    ) -> bool {
        self.flows.get(&(transport, remote)).is_some_and(|keys| {
            keys.iter()
                .filter_map(|k| self.contacts.get(k))
                .any(|e| e.identities.iter().any(|i| i.expires_at > now))
        })
    }

    /// The registered UE an originating request on the flow comes from, and the identity to
    /// assert for it (TS 24.229 §5.2.6.3.1), without copying the flow's other bindings.
    ///
    /// The UE is the one whose contact the request names when it names one registered on
    /// this flow, else every UE registered on the flow. Among them the first value of
    /// `preferred` (P-Preferred-Identity, as [`contact_key`]s) that one of their associated
    /// URIs matches is asserted. Without such a match a UE alone on its flow gets its default
    /// identity (the first associated URI). Several UEs behind one flow (a NAT without IPsec)
    /// are told apart by `from` (the From URI's key): the default identity of the UE whose
    /// set holds it; when nothing tells them apart, `None` (the request cannot be attributed).
    pub fn originating(
        &self,
        transport: Transport,
        remote: SocketAddr,
        contact: Option<&str>,
        preferred: &[String],
        from: Option<&str>,
        now: Instant,
    ) -> Option<(String, Binding)> {
        let keys = self.flows.get(&(transport, remote))?;
        let named = contact
            .map(contact_key)
            .filter(|k| keys.contains(k.as_str()))
            .and_then(|k| self.contacts.get(k.as_str()));
        let mut candidates: Vec<&ContactEntry> = match named {
            Some(entry) => vec![entry],
            None => keys.iter().filter_map(|k| self.contacts.get(k)).collect(),
        };
        candidates.retain(|e| e.identities.iter().any(|i| i.expires_at > now));
        for wanted in preferred {
            for entry in &candidates {
                for identity in entry.identities.iter().filter(|i| i.expires_at > now) {
                    if let Some(uri) = identity
                        .associated_uris
                        .iter()
                        .find(|u| contact_key(u) == *wanted)
                    {
                        return Some((uri.clone(), Self::binding(entry, identity)));
                    }
                }
            }
        }
        let chosen = match candidates.as_slice() {
            [one] => *one,
            _ => {
                let from = from?;
                candidates.iter().copied().find(|e| {
                    e.identities.iter().any(|i| {
                        i.expires_at > now
                            && (contact_key(&i.impu) == from
                                || i.associated_uris.iter().any(|u| contact_key(u) == from))
                    })
                })?
            }
        };
        let identity = chosen.identities.iter().find(|i| i.expires_at > now)?;
        let uri = identity
            .associated_uris
            .first()
            .cloned()
            .unwrap_or_else(|| identity.impu.clone());
        Some((uri, Self::binding(chosen, identity)))
    }

    fn binding(entry: &ContactEntry, i: &Identity) -> Binding {
        Binding {
            contact: entry.contact.clone(),
            flow: entry.flow,
            impu: i.impu.clone(),
            service_route: i.service_route.to_vec(),
            associated_uris: i.associated_uris.clone(),
            expires_at: i.expires_at,
        }
    }

    /// Live bindings of the contact `uri` (compared by [`contact_key`]).
    pub fn by_contact(&self, uri: &str, now: Instant) -> Vec<Binding> {
        self.contacts
            .get(contact_key(uri).as_str())
            .map(|e| Self::bindings_of(e, now).collect())
            .unwrap_or_default()
    }

    /// Drop what has lapsed by `now`; returns how many bindings went.
    pub fn purge(&mut self, now: Instant) -> usize {
        let mut gone = 0;
        let mut empty = Vec::new();
        for (key, entry) in &mut self.contacts {
            let before = entry.identities.len();
            entry.identities.retain(|i| i.expires_at > now);
            gone += before - entry.identities.len();
            if entry.identities.is_empty() {
                empty.push((key.clone(), flow_key(&entry.flow)));
            }
        }
        for (key, flow) in empty {
            self.contacts.remove(&key);
            self.unindex(flow, &key);
        }
        gone
    }

    /// Number of contacts held (live or not yet purged).
    pub fn len(&self) -> usize {
        self.contacts.len()
    }

    /// True when no contact is held.
    pub fn is_empty(&self) -> bool {
        self.contacts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(port: u16) -> Flow {
        Flow {
            transport: Transport::Udp,
            remote: SocketAddr::from(([127, 0, 0, 1], port)),
            local: SocketAddr::from(([127, 0, 0, 1], 5060)),
            connection: None,
        }
    }

    fn update(impu: &str, port: u16, contacts: &[(&str, u32)]) -> RegistrationUpdate {
        RegistrationUpdate {
            impu: impu.into(),
            flow: flow(port),
            service_route: vec!["sip:orig@scscf.ims.test:5080;lr".into()],
            associated_uris: vec![impu.into(), "tel:+1000".into()],
            contacts: contacts
                .iter()
                .map(|(c, e)| ((*c).to_owned(), *e))
                .collect(),
            remove_all: false,
        }
    }

    #[test]
    fn contacts_share_key_text_and_service_route() {
        let mut r = Registrations::new();
        let now = Instant::now();
        r.apply(
            &update("sip:a@ims.test", 7000, &[("sip:a@127.0.0.1:7000", 60)]),
            now,
        );
        r.apply(
            &update("sip:b@ims.test", 7000, &[("sip:b@127.0.0.1:7000", 60)]),
            now,
        );
        let routes: Vec<&Arc<[String]>> = r
            .contacts
            .values()
            .flat_map(|e| e.identities.iter().map(|i| &i.service_route))
            .collect();
        assert!(matches!(routes.as_slice(), [x, y] if Arc::ptr_eq(x, y)));
        let flows = r.flows.values().flatten();
        for key in flows {
            let (stored, _) = r.contacts.get_key_value(&**key).expect("indexed contact");
            assert!(Arc::ptr_eq(stored, key), "one copy of the key text");
        }
        let mut moved = update("sip:a@ims.test", 7001, &[("sip:a@127.0.0.1:7000", 60)]);
        moved.service_route = vec!["sip:other@scscf2:5080;lr".into()];
        r.apply(&moved, now);
        assert_eq!(r.by_flow(Transport::Udp, flow(7000).remote, now).len(), 1);
        let got = r.by_contact("sip:a@127.0.0.1:7000", now);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].service_route, ["sip:other@scscf2:5080;lr"]);
        assert_eq!(got[0].flow.remote, flow(7001).remote);
    }

    #[test]
    fn contact_keys_ignore_parameters_and_case() {
        assert_eq!(
            contact_key("sip:alice@127.0.0.1:4000;transport=udp"),
            contact_key("sip:alice@127.0.0.1:4000")
        );
        assert_eq!(contact_key("sip:a@HOST"), contact_key("sip:a@host:5060"));
        assert_ne!(contact_key("sip:a@host"), contact_key("sip:b@host"));
        assert_ne!(contact_key("sip:a@host"), contact_key("sips:a@host"));
    }

    #[test]
    fn entries_expire_and_are_purged() {
        let mut r = Registrations::new();
        let t0 = Instant::now();
        r.apply(
            &update(
                "sip:alice@ims.test",
                4000,
                &[("sip:alice@127.0.0.1:4000", 60)],
            ),
            t0,
        );
        let live = r.by_flow(Transport::Udp, flow(4000).remote, t0);
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].impu, "sip:alice@ims.test");
        assert_eq!(
            r.by_contact("sip:alice@127.0.0.1:4000;ob", t0 + Duration::from_secs(59))
                .len(),
            1
        );
        // Lapsed: no longer found, though still held until purged.
        let later = t0 + Duration::from_secs(60);
        assert!(r.by_contact("sip:alice@127.0.0.1:4000", later).is_empty());
        assert!(r
            .by_flow(Transport::Udp, flow(4000).remote, later)
            .is_empty());
        assert_eq!(r.len(), 1);
        assert_eq!(r.purge(t0 + Duration::from_secs(30)), 0);
        assert_eq!(r.purge(later), 1);
        assert!(r.is_empty());
        assert!(r.flows.is_empty());
    }

    #[test]
    fn refresh_moves_the_flow_and_zero_expiry_removes() {
        let mut r = Registrations::new();
        let t0 = Instant::now();
        let contact = "sip:bob@127.0.0.1:4002";
        r.apply(&update("sip:bob@ims.test", 4002, &[(contact, 600)]), t0);
        r.apply(&update("tel:+1000", 4002, &[(contact, 600)]), t0);
        assert_eq!(r.by_contact(contact, t0).len(), 2);
        // Re-registration from another source port: the flow follows.
        r.apply(&update("sip:bob@ims.test", 4003, &[(contact, 600)]), t0);
        assert!(r.by_flow(Transport::Udp, flow(4002).remote, t0).is_empty());
        assert_eq!(r.by_flow(Transport::Udp, flow(4003).remote, t0).len(), 2);
        r.apply(&update("sip:bob@ims.test", 4003, &[(contact, 0)]), t0);
        assert_eq!(r.by_contact(contact, t0).len(), 1);
        let mut star = update("tel:+1000", 4003, &[]);
        star.remove_all = true;
        r.apply(&star, t0);
        assert!(r.is_empty());
        assert!(r.flows.is_empty());
    }

    #[test]
    fn originating_ue_on_own_and_shared_flows() {
        let t0 = Instant::now();
        let mut r = Registrations::new();
        r.apply(
            &update("sip:alice@ims.test", 4100, &[("sip:a@10.0.0.1:4100", 600)]),
            t0,
        );
        let udp = Transport::Udp;
        let alone = flow(4100).remote;
        // Alone on its flow: the default identity, or the preferred one it owns.
        let (id, b) = r.originating(udp, alone, None, &[], None, t0).unwrap();
        assert_eq!(
            (id.as_str(), b.impu.as_str()),
            ("sip:alice@ims.test", "sip:alice@ims.test")
        );
        let tel = vec![contact_key("tel:+1000")];
        assert_eq!(
            r.originating(udp, alone, None, &tel, None, t0).unwrap().0,
            "tel:+1000"
        );
        assert!(r
            .originating(udp, flow(4999).remote, None, &[], None, t0)
            .is_none());
        assert!(r.flow_is_registered(udp, alone, t0));
        assert!(!r.flow_is_registered(udp, flow(4999).remote, t0));

        // Two UEs behind one flow: told apart by Contact, then P-Preferred-Identity, then From.
        r.apply(
            &update("sip:bob@ims.test", 4200, &[("sip:b@10.0.0.2:4200", 600)]),
            t0,
        );
        r.apply(
            &update("sip:carol@ims.test", 4200, &[("sip:c@10.0.0.2:4200", 600)]),
            t0,
        );
        let shared = flow(4200).remote;
        let by_contact = r
            .originating(udp, shared, Some("<sip:c@10.0.0.2:4200>"), &[], None, t0)
            .map(|(id, _)| id);
        assert_eq!(
            by_contact.as_deref(),
            None,
            "a name-addr is not a contact URI"
        );
        let (id, b) = r
            .originating(udp, shared, Some("sip:c@10.0.0.2:4200"), &[], None, t0)
            .unwrap();
        assert_eq!(
            (id.as_str(), b.contact.as_str()),
            ("sip:carol@ims.test", "sip:c@10.0.0.2:4200")
        );
        let bob = vec![contact_key("sip:bob@ims.test")];
        assert_eq!(
            r.originating(udp, shared, None, &bob, None, t0)
                .unwrap()
                .1
                .impu,
            "sip:bob@ims.test"
        );
        // Contact says carol: bob's identity is not hers to claim.
        let (id, _) = r
            .originating(udp, shared, Some("sip:c@10.0.0.2:4200"), &bob, None, t0)
            .unwrap();
        assert_eq!(id, "sip:carol@ims.test");
        let from = contact_key("sip:bob@ims.test");
        assert_eq!(
            r.originating(udp, shared, None, &[], Some(&from), t0)
                .unwrap()
                .0,
            "sip:bob@ims.test"
        );
        assert!(
            r.originating(udp, shared, None, &[], None, t0).is_none(),
            "ambiguous"
        );
        let stranger = contact_key("sip:mallory@ims.test");
        assert!(r
            .originating(udp, shared, None, &[], Some(&stranger), t0)
            .is_none());
        // Lapsed registrations assert nothing.
        let later = t0 + Duration::from_secs(601);
        assert!(r.originating(udp, alone, None, &[], None, later).is_none());
        assert!(!r.flow_is_registered(udp, alone, later));
    }
}
