//! Third-party REGISTER (TS 24.229 §5.4.1.7; TS 23.218 §6.6): after a registration, every
//! application server whose iFC matches the REGISTER learns of it from a REGISTER of ours,
//! optionally carrying the UE's REGISTER and our 200 OK (IncludeRegisterRequest/Response,
//! TS 29.228 Annex B.2.3) and the iFC's ServiceInfo.
//!
//! The requests go out one AS after another; an AS failure is logged, and when its iFC's
//! default handling is SESSION_TERMINATED the user is de-registered by the network
//! (§5.4.1.7, §5.4.1.5: bindings removed, SAR USER_DEREGISTRATION, then a de-registration
//! REGISTER to every AS whose iFC matches one) and no further registration REGISTER is sent.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use ims_core::ifc::{
    ApplicationServer, DefaultHandling, EvalContext, RegistrationState, RegistrationType,
    SessionCase,
};
use rand::RngCore;
use sip_types::{Message, Method, RequestBuilder, Uri};

use crate::state::{normalise, ServedUser, Shared};

use super::routing::{identity_of, locate};
use super::served::profile_of;

/// Entries kept at most (one per registered identity and AS).
const CAPACITY: usize = 100_000;

/// The third-party registrations in force: the identities registered (to tell initial from
/// re-registrations) and one Call-ID and CSeq per (identity, AS), so that the AS sees
/// re-registrations in the same registration.
#[derive(Debug, Default)]
pub struct ThirdPartyRegistrations {
    registered: Mutex<HashSet<String>>,
    by_key: Mutex<HashMap<(String, String), (String, u32)>>,
}

