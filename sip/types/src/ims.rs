//! IMS headers (RFC 7315 P-headers, RFC 3327 Path, RFC 3608 Service-Route, RFC 3329
//! Security-*, RFC 6665 Event/Subscription-State, RFC 3325 P-Asserted-Identity): typed views.
//!
//! Every view borrows from the message buffer and is parsed only when asked for. List headers
//! are read with [`Message::header_values`], one view per comma-separated value.

use crate::error::{ParseError, ParseErrorKind};
use crate::header_name::HeaderName;
use crate::message::Message;
use crate::name_addr::NameAddr;
use crate::params::Params;
use crate::scan::{is_token, parse_u32, quoted_end, trim_lws};

fn invalid(name: HeaderName) -> ParseError {
    ParseError::new(ParseErrorKind::Invalid(name), 0)
}

/// Split `token *(;param)` into the leading token and its parameters, checking both.
fn token_and_params(value: &str, name: HeaderName) -> Result<(&str, Params<'_>), ParseError> {
    let v = trim_lws(value);
    let (head, params) = match crate::scan::find_byte(v, b';') {
        Some(i) => v.split_at(i),
        None => (v, ""),
    };
    let head = trim_lws(head);
    let params = Params::new(params);
    if !is_token(head) || !params.is_well_formed() {
        return Err(invalid(name));
    }
    Ok((head, params))
}

/// Every name-addr of a list header: P-Asserted-Identity and P-Preferred-Identity (RFC 3325
/// §9), P-Associated-URI (RFC 7315 §4.1), Path (RFC 3327 §4), Service-Route (RFC 3608 §5),
/// Route, Record-Route. Errors name the header.
pub fn name_addrs(
    msg: &Message,
    name: HeaderName,
) -> impl Iterator<Item = Result<NameAddr<'_>, ParseError>> + '_ {
    msg.header_values(name).map(move |v| {
        NameAddr::parse(v.text)
            .map_err(|_| ParseError::new(ParseErrorKind::Invalid(name), v.range.0))
    })
}

/// Option tags or methods of a token-list header: Supported, Require, Proxy-Require,
/// Unsupported (RFC 3261 §20.37, §20.32, §20.29, §20.40), Allow (§20.5), Allow-Events.
pub fn tokens(msg: &Message, name: HeaderName) -> impl Iterator<Item = &str> + '_ {
    msg.header_values(name).map(|v| v.text)
}

/// True when a token-list header lists `token` (exact match: methods are case-sensitive,
/// RFC 3261 §7.1; option tags are compared as written, §19.2).
pub fn has_token(msg: &Message, name: HeaderName, token: &str) -> bool {
    tokens(msg, name).any(|t| t == token)
}

/// P-Charging-Vector (RFC 7315 §4.6; TS 24.229 §7.2A.5):
/// `icid-value=...;icid-generated-at=...;orig-ioi=...;term-ioi=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargingVector<'a> {
    /// IMS Charging Identity (`icid-value`).
    pub icid: &'a str,
    /// `icid-generated-at`, the host that generated the ICID.
    pub icid_generated_at: Option<&'a str>,
    /// `orig-ioi`, originating Inter Operator Identifier.
    pub orig_ioi: Option<&'a str>,
    /// `term-ioi`, terminating Inter Operator Identifier.
    pub term_ioi: Option<&'a str>,
    /// Every parameter, `icid-value` included (access-network-charging-info etc.).
    pub params: Params<'a>,
}

impl<'a> ChargingVector<'a> {
    /// Parse a P-Charging-Vector value; `icid-value` is mandatory.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let err = invalid(HeaderName::P_CHARGING_VECTOR);
        let v = trim_lws(value);
        let params = Params::new(v);
        let mut first = params.iter();
        match first.next() {
            Some((n, Some(_))) if n.eq_ignore_ascii_case("icid-value") => {}
            _ => return Err(err),
        }
        if params.iter().any(|(n, _)| !is_token(n)) || v.contains(";;") {
            return Err(err);
        }
        let get = |n: &str| params.get(n).flatten();
        Ok(Self {
            icid: get("icid-value").ok_or(err)?,
            icid_generated_at: get("icid-generated-at"),
            orig_ioi: get("orig-ioi"),
            term_ioi: get("term-ioi"),
            params,
        })
    }
}

