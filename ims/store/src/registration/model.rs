//! Binding model of the location service (RFC 3261 §10.3, RFC 5626 §6,
//! RFC 8599, TS 24.229 §5.4.1).

use crate::codec;
use crate::{Result, StoreError};

/// The flow a REGISTER arrived on (RFC 5626 §5.2): where responses and
/// terminating requests must be sent back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Flow {
    /// Transport name (`udp`, `tcp`, `tls`, `ws`, `wss`, `sctp`).
    pub transport: String,
    /// Remote (UE or P-CSCF) address, `ip:port`.
    pub remote: String,
    /// Local socket address, `ip:port`.
    pub local: String,
}

/// Push notification parameters of a contact (RFC 8599 §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PushInfo {
    /// `pn-provider`.
    pub provider: String,
    /// `pn-prid`.
    pub prid: String,
    /// `pn-param`, if present.
    pub param: Option<String>,
}

/// One contact binding of an address-of-record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The address-of-record (the registered public identity).
    pub aor: String,
    /// The Contact URI, as text.
    pub contact: String,
    /// Expiry, unix seconds; the binding is live while `now < expires_at`.
    pub expires_at: u64,
    /// The `q` value in thousandths (0..=1000, RFC 3261 §20.10).
    pub q: u16,
    /// `+sip.instance` (RFC 5626 §4.1), e.g. `<urn:uuid:...>`.
    pub instance: Option<String>,
    /// `reg-id` (RFC 5626 §4.2).
    pub reg_id: Option<u32>,
    /// Path header values, in order (RFC 3327 §5.3).
    pub path: Vec<String>,
    /// Call-ID of the REGISTER that created or refreshed it.
    pub call_id: String,
    /// CSeq number of that REGISTER (RFC 3261 §10.3 step 7).
    pub cseq: u32,
    /// The flow it arrived on, if known.
    pub received: Option<Flow>,
    /// User-Agent header value.
    pub user_agent: Option<String>,
    /// Push notification parameters (RFC 8599).
    pub pn: Option<PushInfo>,
    /// When it was first registered, unix seconds.
    pub registered_at: u64,
}

/// What identifies a binding within its AOR (RFC 5626 §6, RFC 3261 §10.3):
/// the instance and reg-id when both are present (one binding per flow),
/// the instance alone when only it is present (RFC 5627), else the Contact
/// URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BindingKey {
    /// `+sip.instance` and `reg-id`.
    Flow {
        /// The instance id.
        instance: String,
        /// The reg-id.
        reg_id: u32,
    },
    /// `+sip.instance` without `reg-id`.
    Instance(String),
    /// The Contact URI.
    Contact(String),
}

impl BindingKey {
    /// Storage form: a tagged string unique per key.
    pub fn to_text(&self) -> String {
        match self {
            Self::Flow { instance, reg_id } => format!("f:{reg_id}:{instance}"),
            Self::Instance(i) => format!("i:{i}"),
            Self::Contact(c) => format!("c:{c}"),
        }
    }
}

impl Binding {
    /// The key this binding replaces others with (RFC 5626 §6).
    pub fn key(&self) -> BindingKey {
        match (&self.instance, self.reg_id) {
            (Some(instance), Some(reg_id)) => BindingKey::Flow {
                instance: instance.clone(),
                reg_id,
            },
            (Some(instance), None) => BindingKey::Instance(instance.clone()),
            (None, _) => BindingKey::Contact(self.contact.clone()),
        }
    }

    /// Whether the binding's key is `key`, without building either key.
    pub fn has_key(&self, key: &BindingKey) -> bool {
        match (key, &self.instance, self.reg_id) {
            (BindingKey::Flow { instance, reg_id }, Some(i), Some(r)) => {
                *instance == *i && *reg_id == r
            }
            (BindingKey::Instance(instance), Some(i), None) => *instance == *i,
            (BindingKey::Contact(contact), None, _) => *contact == self.contact,
            _ => false,
        }
    }

