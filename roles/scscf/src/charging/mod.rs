//! The S-CSCF as charging trigger (TS 32.260 §5.2, §6; TS 24.229 §5.4.3): online charging
//! over Ro (RFC 4006 credit control through `ims_charging::RoClient`) and offline charging
//! over Rf (ACRs through the durable spool of `ims_charging::RfClient`).
//!
//! The session code calls a [`ChargingTrigger`] at a few points:
//! - initial INVITE, before forwarding: [`ChargingTrigger::authorize_session`] (CCR-INITIAL;
//!   a [`Verdict::Reject`] becomes the answer, 402 when credit is refused);
//! - its final response: [`ChargingTrigger::on_final`] (2xx: the used-time clock,
//!   CCR-UPDATE before the grant runs out, ACR START and INTERIMs; else CCR-TERMINATION);
//! - an in-dialog BYE: [`ChargingTrigger::on_bye`] (CCR-TERMINATION, ACR STOP);
//! - MESSAGE and other one-shot requests: [`ChargingTrigger::charge_event`] before
//!   forwarding (CCR-EVENT, DIRECT_DEBITING) and [`ChargingTrigger::on_final`] (ACR EVENT on
//!   the 2xx);
//! - a successful REGISTER: [`ChargingTrigger::on_register`] (ACR EVENT).
//!
//! When the OCS refuses more credit or sends the final units, the trigger ends the call when
//! they run out: a BYE to each side (TS 24.229 §5.4.5.1.2), then CCR-TERMINATION and STOP.

mod correlation;
mod dialog;
mod peers;
mod settings;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diameter_codec::session_id::format_session_id;
use diameter_net::ClientHandle;
use ims_charging::{
    ClientIdentity, ImsInformation, RfClient, RfOptions, RfRecord, RfSession, RoClient, RoOptions,
    RoOutcome, RoSession, SpoolError,
};
use sip_net::SipHandle;
use sip_proto::proxy::HostTable;
use sip_types::{Host, Message, Method, StatusCode, Uri};
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use correlation::{ims_information, served_identity, ChargingRole};
pub use dialog::{DialogRecord, DialogSide};
pub use peers::{add_diameter_routes, applications};
pub use settings::ChargingSection;

/// What the session code does with a request the OCS was asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Forward it.
    Proceed,
    /// Answer it with this status: 402 Payment Required when the OCS refuses credit
    /// (4012 and other denials), 503 when no OCS answered and failure handling is TERMINATE
    /// or RETRY_AND_TERMINATE (RFC 4006 §5.7).
    Reject(StatusCode),
}

