//! The AVP data formats of RFC 6733 §4.2 (basic) and §4.3 (derived). Each is a marker type
//! implementing [`Format`]: how its data field decodes into a value (sharing the buffer where the
//! value is bytes) and how an input encodes.

use std::marker::PhantomData;
use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, Bytes, BytesMut};

use crate::dict::DataType;
use crate::message::GroupedAvps;

/// Why a data field does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Wrong length for the format (answered with 5014).
    #[error("invalid length for the data format")]
    InvalidLength,
    /// Right length, invalid content (answered with 5004).
    #[error("invalid value for the data format")]
    InvalidValue,
}

/// An AVP data format (RFC 6733 §4.2, §4.3).
pub trait Format {
    /// The dictionary's name for the format.
    const TYPE: DataType;
    /// The decoded value.
    type Value;
    /// What the encoder takes.
    type Input: ?Sized;
    /// Decodes a data field (without padding).
    fn decode(data: &Bytes) -> Result<Self::Value, ValueError>;
    /// Appends the data field (without padding).
    fn encode(input: &Self::Input, out: &mut BytesMut);
}

/// The decoded value type of format `F`.
pub type Value<F> = <F as Format>::Value;

/// Values of an `Enumerated` AVP: generated open newtypes over `i32` (§4.3.1).
pub trait EnumValue: Copy {
    /// From the wire value.
    fn from_i32(v: i32) -> Self;
    /// To the wire value.
    fn to_i32(self) -> i32;
}

impl EnumValue for i32 {
    fn from_i32(v: i32) -> Self {
        v
    }
    fn to_i32(self) -> i32 {
        self
    }
}

/// A UTF-8 checked view of received bytes (UTF8String, DiameterIdentity, DiameterURI,
/// IPFilterRule), sharing the message buffer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Checks `b` is UTF-8.
    pub fn new(b: Bytes) -> Result<Self, ValueError> {
        match std::str::from_utf8(&b) {
            Ok(_) => Ok(Self(b)),
            Err(_) => Err(ValueError::InvalidValue),
        }
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        // Checked in `new`; cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
    /// The underlying bytes.
    pub const fn as_bytes(&self) -> &Bytes {
        &self.0
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

fn fixed<const N: usize>(data: &Bytes) -> Result<[u8; N], ValueError> {
    data.as_ref()
        .try_into()
        .map_err(|_| ValueError::InvalidLength)
}

macro_rules! number_format {
    ($(#[$doc:meta])* $name:ident, $t:ty, $n:literal, $put:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl Format for $name {
            const TYPE: DataType = DataType::$name;
            type Value = $t;
            type Input = $t;
            fn decode(data: &Bytes) -> Result<$t, ValueError> {
                Ok(<$t>::from_be_bytes(fixed::<$n>(data)?))
            }
            fn encode(input: &$t, out: &mut BytesMut) {
                out.$put(*input);
            }
        }
    };
}

number_format!(
    /// Integer32 (§4.2): 32-bit signed, network order.
    Integer32, i32, 4, put_i32
);
number_format!(
    /// Integer64 (§4.2): 64-bit signed, network order.
    Integer64, i64, 8, put_i64
);
number_format!(
    /// Unsigned32 (§4.2): 32-bit unsigned, network order.
    Unsigned32, u32, 4, put_u32
);
number_format!(
    /// Unsigned64 (§4.2): 64-bit unsigned, network order.
    Unsigned64, u64, 8, put_u64
);
number_format!(
    /// Float32 (§4.2): IEEE 754 single precision.
    Float32, f32, 4, put_f32
);
number_format!(
    /// Float64 (§4.2): IEEE 754 double precision.
    Float64, f64, 8, put_f64
);

/// OctetString (§4.2): arbitrary bytes, shared with the message buffer.
#[derive(Debug, Clone, Copy)]
pub struct OctetString;
impl Format for OctetString {
    const TYPE: DataType = DataType::OctetString;
    type Value = Bytes;
    type Input = [u8];
    fn decode(data: &Bytes) -> Result<Bytes, ValueError> {
        Ok(data.clone())
    }
    fn encode(input: &[u8], out: &mut BytesMut) {
        out.put_slice(input);
    }
}

/// Grouped (§4.4): a sequence of AVPs, decoded lazily. Build one with
/// [`crate::WriteAvps::put_grouped`]; encoding an input copies pre-encoded AVP bytes.
#[derive(Debug, Clone, Copy)]
pub struct Grouped;
impl Format for Grouped {
    const TYPE: DataType = DataType::Grouped;
    type Value = GroupedAvps;
    type Input = [u8];
    fn decode(data: &Bytes) -> Result<GroupedAvps, ValueError> {
        Ok(GroupedAvps::new(data.clone()))
    }
    fn encode(input: &[u8], out: &mut BytesMut) {
        out.put_slice(input);
    }
}

macro_rules! text_format {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl Format for $name {
            const TYPE: DataType = DataType::$name;
            type Value = Utf8Bytes;
            type Input = str;
            fn decode(data: &Bytes) -> Result<Utf8Bytes, ValueError> {
                let v = Utf8Bytes::new(data.clone())?;
                let check: fn(&str) -> bool = $check;
                if check(v.as_str()) {
                    Ok(v)
                } else {
                    Err(ValueError::InvalidValue)
                }
            }
            fn encode(input: &str, out: &mut BytesMut) {
                out.put_slice(input.as_bytes());
            }
        }
    };
}

text_format!(
    /// UTF8String (§4.3.1): UTF-8 text, no terminator.
    Utf8String,
    |_| true
);
text_format!(
    /// DiameterIdentity (§4.3.1): an FQDN or realm, ASCII.
    DiameterIdentity,
    |s| !s.is_empty() && s.is_ascii()
);
text_format!(
    /// DiameterURI (§4.3.1): `aaa://` or `aaas://` URI.
    DiameterUri,
    |s| {
        let l = s.to_ascii_lowercase();
        l.starts_with("aaa://") || l.starts_with("aaas://")
    }
);
text_format!(
    /// IPFilterRule (§4.3.1): a filter rule in text form (`permit`/`deny` ...).
    IpFilterRule,
    |s| s.starts_with("permit") || s.starts_with("deny")
);

/// Address (§4.3.1): a 2-byte IANA address family followed by the address.
#[derive(Debug, Clone, Copy)]
pub struct Address;

/// A decoded Address value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddressValue {
    /// Family 1.
    V4(Ipv4Addr),
    /// Family 2.
    V6(Ipv6Addr),
    /// Any other family (E.164 = 8, ...), kept as bytes.
    Other {
        /// IANA address family number.
        family: u16,
        /// The address bytes.
        address: Bytes,
    },
}

