//! Fixed-size AKA values (TS 33.102 §6.3.2, TS 35.206 §2). Secret ones (K, OP, OPc, CK, IK,
//! RES/XRES) print as `<redacted>` in `Debug` and compare in constant time.

use super::error::AkaError;

/// Decode `hex` (upper or lower case, no separators) into exactly `N` bytes.
pub(crate) fn hex_array<const N: usize>(
    field: &'static str,
    hex: &str,
) -> Result<[u8; N], AkaError> {
    let h = hex.as_bytes();
    if h.len() != 2 * N {
        return Err(AkaError::BadLength {
            field,
            expected: N,
            got: h.len() / 2,
        });
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(h.chunks_exact(2)) {
        let digit = |c: u8| char::from(c).to_digit(16).ok_or(AkaError::BadHex { field });
        let (hi, lo) = match pair {
            [a, b] => (digit(*a)?, digit(*b)?),
            _ => return Err(AkaError::BadHex { field }),
        };
        *o = u8::try_from(hi * 16 + lo).map_err(|_| AkaError::BadHex { field })?;
    }
    Ok(out)
}

/// Copy a slice into exactly `N` bytes, or say which field had the wrong length.
pub(crate) fn exact<const N: usize>(
    field: &'static str,
    bytes: &[u8],
) -> Result<[u8; N], AkaError> {
    <[u8; N]>::try_from(bytes).map_err(|_| AkaError::BadLength {
        field,
        expected: N,
        got: bytes.len(),
    })
}

/// Constant-time equality of two byte arrays (no early exit on the first difference).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

macro_rules! aka_value {
    ($(#[$doc:meta])* $name:ident, $len:expr, $field:literal, secret) => {
        aka_value!(@common $(#[$doc])* $name, $len, $field);

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!($field, "(<redacted>)"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                ct_eq(&self.0, &other.0)
            }
        }
        impl Eq for $name {}
    };
    ($(#[$doc:meta])* $name:ident, $len:expr, $field:literal, public) => {
        aka_value!(@common $(#[$doc])* $name, $len, $field);

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!($field, "("))?;
                for b in &self.0 {
                    write!(f, "{b:02x}")?;
                }
                write!(f, ")")
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0 == other.0
            }
        }
        impl Eq for $name {}
    };
    (@common $(#[$doc:meta])* $name:ident, $len:expr, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// Wrap raw bytes.
            pub const fn new(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// From a slice of exactly the right length.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, AkaError> {
                exact($field, bytes).map(Self)
            }

            /// From hex text (exactly twice the length in digits).
            pub fn from_hex(hex: &str) -> Result<Self, AkaError> {
                hex_array($field, hex).map(Self)
            }

            /// The raw bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Lower-case hex text (for storage; do not log secret values).
            pub fn to_hex(&self) -> String {
                use std::fmt::Write as _;
                self.0.iter().fold(String::with_capacity(2 * $len), |mut s, b| {
                    let _ = write!(s, "{b:02x}");
                    s
                })
            }
        }
    };
}

aka_value!(
    /// The subscriber key K (128 bits, TS 35.206 §2). Secret.
    Key, 16, "K", secret
);
aka_value!(
    /// The operator variant configuration field OP (128 bits, TS 35.206 §2). Secret.
    Op, 16, "OP", secret
);
aka_value!(
    /// OPc = E_K(OP) ⊕ OP (TS 35.206 §4.1), the per-subscriber form of OP. Secret.
    Opc, 16, "OPc", secret
);
aka_value!(
    /// Cipher key CK, output of f3 (TS 35.206 §4.1). Secret.
    Ck, 16, "CK", secret
);
aka_value!(
    /// Integrity key IK, output of f4 (TS 35.206 §4.1). Secret.
    Ik, 16, "IK", secret
);
aka_value!(
    /// RES (from the USIM) or XRES (from the HSS), output of f2: 64 bits with Milenage
    /// (TS 35.206 §4.1). In Digest AKAv1 it is the password (RFC 3310 §3.3). Secret.
    Res, 8, "RES", secret
);
aka_value!(
    /// The random challenge RAND (128 bits, TS 33.102 §6.3.2), chosen by the caller.
    Rand, 16, "RAND", public
);
aka_value!(
    /// Authentication management field AMF (16 bits, TS 33.102 Annex H).
    Amf, 2, "AMF", public
);
aka_value!(
    /// AUTN = (SQN ⊕ AK) ‖ AMF ‖ MAC-A (128 bits, TS 33.102 §6.3.2).
    Autn, 16, "AUTN", public
);
aka_value!(
    /// AUTS = (SQN_MS ⊕ AK*) ‖ MAC-S (112 bits, TS 33.102 §6.3.3), sent on sync failure.
    Auts, 14, "AUTS", public
);
aka_value!(
    /// A 64-bit MAC: MAC-A from f1 or MAC-S from f1* (TS 35.206 §4.1).
    Mac, 8, "MAC", public
);
aka_value!(
    /// Anonymity key AK (48 bits), output of f5 or f5* (TS 35.206 §4.1).
    Ak, 6, "AK", public
);

impl Opc {
    /// Derive OPc from K and OP: OPc = E_K(OP) ⊕ OP (TS 35.206 §4.1).
    pub fn from_op(k: &Key, op: &Op) -> Self {
        let e = super::milenage::aes_encrypt(k.as_bytes(), op.as_bytes());
        let mut out = [0u8; 16];
        for (o, (a, b)) in out.iter_mut().zip(e.iter().zip(op.as_bytes())) {
            *o = a ^ b;
        }
        Self(out)
    }
}

impl Amf {
    /// AMF 0x0000, the dummy AMF used for MAC-S in resynchronisation (TS 33.102 §6.3.3).
    pub const RESYNC: Self = Self([0, 0]);
}

impl Autn {
    /// Assemble AUTN = (SQN ⊕ AK) ‖ AMF ‖ MAC-A.
    pub fn assemble(sqn_xor_ak: [u8; 6], amf: Amf, mac_a: Mac) -> Self {
        let mut b = [0u8; 16];
        b[..6].copy_from_slice(&sqn_xor_ak);
        b[6..8].copy_from_slice(amf.as_bytes());
        b[8..].copy_from_slice(mac_a.as_bytes());
        Self(b)
    }

    /// The concealed sequence number SQN ⊕ AK.
    pub fn sqn_xor_ak(&self) -> [u8; 6] {
        let [a, b, c, d, e, f, ..] = self.0;
        [a, b, c, d, e, f]
    }

    /// The AMF field.
    pub fn amf(&self) -> Amf {
        Amf([self.0[6], self.0[7]])
    }

    /// The MAC-A field.
    pub fn mac_a(&self) -> Mac {
        let [.., a, b, c, d, e, f, g, h] = self.0;
        Mac([a, b, c, d, e, f, g, h])
    }
}

impl Auts {
    /// Assemble AUTS = (SQN_MS ⊕ AK*) ‖ MAC-S.
    pub fn assemble(sqn_xor_ak: [u8; 6], mac_s: Mac) -> Self {
        let mut b = [0u8; 14];
        b[..6].copy_from_slice(&sqn_xor_ak);
        b[6..].copy_from_slice(mac_s.as_bytes());
        Self(b)
    }

    /// The concealed sequence number SQN_MS ⊕ AK*.
    pub fn sqn_xor_ak(&self) -> [u8; 6] {
        let [a, b, c, d, e, f, ..] = self.0;
        [a, b, c, d, e, f]
    }

    /// The MAC-S field.
    pub fn mac_s(&self) -> Mac {
        let [.., a, b, c, d, e, f, g, h] = self.0;
        Mac([a, b, c, d, e, f, g, h])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_secrets_is_redacted() {
        // Canary: a recognisable key must never appear in Debug output.
        let k = Key::new(*b"CANARY-CANARY-XX");
        let text = format!("{k:?} {:?} {:?}", Opc::new([0xab; 16]), Res::new([0xcd; 8]));
        assert!(!text.contains("CANARY"), "{text}");
        assert!(!text.contains("ab") && !text.contains("cd"), "{text}");
        assert!(text.contains("<redacted>"));
        assert_eq!(format!("{:?}", Ck::new([1; 16])), "CK(<redacted>)");
        assert_eq!(format!("{:?}", Ik::new([1; 16])), "IK(<redacted>)");
    }

    #[test]
    fn public_values_print_hex() {
        assert_eq!(format!("{:?}", Amf::new([0xb9, 0xb9])), "AMF(b9b9)");
    }

    #[test]
    fn hex_and_length_errors() {
        assert_eq!(
            Key::from_hex("00").unwrap_err(),
            AkaError::BadLength {
                field: "K",
                expected: 16,
                got: 1
            }
        );
        assert_eq!(
            Amf::from_hex("zz00").unwrap_err(),
            AkaError::BadHex { field: "AMF" }
        );
        assert_eq!(Amf::from_hex("B9b9").unwrap().as_bytes(), &[0xb9, 0xb9]);
        assert_eq!(
            Auts::from_slice(&[0; 13]).unwrap_err(),
            AkaError::BadLength {
                field: "AUTS",
                expected: 14,
                got: 13
            }
        );
        assert_eq!(Rand::new([0x0f; 16]).to_hex(), "0f".repeat(16));
    }

    #[test]
    fn autn_fields_round_trip() {
        let autn = Autn::assemble([1, 2, 3, 4, 5, 6], Amf::new([7, 8]), Mac::new([9; 8]));
        assert_eq!(autn.sqn_xor_ak(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(autn.amf(), Amf::new([7, 8]));
        assert_eq!(autn.mac_a(), Mac::new([9; 8]));
        let auts = Auts::assemble([6, 5, 4, 3, 2, 1], Mac::new([3; 8]));
        assert_eq!(auts.sqn_xor_ak(), [6, 5, 4, 3, 2, 1]);
        assert_eq!(auts.mac_s(), Mac::new([3; 8]));
    }

    #[test]
    fn ct_eq_compares_whole_arrays() {
        assert!(ct_eq(&[1, 2, 3], &[1, 2, 3]));
        assert!(!ct_eq(&[1, 2, 3], &[1, 2, 4]));
        assert!(!ct_eq(&[1, 2], &[1, 2, 3]));
    }
}
