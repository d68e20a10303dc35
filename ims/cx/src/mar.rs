//! MAR → MAA (TS 29.228 §6.3, TS 29.229 §6.1.7/§6.1.8): the S-CSCF asks for authentication
//! data: IMS AKA vectors (TS 33.203 §6.1), AKA resynchronisation with RAND ‖ AUTS
//! (TS 29.228 §6.3.3) or SIP Digest H(A1) (TS 29.229 §6.3.34..§6.3.37).

use std::fmt;

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cx::{self, avp as x, view};
use diameter_codec::{AvpContainer, AvpMeta, GroupedAvps, Message, WriteAvps};
use ims_core::aka::{Autn, Ck, Ik, Rand, ResyncRequest};

use crate::answer::{check, text};
use crate::error::CxError;
use crate::identity::CxIdentity;
use crate::result::CxResult;

/// SIP-Authentication-Scheme values (TS 29.229 §6.3.2).
pub mod scheme {
    /// IMS AKA with Digest AKAv1-MD5 (RFC 3310).
    pub const AKAV1_MD5: &str = "Digest-AKAv1-MD5";
    /// Digest AKAv2-MD5 (RFC 4169).
    pub const AKAV2_MD5: &str = "Digest-AKAv2-MD5";
    /// SIP Digest (RFC 2617 / RFC 7616): the HSS returns H(A1).
    pub const SIP_DIGEST: &str = "SIP Digest";
    /// NASS-Bundled authentication (TS 33.203 Annex R); items of it are skipped.
    pub const NASS_BUNDLED: &str = "NASS-Bundled";
    /// Let the HSS choose the subscriber's scheme.
    pub const UNKNOWN: &str = "Unknown";
}

/// A Multimedia-Auth-Request (TS 29.229 §6.1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarRequest<'a> {
    /// User-Name: the private identity.
    pub impi: &'a str,
    /// Public-Identity: the identity being registered.
    pub impu: &'a str,
    /// SIP-Authentication-Scheme (see [`scheme`]).
    pub scheme: &'a str,
    /// SIP-Number-Auth-Items: how many vectors to return.
    pub number_of_items: u32,
    /// For an AKA synchronisation failure: RAND ‖ AUTS as SIP-Authorization (TS 29.228
    /// §6.3.3, TS 33.203 §6.1.2).
    pub resync: Option<ResyncRequest>,
    /// Server-Name: our SIP URI, stored by the HSS (TS 29.228 §6.3.1).
    pub server_name: &'a str,
}

impl MarRequest<'_> {
    /// Encodes the MAR from `identity` with `session_id`.
    pub fn build(&self, identity: &CxIdentity, session_id: &str) -> Bytes {
        let mut r = identity.request(&cx::cmd::MAR, session_id);
        r.put(&b::USER_NAME, self.impi)
            .put(&x::PUBLIC_IDENTITY, self.impu)
            .put(&x::SIP_NUMBER_AUTH_ITEMS, &self.number_of_items);
        r.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
            g.put(&x::SIP_AUTHENTICATION_SCHEME, self.scheme);
            if let Some(rr) = &self.resync {
                g.put(&x::SIP_AUTHORIZATION, &rr.to_bytes()[..]);
            }
        });
        r.put(&x::SERVER_NAME, self.server_name);
        r.finish()
    }
}

/// One SIP-Auth-Data-Item of an MAA (TS 29.229 §6.3.13). `Debug` redacts XRES and H(A1).
#[derive(Clone, PartialEq, Eq)]
pub enum AuthItem {
    /// An IMS AKA vector (TS 33.203 §6.1; TS 29.228 §6.3.9..§6.3.12).
    Aka {
        /// SIP-Authentication-Scheme as the HSS returned it (AKAv1-MD5 or AKAv2-MD5).
        scheme: String,
        /// RAND, the first half of SIP-Authenticate.
        rand: Rand,
        /// AUTN, the second half of SIP-Authenticate.
        autn: Autn,
        /// XRES (SIP-Authorization), 4 to 16 bytes.
        xres: Vec<u8>,
        /// Confidentiality-Key.
        ck: Ck,
        /// Integrity-Key.
        ik: Ik,
    },
    /// SIP Digest (SIP-Digest-Authenticate, TS 29.229 §6.3.36).
    Digest {
        /// Digest-Realm.
        realm: String,
        /// Digest-HA1, lower-case hex.
        ha1: String,
        /// Digest-QoP (e.g. `auth`).
        qop: String,
        /// Digest-Algorithm (`MD5` when absent, RFC 2617 §3.2.1).
        algorithm: Option<String>,
    },
}