impl Format for Address {
    const TYPE: DataType = DataType::Address;
    type Value = AddressValue;
    type Input = AddressValue;
    fn decode(data: &Bytes) -> Result<AddressValue, ValueError> {
        let Some(&[a, b]) = data.first_chunk::<2>() else {
            return Err(ValueError::InvalidLength);
        };
        let family = u16::from_be_bytes([a, b]);
        let addr = data.slice(2..);
        match family {
            1 => Ok(AddressValue::V4(Ipv4Addr::from(fixed::<4>(&addr)?))),
            2 => Ok(AddressValue::V6(Ipv6Addr::from(fixed::<16>(&addr)?))),
            _ => Ok(AddressValue::Other {
                family,
                address: addr,
            }),
        }
    }
    fn encode(input: &AddressValue, out: &mut BytesMut) {
        match input {
            AddressValue::V4(a) => {
                out.put_u16(1);
                out.put_slice(&a.octets());
            }
            AddressValue::V6(a) => {
                out.put_u16(2);
                out.put_slice(&a.octets());
            }
            AddressValue::Other { family, address } => {
                out.put_u16(*family);
                out.put_slice(address);
            }
        }
    }
}

/// Time (§4.3.1): seconds since 1900-01-01 UTC (NTP), wrapping in 2036.
#[derive(Debug, Clone, Copy)]
pub struct Time;

/// A Time value: the 32-bit NTP seconds as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NtpTime(pub u32);

/// Seconds from 1900-01-01 to 1970-01-01.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

impl NtpTime {
    /// From Unix seconds (taken modulo 2^32 per §4.3.1, valid until 2104).
    pub const fn from_unix(secs: u64) -> Self {
        Self((secs + NTP_UNIX_OFFSET) as u32)
    }
    /// To Unix seconds; values with the top bit clear are read as after the 2036 wrap
    /// (§4.3.1, RFC 5905 era 1). Times before 1970 saturate to 0.
    pub const fn to_unix(self) -> u64 {
        let ntp = if self.0 & 0x8000_0000 == 0 {
            self.0 as u64 + (1 << 32)
        } else {
            self.0 as u64
        };
        ntp.saturating_sub(NTP_UNIX_OFFSET)
    }
}