/// P-Charging-Function-Addresses (RFC 7315 §4.5): `ccf=...; ecf=...` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargingFunctionAddresses<'a> {
    /// The parameters as written.
    pub params: Params<'a>,
}

impl<'a> ChargingFunctionAddresses<'a> {
    /// Parse a value; at least one `ccf` or `ecf` is required.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let v = trim_lws(value);
        let params = Params::new(v);
        let ok = !v.is_empty()
            && !v.contains(";;")
            && params
                .iter()
                .all(|(n, val)| is_token(n) && val.is_some_and(|x| !x.is_empty()))
            && params
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("ccf") || n.eq_ignore_ascii_case("ecf"));
        if !ok {
            return Err(invalid(HeaderName::P_CHARGING_FUNCTION_ADDRESSES));
        }
        Ok(Self { params })
    }

    fn named(&self, name: &'static str) -> impl Iterator<Item = &'a str> + 'a {
        self.params
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .filter_map(|(_, v)| v)
    }

    /// Charging Collection Function addresses, in order (quotes removed).
    pub fn ccf(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.named("ccf")
    }

    /// Event Charging Function addresses, in order (quotes removed).
    pub fn ecf(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.named("ecf")
    }
}

/// P-Access-Network-Info (RFC 7315 §4.4; TS 24.229 §7.2A.4): `access-type *(; param)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessNetworkInfo<'a> {
    /// Access type as written (`3GPP-E-UTRAN-FDD`, `IEEE-802.11`...).
    pub access_type: &'a str,
    /// Access info parameters.
    pub params: Params<'a>,
}

impl<'a> AccessNetworkInfo<'a> {
    /// Parse one value.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let (access_type, params) = token_and_params(value, HeaderName::P_ACCESS_NETWORK_INFO)?;
        Ok(Self {
            access_type,
            params,
        })
    }

    /// `utran-cell-id-3gpp` (E-UTRAN/NR cell global id), quotes removed.
    pub fn cell_id(&self) -> Option<&'a str> {
        self.params.get("utran-cell-id-3gpp").flatten()
    }

    /// True when the P-CSCF inserted it (`network-provided`, TS 24.229 §7.2A.4).
    pub fn network_provided(&self) -> bool {
        self.params.contains("network-provided")
    }
}

/// P-Visited-Network-ID (RFC 7315 §4.3): `(token / quoted-string) *(; param)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitedNetworkId<'a> {
    /// The network name, without quotes.
    pub network: &'a str,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> VisitedNetworkId<'a> {
    /// Parse one value.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let err = invalid(HeaderName::P_VISITED_NETWORK_ID);
        let v = trim_lws(value);
        let (network, rest) = if v.starts_with('"') {
            let end = quoted_end(v.as_bytes()).ok_or(err)?;
            let inner = v.get(1..end - 1).ok_or(err)?;
            (inner, v.get(end..).ok_or(err)?)
        } else {
            match crate::scan::find_byte(v, b';') {
                Some(i) => (trim_lws(&v[..i]), &v[i..]),
                None => (v, ""),
            }
        };
        let rest = trim_lws(rest);
        let params = Params::new(rest);
        let token_ok = v.starts_with('"') || is_token(network);
        if network.is_empty() || !token_ok || !params.is_well_formed() {
            return Err(err);
        }
        Ok(Self { network, params })
    }
}

