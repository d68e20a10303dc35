//! Charging-Information (TS 29.229 §6.3.19): the CCF (offline, Rf) and ECF (online, Ro)
//! addresses the HSS hands to the S-CSCF in SAA and PPR.

use diameter_codec::generated::cx::{avp as x, view};
use diameter_codec::AvpContainer;

use crate::answer::text;

/// The charging function addresses of a user (Diameter URIs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChargingInfo {
    /// Primary-Charging-Collection-Function-Name (§6.3.22).
    pub primary_ccf: Option<String>,
    /// Secondary-Charging-Collection-Function-Name (§6.3.23).
    pub secondary_ccf: Option<String>,
    /// Primary-Event-Charging-Function-Name (§6.3.20).
    pub primary_ecf: Option<String>,
    /// Secondary-Event-Charging-Function-Name (§6.3.21).
    pub secondary_ecf: Option<String>,
}

impl ChargingInfo {
    /// Reads the Charging-Information AVP of `c`, if present.
    pub(crate) fn read<C: AvpContainer>(c: &C) -> Result<Option<Self>, diameter_codec::Error> {
        let Some(g) = c.get(&x::CHARGING_INFORMATION)? else {
            return Ok(None);
        };
        let v = view::ChargingInformation(&g);
        Ok(Some(Self {
            primary_ccf: v
                .primary_charging_collection_function_name()?
                .as_ref()
                .map(text),
            secondary_ccf: v
                .secondary_charging_collection_function_name()?
                .as_ref()
                .map(text),
            primary_ecf: v.primary_event_charging_function_name()?.as_ref().map(text),
            secondary_ecf: v
                .secondary_event_charging_function_name()?
                .as_ref()
                .map(text),
        }))
    }
}