/// Why the trigger could not start.
#[derive(Debug, thiserror::Error)]
pub enum ChargingError {
    /// The `[charging]` section is not usable.
    #[error("charging configuration: {0}")]
    Config(String),
    /// The Rf spool could not be opened.
    #[error("rf spool: {0}")]
    Spool(#[from] SpoolError),
    /// The spool's directory could not be created.
    #[error("rf spool directory: {0}")]
    Io(#[from] std::io::Error),
}

/// What the trigger talks through.
#[derive(Debug, Clone)]
pub struct ChargingLinks {
    /// The S-CSCF's Diameter node: routes Ro (application 4) to the OCSs and Rf
    /// (application 3) to the CDF.
    pub diameter: ClientHandle,
    /// Origin and destination of CCRs.
    pub ro_identity: ClientIdentity,
    /// Origin and destination of ACRs.
    pub rf_identity: ClientIdentity,
    /// Sends the BYEs of a teardown.
    pub sip: SipHandle,
    /// Static names for the BYEs' first hops (`[sip.hosts]`).
    pub hosts: HostTable,
    /// Names that mean this node in Record-Route (`[sip] aliases`); the listener addresses
    /// are taken from `sip`.
    pub aliases: Vec<String>,
}

/// One charged INVITE session on one side (originating or terminating).
#[derive(Debug)]
struct Call {
    info: ImsInformation,
    /// The Ro session while under credit control.
    ro: Option<RoSession>,
    /// When the 2xx came.
    answered: Option<Instant>,
    /// When the current grant started to be used.
    grant_start: Instant,
    /// Seconds already reported to the OCS (Used-Service-Unit, cumulative).
    reported_s: u64,
    rf: Option<RfSession>,
    dialog: Option<DialogRecord>,
    tasks: Vec<JoinHandle<()>>,
}

impl Call {
    /// Seconds to report now: the whole seconds of the session so far, less those reported
    /// before. Updates round down (the part of a second goes with the next report); the
    /// termination rounds up.
    fn take_used(&mut self, now: Instant, round_up: bool) -> u32 {
        let Some(answered) = self.answered else {
            return 0;
        };
        let ms = now.saturating_duration_since(answered).as_millis();
        let total = if round_up {
            ms.div_ceil(1000)
        } else {
            ms / 1000
        };
        let total = u64::try_from(total).unwrap_or(u64::MAX);
        let used = total.saturating_sub(self.reported_s);
        self.reported_s = self.reported_s.max(total);
        u32::try_from(used).unwrap_or(u32::MAX)
    }

    /// Where the time reported so far ends: the next grant is used from there.
    fn reported_until(&self) -> Option<Instant> {
        Some(self.answered? + Duration::from_secs(self.reported_s))
    }
}

type CallKey = (String, ChargingRole);
type SharedCall = Arc<tokio::sync::Mutex<Call>>;

/// Calls kept at most; when full, those older than [`STALE_CALL`] are forgotten (a call whose
/// BYE never passed, without credit control to end it).
const CALL_CAPACITY: usize = 100_000;

/// See [`CALL_CAPACITY`].
const STALE_CALL: Duration = Duration::from_secs(24 * 3600);

/// One-shot requests waiting for their final at most (a final always comes: 408 at worst).
const PENDING_EVENTS: usize = 10_000;

/// The charging trigger of one S-CSCF; cheap to clone.
#[derive(Debug, Clone)]
pub struct ChargingTrigger {
    inner: Arc<Inner>,
}

struct Inner {
    section: ChargingSection,
    ro: Option<RoClient>,
    rf: tokio::sync::RwLock<Option<RfClient>>,
    rf_host: String,
    boot: u32,
    counter: AtomicU32,
    sip: SipHandle,
    hosts: HostTable,
    aliases: Vec<String>,
    listeners: Vec<SocketAddr>,
    /// Charged calls, with when each was authorized.
    calls: Mutex<HashMap<CallKey, (Instant, SharedCall)>>,
    /// One-shot requests charged and waiting for their final, by Call-ID.
    events: Mutex<HashMap<String, Vec<ImsInformation>>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChargingTrigger")
            .field("ocs", &self.section.ocs)
            .field("cdf", &self.section.cdf)
            .finish()
    }
}

/// When to send the CCR-UPDATE of a grant of `granted`: at 80 % of it, or 10 s before its
/// end when that is later.
fn update_after(granted: Duration) -> Duration {
    (granted * 4 / 5).max(granted.saturating_sub(Duration::from_secs(10)))
}

impl ChargingTrigger {
    /// Opens the spool (offline charging) and prepares the Ro client (online charging) as
    /// `section` asks.
    pub async fn start(
        section: ChargingSection,
        links: ChargingLinks,
    ) -> Result<Self, ChargingError> {
        let failure_handling = section.failure_handling().ok_or_else(|| {
            ChargingError::Config(format!(
                "failure_handling `{}` is unknown",
                section.failure_handling
            ))
        })?;
        let ro = section.ocs.as_ref().map(|_| {
            RoClient::new(
                links.ro_identity.clone(),
                RoOptions {
                    tx: section.tx(),
                    failure_handling,
                },
                links.diameter.clone(),
                section
                    .ocs_secondary
                    .as_ref()
                    .map(|_| links.diameter.clone()),
            )
        });
        let rf = if section.offline && section.cdf.is_some() {
            let path = section.spool_path();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let options = RfOptions {
                tx: section.tx(),
                ..RfOptions::default()
            };
            Some(
                RfClient::open_with(
                    Path::new(&path),
                    vec![links.diameter.clone()],
                    links.rf_identity.clone(),
                    options,
                )
                .await?,
            )
        } else {
            None
        };
        let boot = correlation::unix_now();
        Ok(Self {
            inner: Arc::new(Inner {
                section,
                ro,
                rf: tokio::sync::RwLock::new(rf),
                rf_host: links.rf_identity.origin_host.clone(),
                boot: u32::try_from(boot & u64::from(u32::MAX)).unwrap_or(0),
                counter: AtomicU32::new(0),
                listeners: links.sip.listeners().iter().map(|(_, a)| *a).collect(),
                sip: links.sip,
                hosts: links.hosts,
                aliases: links.aliases,
                calls: Mutex::new(HashMap::new()),
                events: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// `[charging]`.
    pub fn section(&self) -> &ChargingSection {
        &self.inner.section
    }

    /// INVITE sessions being charged.
    pub fn active_calls(&self) -> usize {
        self.inner.calls.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// ACRs in the spool not yet acknowledged by the CDF.
    pub async fn pending_records(&self) -> usize {
        self.inner
            .rf
            .read()
            .await
            .as_ref()
            .map_or(0, RfClient::pending)
    }

    /// Waits until the CDF has acknowledged every spooled ACR; false if `timeout` passed.
    pub async fn flush(&self, timeout: Duration) -> bool {
        match self.inner.rf.read().await.as_ref() {
            Some(rf) => rf.flush(timeout).await,
            None => true,
        }
    }

    /// Before an initial INVITE of `subscriber` (the served user) is forwarded in `role`:
    /// CCR-INITIAL when online charging applies (TS 32.260 §5.2.2.1). Proceed also for
    /// in-dialog INVITEs (To tag) and when nothing is charged.
    pub async fn authorize_session(
        &self,
        invite: &Message,
        role: ChargingRole,
        subscriber: &str,
    ) -> Verdict {
        let inner = &self.inner;
        let Ok(call_id) = invite.call_id() else {
            return Verdict::Proceed;
        };
        if in_dialog(invite) {
            return Verdict::Proceed;
        }
        let online = inner.online_for(role);
        let offline = inner.rf.read().await.is_some();
        if !online && !offline {
            return Verdict::Proceed;
        }
        if inner.get(&(call_id.to_owned(), role)).is_some() {
            // The same INVITE again (back from an application server): already authorized.
            return Verdict::Proceed;
        }
        let info = ims_information(invite, role, correlation::unix_now());
        let mut session = None;
        if let (true, Some(ro)) = (online, &inner.ro) {
            let mut s = ro.session(subscriber);
            match ro
                .start(&mut s, inner.section.requested_time_s, &info)
                .await
            {
                RoOutcome::Granted { .. } => session = Some(s),
                RoOutcome::Continue => {
                    tracing::warn!(call_id, "no OCS answered; the call goes on uncharged");
                }
                RoOutcome::Denied { code } => {
                    tracing::info!(call_id, subscriber, code, "credit refused");
                    return Verdict::Reject(StatusCode::PAYMENT_REQUIRED);
                }
                RoOutcome::Terminate => {
                    tracing::warn!(call_id, "no OCS answered; the call is refused");
                    return Verdict::Reject(StatusCode::SERVICE_UNAVAILABLE);
                }
            }
        }
        let call = Call {
            info,
            ro: session,
            answered: None,
            grant_start: Instant::now(),
            reported_s: 0,
            rf: offline.then(|| RfSession::new(inner.new_rf_session_id())),
            dialog: None,
            tasks: Vec::new(),
        };
        let old = inner.calls.lock().ok().and_then(|mut calls| {
            if calls.len() >= CALL_CAPACITY {
                let now = Instant::now();
                calls.retain(|_, (since, _)| now.saturating_duration_since(*since) < STALE_CALL);
            }
            calls
                .insert(
                    (call_id.to_owned(), role),
                    (Instant::now(), Arc::new(tokio::sync::Mutex::new(call))),
                )
                .map(|(_, c)| c)
        });
        // Authorized twice at once: the earlier reservation is released.
        if let Some(old) = old {
            inner.finish(&mut *old.lock().await, 0).await;
        }
        Verdict::Proceed
    }

    /// The final response of an observed request (the request as received, the response
    /// when one arrived): INVITE → [`ChargingTrigger::on_invite_final`]; MESSAGE and other
    /// one-shot requests → [`ChargingTrigger::on_event_final`].
    pub async fn on_final(
        &self,
        request: &Message,
        status: StatusCode,
        response: Option<&Message>,
    ) {
        match request.method() {
            Some(m) if *m == Method::INVITE => {
                self.on_invite_final(request, status, response).await;
            }
            Some(m) if *m == Method::BYE || *m == Method::ACK || *m == Method::CANCEL => {}
            Some(_) => self.on_event_final(request, status).await,
            None => {}
        }
    }

    /// The final response to an initial INVITE of a charged call, on whichever side (both
    /// when this S-CSCF serves caller and callee). 2xx: the session is answered (ACR START,
    /// the credit timer; the dialog is kept for a teardown); any other final:
    /// CCR-TERMINATION with nothing used.
    pub async fn on_invite_final(
        &self,
        invite: &Message,
        status: StatusCode,
        response: Option<&Message>,
    ) {
        if !status.is_final() || in_dialog(invite) {
            return;
        }
        let Ok(call_id) = invite.call_id() else {
            return;
        };
        for role in [ChargingRole::Originating, ChargingRole::Terminating] {
            let key = (call_id.to_owned(), role);
            if status.is_success() {
                self.answered(key, invite, response).await;
            } else if let Some(call) = self.inner.take(&key) {
                let cause = i32::from(status.0);
                self.inner.finish(&mut *call.lock().await, cause).await;
            }
        }
    }

    async fn answered(&self, key: CallKey, invite: &Message, response: Option<&Message>) {
        let inner = &self.inner;
        let Some(call) = inner.get(&key) else { return };
        let mut c = call.lock().await;
        if c.answered.is_some() {
            return; // a second 2xx (forking, or the other leg): already running
        }
        let now = Instant::now();
        c.answered = Some(now);
        c.grant_start = now;
        c.dialog =
            response.and_then(|ok| DialogRecord::confirmed(invite, ok, |u| inner.is_ours(u)));
        if c.dialog.is_none() {
            tracing::warn!(call_id = %key.0, "no dialog from the 2xx: the call cannot be released");
        }
        let mut start = c.info.clone();
        start.sip_response_timestamp = Some(correlation::unix_now());
        if let Some(rec) = c.rf.as_mut().map(|s| s.start(start)) {
            inner.submit(&rec).await;
        }
        if c.ro.is_some() {
            let task = tokio::spawn(credit_loop(
                Arc::clone(&self.inner),
                key.clone(),
                Arc::clone(&call),
            ));
            c.tasks.push(task);
        }
        if c.rf.is_some() && inner.section.interim_interval_s > 0 {
            let task = tokio::spawn(interim_loop(Arc::clone(&self.inner), Arc::clone(&call)));
            c.tasks.push(task);
        }
    }

    /// An in-dialog BYE passing through (either direction): every charged side of the call
    /// ends (CCR-TERMINATION with the time used, ACR STOP).
    pub async fn on_bye(&self, bye: &Message) {
        let Ok(call_id) = bye.call_id() else { return };
        for call in self.inner.take_all(call_id) {
            self.inner.finish(&mut *call.lock().await, 0).await;
        }
    }

    /// Before a MESSAGE (or another one-shot request) of `subscriber` is forwarded in
    /// `role`: CCR-EVENT with DIRECT_DEBITING of one unit when online charging applies
    /// (TS 32.260 §5.2.2.2, RFC 4006 §6.3); with offline charging, the ACR EVENT waits for
    /// the 2xx ([`ChargingTrigger::on_event_final`]).
    pub async fn charge_event(
        &self,
        request: &Message,
        role: ChargingRole,
        subscriber: &str,
    ) -> Verdict {
        let inner = &self.inner;
        let info = ims_information(request, role, correlation::unix_now());
        if let (true, Some(ro)) = (inner.online_for(role), &inner.ro) {
            match ro.event(subscriber, 1, &info).await {
                RoOutcome::Granted { .. } | RoOutcome::Continue => {}
                RoOutcome::Denied { code } => {
                    tracing::info!(subscriber, code, "event credit refused");
                    return Verdict::Reject(StatusCode::PAYMENT_REQUIRED);
                }
                RoOutcome::Terminate => return Verdict::Reject(StatusCode::SERVICE_UNAVAILABLE),
            }
        }
        if inner.rf.read().await.is_some() {
            if let (Ok(call_id), Ok(mut events)) = (request.call_id(), inner.events.lock()) {
                if events.len() >= PENDING_EVENTS {
                    events.clear();
                    tracing::warn!("too many events waiting for their final: forgotten");
                }
                let list = events.entry(call_id.to_owned()).or_default();
                if !list.iter().any(|i| i.role_of_node == info.role_of_node) {
                    list.push(info);
                }
            }
        }
        Verdict::Proceed
    }

    /// The final response to a MESSAGE (or another one-shot request) passed to
    /// [`ChargingTrigger::charge_event`]: ACR EVENT per side on a 2xx (TS 32.260 §5.2.2.2).
    pub async fn on_event_final(&self, request: &Message, status: StatusCode) {
        if !status.is_final() {
            return;
        }
        let Ok(call_id) = request.call_id() else {
            return;
        };
        let infos = self
            .inner
            .events
            .lock()
            .ok()
            .and_then(|mut e| e.remove(call_id))
            .unwrap_or_default();
        if !status.is_success() {
            return;
        }
        for mut info in infos {
            info.sip_response_timestamp = Some(correlation::unix_now());
            self.inner.event_record(info).await;
        }
    }

    /// A REGISTER of `impu` accepted by the registrar: ACR EVENT (TS 32.260 §5.2.2.3).
    pub async fn on_register(&self, register: &Message, impu: &str) {
        let mut info =
            ims_information(register, ChargingRole::Originating, correlation::unix_now());
        info.sip_response_timestamp = Some(correlation::unix_now());
        if info.calling_party_address.is_empty() {
            info.calling_party_address.push(impu.to_owned());
        }
        self.inner.event_record(info).await;
    }

    /// Stops every call timer and closes the spool (records not delivered stay in it and
    /// leave with the next start).
    pub async fn shutdown(&self) {
        let calls: Vec<_> = self
            .inner
            .calls
            .lock()
            .map(|mut c| c.drain().map(|(_, (_, v))| v).collect())
            .unwrap_or_default();
        for call in calls {
            for t in &call.lock().await.tasks {
                t.abort();
            }
        }
        if let Some(rf) = self.inner.rf.write().await.take() {
            rf.close().await;
        }
    }
}

/// An INVITE with a To tag belongs to a dialog (re-INVITE): not a new session.
fn in_dialog(request: &Message) -> bool {
    request.to().ok().and_then(|t| t.tag()).is_some()
}

impl Inner {
    fn online_for(&self, role: ChargingRole) -> bool {
        self.ro.is_some()
            && match role {
                ChargingRole::Originating => self.section.online_originating,
                ChargingRole::Terminating => self.section.online_terminating,
            }
    }

    fn new_rf_session_id(&self) -> String {
        let low = self.counter.fetch_add(1, Ordering::Relaxed);
        format_session_id(&self.rf_host, self.boot, low, Some("rf"))
    }

    fn get(&self, key: &CallKey) -> Option<SharedCall> {
        self.calls.lock().ok()?.get(key).map(|(_, c)| Arc::clone(c))
    }

    fn take(&self, key: &CallKey) -> Option<SharedCall> {
        self.calls.lock().ok()?.remove(key).map(|(_, c)| c)
    }

    fn take_all(&self, call_id: &str) -> Vec<SharedCall> {
        let Ok(mut calls) = self.calls.lock() else {
            return Vec::new();
        };
        [ChargingRole::Originating, ChargingRole::Terminating]
            .into_iter()
            .filter_map(|role| calls.remove(&(call_id.to_owned(), role)).map(|(_, c)| c))
            .collect()
    }

    /// Whether a Record-Route URI names this node.
    fn is_ours(&self, uri: &str) -> bool {
        let Ok(Uri::Sip(sip)) = Uri::parse(uri) else {
            return false;
        };
        let ip = match sip.host {
            Host::V4(a) => Some(std::net::IpAddr::V4(a)),
            Host::V6(a) => Some(std::net::IpAddr::V6(a)),
            Host::Domain(_) => None,
        };
        match ip {
            Some(ip) => {
                let addr = SocketAddr::new(ip, sip.port.unwrap_or(5060));
                self.listeners.contains(&addr)
            }
            None => self
                .aliases
                .iter()
                .any(|a| a.eq_ignore_ascii_case(sip.host_str)),
        }
    }

    async fn submit(&self, record: &RfRecord) {
        if let Some(rf) = self.rf.read().await.as_ref() {
            if let Err(e) = rf.submit(record).await {
                tracing::error!(session_id = %record.session_id, error = %e, "ACR not spooled");
            }
        }
    }

    async fn event_record(&self, info: ImsInformation) {
        if self.rf.read().await.is_none() {
            return;
        }
        let record = RfRecord::event(self.new_rf_session_id(), info);
        self.submit(&record).await;
    }

    /// Ends one side of a call: timers stop, CCR-TERMINATION reports the time used, ACR STOP
    /// (only for an answered call) carries `cause` (TS 32.299 §7.2.35: 0 normal end).
    async fn finish(&self, c: &mut Call, cause: i32) {
        for t in c.tasks.drain(..) {
            t.abort();
        }
        let used = c.take_used(Instant::now(), true);
        if let (Some(ro), Some(s)) = (&self.ro, c.ro.as_mut()) {
            let mut info = c.info.clone();
            info.cause_code = Some(cause);
            let outcome = ro.stop(s, used, &info).await;
            tracing::debug!(session_id = %s.session_id, used, ?outcome, "CCR-TERMINATION");
        }
        c.ro = None;
        if c.answered.is_some() {
            let mut info = c.info.clone();
            info.sip_method = Some("BYE".into());
            info.cause_code = Some(cause);
            if let Some(rec) = c.rf.as_mut().map(|s| s.stop(info)) {
                self.submit(&rec).await;
            }
        }
        c.rf = None;
    }

    /// The network ends the call `call_id` (credit exhausted): BYE to each side, then every
    /// charged side of it is finished.
    async fn teardown(self: Arc<Self>, call_id: String) {
        let calls = self.take_all(&call_id);
        let mut dialog = None;
        for call in &calls {
            let c = call.lock().await;
            if dialog.is_none() {
                dialog.clone_from(&c.dialog);
            }
        }
        if let Some(d) = dialog {
            tracing::info!(call_id, "credit exhausted: the call is released");
            for (bye, hop) in [
                d.bye_to_callee("credit exhausted"),
                d.bye_to_caller("credit exhausted"),
            ] {
                self.send(bye, &hop);
            }
        }
        for call in calls {
            // TS 32.299 §7.2.35: a release by the network, not by the user.
            self.finish(&mut *call.lock().await, 1).await;
        }
    }

    /// Sends a request of our own towards `hop` (a URI), not waiting for its outcome.
    fn send(&self, request: bytes::Bytes, hop: &str) {
        let target = match Uri::parse(hop) {
            Ok(Uri::Sip(uri)) => self.hosts.locate(&uri).first().copied(),
            _ => None,
        };
        let Some(target) = target else {
            tracing::warn!(hop, "no address for the BYE's first hop");
            return;
        };
        let sip = self.sip.clone();
        tokio::spawn(async move {
            match sip.originate(request, target).await {
                Ok(o) => tracing::debug!(status = o.status.0, "BYE answered"),
                Err(e) => tracing::warn!(error = %e, "BYE not sent"),
            }
        });
    }
}

/// Keeps an answered call under credit control: CCR-UPDATE before the grant runs out;
/// when the final units are granted, or more are refused, the call ends when they run out.
async fn credit_loop(inner: Arc<Inner>, key: CallKey, call: SharedCall) {
    let Some(ro) = inner.ro.clone() else { return };
    loop {
        let (granted, validity, last, start) = {
            let c = call.lock().await;
            let Some(s) = &c.ro else { return };
            let granted = Duration::from_secs(u64::from(s.granted_seconds));
            let validity = s.validity_time.map(|v| Duration::from_secs(u64::from(v)));
            (
                granted,
                validity,
                s.final_unit_action.is_some(),
                c.grant_start,
            )
        };
        let end = start + granted;
        if !last && !granted.is_zero() {
            // Before the units run out, and before the grant's Validity-Time ends (RFC 4006
            // §8.33), whichever comes first.
            let mut update = update_after(granted);
            if let Some(v) = validity.filter(|v| !v.is_zero()) {
                update = update.min(update_after(v));
            }
            tokio::time::sleep_until(start + update).await;
            let mut guard = call.lock().await;
            let c = &mut *guard;
            let now = Instant::now();
            let used = c.take_used(now, false);
            let Some(s) = c.ro.as_mut() else { return };
            match ro
                .update(s, used, inner.section.requested_time_s, &c.info)
                .await
            {
                RoOutcome::Granted { units, .. } if units > 0 => {
                    c.grant_start = c.reported_until().unwrap_or(now);
                    continue;
                }
                RoOutcome::Continue => {
                    tracing::warn!(call_id = %key.0, "no OCS answered; the call goes on uncharged");
                    c.ro = None;
                    return;
                }
                outcome => {
                    tracing::info!(call_id = %key.0, ?outcome, "no more credit");
                }
            }
        }
        tokio::time::sleep_until(end).await;
        // Its own task: the teardown aborts this one.
        tokio::spawn(Arc::clone(&inner).teardown(key.0.clone()));
        return;
    }
}

/// ACR INTERIM every `interim_interval_s` of an answered call (TS 32.299 §6.1.2).
async fn interim_loop(inner: Arc<Inner>, call: SharedCall) {
    let every = Duration::from_secs(inner.section.interim_interval_s.max(1));
    let mut tick = tokio::time::interval_at(Instant::now() + every, every);
    loop {
        tick.tick().await;
        let rec = {
            let mut c = call.lock().await;
            let info = c.info.clone();
            match c.rf.as_mut() {
                Some(s) => s.interim(info),
                None => return,
            }
        };
        inner.submit(&rec).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_come_before_the_grant_ends() {
        let s = Duration::from_secs;
        assert_eq!(update_after(s(300)), s(290));
        assert_eq!(update_after(s(60)), s(50));
        assert_eq!(update_after(s(5)), s(4));
    }

    #[test]
    fn used_time_rounds_down_on_updates_and_up_at_the_end() {
        let answered = Instant::now();
        let mut call = Call {
            info: ImsInformation::default(),
            ro: None,
            answered: Some(answered),
            grant_start: answered,
            reported_s: 0,
            rf: None,
            dialog: None,
            tasks: Vec::new(),
        };
        assert_eq!(
            call.take_used(answered + Duration::from_millis(1600), false),
            1
        );
        assert_eq!(
            call.reported_until(),
            Some(answered + Duration::from_secs(1))
        );
        assert_eq!(
            call.take_used(answered + Duration::from_millis(3200), false),
            2
        );
        assert_eq!(
            call.take_used(answered + Duration::from_millis(3300), true),
            1
        );
        assert_eq!(
            call.take_used(answered + Duration::from_millis(3400), true),
            0
        );
    }
}