impl AuthItem {
    /// RAND ‖ AUTN of an AKA item: the bytes of the Digest AKA `nonce` (RFC 3310 §3.2).
    pub fn rand_autn(&self) -> Option<[u8; 32]> {
        match self {
            Self::Aka { rand, autn, .. } => {
                let mut out = [0u8; 32];
                out[..16].copy_from_slice(rand.as_bytes());
                out[16..].copy_from_slice(autn.as_bytes());
                Some(out)
            }
            Self::Digest { .. } => None,
        }
    }

    /// Reads one item; `None` for items of schemes we do not use (NASS-Bundled, unknown).
    fn read(g: &GroupedAvps) -> Result<Option<Self>, CxError> {
        let v = view::SipAuthDataItem(g);
        let scheme = v.sip_authentication_scheme()?;
        if scheme
            .as_ref()
            .is_some_and(|s| s.as_str().eq_ignore_ascii_case(scheme::NASS_BUNDLED))
        {
            return Ok(None);
        }
        if let Some(d) = v.sip_digest_authenticate()? {
            let d = view::SipDigestAuthenticate(&d);
            return Ok(Some(Self::Digest {
                realm: text(&d.digest_realm()?),
                ha1: text(&d.digest_ha1()?),
                qop: text(&d.digest_qop()?),
                algorithm: d.digest_algorithm()?.as_ref().map(text),
            }));
        }
        let Some(challenge) = v.sip_authenticate()? else {
            return Ok(None);
        };
        let invalid = |def: &AvpMeta| CxError::InvalidAvp { avp: def.name };
        let missing = |def: &AvpMeta| CxError::MissingAvp { avp: def.name };
        let (r, a) = challenge
            .split_first_chunk::<16>()
            .ok_or_else(|| invalid(&x::SIP_AUTHENTICATE.meta))?;
        let autn: [u8; 16] = a
            .try_into()
            .map_err(|_| invalid(&x::SIP_AUTHENTICATE.meta))?;
        let scheme = scheme.ok_or_else(|| missing(&x::SIP_AUTHENTICATION_SCHEME.meta))?;
        let xres = v
            .sip_authorization()?
            .ok_or_else(|| missing(&x::SIP_AUTHORIZATION.meta))?;
        if !(4..=16).contains(&xres.len()) {
            return Err(invalid(&x::SIP_AUTHORIZATION.meta));
        }
        let ck = v
            .confidentiality_key()?
            .ok_or_else(|| missing(&x::CONFIDENTIALITY_KEY.meta))?;
        let ik = v
            .integrity_key()?
            .ok_or_else(|| missing(&x::INTEGRITY_KEY.meta))?;
        Ok(Some(Self::Aka {
            scheme: text(&scheme),
            rand: Rand::new(*r),
            autn: Autn::new(autn),
            xres: xres.to_vec(),
            ck: Ck::from_slice(&ck).map_err(|_| invalid(&x::CONFIDENTIALITY_KEY.meta))?,
            ik: Ik::from_slice(&ik).map_err(|_| invalid(&x::INTEGRITY_KEY.meta))?,
        }))
    }
}

impl fmt::Debug for AuthItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Aka {
                scheme, rand, autn, ..
            } => f
                .debug_struct("Aka")
                .field("scheme", scheme)
                .field("rand", rand)
                .field("autn", autn)
                .finish_non_exhaustive(),
            Self::Digest {
                realm,
                qop,
                algorithm,
                ..
            } => f
                .debug_struct("Digest")
                .field("realm", realm)
                .field("qop", qop)
                .field("algorithm", algorithm)
                .finish_non_exhaustive(),
        }
    }
}

