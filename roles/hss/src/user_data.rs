//! User-Data (TS 29.228 §6.6, Annex B and E): the IMSSubscription document of a private identity,
//! printed with ims-core from the store's public identities and service profiles.

use ims_core::ifc::{
    parse_ims_subscription, print_ims_subscription, IdentityType as XmlIdentityType,
    ImsSubscription, ProfilePartIndicator, PublicIdentity as XmlPublicIdentity,
    ServiceProfile as XmlServiceProfile,
};
use ims_store::{IdentityType, PublicIdentity};

use crate::error::HssError;
use crate::handler::Hss;

const PLACEHOLDER: &str =
    "<PublicIdentity><Identity>sip:placeholder.invalid</Identity></PublicIdentity>";

/// Parses a stored service profile: either a whole `<IMSSubscription>` document (its first
/// `<ServiceProfile>` is used) or a `<ServiceProfile>` fragment, whose public identities may be
/// absent (the store's identities replace them).
pub fn parse_stored_profile(id: &str, xml: &str) -> Result<XmlServiceProfile, HssError> {
    let bad = |reason: String| HssError::Profile {
        id: id.to_owned(),
        reason,
    };
    let mut t = xml.trim();
    if t.starts_with("<?xml") {
        t = t.split_once("?>").map_or("", |(_, rest)| rest).trim();
    }
    let doc = if t.starts_with("<IMSSubscription") {
        t.to_owned()
    } else {
        let body = if t == "<ServiceProfile/>" || t == "<ServiceProfile />" {
            format!("<ServiceProfile>{PLACEHOLDER}</ServiceProfile>")
        } else if let Some(rest) = t.strip_prefix("<ServiceProfile>") {
            format!("<ServiceProfile>{PLACEHOLDER}{rest}")
        } else {
            return Err(bad("neither <IMSSubscription> nor <ServiceProfile>".into()));
        };
        format!("<IMSSubscription><PrivateID>placeholder</PrivateID>{body}</IMSSubscription>")
    };
    let sub = parse_ims_subscription(&doc).map_err(|e| bad(e.to_string()))?;
    sub.service_profiles
        .into_iter()
        .next()
        .ok_or_else(|| bad("no service profile".into()))
}

/// Whether a profile holds services for the unregistered state (TS 29.228 §6.1.4.1): an iFC
/// whose ProfilePartIndicator is absent or UNREGISTERED.
pub fn has_unregistered_services(profile: &XmlServiceProfile) -> bool {
    profile
        .initial_filter_criteria
        .iter()
        .any(|i| i.profile_part_indicator != Some(ProfilePartIndicator::Registered))
}

fn xml_identity(p: &PublicIdentity) -> XmlPublicIdentity {
    let (identity_type, wildcarded) = match &p.identity_type {
        IdentityType::PublicUser => (None, None),
        IdentityType::DistinctPsi => (Some(XmlIdentityType::DISTINCT_PSI), None),
        IdentityType::WildcardedPsi { pattern } => {
            (Some(XmlIdentityType::WILDCARDED_PSI), Some(pattern.clone()))
        }
    };
    XmlPublicIdentity {
        barring_indication: p.barred.then_some(true),
        identity: p.impu.clone(),
        identity_type,
        wildcarded,
        display_name: p.display_name.clone(),
    }
}

impl Hss {
    /// The service profile of `id` from the store, parsed.
    pub async fn service_profile(&self, id: &str) -> Result<XmlServiceProfile, HssError> {
        let stored =
            self.store
                .get_service_profile(id)
                .await?
                .ok_or_else(|| HssError::Profile {
                    id: id.to_owned(),
                    reason: "not provisioned".into(),
                })?;
        parse_stored_profile(id, &stored.ifc_xml)
    }

    /// The User-Data XML for `impi` carrying `identities` grouped by service profile
    /// (TS 29.228 §6.5.1.4, Annex B.2: one `<ServiceProfile>` per profile, in store order).
    pub async fn user_data(
        &self,
        impi: &str,
        identities: &[PublicIdentity],
    ) -> Result<String, HssError> {
        let mut profiles: Vec<(String, XmlServiceProfile)> = Vec::new();
        for p in identities {
            let idx = match profiles.iter().position(|(id, _)| *id == p.service_profile) {
                Some(i) => i,
                None => {
                    let mut sp = self.service_profile(&p.service_profile).await?;
                    sp.public_identities.clear();
                    profiles.push((p.service_profile.clone(), sp));
                    profiles.len() - 1
                }
            };
            if let Some((_, sp)) = profiles.get_mut(idx) {
                sp.public_identities.push(xml_identity(p));
            }
        }
        if profiles.is_empty() {
            return Err(HssError::UnknownIdentity(impi.to_owned()));
        }
        Ok(print_ims_subscription(&ImsSubscription {
            private_id: impi.to_owned(),
            service_profiles: profiles.into_iter().map(|(_, sp)| sp).collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_and_documents_parse() {
        let sp = parse_stored_profile("d", "<ServiceProfile/>").unwrap();
        assert!(sp.initial_filter_criteria.is_empty());
        assert!(!has_unregistered_services(&sp));
        let frag = "<ServiceProfile><InitialFilterCriteria><Priority>0</Priority>\
            <ApplicationServer><ServerName>sip:as.test</ServerName><DefaultHandling>0</DefaultHandling>\
            </ApplicationServer></InitialFilterCriteria></ServiceProfile>";
        let sp = parse_stored_profile("f", frag).unwrap();
        assert_eq!(sp.initial_filter_criteria.len(), 1);
        assert!(has_unregistered_services(&sp));
        let doc =
            format!(
            "<?xml version=\"1.0\"?><IMSSubscription><PrivateID>a</PrivateID>{}</IMSSubscription>",
            frag.replace("<ServiceProfile>", &format!("<ServiceProfile>{PLACEHOLDER}"))
        );
        let sp = parse_stored_profile("doc", &doc).unwrap();
        assert_eq!(sp.initial_filter_criteria.len(), 1);
        let e = parse_stored_profile("x", "<Foo/>").unwrap_err();
        assert!(e.to_string().contains("service profile x"), "{e}");
        assert!(parse_stored_profile("y", "<ServiceProfile><Bad").is_err());
    }
}