    /// Whether the two bindings have the same key (one replaces the other, RFC 5626 §6).
    pub fn same_key(&self, other: &Self) -> bool {
        match (&self.instance, self.reg_id, &other.instance, other.reg_id) {
            (Some(a), Some(x), Some(b), Some(y)) => x == y && a == b,
            (Some(a), None, Some(b), None) => a == b,
            (None, _, None, _) => self.contact == other.contact,
            _ => false,
        }
    }

    /// Whether the binding is live at `now` (unix seconds).
    pub fn is_live(&self, now: u64) -> bool {
        now < self.expires_at
    }

    /// Checks the invariants every backend relies on.
    pub fn validate(&self) -> Result<()> {
        if self.aor.is_empty() || self.contact.is_empty() {
            return Err(StoreError::invalid("binding needs an AOR and a contact"));
        }
        if self.q > 1000 {
            return Err(StoreError::invalid(format!("q {} exceeds 1000", self.q)));
        }
        if i64::try_from(self.expires_at).is_err() || i64::try_from(self.registered_at).is_err() {
            return Err(StoreError::invalid("timestamp exceeds i64"));
        }
        Ok(())
    }

    /// Path as one encoded column.
    pub(crate) fn path_text(&self) -> String {
        codec::encode(self.path.iter().map(|p| Some(p.as_str())))
    }

    /// Flow as one encoded column.
    pub(crate) fn flow_text(&self) -> Option<String> {
        self.received.as_ref().map(|f| {
            codec::encode([
                Some(f.transport.as_str()),
                Some(f.remote.as_str()),
                Some(f.local.as_str()),
            ])
        })
    }

    /// Push info as one encoded column.
    pub(crate) fn pn_text(&self) -> Option<String> {
        self.pn.as_ref().map(|p| {
            codec::encode([
                Some(p.provider.as_str()),
                Some(p.prid.as_str()),
                p.param.as_deref(),
            ])
        })
    }
}

pub(crate) fn path_from_text(text: &str) -> Result<Vec<String>> {
    codec::decode(text)?
        .into_iter()
        .map(|f| f.ok_or_else(|| StoreError::invalid("absent Path element")))
        .collect()
}

pub(crate) fn flow_from_text(text: &str) -> Result<Flow> {
    match codec::decode(text)?.as_slice() {
        [Some(t), Some(r), Some(l)] => Ok(Flow {
            transport: t.clone(),
            remote: r.clone(),
            local: l.clone(),
        }),
        _ => Err(StoreError::invalid("stored flow")),
    }
}

pub(crate) fn pn_from_text(text: &str) -> Result<PushInfo> {
    match codec::decode(text)?.as_slice() {
        [Some(provider), Some(prid), param] => Ok(PushInfo {
            provider: provider.clone(),
            prid: prid.clone(),
            param: param.clone(),
        }),
        _ => Err(StoreError::invalid("stored push info")),
    }
}

/// Encodes a whole binding as one string (Redis hash value).
pub(crate) fn encode_binding(b: &Binding) -> String {
    let expires = b.expires_at.to_string();
    let q = b.q.to_string();
    let reg_id = b.reg_id.map(|r| r.to_string());
    let cseq = b.cseq.to_string();
    let registered = b.registered_at.to_string();
    let path = b.path_text();
    let flow = b.flow_text();
    let pn = b.pn_text();
    codec::encode([
        Some(b.aor.as_str()),
        Some(b.contact.as_str()),
        Some(expires.as_str()),
        Some(q.as_str()),
        b.instance.as_deref(),
        reg_id.as_deref(),
        Some(path.as_str()),
        Some(b.call_id.as_str()),
        Some(cseq.as_str()),
        flow.as_deref(),
        b.user_agent.as_deref(),
        pn.as_deref(),
        Some(registered.as_str()),
    ])
}