/// One Security-Client / Security-Server / Security-Verify value (RFC 3329 §2.2; TS 33.203
/// §7.2 for ipsec-3gpp): `mechanism *(; param)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecurityMechanism<'a> {
    /// Mechanism name (`ipsec-3gpp`, `tls`, `digest`...).
    pub mechanism: &'a str,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> SecurityMechanism<'a> {
    /// Parse one value (errors name `header`).
    pub fn parse(value: &'a str, header: HeaderName) -> Result<Self, ParseError> {
        let (mechanism, params) = token_and_params(value, header)?;
        Ok(Self { mechanism, params })
    }

    fn text(&self, name: &str) -> Option<&'a str> {
        self.params.get(name).flatten()
    }

    /// Integrity algorithm (`alg`, e.g. `hmac-sha-1-96`).
    pub fn alg(&self) -> Option<&'a str> {
        self.text("alg")
    }

    /// Encryption algorithm (`ealg`, e.g. `aes-cbc`, `null`).
    pub fn ealg(&self) -> Option<&'a str> {
        self.text("ealg")
    }

    /// Protocol (`prot`, `esp` or `ah`).
    pub fn prot(&self) -> Option<&'a str> {
        self.text("prot")
    }

    /// Mode (`mod`, `trans` or `tun`).
    pub fn mode(&self) -> Option<&'a str> {
        self.text("mod")
    }

    /// Client SPI (`spi-c`), a 32-bit number.
    pub fn spi_c(&self) -> Option<u32> {
        self.text("spi-c").and_then(parse_u32)
    }

    /// Server SPI (`spi-s`), a 32-bit number.
    pub fn spi_s(&self) -> Option<u32> {
        self.text("spi-s").and_then(parse_u32)
    }

    /// Client protected port (`port-c`).
    pub fn port_c(&self) -> Option<u16> {
        self.text("port-c").and_then(|p| p.parse().ok())
    }

    /// Server protected port (`port-s`).
    pub fn port_s(&self) -> Option<u16> {
        self.text("port-s").and_then(|p| p.parse().ok())
    }

    /// Preference (`q`) in thousandths (0..=1000).
    pub fn q_millis(&self) -> Option<u16> {
        self.text("q").and_then(parse_q)
    }
}

/// Every mechanism of a Security-Client, Security-Server or Security-Verify header.
pub fn security_mechanisms(
    msg: &Message,
    name: HeaderName,
) -> impl Iterator<Item = Result<SecurityMechanism<'_>, ParseError>> + '_ {
    msg.header_values(name)
        .map(move |v| SecurityMechanism::parse(v.text, name))
}

/// A qvalue (`0`, `0.5`, `1.000`; RFC 3261 §25.1) in thousandths.
pub fn parse_q(q: &str) -> Option<u16> {
    let (int, frac) = match q.split_once('.') {
        Some((i, f)) => (i, f),
        None => (q, ""),
    };
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut millis: u16 = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    for (i, b) in frac.bytes().enumerate() {
        let scale = [100u16, 10, 1].get(i).copied().unwrap_or(0);
        millis += u16::from(b - b'0') * scale;
    }
    (millis <= 1000).then_some(millis)
}

/// Event (RFC 6665 §8.2.1): `event-package *("." event-template) *(; param)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event type as written (`reg`, `presence`, `presence.winfo`).
    pub event_type: &'a str,
    /// Parameters (`id`...).
    pub params: Params<'a>,
}

impl<'a> Event<'a> {
    /// Parse an Event value.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let (event_type, params) = token_and_params(value, HeaderName::EVENT)?;
        Ok(Self { event_type, params })
    }

    /// The package: the event type up to the first `.` (`presence` of `presence.winfo`).
    pub fn package(&self) -> &'a str {
        self.event_type.split('.').next().unwrap_or(self.event_type)
    }

    /// The `id` parameter.
    pub fn id(&self) -> Option<&'a str> {
        self.params.get("id").flatten()
    }
}

/// Subscription-State (RFC 6665 §8.2.3): `substate-value *(; param)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionState<'a> {
    /// `active`, `pending`, `terminated` or an extension.
    pub state: &'a str,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> SubscriptionState<'a> {
    /// Parse a Subscription-State value.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let (state, params) = token_and_params(value, HeaderName::SUBSCRIPTION_STATE)?;
        Ok(Self { state, params })
    }

    /// True for `active`.
    pub fn is_active(&self) -> bool {
        self.state.eq_ignore_ascii_case("active")
    }

    /// True for `terminated`.
    pub fn is_terminated(&self) -> bool {
        self.state.eq_ignore_ascii_case("terminated")
    }

    /// `expires` in seconds.
    pub fn expires(&self) -> Option<u32> {
        self.params.get("expires").flatten().and_then(parse_u32)
    }

    /// `reason` (`deactivated`, `probation`, `rejected`, `timeout`, `giveup`, `noresource`...).
    pub fn reason(&self) -> Option<&'a str> {
        self.params.get("reason").flatten()
    }

    /// `retry-after` in seconds.
    pub fn retry_after(&self) -> Option<u32> {
        self.params.get("retry-after").flatten().and_then(parse_u32)
    }
}

