//! IMSSubscription XML (TS 29.228 Annex E, CxDataType.xsd) to the model. Unknown elements
//! (later releases' extensions) are ignored; known ones are checked.

use super::error::IfcError;
use super::model::{
    ApplicationServer, DefaultHandling, IdentityType, ImsSubscription, InitialFilterCriteria,
    ProfilePartIndicator, PublicIdentity, RegistrationType, ServiceProfile, SessionCase, Spt,
    SptKind, TriggerPoint,
};
use super::pattern::Pattern;
use super::xml_dom::{self, Element};

/// Parse the User-Data AVP's IMSSubscription document (TS 29.228 §6.3.4, Annex E).
pub fn parse_ims_subscription(xml: &str) -> Result<ImsSubscription, IfcError> {
    let root = xml_dom::parse(xml)?;
    if root.name != "IMSSubscription" {
        return Err(IfcError::NotImsSubscription);
    }
    let private_id = root.one("PrivateID")?.text.clone();
    let service_profiles = exact(root.all("ServiceProfile").map(service_profile))?;
    if service_profiles.is_empty() {
        return Err(IfcError::Missing {
            element: "ServiceProfile",
        });
    }
    Ok(ImsSubscription {
        private_id,
        service_profiles,
    })
}

/// [`parse_ims_subscription`] for the raw bytes of the User-Data AVP (TS 29.228 §6.3.4).
pub fn parse_ims_subscription_bytes(xml: &[u8]) -> Result<ImsSubscription, IfcError> {
    std::str::from_utf8(xml)
        .map_err(|_| IfcError::NotUtf8)
        .and_then(parse_ims_subscription)
}

/// Collect into a Vec sized to its contents: a profile lives as long as its user's
/// registration, and `collect` from a filtered iterator leaves room for four.
fn exact<T, E>(items: impl Iterator<Item = Result<T, E>>) -> Result<Vec<T>, E> {
    let mut v = items.collect::<Result<Vec<T>, E>>()?;
    v.shrink_to_fit();
    Ok(v)
}

fn number<T: std::str::FromStr>(el: &Element, element: &'static str) -> Result<T, IfcError> {
    el.text.parse().map_err(|_| IfcError::BadValue { element })
}

fn opt_number<T: std::str::FromStr>(
    parent: &Element,
    element: &'static str,
) -> Result<Option<T>, IfcError> {
    parent.opt(element)?.map(|e| number(e, element)).transpose()
}

/// xs:boolean as the schema's tBool: `0`/`1`/`false`/`true`.
fn boolean(el: &Element, element: &'static str) -> Result<bool, IfcError> {
    match el.text.as_str() {
        "0" | "false" => Ok(false),
        "1" | "true" => Ok(true),
        _ => Err(IfcError::BadValue { element }),
    }
}

fn opt_boolean(parent: &Element, element: &'static str) -> Result<Option<bool>, IfcError> {
    parent
        .opt(element)?
        .map(|e| boolean(e, element))
        .transpose()
}

fn service_profile(el: &Element) -> Result<ServiceProfile, IfcError> {
    let public_identities = exact(el.all("PublicIdentity").map(public_identity))?;
    if public_identities.is_empty() {
        return Err(IfcError::Missing {
            element: "PublicIdentity",
        });
    }
    let subscribed_media_profile_id = match el.opt("CoreNetworkServicesAuthorization")? {
        Some(cnsa) => opt_number(cnsa, "SubscribedMediaProfileId")?,
        None => None,
    };
    let initial_filter_criteria = exact(el.all("InitialFilterCriteria").map(ifc))?;
    let mut shared_ifc_set_ids = Vec::new();
    for ext in el.all("Extension") {
        for id in ext.all("SharedIFCSetID") {
            shared_ifc_set_ids.push(number(id, "SharedIFCSetID")?);
        }
    }
    shared_ifc_set_ids.shrink_to_fit();
    Ok(ServiceProfile {
        public_identities,
        subscribed_media_profile_id,
        initial_filter_criteria,
        shared_ifc_set_ids,
    })
}

fn public_identity(el: &Element) -> Result<PublicIdentity, IfcError> {
    let mut p = PublicIdentity {
        barring_indication: opt_boolean(el, "BarringIndication")?,
        identity: el.one("Identity")?.text.clone(),
        ..PublicIdentity::default()
    };
    if p.identity.is_empty() {
        return Err(IfcError::BadValue {
            element: "Identity",
        });
    }
    if let Some(ext) = el.opt("Extension")? {
        p.identity_type = opt_number(ext, "IdentityType")?.map(IdentityType);
        p.wildcarded = match ext.opt("WildcardedPSI")? {
            Some(w) => Some(w.text.clone()),
            None => ext.opt("WildcardedIMPU")?.map(|w| w.text.clone()),
        };
        if let Some(ext2) = ext.opt("Extension")? {
            p.display_name = ext2.opt("DisplayName")?.map(|d| d.text.clone());
        }
    }
    Ok(p)
}

