//! MAR → MAA (TS 29.228 §6.3.1, TS 29.229 §6.1.7/§6.1.8): authentication data per scheme —
//! IMS AKA vectors from Milenage (TS 33.102 §6.3.2, TS 33.203 §6.1), AKA resynchronisation
//! (TS 29.228 §6.3.3, TS 33.102 §6.3.5) and SIP Digest H(A1) (TS 29.229 §6.3.34..6.3.37).

use std::str::FromStr;

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cx::{avp as x, view};
use diameter_codec::{AvpContainer, Message, MessageBuilder, WriteAvps};
use ims_core::aka::{
    generate_vector, resync, Amf, AuthVector, Key, Milenage, Op, Opc, Rand, ResyncRequest, Sqn,
};
use ims_store::{AuthScheme, OpKind, PrivateIdentity, PublicIdentity, RegistrationState};
use md5::Digest as _;

use crate::answer::{finish, start, Fault, Outcome};
use crate::handler::{cx_codes as c, Hss};

/// The scheme name that asks the HSS for the subscriber's default (TS 29.229 §6.3.2).
const UNKNOWN_SCHEME: &str = "Unknown";

/// Wire name of a scheme in SIP-Authentication-Scheme (TS 29.229 §6.3.2).
pub fn wire_scheme_name(s: &AuthScheme) -> &str {
    match s {
        AuthScheme::AkaV1Md5 => "Digest-AKAv1-MD5",
        AuthScheme::AkaV2Md5 => "Digest-AKAv2-MD5",
        AuthScheme::DigestMd5 | AuthScheme::DigestSha256 => "SIP Digest",
        AuthScheme::Other(o) => o,
    }
}