impl ThirdPartyRegistrations {
    /// True when `impu` was registered before (the next REGISTER is a re-registration).
    pub fn is_registered(&self, impu: &str) -> bool {
        self.registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&normalise(impu))
    }

    /// Note that `impu` is registered (`true`) or de-registered; a de-registration forgets
    /// its Call-IDs.
    fn set_registered(&self, impu: &str, registered: bool) {
        let key = normalise(impu);
        let mut set = self
            .registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if registered {
            if set.len() >= CAPACITY {
                set.clear();
            }
            set.insert(key);
        } else {
            set.remove(&key);
            self.by_key
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|(i, _), _| *i != key);
        }
    }

    /// The Call-ID and next CSeq for `impu` at `server`.
    fn next(&self, impu: &str, server: &str, call_id_host: &str) -> (String, u32) {
        let mut map = self.by_key.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= CAPACITY {
            map.clear();
        }
        let entry = map
            .entry((normalise(impu), server.to_owned()))
            .or_insert_with(|| (format!("{}@{call_id_host}", random_hex()), 0));
        entry.1 = entry.1.saturating_add(1);
        entry.clone()
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The registration's expiry from our 200 OK: the longest `expires` of its contacts, else its
/// Expires header; 0 when it lists no contact (a de-registration).
pub fn granted_expires(ok_response: &Message) -> u32 {
    let contacts: Vec<_> = sip_types::ims::contacts(ok_response).flatten().collect();
    let from_contacts = contacts.iter().filter_map(|c| c.expires()).max();
    match from_contacts {
        Some(e) => e,
        None if contacts.is_empty() => 0,
        None => ok_response.expires().ok().flatten().unwrap_or(0),
    }
}

/// The body of a third-party REGISTER: ServiceInfo (application/3gpp-ims+xml, TS 24.229
/// §7.6), the UE's REGISTER and our 200 OK (message/sip); multipart/mixed (RFC 2046 §5.1)
/// when there are several.
pub fn body(
    server: &ApplicationServer,
    register: &Message,
    ok_response: &[u8],
) -> Option<(String, Bytes)> {
    let mut parts: Vec<(&str, Bytes)> = Vec::new();
    if let Some(info) = &server.service_info {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<ims-3gpp version=\"1\"><service-info>{}</service-info></ims-3gpp>\r\n",
            xml_escape(info)
        );
        parts.push(("application/3gpp-ims+xml", Bytes::from(xml)));
    }
    if server.include_register_request {
        parts.push(("message/sip", register.as_bytes().clone()));
    }
    if server.include_register_response {
        parts.push(("message/sip", Bytes::copy_from_slice(ok_response)));
    }
    if parts.len() <= 1 {
        return parts.pop().map(|(t, b)| (t.to_owned(), b));
    }
    let boundary = format!("ims-{}", random_hex());
    let mut out = Vec::new();
    for (content_type, part) in &parts {
        out.extend_from_slice(
            format!("--{boundary}\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
        );
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Some((
        format!("multipart/mixed;boundary={boundary}"),
        Bytes::from(out),
    ))
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Send the third-party REGISTERs for `user`'s registration of the To identity of
/// `register`, answered with `ok_response`.
pub(crate) async fn register_with_application_servers(
    shared: &Shared,
    register: &Message,
    ok_response: &[u8],
    user: &ServedUser,
) {
    let ok = match Message::parse(Bytes::copy_from_slice(ok_response)) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "third-party REGISTER: our 200 OK does not parse");
            return;
        }
    };
    let impu = register
        .to()
        .ok()
        .and_then(|t| t.parsed_uri().ok())
        .and_then(|u| identity_of(&u))
        .unwrap_or_else(|| user.aor.clone());
    let expires = granted_expires(&ok);
    let registration_type = if expires == 0 {
        RegistrationType::Deregistration
    } else if shared.sessions.third_party.is_registered(&impu) {
        RegistrationType::Reregistration
    } else {
        RegistrationType::Initial
    };
    if expires != 0 {
        shared.sessions.third_party.set_registered(&impu, true);
    }
    let Some(profile) = profile_of(user, &impu) else {
        return;
    };
    let ctx = EvalContext::new(SessionCase::Originating, RegistrationState::Registered)
        .with_registration_type(registration_type);
    let mut refused_by = None;
    for ifc in profile.matching_ifcs(register, &ctx) {
        let server = &ifc.application_server;
        let as_uri = server.server_name.trim();
        let body = body(server, register, ok_response);
        let accepted = send(shared, server, &impu, expires, body).await;
        if !accepted
            && expires != 0
            && server.default_handling == DefaultHandling::SessionTerminated
        {
            refused_by = Some(as_uri);
            break;
        }
    }
    if let Some(server) = refused_by {
        // §5.4.1.7: the AS is essential (SESSION_TERMINATED): network-initiated
        // de-registration (§5.4.1.5).
        tracing::info!(
            server,
            impu,
            "third-party REGISTER failed with SESSION_TERMINATED: de-registering the user"
        );
        crate::registrar::deregister_by_network(shared, &user.aor, &user.impi).await;
        // The ASs hear of the de-registration (registration type de-registration). There is
        // no REGISTER of the UE's to include: ServiceInfo only.
        let ctx = EvalContext::new(SessionCase::Originating, RegistrationState::Registered)
            .with_registration_type(RegistrationType::Deregistration);
        for ifc in profile.matching_ifcs(register, &ctx) {
            let server = ApplicationServer {
                include_register_request: false,
                include_register_response: false,
                ..ifc.application_server.clone()
            };
            let body = body(&server, register, ok_response);
            send(shared, &server, &impu, 0, body).await;
        }
        shared.sessions.third_party.set_registered(&impu, false);
        return;
    }
    if expires == 0 {
        shared.sessions.third_party.set_registered(&impu, false);
    }
}