/// A Multimedia-Auth-Answer (TS 29.229 §6.1.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultimediaAuthAnswer {
    /// 2001, or 5001/5002/5006, 5003 (forged AUTS) ...
    pub result: CxResult,
    /// User-Name: the private identity.
    pub impi: Option<String>,
    /// Public-Identity.
    pub impu: Option<String>,
    /// The items in SIP-Item-Number order; items of unused schemes are skipped.
    pub items: Vec<AuthItem>,
}

impl MultimediaAuthAnswer {
    /// Parses an MAA. An AKA item with a wrong-sized RAND ‖ AUTN, XRES or key is an error.
    pub fn parse(answer: &Message) -> Result<Self, CxError> {
        let result = check(answer, &cx::cmd::MAA)?;
        let mut numbered = Vec::new();
        for g in answer.get_all(&x::SIP_AUTH_DATA_ITEM)? {
            let n = g.get(&x::SIP_ITEM_NUMBER)?.unwrap_or(u32::MAX);
            if let Some(item) = AuthItem::read(&g)? {
                numbered.push((n, item));
            }
        }
        numbered.sort_by_key(|(n, _)| *n);
        Ok(Self {
            result,
            impi: answer.get(&b::USER_NAME)?.as_ref().map(text),
            impu: answer.get(&x::PUBLIC_IDENTITY)?.as_ref().map(text),
            items: numbered.into_iter().map(|(_, i)| i).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::{validate, MessageBuilder};
    use ims_core::aka::Auts;

    fn identity() -> CxIdentity {
        CxIdentity::new("scscf.ims.test", "ims.test", "ims.test")
    }

    fn mar(resync: Option<ResyncRequest>) -> Message {
        let req = MarRequest {
            impi: "alice@ims.test",
            impu: "sip:alice@ims.test",
            scheme: scheme::AKAV1_MD5,
            number_of_items: 2,
            resync,
            server_name: "sip:scscf.ims.test:6060",
        };
        Message::decode(req.build(&identity(), "scscf;1;1")).unwrap()
    }

    #[test]
    fn mar_validates_with_and_without_resync() {
        let m = mar(None);
        validate(&m, &cx::cmd::MAR).unwrap();
        let v = view::Mar(&m);
        assert_eq!(v.sip_number_auth_items().unwrap(), 2);
        assert_eq!(v.server_name().unwrap(), "sip:scscf.ims.test:6060");
        let item = v.sip_auth_data_item().unwrap();
        let iv = view::SipAuthDataItem(&item);
        assert_eq!(
            iv.sip_authentication_scheme().unwrap().unwrap(),
            scheme::AKAV1_MD5
        );
        assert!(iv.sip_authorization().unwrap().is_none());

        let rr = ResyncRequest {
            rand: Rand::new([1; 16]),
            auts: Auts::new([2; 14]),
        };
        let m = mar(Some(rr));
        validate(&m, &cx::cmd::MAR).unwrap();
        let item = view::Mar(&m).sip_auth_data_item().unwrap();
        let auth = view::SipAuthDataItem(&item)
            .sip_authorization()
            .unwrap()
            .unwrap();
        assert_eq!(ResyncRequest::parse(&auth).unwrap(), rr);
    }

    fn maa(items: impl FnOnce(&mut MessageBuilder)) -> Message {
        let req = mar(None);
        let hss = CxIdentity::new("hss.ims.test", "ims.test", "ims.test");
        let mut a = crate::push::answer_start(&req, &hss, CxResult::SUCCESS);
        a.put(&b::USER_NAME, "alice@ims.test");
        items(&mut a);
        Message::decode(a.finish()).unwrap()
    }

    fn aka_item(g: &mut diameter_codec::GroupWriter<'_>, n: u32, challenge: &[u8], xres: &[u8]) {
        g.put(&x::SIP_ITEM_NUMBER, &n)
            .put(&x::SIP_AUTHENTICATION_SCHEME, scheme::AKAV1_MD5)
            .put(&x::SIP_AUTHENTICATE, challenge)
            .put(&x::SIP_AUTHORIZATION, xres)
            .put(&x::CONFIDENTIALITY_KEY, &[3; 16])
            .put(&x::INTEGRITY_KEY, &[4; 16]);
    }

    #[test]
    fn maa_items_sorted_typed_and_skipped() {
        let mut challenge = [1u8; 32];
        challenge[16..].fill(2);
        let ans = maa(|a| {
            a.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
                aka_item(g, 2, &challenge, &[9; 8]);
            });
            a.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
                g.put(&x::SIP_ITEM_NUMBER, &3)
                    .put(&x::SIP_AUTHENTICATION_SCHEME, scheme::NASS_BUNDLED)
                    .put(&x::FRAMED_IP_ADDRESS, &[10, 0, 0, 1]);
            });
            a.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
                g.put(&x::SIP_ITEM_NUMBER, &1)
                    .put(&x::SIP_AUTHENTICATION_SCHEME, scheme::SIP_DIGEST)
                    .put_grouped(&x::SIP_DIGEST_AUTHENTICATE, |d| {
                        d.put(&x::DIGEST_REALM, "ims.test")
                            .put(&x::DIGEST_QOP, "auth")
                            .put(&x::DIGEST_HA1, "00ff");
                    });
            });
        });
        validate(&ans, &cx::cmd::MAA).unwrap();
        let maa = MultimediaAuthAnswer::parse(&ans).unwrap();
        assert_eq!(maa.impi.as_deref(), Some("alice@ims.test"));
        assert_eq!(maa.items.len(), 2);
        assert_eq!(
            maa.items[0],
            AuthItem::Digest {
                realm: "ims.test".into(),
                ha1: "00ff".into(),
                qop: "auth".into(),
                algorithm: None
            }
        );
        let AuthItem::Aka {
            scheme,
            rand,
            autn,
            xres,
            ck,
            ik,
        } = &maa.items[1]
        else {
            panic!("AKA item expected");
        };
        assert_eq!(scheme, scheme::AKAV1_MD5);
        assert_eq!(rand.as_bytes(), &[1; 16]);
        assert_eq!(autn.as_bytes(), &[2; 16]);
        assert_eq!(xres, &[9; 8]);
        assert_eq!((ck.as_bytes(), ik.as_bytes()), (&[3; 16], &[4; 16]));
        assert_eq!(maa.items[1].rand_autn(), Some(challenge));
        let dbg = format!("{:?}", maa.items);
        assert!(!dbg.contains("00ff") && !dbg.contains("9, 9"), "{dbg}");
    }

    #[test]
    fn malformed_aka_items_name_the_avp() {
        let short = maa(|a| {
            a.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
                aka_item(g, 1, &[0; 31], &[9; 8])
            });
        });
        assert_eq!(
            MultimediaAuthAnswer::parse(&short).unwrap_err(),
            CxError::InvalidAvp {
                avp: "SIP-Authenticate"
            }
        );
        let long_xres = maa(|a| {
            a.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
                aka_item(g, 1, &[0; 32], &[9; 17])
            });
        });
        assert_eq!(
            MultimediaAuthAnswer::parse(&long_xres).unwrap_err(),
            CxError::InvalidAvp {
                avp: "SIP-Authorization"
            }
        );
        let no_ik = maa(|a| {
            a.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
                g.put(&x::SIP_AUTHENTICATION_SCHEME, scheme::AKAV1_MD5)
                    .put(&x::SIP_AUTHENTICATE, &[0; 32])
                    .put(&x::SIP_AUTHORIZATION, &[0; 8])
                    .put(&x::CONFIDENTIALITY_KEY, &[0; 16]);
            });
        });
        assert_eq!(
            MultimediaAuthAnswer::parse(&no_ik).unwrap_err(),
            CxError::MissingAvp {
                avp: "Integrity-Key"
            }
        );
    }
}