impl Format for Time {
    const TYPE: DataType = DataType::Time;
    type Value = NtpTime;
    type Input = NtpTime;
    fn decode(data: &Bytes) -> Result<NtpTime, ValueError> {
        Ok(NtpTime(u32::from_be_bytes(fixed::<4>(data)?)))
    }
    fn encode(input: &NtpTime, out: &mut BytesMut) {
        out.put_u32(input.0);
    }
}

/// Enumerated (§4.3.1): Integer32 with named values `E`.
#[derive(Debug, Clone, Copy)]
pub struct Enumerated<E>(PhantomData<fn() -> E>);

impl<E: EnumValue> Format for Enumerated<E> {
    const TYPE: DataType = DataType::Enumerated;
    type Value = E;
    type Input = E;
    fn decode(data: &Bytes) -> Result<E, ValueError> {
        Ok(E::from_i32(i32::from_be_bytes(fixed::<4>(data)?)))
    }
    fn encode(input: &E, out: &mut BytesMut) {
        out.put_i32(input.to_i32());
    }
}

/// Checks a data field against a format named at run time (for validation of AVPs whose type
/// comes from the dictionary table).
pub fn check(data_type: DataType, data: &Bytes) -> Result<(), ValueError> {
    match data_type {
        DataType::OctetString | DataType::Grouped => Ok(()),
        DataType::Integer32 => Integer32::decode(data).map(drop),
        DataType::Integer64 => Integer64::decode(data).map(drop),
        DataType::Unsigned32 => Unsigned32::decode(data).map(drop),
        DataType::Unsigned64 => Unsigned64::decode(data).map(drop),
        DataType::Float32 => Float32::decode(data).map(drop),
        DataType::Float64 => Float64::decode(data).map(drop),
        DataType::Address => Address::decode(data).map(drop),
        DataType::Time => Time::decode(data).map(drop),
        DataType::Utf8String => Utf8String::decode(data).map(drop),
        DataType::DiameterIdentity => DiameterIdentity::decode(data).map(drop),
        DataType::DiameterUri => DiameterUri::decode(data).map(drop),
        DataType::Enumerated => Enumerated::<i32>::decode(data).map(drop),
        DataType::IpFilterRule => IpFilterRule::decode(data).map(drop),
    }
}