/// Decodes [`encode_binding`] output.
pub(crate) fn decode_binding(text: &str) -> Result<Binding> {
    fn num<T: std::str::FromStr>(s: &str, what: &str) -> Result<T> {
        s.parse()
            .map_err(|_| StoreError::invalid(format!("stored {what} {s:?}")))
    }
    let fields = codec::decode(text)?;
    let [Some(aor), Some(contact), Some(expires), Some(q), instance, reg_id, Some(path), Some(call_id), Some(cseq), flow, user_agent, pn, Some(registered)] =
        <[Option<String>; 13]>::try_from(fields)
            .map_err(|_| StoreError::invalid("stored binding field count"))?
    else {
        return Err(StoreError::invalid("stored binding misses a field"));
    };
    Ok(Binding {
        aor,
        contact,
        expires_at: num(&expires, "expiry")?,
        q: num(&q, "q")?,
        instance,
        reg_id: reg_id.map(|r| num(&r, "reg-id")).transpose()?,
        path: path_from_text(&path)?,
        call_id,
        cseq: num(&cseq, "CSeq")?,
        received: flow.map(|f| flow_from_text(&f)).transpose()?,
        user_agent,
        pn: pn.map(|p| pn_from_text(&p)).transpose()?,
        registered_at: num(&registered, "registration time")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Binding {
        Binding {
            aor: "sip:alice@x".into(),
            contact: "sip:alice@10.0.0.1:5060;transport=tcp".into(),
            expires_at: 3600,
            q: 500,
            instance: Some("<urn:uuid:00000000-0000-1000-8000-000a95a0e128>".into()),
            reg_id: Some(1),
            path: vec!["<sip:term@pcscf;lr>".into(), "<sip:x;lr>".into()],
            call_id: "c1".into(),
            cseq: 7,
            received: Some(Flow {
                transport: "tcp".into(),
                remote: "10.0.0.1:40000".into(),
                local: "10.0.0.2:5060".into(),
            }),
            user_agent: Some("UA/1.0".into()),
            pn: Some(PushInfo {
                provider: "apns".into(),
                prid: "tok".into(),
                param: None,
            }),
            registered_at: 100,
        }
    }

    #[test]
    fn keys_follow_rfc5626_section_6() {
        let mut b = sample();
        assert_eq!(
            b.key().to_text(),
            format!("f:1:{}", b.instance.clone().unwrap_or_default())
        );
        b.reg_id = None;
        assert!(matches!(b.key(), BindingKey::Instance(_)));
        b.instance = None;
        b.reg_id = Some(3);
        assert_eq!(b.key(), BindingKey::Contact(b.contact.clone()));
    }

    #[test]
    fn key_matching_agrees_with_built_keys() {
        let flow = sample();
        let mut instance = sample();
        instance.reg_id = None;
        let mut contact = sample();
        contact.instance = None;
        let mut other_contact = contact.clone();
        other_contact.contact.push_str(";x");
        let mut other_reg = sample();
        other_reg.reg_id = Some(2);
        let all = [&flow, &instance, &contact, &other_contact, &other_reg];
        for a in all {
            for b in all {
                assert_eq!(a.same_key(b), a.key() == b.key(), "{a:?} vs {b:?}");
                assert_eq!(a.has_key(&b.key()), a.key() == b.key());
            }
        }
    }

    #[test]
    fn binding_encoding_round_trips() {
        let b = sample();
        let back = decode_binding(&encode_binding(&b)).map_err(|e| e.to_string());
        assert_eq!(back, Ok(b.clone()));
        let mut bare = b;
        bare.received = None;
        bare.pn = None;
        bare.instance = None;
        bare.reg_id = None;
        bare.path.clear();
        let back = decode_binding(&encode_binding(&bare)).map_err(|e| e.to_string());
        assert_eq!(back, Ok(bare));
        assert!(decode_binding("3:abc").is_err());
    }

    #[test]
    fn validation_rejects_bad_values() {
        let mut b = sample();
        assert!(b.validate().is_ok());
        b.q = 1001;
        assert!(b.validate().is_err());
        let mut b = sample();
        b.expires_at = u64::MAX;
        assert!(b.validate().is_err());
        assert!(b.is_live(3599) && !sample().is_live(3600));
    }
}