/// One Contact value (RFC 3261 §20.10): `*` or a name-addr with contact parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `Contact: *` (remove every binding, RFC 3261 §10.2.2).
    Star,
    /// A contact address.
    Addr(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// Parse one Contact value.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        if trim_lws(value) == "*" {
            return Ok(Self::Star);
        }
        NameAddr::parse(value)
            .map(Self::Addr)
            .map_err(|_| invalid(HeaderName::CONTACT))
    }

    fn param(&self, name: &str) -> Option<&'a str> {
        match self {
            Self::Star => None,
            Self::Addr(a) => a.params.get(name).flatten(),
        }
    }

    /// The address, unless this is `*`.
    pub fn addr(&self) -> Option<&NameAddr<'a>> {
        match self {
            Self::Star => None,
            Self::Addr(a) => Some(a),
        }
    }

    /// `expires` in seconds (RFC 3261 §20.10).
    pub fn expires(&self) -> Option<u32> {
        self.param("expires").and_then(parse_u32)
    }

    /// `q` in thousandths (RFC 3261 §20.10).
    pub fn q_millis(&self) -> Option<u16> {
        self.param("q").and_then(parse_q)
    }

    /// `+sip.instance` without quotes, e.g. `<urn:gsma:imei:...>` (RFC 5626 §4.1).
    pub fn sip_instance(&self) -> Option<&'a str> {
        self.param("+sip.instance")
    }

    /// `reg-id` (RFC 5626 §4.2).
    pub fn reg_id(&self) -> Option<u32> {
        self.param("reg-id").and_then(parse_u32)
    }

    /// `pn-provider` (RFC 8599 §4.1.2).
    pub fn pn_provider(&self) -> Option<&'a str> {
        self.param("pn-provider")
    }

    /// `pn-prid`, the push resource id (RFC 8599 §4.1.3).
    pub fn pn_prid(&self) -> Option<&'a str> {
        self.param("pn-prid")
    }

    /// `pn-param` (RFC 8599 §4.1.4).
    pub fn pn_param(&self) -> Option<&'a str> {
        self.param("pn-param")
    }
}