/// Sends one third-party REGISTER for `impu` to `server`; true when the AS accepted it (2xx).
/// An AS that cannot be located, does not answer or answers with an error has not.
async fn send(
    shared: &Shared,
    server: &ApplicationServer,
    impu: &str,
    expires: u32,
    body: Option<(String, Bytes)>,
) -> bool {
    let as_uri = server.server_name.trim();
    if !matches!(Uri::parse(as_uri), Ok(Uri::Sip(_))) {
        tracing::warn!(
            server = as_uri,
            "third-party REGISTER: AS name is not a SIP URI"
        );
        return false;
    }
    let Some(target) = locate(&shared.sessions.hosts, as_uri).first().copied() else {
        tracing::warn!(
            server = as_uri,
            "third-party REGISTER: AS cannot be located"
        );
        return false;
    };
    let (call_id, cseq) = shared
        .sessions
        .third_party
        .next(impu, as_uri, &shared.route_host);
    let ours = &shared.config.server_name;
    let mut request = RequestBuilder::new(Method::REGISTER, as_uri)
        .header("Max-Forwards", "70")
        .header("From", format!("<{ours}>;tag={}", random_hex()))
        .header("To", format!("<{impu}>"))
        .header("Call-ID", call_id)
        .header("CSeq", format!("{cseq} REGISTER"))
        .header("Contact", format!("<{ours}>"))
        .header("Expires", expires.to_string());
    if let Some((content_type, bytes)) = body {
        request = request.body(content_type, bytes);
    }
    match shared.sip.originate(request.build(), target).await {
        Ok(outcome) if outcome.status.is_success() => {
            tracing::debug!(
                server = as_uri,
                impu,
                expires,
                "third-party REGISTER accepted"
            );
            true
        }
        Ok(outcome) => {
            tracing::warn!(
                server = as_uri,
                impu,
                status = outcome.status.0,
                "third-party REGISTER failed"
            );
            false
        }
        Err(e) => {
            tracing::warn!(server = as_uri, error = %e, "third-party REGISTER not sent");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(text: &str) -> Message {
        Message::parse(Bytes::from(text.replace('\n', "\r\n"))).unwrap()
    }

    const OK: &str = "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\n\
From: <sip:alice@ims.test>;tag=a\nTo: <sip:alice@ims.test>;tag=b\nCall-ID: r\nCSeq: 2 REGISTER\n\
Contact: <sip:alice@10.0.0.1:5060>;expires=600, <sip:alice@10.0.0.2:5060>;expires=300\n\
Content-Length: 0\n\n";

    #[test]
    fn expiry_from_the_200() {
        assert_eq!(granted_expires(&msg(OK)), 600);
        let none = OK.replace(
            "Contact: <sip:alice@10.0.0.1:5060>;expires=600, <sip:alice@10.0.0.2:5060>;expires=300\n",
            "",
        );
        assert_eq!(granted_expires(&msg(&none)), 0);
    }

    #[test]
    fn bodies() {
        let register = msg("REGISTER sip:ims.test SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\n\
From: <sip:alice@ims.test>;tag=a\nTo: <sip:alice@ims.test>\nCall-ID: r\nCSeq: 2 REGISTER\nContent-Length: 0\n\n");
        let mut server = ApplicationServer {
            server_name: "sip:as.test".into(),
            ..ApplicationServer::default()
        };
        assert!(body(&server, &register, OK.as_bytes()).is_none());
        server.include_register_request = true;
        let (t, b) = body(&server, &register, OK.as_bytes()).unwrap();
        assert_eq!(t, "message/sip");
        assert_eq!(&b[..], register.as_bytes());
        server.include_register_response = true;
        server.service_info = Some("a<b".into());
        let (t, b) = body(&server, &register, OK.as_bytes()).unwrap();
        let boundary = t.strip_prefix("multipart/mixed;boundary=").unwrap();
        let text = String::from_utf8(b.to_vec()).unwrap();
        assert_eq!(text.matches(&format!("--{boundary}\r\n")).count(), 3);
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        assert!(text.contains("<service-info>a&lt;b</service-info>"));
    }

    #[test]
    fn call_ids_are_kept_per_identity_and_server() {
        let t = ThirdPartyRegistrations::default();
        assert!(!t.is_registered("sip:alice@ims.test"));
        t.set_registered("sip:alice@ims.test", true);
        assert!(t.is_registered("sip:Alice@ims.test"));
        let (c1, n1) = t.next("sip:alice@ims.test", "sip:as", "h");
        let (c2, n2) = t.next("sip:Alice@ims.test", "sip:as", "h");
        assert_eq!((c1.clone(), n1, n2), (c2, 1, 2));
        assert!(c1.ends_with("@h"));
        t.set_registered("sip:alice@ims.test", false);
        assert!(!t.is_registered("sip:alice@ims.test"));
        let (c3, n3) = t.next("sip:alice@ims.test", "sip:as", "h");
        assert_ne!(c3, c1, "a new registration, a new Call-ID");
        assert_eq!(n3, 1);
    }
}
