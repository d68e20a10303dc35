//! Subscriber identities as the ledger keys them (Subscription-Id, RFC 4006 §8.46-8.48).
//!
//! E.164 numbers in any common spelling (`+4930123`, `4930123`, `tel:+49-30-123`) become
//! `tel:+4930123`; SIP URIs are kept as given (trimmed, scheme lower-cased).

use diameter_codec::generated::cc::SubscriptionIdType;

fn e164(digits_from: &str) -> Option<String> {
    let mut out = String::with_capacity(digits_from.len() + 5);
    out.push_str("tel:+");
    for c in digits_from.chars() {
        match c {
            '0'..='9' => out.push(c),
            '-' | '.' | ' ' | '(' | ')' => {}
            _ => return None,
        }
    }
    (out.len() > 5).then_some(out)
}

/// Normalises an identity given by an administrator or a client.
pub fn normalize_identity(identity: &str) -> String {
    let id = identity.trim();
    let lower_starts = |p: &str| id.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    if lower_starts("tel:") {
        let rest = id.get(4..).unwrap_or_default();
        // Drop URI parameters (`;phone-context=...`).
        let number = rest.split(';').next().unwrap_or_default();
        return e164(number.trim_start_matches('+')).unwrap_or_else(|| format!("tel:{rest}"));
    }
    for scheme in ["sip:", "sips:"] {
        if lower_starts(scheme) {
            return format!("{scheme}{}", id.get(scheme.len()..).unwrap_or_default());
        }
    }
    if let Some(t) = e164(id.trim_start_matches('+')) {
        return t;
    }
    id.to_owned()
}

/// The ledger key of a Subscription-Id (type and data), `None` for types not charged here.
pub fn subscription_key(kind: SubscriptionIdType, data: &str) -> Option<String> {
    match kind {
        SubscriptionIdType::END_USER_E164 => e164(
            data.trim()
                .trim_start_matches("tel:")
                .trim_start_matches('+'),
        ),
        SubscriptionIdType::END_USER_SIP_URI => Some(normalize_identity(data)),
        SubscriptionIdType::END_USER_NAI | SubscriptionIdType::END_USER_PRIVATE => {
            Some(data.trim().to_owned())
        }
        SubscriptionIdType::END_USER_IMSI => Some(format!("imsi:{}", data.trim())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_number_agree() {
        for s in [
            "+4930123",
            "4930123",
            "tel:+49-30-123",
            "TEL:+4930123;phone-context=x",
        ] {
            assert_eq!(normalize_identity(s), "tel:+4930123", "{s}");
        }
        assert_eq!(
            subscription_key(SubscriptionIdType::END_USER_E164, "4930123").as_deref(),
            Some("tel:+4930123")
        );
        assert_eq!(
            subscription_key(SubscriptionIdType::END_USER_SIP_URI, " sip:alice@ims.test")
                .as_deref(),
            Some("sip:alice@ims.test")
        );
        assert_eq!(normalize_identity("SIP:bob@x"), "sip:bob@x");
        assert_eq!(
            subscription_key(SubscriptionIdType::END_USER_E164, "12a"),
            None
        );
        assert_eq!(subscription_key(SubscriptionIdType(99), "1"), None);
    }
}