fn ifc(el: &Element) -> Result<InitialFilterCriteria, IfcError> {
    let ppi = match opt_number::<u8>(el, "ProfilePartIndicator")? {
        None => None,
        Some(0) => Some(ProfilePartIndicator::Registered),
        Some(1) => Some(ProfilePartIndicator::Unregistered),
        Some(_) => {
            return Err(IfcError::BadValue {
                element: "ProfilePartIndicator",
            })
        }
    };
    Ok(InitialFilterCriteria {
        priority: number(el.one("Priority")?, "Priority")?,
        trigger_point: el.opt("TriggerPoint")?.map(trigger_point).transpose()?,
        application_server: application_server(el.one("ApplicationServer")?)?,
        profile_part_indicator: ppi,
    })
}

fn trigger_point(el: &Element) -> Result<TriggerPoint, IfcError> {
    let spts = exact(el.all("SPT").map(spt))?;
    if spts.is_empty() {
        return Err(IfcError::Missing { element: "SPT" });
    }
    Ok(TriggerPoint {
        condition_type_cnf: boolean(el.one("ConditionTypeCNF")?, "ConditionTypeCNF")?,
        spts,
    })
}

fn spt(el: &Element) -> Result<Spt, IfcError> {
    let groups = exact(el.all("Group").map(|g| number::<u32>(g, "Group")))?;
    if groups.is_empty() {
        return Err(IfcError::Missing { element: "Group" });
    }
    let mut kinds = Vec::with_capacity(1);
    if let Some(e) = el.opt("RequestURI")? {
        kinds.push(SptKind::RequestUri(Pattern::new(&e.text, "RequestURI")?));
    }
    if let Some(e) = el.opt("Method")? {
        if e.text.is_empty() {
            return Err(IfcError::BadValue { element: "Method" });
        }
        kinds.push(SptKind::Method(e.text.clone()));
    }
    if let Some(e) = el.opt("SIPHeader")? {
        kinds.push(SptKind::SipHeader {
            header: non_empty(e.one("Header")?, "Header")?,
            content: content(e)?,
        });
    }
    if let Some(e) = el.opt("SessionCase")? {
        let case = SessionCase::from_code(number(e, "SessionCase")?).ok_or(IfcError::BadValue {
            element: "SessionCase",
        })?;
        kinds.push(SptKind::SessionCase(case));
    }
    if let Some(e) = el.opt("SessionDescription")? {
        kinds.push(SptKind::SessionDescription {
            line: non_empty(e.one("Line")?, "Line")?,
            content: content(e)?,
        });
    }
    let (Some(kind), true) = (kinds.pop(), kinds.is_empty()) else {
        return Err(IfcError::BadSpt);
    };
    let mut registration_types = Vec::new();
    if let Some(ext) = el.opt("Extension")? {
        for r in ext.all("RegistrationType") {
            let t = RegistrationType::from_code(number(r, "RegistrationType")?).ok_or(
                IfcError::BadValue {
                    element: "RegistrationType",
                },
            )?;
            registration_types.push(t);
        }
    }
    registration_types.shrink_to_fit();
    Ok(Spt {
        condition_negated: opt_boolean(el, "ConditionNegated")?.unwrap_or(false),
        groups,
        kind,
        registration_types,
    })
}

fn non_empty(el: &Element, element: &'static str) -> Result<String, IfcError> {
    if el.text.is_empty() {
        return Err(IfcError::BadValue { element });
    }
    Ok(el.text.clone())
}

fn content(el: &Element) -> Result<Option<Pattern>, IfcError> {
    el.opt("Content")?
        .map(|c| Pattern::new(&c.text, "Content"))
        .transpose()
}

fn application_server(el: &Element) -> Result<ApplicationServer, IfcError> {
    let default_handling = match opt_number::<u8>(el, "DefaultHandling")? {
        None | Some(0) => DefaultHandling::SessionContinued,
        Some(1) => DefaultHandling::SessionTerminated,
        Some(_) => {
            return Err(IfcError::BadValue {
                element: "DefaultHandling",
            })
        }
    };
    // Rel-9+ puts IncludeRegister* in the Extension; older profiles have them as children.
    let ext = el.opt("Extension")?;
    let flag = |name: &'static str| -> Result<bool, IfcError> {
        Ok(el.opt(name)?.is_some() || ext.map(|x| x.opt(name)).transpose()?.flatten().is_some())
    };
    Ok(ApplicationServer {
        server_name: non_empty(el.one("ServerName")?, "ServerName")?,
        default_handling,
        service_info: el.opt("ServiceInfo")?.map(|s| s.text.clone()),
        include_register_request: flag("IncludeRegisterRequest")?,
        include_register_response: flag("IncludeRegisterResponse")?,
    })
}