/// H(A1) = H(username ":" realm ":" password) in lower-case hex (RFC 2617 §3.2.2.2,
/// RFC 7616 §3.4.2), with MD5 or SHA-256.
pub fn digest_ha1(sha256: bool, username: &str, realm: &str, password: &str) -> String {
    let input = format!("{username}:{realm}:{password}");
    if sha256 {
        hex(&sha2::Sha256::digest(input.as_bytes()))
    } else {
        hex(&md5::Md5::digest(input.as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// The Milenage instance of a subscriber (TS 35.206 §4.1).
pub(crate) fn milenage_of(p: &PrivateIdentity) -> Milenage {
    let k = Key::new(p.k);
    match &p.op {
        OpKind::Op(op) => Milenage::with_op(&k, &Op::new(*op)),
        OpKind::Opc(opc) => Milenage::new(&k, &Opc::new(*opc)),
    }
}

impl Hss {
    pub(crate) async fn mar(&self, req: &Message) -> Result<Bytes, Fault> {
        let v = view::Mar(req);
        let impi = v.user_name()?;
        let impu = v.public_identity()?;
        let item = v.sip_auth_data_item()?;
        let item_view = view::SipAuthDataItem(&item);
        let requested = v.sip_number_auth_items()?;
        let server_name = v.server_name()?;
        let origin_host = v.origin_host()?;
        let (private, public) = self.pair(impi.as_str(), impu.as_str()).await?;

        let asked = item_view.sip_authentication_scheme()?;
        let asked = asked.as_ref().map_or(UNKNOWN_SCHEME, |s| s.as_str());
        let scheme = self.pick_scheme(&private, asked)?;
        let wire = if asked.eq_ignore_ascii_case(UNKNOWN_SCHEME) {
            wire_scheme_name(&scheme).to_owned()
        } else {
            asked.to_owned()
        };

        let authorization = item_view.sip_authorization()?;
        // TS 29.228 §8.1: a MAR overwrites a different S-CSCF name unless it reports a
        // synchronisation failure.
        if authorization.is_none() || !scheme.is_aka() {
            self.note_server_name(&public, server_name.as_str(), origin_host.as_str())
                .await?;
        }

        let (host, realm) = (&self.config.origin_host, &self.config.origin_realm);
        let mut a = start(req, Outcome::Base(c::SUCCESS), host, realm);
        a.put(&b::USER_NAME, private.impi.as_str())
            .put(&x::PUBLIC_IDENTITY, impu.as_str());
        if scheme.is_aka() {
            if let Some(auth) = authorization {
                let failed = || {
                    req.find(x::SIP_AUTH_DATA_ITEM.code())
                        .ok()
                        .flatten()
                        .map(|a| a.raw().clone())
                };
                let Ok(rr) = ResyncRequest::parse(&auth) else {
                    return Err(Fault::Reject(Outcome::Base(c::INVALID_AVP_VALUE), failed()));
                };
                self.resynchronise(&private, &rr).await?;
            }
            let n = requested.clamp(1, self.config.max_auth_vectors);
            let vectors = self.vectors(&private, n).await?;
            put_aka_items(&mut a, &wire, &vectors);
        } else {
            self.put_digest_item(&mut a, &private, &scheme, &wire)?;
        }
        Ok(finish(req, a, None))
    }

    /// The scheme to use: the subscriber's default for "Unknown", else the requested one if
    /// the subscriber may use it and we implement it; otherwise 5006.
    fn pick_scheme(&self, p: &PrivateIdentity, asked: &str) -> Result<AuthScheme, Fault> {
        let unsupported = || Fault::experimental(c::AUTH_SCHEME_NOT_SUPPORTED);
        let implemented = |s: &AuthScheme| !matches!(s, AuthScheme::Other(_));
        if asked.eq_ignore_ascii_case(UNKNOWN_SCHEME) {
            let mut usable = p.auth_schemes.iter().filter(|s| implemented(s));
            let first_aka = p.auth_schemes.iter().find(|s| s.is_aka());
            return first_aka
                .or_else(|| usable.next())
                .cloned()
                .ok_or_else(unsupported);
        }
        let scheme = AuthScheme::from_str(asked).map_err(|_| unsupported())?;
        if scheme == AuthScheme::DigestMd5
            && !p.auth_schemes.contains(&AuthScheme::DigestMd5)
            && p.auth_schemes.contains(&AuthScheme::DigestSha256)
        {
            // "SIP Digest" covers both algorithms: use the one provisioned.
            return Ok(AuthScheme::DigestSha256);
        }
        if implemented(&scheme) && p.auth_schemes.contains(&scheme) {
            Ok(scheme)
        } else {
            Err(unsupported())
        }
    }

    /// TS 29.228 §6.3.1, §8.1: store the requesting S-CSCF's name if none is stored, or
    /// overwrite a different one (S-CSCF re-assignment); the registration state does not
    /// change. The old S-CSCF's registrations expire there (§8.1.1).
    async fn note_server_name(
        &self,
        public: &PublicIdentity,
        server_name: &str,
        origin_host: &str,
    ) -> Result<(), Fault> {
        let mut reg = self.store.registration(&public.impu).await?;
        if reg.scscf_name.as_deref() == Some(server_name)
            && reg.origin_host.as_deref() == Some(origin_host)
        {
            return Ok(());
        }
        if reg.scscf_name.is_some() && reg.state != RegistrationState::NotRegistered {
            tracing::info!(impu = %public.impu, "MAR from a new S-CSCF: re-assigning");
        }
        reg.scscf_name = Some(server_name.to_owned());
        reg.origin_host = Some(origin_host.to_owned());
        self.store.set_registration(&public.impu, &reg).await?;
        Ok(())
    }

    /// TS 33.102 §6.3.5: recover SQN_MS from AUTS, check MAC-S (a forged AUTS gets 5003
    /// AUTHORIZATION_REJECTED), and restart from SQN_MS when our next SQN would not be
    /// accepted by the USIM.
    async fn resynchronise(&self, p: &PrivateIdentity, rr: &ResyncRequest) -> Result<(), Fault> {
        let m = milenage_of(p);
        let Ok(sqn_ms) = resync(&m, &rr.rand, &rr.auts) else {
            tracing::info!(impi = %p.impi, "AUTS with a bad MAC-S rejected");
            return Err(Fault::base(c::AUTHORIZATION_REJECTED));
        };
        let current = self.store.get_private(&p.impi).await?;
        let sqn_he = Sqn::new(current.map_or(p.sqn, |c| c.sqn));
        if self.sqn.after_resync(sqn_he, sqn_ms) != self.sqn.next(sqn_he) {
            self.store.set_sqn(&p.impi, sqn_ms.value()).await?;
        }
        Ok(())
    }

    /// `n` vectors with consecutive SEQ values (IND kept), the SQN range reserved atomically
    /// with one `next_sqn` (TS 33.102 Annex C.1.2).
    async fn vectors(&self, p: &PrivateIdentity, n: u32) -> Result<Vec<AuthVector>, Fault> {
        let step = 1u64 << self.sqn.ind_bits();
        let last = self.store.next_sqn(&p.impi, step * u64::from(n)).await?;
        let m = milenage_of(p);
        let amf = Amf::new(p.amf);
        let first = last.saturating_sub(step * u64::from(n.saturating_sub(1)));
        Ok((0..u64::from(n))
            .map(|i| {
                let sqn = Sqn::new(first.saturating_add(i * step));
                generate_vector(&m, amf, sqn, Rand::new(self.rand.rand()))
            })
            .collect())
    }

    fn put_digest_item(
        &self,
        a: &mut MessageBuilder,
        p: &PrivateIdentity,
        scheme: &AuthScheme,
        wire: &str,
    ) -> Result<(), Fault> {
        let sha256 = *scheme == AuthScheme::DigestSha256;
        let ha1 = match (&p.digest_password, &p.digest_ha1) {
            (Some(pw), _) => digest_ha1(sha256, &p.impi, &p.realm, pw),
            (None, Some(h)) if !sha256 => h.to_ascii_lowercase(),
            _ => return Err(Fault::experimental(c::AUTH_SCHEME_NOT_SUPPORTED)),
        };
        let qop = self.config.digest_qop.as_str();
        a.put(&x::SIP_NUMBER_AUTH_ITEMS, &1);
        a.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
            g.put(&x::SIP_ITEM_NUMBER, &1)
                .put(&x::SIP_AUTHENTICATION_SCHEME, wire);
            g.put_grouped(&x::SIP_DIGEST_AUTHENTICATE, |d| {
                d.put(&x::DIGEST_REALM, p.realm.as_str())
                    .put(&x::DIGEST_ALGORITHM, if sha256 { "SHA-256" } else { "MD5" })
                    .put(&x::DIGEST_QOP, qop)
                    .put(&x::DIGEST_HA1, ha1.as_str());
            });
        });
        Ok(())
    }
}

fn put_aka_items(a: &mut MessageBuilder, wire: &str, vectors: &[AuthVector]) {
    let n = u32::try_from(vectors.len()).unwrap_or(u32::MAX);
    a.put(&x::SIP_NUMBER_AUTH_ITEMS, &n);
    for (i, v) in (1u32..).zip(vectors) {
        a.put_grouped(&x::SIP_AUTH_DATA_ITEM, |g| {
            g.put(&x::SIP_ITEM_NUMBER, &i)
                .put(&x::SIP_AUTHENTICATION_SCHEME, wire)
                .put(&x::SIP_AUTHENTICATE, &v.rand_autn()[..])
                .put(&x::SIP_AUTHORIZATION, &v.xres.as_bytes()[..])
                .put(&x::CONFIDENTIALITY_KEY, &v.ck.as_bytes()[..])
                .put(&x::INTEGRITY_KEY, &v.ik.as_bytes()[..]);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ha1_matches_rfc2617_example() {
        // RFC 2617 §3.5: Mufasa / testrealm@host.com / Circle Of Life.
        assert_eq!(
            digest_ha1(false, "Mufasa", "testrealm@host.com", "Circle Of Life"),
            "939e7578ed9e3c518a452acee763bce9"
        );
        // RFC 7616 §3.9.1: SHA-256 H(A1) of the same credentials (realm http-auth@example.org).
        assert_eq!(
            digest_ha1(true, "Mufasa", "http-auth@example.org", "Circle of Life"),
            "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"
        );
    }

    #[test]
    fn wire_names() {
        assert_eq!(wire_scheme_name(&AuthScheme::AkaV1Md5), "Digest-AKAv1-MD5");
        assert_eq!(wire_scheme_name(&AuthScheme::DigestMd5), "SIP Digest");
    }
}
