//! A served user's profile from the User-Data of an SAA or PPR (TS 29.228 Annex B): the
//! implicit registration set of the registered identity (TS 24.229 §5.4.1.2.2).

use std::sync::Arc;

use ims_core::ifc::ImsSubscription;
use ims_cx::ChargingInfo;

use crate::state::{normalise, ServedUser};

/// The implicit registration set of `impu` in `subscription`: the non-barred public
/// identities of the service profile holding `impu`, `impu` first (the P-Associated-URI
/// order, TS 24.229 §5.4.1.2.2 item f). Just `impu` when no profile names it.
pub(crate) fn implicit_set(subscription: &ImsSubscription, impu: &str) -> Vec<String> {
    let key = normalise(impu);
    let Some(profile) = subscription.service_profiles.iter().find(|p| {
        p.public_identities
            .iter()
            .any(|i| normalise(&i.identity) == key)
    }) else {
        return vec![impu.to_owned()];
    };
    let mut set = vec![impu.to_owned()];
    for id in &profile.public_identities {
        if id.barring_indication != Some(true) && normalise(&id.identity) != key {
            set.push(id.identity.clone());
        }
    }
    set
}

/// The profile of `aor` registered by `impi`.
pub(crate) fn served_user(
    aor: &str,
    impi: &str,
    subscription: ImsSubscription,
    charging: Option<Arc<ChargingInfo>>,
) -> ServedUser {
    ServedUser {
        aor: aor.to_owned(),
        impi: impi.to_owned(),
        implicit_set: implicit_set(&subscription, aor),
        subscription,
        charging,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ims_core::ifc::{PublicIdentity, ServiceProfile};

    fn id(identity: &str, barred: Option<bool>) -> PublicIdentity {
        PublicIdentity {
            identity: identity.into(),
            barring_indication: barred,
            ..PublicIdentity::default()
        }
    }

    #[test]
    fn implicit_set_of_the_profile_without_barred_ones() {
        let sub = ImsSubscription {
            private_id: "alice@ims.test".into(),
            service_profiles: vec![
                ServiceProfile {
                    public_identities: vec![id("sip:other@ims.test", None)],
                    ..ServiceProfile::default()
                },
                ServiceProfile {
                    public_identities: vec![
                        id("tel:+15550001", None),
                        id("sip:Alice@ims.test", Some(false)),
                        id("sip:hidden@ims.test", Some(true)),
                    ],
                    ..ServiceProfile::default()
                },
            ],
        };
        assert_eq!(
            implicit_set(&sub, "sip:alice@ims.test"),
            ["sip:alice@ims.test", "tel:+15550001"]
        );
        assert_eq!(implicit_set(&sub, "sip:x@ims.test"), ["sip:x@ims.test"]);
        let u = served_user("sip:alice@ims.test", "alice@ims.test", sub, None);
        assert_eq!(u.implicit_set.len(), 2);
    }
}