/// As [`check`] over a borrowed data field: validation without touching reference counts.
pub fn check_slice(data_type: DataType, data: &[u8]) -> Result<(), ValueError> {
    let len = |n: usize| {
        if data.len() == n {
            Ok(())
        } else {
            Err(ValueError::InvalidLength)
        }
    };
    let text = |ok: fn(&str) -> bool| match std::str::from_utf8(data) {
        Ok(s) if ok(s) => Ok(()),
        _ => Err(ValueError::InvalidValue),
    };
    match data_type {
        DataType::OctetString | DataType::Grouped => Ok(()),
        DataType::Integer32
        | DataType::Unsigned32
        | DataType::Float32
        | DataType::Time
        | DataType::Enumerated => len(4),
        DataType::Integer64 | DataType::Unsigned64 | DataType::Float64 => len(8),
        DataType::Address => match data {
            [0, 1, rest @ ..] if rest.len() != 4 => Err(ValueError::InvalidLength),
            [0, 2, rest @ ..] if rest.len() != 16 => Err(ValueError::InvalidLength),
            [_, _, ..] => Ok(()),
            _ => Err(ValueError::InvalidLength),
        },
        DataType::Utf8String => text(|_| true),
        DataType::DiameterIdentity => text(|s| !s.is_empty() && s.is_ascii()),
        DataType::DiameterUri => text(|s| {
            let l = s.get(..7).unwrap_or(s).to_ascii_lowercase();
            l.starts_with("aaa://") || l.starts_with("aaas://")
        }),
        DataType::IpFilterRule => text(|s| s.starts_with("permit") || s.starts_with("deny")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt<F: Format>(input: &F::Input) -> F::Value {
        let mut b = BytesMut::new();
        F::encode(input, &mut b);
        F::decode(&b.freeze()).unwrap()
    }

    #[test]
    fn numbers_round_trip_and_check_length() {
        assert_eq!(rt::<Integer32>(&-5), -5);
        assert_eq!(rt::<Integer64>(&i64::MIN), i64::MIN);
        assert_eq!(rt::<Unsigned32>(&0xdead_beef), 0xdead_beef);
        assert_eq!(rt::<Unsigned64>(&u64::MAX), u64::MAX);
        assert_eq!(rt::<Float32>(&1.5), 1.5);
        assert_eq!(rt::<Float64>(&-2.25), -2.25);
        assert_eq!(
            Unsigned32::decode(&Bytes::from_static(&[1, 2, 3])),
            Err(ValueError::InvalidLength)
        );
        assert_eq!(
            Unsigned64::decode(&Bytes::from_static(&[0; 9])),
            Err(ValueError::InvalidLength)
        );
    }

    #[test]
    fn text_formats() {
        assert_eq!(rt::<Utf8String>("héllo"), "héllo");
        assert_eq!(rt::<DiameterIdentity>("hss.ims.test"), "hss.ims.test");
        assert_eq!(
            rt::<DiameterUri>("aaa://hss.ims.test:3868;transport=tcp"),
            "aaa://hss.ims.test:3868;transport=tcp"
        );
        assert_eq!(
            rt::<IpFilterRule>("permit out ip from any to any"),
            "permit out ip from any to any"
        );
        assert_eq!(
            Utf8String::decode(&Bytes::from_static(&[0xff, 0xfe])),
            Err(ValueError::InvalidValue)
        );
        assert_eq!(
            DiameterIdentity::decode(&Bytes::from_static(b"")),
            Err(ValueError::InvalidValue)
        );
        assert_eq!(
            DiameterUri::decode(&Bytes::from_static(b"sip:x")),
            Err(ValueError::InvalidValue)
        );
        assert_eq!(
            rt::<OctetString>(&[0, 1, 2][..]),
            Bytes::from_static(&[0, 1, 2])
        );
    }

    #[test]
    fn address_and_time() {
        let v4 = AddressValue::V4(Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(rt::<Address>(&v4), v4);
        let v6 = AddressValue::V6(Ipv6Addr::LOCALHOST);
        assert_eq!(rt::<Address>(&v6), v6);
        let e164 = AddressValue::Other {
            family: 8,
            address: Bytes::from_static(b"4711"),
        };
        assert_eq!(rt::<Address>(&e164), e164);
        assert_eq!(
            Address::decode(&Bytes::from_static(&[0, 1, 10, 0, 0])),
            Err(ValueError::InvalidLength)
        );
        assert_eq!(
            Address::decode(&Bytes::from_static(&[0])),
            Err(ValueError::InvalidLength)
        );
        let t = NtpTime::from_unix(1_700_000_000);
        assert_eq!(rt::<Time>(&t), t);
        assert_eq!(t.to_unix(), 1_700_000_000);
        // After the 2036 wrap (§4.3.1).
        assert_eq!(NtpTime::from_unix(2_200_000_000).to_unix(), 2_200_000_000);
        assert_eq!(NtpTime(0x8000_0000).to_unix(), 0); // 1968: before the Unix epoch, saturates
    }

    #[test]
    fn enumerated_and_check() {
        assert_eq!(rt::<Enumerated<i32>>(&3), 3);
        assert!(check(DataType::Unsigned32, &Bytes::from_static(&[0; 4])).is_ok());
        assert_eq!(
            check(DataType::Time, &Bytes::from_static(&[0; 5])),
            Err(ValueError::InvalidLength)
        );
        assert!(check(DataType::OctetString, &Bytes::new()).is_ok());
        // The borrowed checker agrees with the decoders.
        let samples: [&[u8]; 8] = [
            b"",
            b"\0\x01\x0a\0\0\x01",
            b"\0\x01\x0a",
            b"abcd",
            b"aaa://x",
            b"\xff",
            b"permit in",
            b"12345678",
        ];
        let types = [
            DataType::Address,
            DataType::Time,
            DataType::Unsigned64,
            DataType::Utf8String,
            DataType::DiameterIdentity,
            DataType::DiameterUri,
            DataType::IpFilterRule,
            DataType::Enumerated,
            DataType::Float64,
            DataType::Grouped,
        ];
        for t in types {
            for s in samples {
                assert_eq!(
                    check_slice(t, s),
                    check(t, &Bytes::copy_from_slice(s)),
                    "{t:?} {s:?}"
                );
            }
        }
    }
}
