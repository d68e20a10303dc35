//! What a REGISTER asks of the location service (RFC 3261 §10.3 steps 6–8, RFC 5626 §6,
//! RFC 8599, TS 24.229 §5.4.1.2): the contacts with their granted expiry, or `Contact: *`;
//! and the bindings they become.

use ims_store::{Binding, PushInfo};
use sip_proto::Flow;
use sip_types::ims::{contacts, Contact};
use sip_types::{HeaderName, Message};

use crate::config::ScscfSection;

/// One contact of a REGISTER with the expiry granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestedContact {
    /// The Contact URI.
    pub(crate) uri: String,
    /// Seconds granted; 0 removes the binding.
    pub(crate) expires: u32,
    /// `q` in thousandths (1000 when absent).
    pub(crate) q: u16,
    /// `+sip.instance`.
    pub(crate) instance: Option<String>,
    /// `reg-id`.
    pub(crate) reg_id: Option<u32>,
    /// `pn-provider`, `pn-prid`, `pn-param`.
    pub(crate) pn: Option<PushInfo>,
}

/// The contacts of a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequestedContacts {
    /// `Contact: *` with `Expires: 0`: remove every binding (RFC 3261 §10.3 step 6).
    RemoveAll,
    /// Contacts to add, refresh or remove (expires 0); empty for a fetch.
    List(Vec<RequestedContact>),
}

/// Why the contacts cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ContactError {
    /// A Contact or Expires value does not parse.
    #[error("malformed Contact")]
    Malformed,
    /// `*` with other contacts or a non-zero expiry (RFC 3261 §10.3 step 6).
    #[error("Contact * needs Expires: 0 and no other contact")]
    BadStar,
    /// A non-zero expiry below `min_expires` (RFC 3261 §10.3 step 7: 423).
    #[error("interval too brief")]
    TooBrief,
}