/// Every Contact value of a message, in order.
pub fn contacts(msg: &Message) -> impl Iterator<Item = Result<Contact<'_>, ParseError>> + '_ {
    msg.header_values(HeaderName::CONTACT)
        .map(|v| Contact::parse(v.text).map_err(|e| ParseError::new(e.kind, v.range.0)))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    const REGISTER: &str = "REGISTER sip:ims.mnc001.mcc001.3gppnetwork.org SIP/2.0\r\n\
Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-1;rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:001010000000001@ims.mnc001.mcc001.3gppnetwork.org>;tag=a\r\n\
To: <sip:001010000000001@ims.mnc001.mcc001.3gppnetwork.org>\r\n\
Call-ID: reg1\r\n\
CSeq: 1 REGISTER\r\n\
Contact: <sip:001010000000001@[2001:db8::1]:5060>;expires=600000;q=0.5;+sip.instance=\"<urn:gsma:imei:35000000-000000-0>\";reg-id=1;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\";pn-provider=apns;pn-prid=\"00fc13adff78512\";pn-param=ABCD1234.com.example.voip\r\n\
Supported: path, gruu,sec-agree\r\n\
Require: sec-agree\r\n\
Proxy-Require: sec-agree\r\n\
Allow: INVITE, ACK, CANCEL, BYE, MESSAGE\r\n\
Security-Client: ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;spi-c=3929102;spi-s=3929103;port-c=5062;port-s=5064;prot=esp;mod=trans, ipsec-3gpp;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=1;port-s=2;q=0.1\r\n\
Path: <sip:term@pcscf1.home1.net;lr>, <sip:pcscf2.home1.net;lr>\r\n\
P-Visited-Network-ID: \"Visited network number 1\", other.net;x=1\r\n\
P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001000019B;network-provided\r\n\
P-Charging-Vector: icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=023551024\";icid-generated-at=192.0.6.8;orig-ioi=home1.net\r\n\
P-Charging-Function-Addresses: ccf=192.1.1.1; ccf=192.1.1.2;\r\n ecf=192.1.1.3; ecf=\"aaa://host.example.com;transport=tcp\"\r\n\
P-Asserted-Identity: \"John Doe\" <sip:user1_public1@home1.net>, <tel:+358504821437>\r\n\
P-Associated-URI: <sip:user1_public2@home1.net>, <sip:user1_public3@home1.net>\r\n\
Service-Route: <sip:orig@scscf1.home1.net;lr>\r\n\
Event: reg;id=12\r\n\
Subscription-State: terminated;reason=timeout;expires=0;retry-after=30\r\n\
Content-Length: 0\r\n\r\n";

    fn msg() -> Message {
        let m = Message::parse(Bytes::from_static(REGISTER.as_bytes())).unwrap();
        m.validate().unwrap();
        m
    }

    #[test]
    fn identities_and_routes() {
        let m = msg();
        let pai: Vec<_> = name_addrs(&m, HeaderName::P_ASSERTED_IDENTITY)
            .map(Result::unwrap)
            .collect();
        assert_eq!(pai.len(), 2);
        assert_eq!(pai[0].display, Some("John Doe"));
        assert_eq!(pai[1].uri, "tel:+358504821437");
        assert!(matches!(
            pai[1].parsed_uri(),
            Ok(crate::Uri::Tel {
                number: "+358504821437",
                ..
            })
        ));
        let path: Vec<_> = name_addrs(&m, HeaderName::PATH)
            .map(|n| n.unwrap().uri)
            .collect();
        assert_eq!(
            path,
            ["sip:term@pcscf1.home1.net;lr", "sip:pcscf2.home1.net;lr"]
        );
        assert_eq!(name_addrs(&m, HeaderName::P_ASSOCIATED_URI).count(), 2);
        let sr = name_addrs(&m, HeaderName::SERVICE_ROUTE)
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(sr.uri, "sip:orig@scscf1.home1.net;lr");
        assert_eq!(name_addrs(&m, HeaderName::P_PREFERRED_IDENTITY).count(), 0);
    }

    #[test]
    fn bad_identity_names_header() {
        let text = REGISTER.replace("<tel:+358504821437>", "<tel:+35850 4821437");
        let m = Message::parse(Bytes::from(text)).unwrap();
        let e = name_addrs(&m, HeaderName::P_ASSERTED_IDENTITY)
            .find_map(Result::err)
            .unwrap();
        assert_eq!(
            e.kind,
            ParseErrorKind::Invalid(HeaderName::P_ASSERTED_IDENTITY)
        );
        assert!(e.offset > 0);
    }

    #[test]
    fn charging() {
        let m = msg();
        let pcv = ChargingVector::parse(m.header(HeaderName::P_CHARGING_VECTOR).unwrap()).unwrap();
        assert_eq!(pcv.icid, "AyretyU0dm+6O2IrT5tAFrbHLso=023551024");
        assert_eq!(pcv.icid_generated_at, Some("192.0.6.8"));
        assert_eq!(pcv.orig_ioi, Some("home1.net"));
        assert_eq!(pcv.term_ioi, None);
        assert!(ChargingVector::parse("orig-ioi=x").is_err());
        assert!(ChargingVector::parse("icid-value").is_err());
        assert!(ChargingVector::parse("icid-value=1;;a").is_err());

        let pcfa = ChargingFunctionAddresses::parse(
            m.header(HeaderName::P_CHARGING_FUNCTION_ADDRESSES).unwrap(),
        )
        .unwrap();
        assert_eq!(pcfa.ccf().collect::<Vec<_>>(), ["192.1.1.1", "192.1.1.2"]);
        assert_eq!(
            pcfa.ecf().collect::<Vec<_>>(),
            ["192.1.1.3", "aaa://host.example.com;transport=tcp"]
        );
        assert!(ChargingFunctionAddresses::parse("foo=1").is_err());
        assert!(ChargingFunctionAddresses::parse("ccf=").is_err());
    }

    #[test]
    fn access_and_visited_network() {
        let m = msg();
        let pani =
            AccessNetworkInfo::parse(m.header(HeaderName::P_ACCESS_NETWORK_INFO).unwrap()).unwrap();
        assert_eq!(pani.access_type, "3GPP-E-UTRAN-FDD");
        assert_eq!(pani.cell_id(), Some("001010001000019B"));
        assert!(pani.network_provided());
        assert!(AccessNetworkInfo::parse("; x=1").is_err());

        let ids: Vec<_> = m
            .header_values(HeaderName::P_VISITED_NETWORK_ID)
            .map(|v| VisitedNetworkId::parse(v.text).unwrap())
            .collect();
        assert_eq!(ids[0].network, "Visited network number 1");
        assert_eq!(ids[1].network, "other.net");
        assert_eq!(ids[1].params.get("x"), Some(Some("1")));
        assert!(VisitedNetworkId::parse("\"open").is_err());
        assert!(VisitedNetworkId::parse("a b").is_err());
    }

    #[test]
    fn security_agreement() {
        let m = msg();
        let mechs: Vec<_> = security_mechanisms(&m, HeaderName::SECURITY_CLIENT)
            .map(Result::unwrap)
            .collect();
        assert_eq!(mechs.len(), 2);
        let s = mechs[0];
        assert_eq!(s.mechanism, "ipsec-3gpp");
        assert_eq!(s.alg(), Some("hmac-sha-1-96"));
        assert_eq!(s.ealg(), Some("null"));
        assert_eq!(s.spi_c(), Some(3_929_102));
        assert_eq!(s.spi_s(), Some(3_929_103));
        assert_eq!(s.port_c(), Some(5062));
        assert_eq!(s.port_s(), Some(5064));
        assert_eq!(s.prot(), Some("esp"));
        assert_eq!(s.mode(), Some("trans"));
        assert_eq!(s.q_millis(), None);
        assert_eq!(mechs[1].q_millis(), Some(100));
        assert!(SecurityMechanism::parse("ipsec-3gpp;;", HeaderName::SECURITY_VERIFY).is_err());
        assert_eq!(
            SecurityMechanism::parse("", HeaderName::SECURITY_SERVER)
                .unwrap_err()
                .kind,
            ParseErrorKind::Invalid(HeaderName::SECURITY_SERVER)
        );
    }

    #[test]
    fn events() {
        let m = msg();
        let ev = Event::parse(m.header(HeaderName::EVENT).unwrap()).unwrap();
        assert_eq!(ev.package(), "reg");
        assert_eq!(ev.id(), Some("12"));
        let ev = Event::parse("presence.winfo").unwrap();
        assert_eq!(ev.package(), "presence");
        assert_eq!(ev.event_type, "presence.winfo");
        assert!(Event::parse("").is_err());

        let ss =
            SubscriptionState::parse(m.header(HeaderName::SUBSCRIPTION_STATE).unwrap()).unwrap();
        assert!(ss.is_terminated());
        assert!(!ss.is_active());
        assert_eq!(ss.reason(), Some("timeout"));
        assert_eq!(ss.expires(), Some(0));
        assert_eq!(ss.retry_after(), Some(30));
        let ss = SubscriptionState::parse("active;expires=3600").unwrap();
        assert!(ss.is_active());
        assert_eq!(ss.expires(), Some(3600));
    }

    #[test]
    fn token_lists() {
        let m = msg();
        assert_eq!(
            tokens(&m, HeaderName::SUPPORTED).collect::<Vec<_>>(),
            ["path", "gruu", "sec-agree"]
        );
        assert!(has_token(&m, HeaderName::REQUIRE, "sec-agree"));
        assert!(has_token(&m, HeaderName::ALLOW, "MESSAGE"));
        assert!(!has_token(&m, HeaderName::ALLOW, "message"));
        assert!(!has_token(&m, HeaderName::UNSUPPORTED, "x"));
    }

    #[test]
    fn contact_specifics() {
        let m = msg();
        let c = contacts(&m).next().unwrap().unwrap();
        assert_eq!(c.expires(), Some(600_000));
        assert_eq!(c.q_millis(), Some(500));
        assert_eq!(c.sip_instance(), Some("<urn:gsma:imei:35000000-000000-0>"));
        assert_eq!(c.reg_id(), Some(1));
        assert_eq!(c.pn_provider(), Some("apns"));
        assert_eq!(c.pn_prid(), Some("00fc13adff78512"));
        assert_eq!(c.pn_param(), Some("ABCD1234.com.example.voip"));
        assert_eq!(
            c.addr().unwrap().uri,
            "sip:001010000000001@[2001:db8::1]:5060"
        );
        let star = Contact::parse(" * ").unwrap();
        assert_eq!(star, Contact::Star);
        assert_eq!(star.expires(), None);
        assert!(star.addr().is_none());
        assert_eq!(
            Contact::parse("<sip:a@b>;;").unwrap_err().kind,
            ParseErrorKind::Invalid(HeaderName::CONTACT)
        );
    }

    #[test]
    fn qvalues() {
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0.33"), Some(330));
        assert_eq!(parse_q("0.001"), Some(1));
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("2"), None);
        assert_eq!(parse_q(""), None);
        assert_eq!(parse_q(".5"), None);
    }
}
