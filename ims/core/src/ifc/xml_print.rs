//! The model to IMSSubscription XML (TS 29.228 Annex E), as an HSS puts it in the
//! User-Data AVP. Output parses back to an equal model.

use std::fmt::Write as _;

use super::model::{
    ApplicationServer, DefaultHandling, IdentityType, ImsSubscription, InitialFilterCriteria,
    ProfilePartIndicator, PublicIdentity, ServiceProfile, Spt, SptKind, TriggerPoint,
};

/// Escape text for element content.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn open(&mut self, name: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{name}>");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        let _ = writeln!(self.out, "</{name}>");
    }

    fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{name}>{}</{name}>", escape(text));
    }

    fn empty(&mut self, name: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{name}/>");
    }
}

/// Print `sub` as an IMSSubscription document (UTF-8, two-space indent).
pub fn print_ims_subscription(sub: &ImsSubscription) -> String {
    let mut w = Writer {
        out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        depth: 0,
    };
    w.open("IMSSubscription");
    w.leaf("PrivateID", &sub.private_id);
    for sp in &sub.service_profiles {
        service_profile(&mut w, sp);
    }
    w.close("IMSSubscription");
    w.out
}

fn service_profile(w: &mut Writer, sp: &ServiceProfile) {
    w.open("ServiceProfile");
    for p in &sp.public_identities {
        public_identity(w, p);
    }
    if let Some(id) = sp.subscribed_media_profile_id {
        w.open("CoreNetworkServicesAuthorization");
        w.leaf("SubscribedMediaProfileId", &id.to_string());
        w.close("CoreNetworkServicesAuthorization");
    }
    for ifc in &sp.initial_filter_criteria {
        initial_filter_criteria(w, ifc);
    }
    if !sp.shared_ifc_set_ids.is_empty() {
        w.open("Extension");
        for id in &sp.shared_ifc_set_ids {
            w.leaf("SharedIFCSetID", &id.to_string());
        }
        w.close("Extension");
    }
    w.close("ServiceProfile");
}

fn public_identity(w: &mut Writer, p: &PublicIdentity) {
    w.open("PublicIdentity");
    if let Some(b) = p.barring_indication {
        w.leaf("BarringIndication", if b { "1" } else { "0" });
    }
    w.leaf("Identity", &p.identity);
    if p.identity_type.is_some() || p.wildcarded.is_some() || p.display_name.is_some() {
        w.open("Extension");
        if let Some(t) = p.identity_type {
            w.leaf("IdentityType", &t.0.to_string());
        }
        if let Some(wc) = &p.wildcarded {
            let name = if p.identity_type == Some(IdentityType::WILDCARDED_IMPU) {
                "WildcardedIMPU"
            } else {
                "WildcardedPSI"
            };
            w.leaf(name, wc);
        }
        if let Some(d) = &p.display_name {
            w.open("Extension");
            w.leaf("DisplayName", d);
            w.close("Extension");
        }
        w.close("Extension");
    }
    w.close("PublicIdentity");
}

fn initial_filter_criteria(w: &mut Writer, ifc: &InitialFilterCriteria) {
    w.open("InitialFilterCriteria");
    w.leaf("Priority", &ifc.priority.to_string());
    if let Some(tp) = &ifc.trigger_point {
        trigger_point(w, tp);
    }
    application_server(w, &ifc.application_server);
    if let Some(ppi) = ifc.profile_part_indicator {
        let v = match ppi {
            ProfilePartIndicator::Registered => "0",
            ProfilePartIndicator::Unregistered => "1",
        };
        w.leaf("ProfilePartIndicator", v);
    }
    w.close("InitialFilterCriteria");
}

fn trigger_point(w: &mut Writer, tp: &TriggerPoint) {
    w.open("TriggerPoint");
    w.leaf(
        "ConditionTypeCNF",
        if tp.condition_type_cnf { "1" } else { "0" },
    );
    for spt in &tp.spts {
        service_point_trigger(w, spt);
    }
    w.close("TriggerPoint");
}

fn service_point_trigger(w: &mut Writer, spt: &Spt) {
    w.open("SPT");
    w.leaf(
        "ConditionNegated",
        if spt.condition_negated { "1" } else { "0" },
    );
    for g in &spt.groups {
        w.leaf("Group", &g.to_string());
    }
    match &spt.kind {
        SptKind::RequestUri(p) => w.leaf("RequestURI", p.as_str()),
        SptKind::Method(m) => w.leaf("Method", m),
        SptKind::SipHeader { header, content } => {
            w.open("SIPHeader");
            w.leaf("Header", header);
            if let Some(c) = content {
                w.leaf("Content", c.as_str());
            }
            w.close("SIPHeader");
        }
        SptKind::SessionCase(c) => w.leaf("SessionCase", &c.code().to_string()),
        SptKind::SessionDescription { line, content } => {
            w.open("SessionDescription");
            w.leaf("Line", line);
            if let Some(c) = content {
                w.leaf("Content", c.as_str());
            }
            w.close("SessionDescription");
        }
    }
    if !spt.registration_types.is_empty() {
        w.open("Extension");
        for r in &spt.registration_types {
            w.leaf("RegistrationType", &r.code().to_string());
        }
        w.close("Extension");
    }
    w.close("SPT");
}

fn application_server(w: &mut Writer, a: &ApplicationServer) {
    w.open("ApplicationServer");
    w.leaf("ServerName", &a.server_name);
    let dh = match a.default_handling {
        DefaultHandling::SessionContinued => "0",
        DefaultHandling::SessionTerminated => "1",
    };
    w.leaf("DefaultHandling", dh);
    if let Some(si) = &a.service_info {
        w.leaf("ServiceInfo", si);
    }
    if a.include_register_request || a.include_register_response {
        w.open("Extension");
        if a.include_register_request {
            w.empty("IncludeRegisterRequest");
        }
        if a.include_register_response {
            w.empty("IncludeRegisterResponse");
        }
        w.close("Extension");
    }
    w.close("ApplicationServer");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
    }
}