/// Reads the contacts of `register` and grants each an expiry: its `expires` parameter,
/// else the Expires header, else `default_expires`; capped at `max_expires`; a non-zero
/// value below `min_expires` is [`ContactError::TooBrief`].
pub(crate) fn requested_contacts(
    register: &Message,
    config: &ScscfSection,
) -> Result<RequestedContacts, ContactError> {
    let header_expires = register.expires().map_err(|_| ContactError::Malformed)?;
    let mut list = Vec::new();
    let mut star = false;
    for c in contacts(register) {
        let c = c.map_err(|_| ContactError::Malformed)?;
        let Contact::Addr(addr) = c else {
            star = true;
            continue;
        };
        let asked = c
            .expires()
            .or(header_expires)
            .unwrap_or(config.default_expires);
        if asked != 0 && asked < config.min_expires {
            return Err(ContactError::TooBrief);
        }
        let pn = match (c.pn_provider(), c.pn_prid()) {
            (Some(provider), Some(prid)) => Some(PushInfo {
                provider: unquote(provider).to_owned(),
                prid: unquote(prid).to_owned(),
                param: c.pn_param().map(|p| unquote(p).to_owned()),
            }),
            _ => None,
        };
        list.push(RequestedContact {
            uri: addr.uri.to_owned(),
            expires: asked.min(config.max_expires),
            q: c.q_millis().unwrap_or(1000).min(1000),
            instance: c.sip_instance().map(|i| unquote(i).to_owned()),
            reg_id: c.reg_id(),
            pn,
        });
    }
    if star {
        if !list.is_empty() || header_expires != Some(0) {
            return Err(ContactError::BadStar);
        }
        return Ok(RequestedContacts::RemoveAll);
    }
    Ok(RequestedContacts::List(list))
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// The Path values of `register`, in order (RFC 3327 §5.3).
pub(crate) fn path_values(register: &Message) -> Vec<String> {
    register
        .header_values(HeaderName::PATH)
        .map(|v| v.text.trim().to_owned())
        .collect()
}

/// The binding `contact` of `aor` becomes, for a REGISTER received on `flow` at `now`.
pub(crate) fn binding(
    aor: &str,
    contact: &RequestedContact,
    register: &Message,
    flow: &Flow,
    now: u64,
    registered_at: Option<u64>,
) -> Binding {
    Binding {
        aor: aor.to_owned(),
        contact: contact.uri.clone(),
        expires_at: now + u64::from(contact.expires),
        q: contact.q,
        instance: contact.instance.clone(),
        reg_id: contact.reg_id,
        path: path_values(register),
        call_id: register.call_id().unwrap_or_default().to_owned(),
        cseq: register.cseq().map(|c| c.seq).unwrap_or_default(),
        received: Some(ims_store::Flow {
            transport: flow.transport.param().to_owned(),
            remote: flow.remote.to_string(),
            local: flow.local.to_string(),
        }),
        user_agent: register
            .header_by_name("User-Agent")
            .map(|u| u.trim().to_owned()),
        pn: contact.pn.clone(),
        registered_at: registered_at.unwrap_or(now),
    }
}

/// A Contact value for the 200 OK: the URI with its remaining seconds (RFC 3261 §10.3 step 8)
/// and its instance and reg-id.
pub(crate) fn contact_value(b: &Binding, now: u64) -> String {
    let mut v = format!(
        "<{}>;expires={}",
        b.contact,
        b.expires_at.saturating_sub(now)
    );
    if let Some(i) = &b.instance {
        v.push_str(&format!(";+sip.instance=\"{i}\""));
    }
    if let Some(r) = b.reg_id {
        v.push_str(&format!(";reg-id={r}"));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn config() -> ScscfSection {
        ScscfSection {
            server_name: "sip:scscf.ims.test:5080".into(),
            home_domains: vec!["ims.test".into()],
            realm: "ims.test".into(),
            default_auth_scheme: "AKAv1-MD5".into(),
            auth_vectors: 1,
            min_expires: 60,
            max_expires: 3600,
            default_expires: 600,
            auth_vector_timeout_s: 30,
            icscf: None,
            breakout: None,
        }
    }

    fn register(headers: &str) -> Message {
        let text = format!(
            "REGISTER sip:ims.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
             From: <sip:alice@ims.test>;tag=1\r\nTo: <sip:alice@ims.test>\r\nCall-ID: c1\r\n\
             CSeq: 7 REGISTER\r\n{headers}Content-Length: 0\r\n\r\n"
        );
        Message::parse(Bytes::from(text)).unwrap()
    }

    fn list(r: Result<RequestedContacts, ContactError>) -> Vec<RequestedContact> {
        match r.unwrap() {
            RequestedContacts::List(l) => l,
            RequestedContacts::RemoveAll => panic!("list expected"),
        }
    }

    #[test]
    fn expiry_per_contact_header_default_and_cap() {
        let m = register(
            "Contact: <sip:a@1.2.3.4>;expires=120, <sip:b@1.2.3.4>\r\nExpires: 7200\r\n\
             Contact: <sip:c@1.2.3.4>;expires=0;q=0.5\r\n",
        );
        let l = list(requested_contacts(&m, &config()));
        let e: Vec<u32> = l.iter().map(|c| c.expires).collect();
        assert_eq!(e, [120, 3600, 0]);
        assert_eq!(l[2].q, 500);
        let m = register("Contact: <sip:a@1.2.3.4>\r\n");
        assert_eq!(list(requested_contacts(&m, &config()))[0].expires, 600);
    }

    #[test]
    fn too_brief_and_star() {
        let m = register("Contact: <sip:a@1.2.3.4>;expires=30\r\n");
        assert_eq!(
            requested_contacts(&m, &config()),
            Err(ContactError::TooBrief)
        );
        let m = register("Contact: *\r\nExpires: 0\r\n");
        assert_eq!(
            requested_contacts(&m, &config()),
            Ok(RequestedContacts::RemoveAll)
        );
        let m = register("Contact: *\r\n");
        assert_eq!(
            requested_contacts(&m, &config()),
            Err(ContactError::BadStar)
        );
        let m = register("Contact: *, <sip:a@1.2.3.4>\r\nExpires: 0\r\n");
        assert_eq!(
            requested_contacts(&m, &config()),
            Err(ContactError::BadStar)
        );
        let m = register("");
        assert_eq!(
            requested_contacts(&m, &config()),
            Ok(RequestedContacts::List(vec![]))
        );
    }

    #[test]
    fn instance_reg_id_push_and_path() {
        let m = register(
            "Path: <sip:term@pcscf.ims.test;lr>\r\nContact: <sip:a@1.2.3.4>;\
             +sip.instance=\"<urn:gsma:imei:1>\";reg-id=1;pn-provider=apns;pn-prid=abc\r\n",
        );
        let l = list(requested_contacts(&m, &config()));
        assert_eq!(l[0].instance.as_deref(), Some("<urn:gsma:imei:1>"));
        assert_eq!(l[0].reg_id, Some(1));
        assert_eq!(l[0].pn.as_ref().unwrap().prid, "abc");
        let flow = Flow {
            transport: sip_proto::Transport::Udp,
            remote: "127.0.0.1:5060".parse().unwrap(),
            local: "127.0.0.1:5080".parse().unwrap(),
            connection: None,
        };
        let b = binding("sip:alice@ims.test", &l[0], &m, &flow, 1000, None);
        assert_eq!(b.path, ["<sip:term@pcscf.ims.test;lr>"]);
        assert_eq!((b.call_id.as_str(), b.cseq, b.expires_at), ("c1", 7, 1600));
        assert_eq!(b.received.as_ref().unwrap().transport, "udp");
        assert_eq!(
            contact_value(&b, 1100),
            "<sip:a@1.2.3.4>;expires=500;+sip.instance=\"<urn:gsma:imei:1>\";reg-id=1"
        );
    }
}
