//! Server-Capabilities (TS 29.229 §6.3.4): what an S-CSCF needs to serve the user, and the
//! names of suitable S-CSCFs, for the I-CSCF's selection (TS 29.228 §6.1.1.1, §6.1.4.1).

use diameter_codec::generated::cx::{avp as x, view};
use diameter_codec::AvpContainer;

use crate::answer::text;
use crate::error::CxError;

/// The capabilities an S-CSCF must (mandatory) or should (optional) offer, and preferred
/// S-CSCF names. Empty when the answer carries no Server-Capabilities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerCapabilities {
    /// Mandatory-Capability values.
    pub mandatory: Vec<u32>,
    /// Optional-Capability values.
    pub optional: Vec<u32>,
    /// Server-Name values, in the HSS's order.
    pub server_names: Vec<String>,
}

impl ServerCapabilities {
    /// Reads the Server-Capabilities AVP of `c`; empty when absent.
    pub(crate) fn read<C: AvpContainer>(c: &C) -> Result<Self, CxError> {
        let Some(g) = c.get(&x::SERVER_CAPABILITIES)? else {
            return Ok(Self::default());
        };
        let v = view::ServerCapabilities(&g);
        Ok(Self {
            mandatory: v.mandatory_capability()?,
            optional: v.optional_capability()?,
            server_names: v.server_name()?.iter().map(text).collect(),
        })
    }

    /// Whether nothing was given: any S-CSCF may be chosen.
    pub fn is_empty(&self) -> bool {
        self.mandatory.is_empty() && self.optional.is_empty() && self.server_names.is_empty()
    }

    /// Whether an S-CSCF offering `offered` has every mandatory capability.
    pub fn is_met_by(&self, offered: &[u32]) -> bool {
        self.mandatory.iter().all(|m| offered.contains(m))
    }

    /// How many optional capabilities `offered` covers: the I-CSCF prefers the S-CSCF that
    /// covers most.
    pub fn optional_score(&self, offered: &[u32]) -> usize {
        self.optional.iter().filter(|o| offered.contains(o)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::cx;
    use diameter_codec::{Message, MessageBuilder, WriteAvps};

    #[test]
    fn reads_all_members_and_absence() {
        let mut m = MessageBuilder::request(&cx::cmd::UAR, 1, 1);
        m.put_grouped(&x::SERVER_CAPABILITIES, |g| {
            g.put(&x::MANDATORY_CAPABILITY, &1)
                .put(&x::OPTIONAL_CAPABILITY, &7)
                .put(&x::OPTIONAL_CAPABILITY, &8)
                .put(&x::SERVER_NAME, "sip:s1.test")
                .put(&x::SERVER_NAME, "sip:s2.test");
        });
        let m = Message::decode(m.finish()).unwrap();
        let c = ServerCapabilities::read(&m).unwrap();
        assert_eq!(c.mandatory, [1]);
        assert_eq!(c.optional, [7, 8]);
        assert_eq!(c.server_names, ["sip:s1.test", "sip:s2.test"]);
        assert!(c.is_met_by(&[1, 8]) && !c.is_met_by(&[7, 8]));
        assert_eq!(c.optional_score(&[1, 8]), 1);
        let none = Message::decode(MessageBuilder::request(&cx::cmd::UAR, 1, 1).finish()).unwrap();
        assert!(ServerCapabilities::read(&none).unwrap().is_empty());
    }
}
