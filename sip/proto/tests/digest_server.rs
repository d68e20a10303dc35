//! Challenge → client response → server verify, for every algorithm, and every way a request
//! can be refused.

use sip_proto::digest::response::ha1_plain;
use sip_proto::digest::{
    akav2_password, Algorithm, DigestClient, DigestConfig, DigestError, DigestRequest,
    DigestServer, Secret, Verified,
};
use sip_types::auth::{AuthenticationInfo, Challenge, Credentials};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const REALM: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const RURI: &str = "sip:ims.mnc001.mcc001.3gppnetwork.org";
const USER: &str = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org";
const PASSWORD: &[u8] = b"correct horse";
const NOW: u64 = 1_764_000_000;

const XRES: [u8; 8] = [0xa5; 8];
const IK: [u8; 16] = [0x1c; 16];
const CK: [u8; 16] = [0x2d; 16];
const RAND: [u8; 16] = [0x3e; 16];
const AUTN: [u8; 16] = [0x4f; 16];

fn server() -> DigestServer {
    DigestServer::new(SECRET, DigestConfig::default())
}

fn request() -> DigestRequest<'static> {
    DigestRequest {
        method: "REGISTER",
        request_uri: RURI,
        realm: REALM,
        body: None,
    }
}

/// The challenge a server sends for `algorithm` (AKA ones carry RAND/AUTN).
fn challenge_for(s: &DigestServer, now: u64, algorithm: Algorithm, stale: bool) -> String {
    if algorithm.is_aka() {
        s.challenge_aka(
            now,
            RAND,
            AUTN,
            REALM,
            algorithm,
            stale,
            &[("ik", "00"), ("ck", "11")],
        )
    } else {
        s.challenge(now, [now as u8; 16], REALM, algorithm, stale)
    }
}

/// The UE's password for `algorithm`: the AKA RES (here equal to XRES) or the plain password.
fn client_password(algorithm: Algorithm) -> Vec<u8> {
    match algorithm {
        Algorithm::AkaV1Md5 => XRES.to_vec(),
        Algorithm::AkaV2Md5 => akav2_password(&XRES, &IK, &CK).into_bytes(),
        _ => PASSWORD.to_vec(),
    }
}

fn server_secret(algorithm: Algorithm) -> Secret<'static> {
    if algorithm.is_aka() {
        Secret::Aka {
            xres: &XRES,
            ik: &IK,
            ck: &CK,
        }
    } else {
        Secret::Password(PASSWORD)
    }
}

fn answer(challenge: &str, password: &[u8], uri: &str, nc: u32) -> String {
    let ch = Challenge::parse(challenge).expect("challenge parses");
    DigestClient::new(USER, password)
        .authorization(&ch, "REGISTER", uri, "0a4f113b", nc)
        .expect("client answers")
}

fn verify(
    s: &mut DigestServer,
    now: u64,
    header: &str,
    secret: Secret<'_>,
) -> Result<Verified, DigestError> {
    let creds = Credentials::parse(header).expect("credentials parse");
    s.verify(now, &request(), &creds, secret)
}

#[test]
fn round_trip_every_algorithm() {
    for algorithm in Algorithm::ALL {
        let mut s = server();
        let ch = challenge_for(&s, NOW, algorithm, false);
        let header = answer(&ch, &client_password(algorithm), RURI, 1);
        let got = verify(&mut s, NOW + 5, &header, server_secret(algorithm));
        let Ok(Verified::Authenticated(auth)) = got else {
            panic!("{algorithm}: {got:?}");
        };
        assert_eq!(auth.algorithm, algorithm);
        assert_eq!(auth.nc, Some(1));
        // The next request on the same nonce with nc=2 passes too.
        let header2 = answer(&ch, &client_password(algorithm), RURI, 2);
        assert!(
            matches!(
                verify(&mut s, NOW + 6, &header2, server_secret(algorithm)),
                Ok(Verified::Authenticated(_))
            ),
            "{algorithm}"
        );
    }
}

#[test]
fn round_trip_with_stored_ha1() {
    for algorithm in [Algorithm::Md5, Algorithm::Sha256Sess, Algorithm::Sha512_256] {
        let mut s = server();
        let ch = challenge_for(&s, NOW, algorithm, false);
        let header = answer(&ch, PASSWORD, RURI, 1);
        let ha1 = ha1_plain(algorithm, USER, REALM, PASSWORD);
        assert!(
            matches!(
                verify(&mut s, NOW, &header, Secret::Ha1(ha1.as_str())),
                Ok(Verified::Authenticated(_))
            ),
            "{algorithm}"
        );
    }
}

#[test]
fn wrong_password_is_bad_response() {
    for algorithm in Algorithm::ALL {
        let mut s = server();
        let ch = challenge_for(&s, NOW, algorithm, false);
        let header = answer(&ch, b"wrong", RURI, 1);
        assert_eq!(
            verify(&mut s, NOW, &header, server_secret(algorithm)),
            Err(DigestError::BadResponse),
            "{algorithm}"
        );
    }
}

#[test]
fn expired_genuine_nonce_is_stale_and_rechallenge_says_so() {
    let mut s = server();
    let ch = challenge_for(&s, NOW, Algorithm::Sha256, false);
    let header = answer(&ch, PASSWORD, RURI, 1);
    let later = NOW + s.config().nonce_lifetime + 1;
    assert_eq!(
        verify(&mut s, later, &header, Secret::Password(PASSWORD)),
        Err(DigestError::Stale)
    );
    // Stale is only reported when the password was right.
    let bad = answer(&ch, b"wrong", RURI, 1);
    assert_eq!(
        verify(&mut s, later, &bad, Secret::Password(PASSWORD)),
        Err(DigestError::BadResponse)
    );
    let again = challenge_for(&s, later, Algorithm::Sha256, true);
    assert!(Challenge::parse(&again).expect("parses").stale());
    // At exactly the lifetime the nonce is still fresh.
    let mut s = server();
    let edge = NOW + s.config().nonce_lifetime;
    assert!(verify(&mut s, edge, &header, Secret::Password(PASSWORD)).is_ok());
}

#[test]
fn replayed_or_lower_nonce_count_is_refused() {
    let mut s = server();
    let ch = challenge_for(&s, NOW, Algorithm::Md5, false);
    let h1 = answer(&ch, PASSWORD, RURI, 1);
    let h3 = answer(&ch, PASSWORD, RURI, 3);
    let h2 = answer(&ch, PASSWORD, RURI, 2);
    assert!(verify(&mut s, NOW, &h1, Secret::Password(PASSWORD)).is_ok());
    assert_eq!(
        verify(&mut s, NOW, &h1, Secret::Password(PASSWORD)),
        Err(DigestError::Replay)
    );
    assert!(verify(&mut s, NOW, &h3, Secret::Password(PASSWORD)).is_ok());
    assert_eq!(
        verify(&mut s, NOW, &h2, Secret::Password(PASSWORD)),
        Err(DigestError::Replay)
    );
}

#[test]
fn forged_request_does_not_poison_the_replay_table() {
    let mut s = server();
    let ch = challenge_for(&s, NOW, Algorithm::Md5, false);
    let forged = answer(&ch, b"guess", RURI, 9);
    assert_eq!(
        verify(&mut s, NOW, &forged, Secret::Password(PASSWORD)),
        Err(DigestError::BadResponse)
    );
    let real = answer(&ch, PASSWORD, RURI, 1);
    assert!(verify(&mut s, NOW, &real, Secret::Password(PASSWORD)).is_ok());
}

#[test]
fn forged_nonce_is_invalid() {
    let mut s = server();
    // A nonce from another server secret.
    let other = DigestServer::new(b"another secret", DigestConfig::default());
    let ch = challenge_for(&other, NOW, Algorithm::Md5, false);
    let header = answer(&ch, PASSWORD, RURI, 1);
    assert_eq!(
        verify(&mut s, NOW, &header, Secret::Password(PASSWORD)),
        Err(DigestError::InvalidNonce)
    );
    // A made-up nonce (RFC 2617's), with the right password.
    let ch = format!(
        "Digest realm=\"{REALM}\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", qop=\"auth\""
    );
    let header = answer(&ch, PASSWORD, RURI, 1);
    assert_eq!(
        verify(&mut s, NOW, &header, Secret::Password(PASSWORD)),
        Err(DigestError::InvalidNonce)
    );
    // A nonce issued far in the future.
    let ch = challenge_for(&s, NOW + 3600, Algorithm::Md5, false);
    let header = answer(&ch, PASSWORD, RURI, 1);
    assert_eq!(
        verify(&mut s, NOW, &header, Secret::Password(PASSWORD)),
        Err(DigestError::InvalidNonce)
    );
}

#[test]
fn algorithm_downgrade_is_refused() {
    let mut s = server();
    let ch = challenge_for(&s, NOW, Algorithm::Sha256, false);
    // The client rewrites algorithm=SHA-256 to MD5 and answers with MD5.
    let downgraded = ch.replace("algorithm=SHA-256", "algorithm=MD5");
    let header = answer(&downgraded, PASSWORD, RURI, 1);
    assert_eq!(
        verify(&mut s, NOW, &header, Secret::Password(PASSWORD)),
        Err(DigestError::InvalidNonce)
    );
}

#[test]
fn wrong_realm_is_realm_mismatch() {
    let mut s = server();
    let ch = s.challenge(NOW, [1; 16], "other.example", Algorithm::Md5, false);
    let header = answer(&ch, PASSWORD, RURI, 1);
    assert_eq!(
        verify(&mut s, NOW, &header, Secret::Password(PASSWORD)),
        Err(DigestError::RealmMismatch)
    );
}

#[test]
fn uri_mismatch() {
    let mut s = server();
    let ch = challenge_for(&s, NOW, Algorithm::Md5, false);
    let header = answer(&ch, PASSWORD, "sip:elsewhere.example", 1);
    assert_eq!(
        verify(&mut s, NOW, &header, Secret::Password(PASSWORD)),
        Err(DigestError::UriMismatch)
    );
    // A registrar behind a proxy may accept it: the response is over the uri the client sent.
    let mut lenient = DigestServer::new(
        SECRET,
        DigestConfig {
            require_uri_match: false,
            ..DigestConfig::default()
        },
    );
    let ch = challenge_for(&lenient, NOW, Algorithm::Md5, false);
    let header = answer(&ch, PASSWORD, "sip:elsewhere.example", 1);
    assert!(verify(&mut lenient, NOW, &header, Secret::Password(PASSWORD)).is_ok());
    // ... but not a response computed over another uri than the one it names.
    let ch = challenge_for(&lenient, NOW, Algorithm::Md5, false);
    let forged = answer(&ch, PASSWORD, "sip:elsewhere.example", 1)
        .replace("uri=\"sip:elsewhere.example\"", "uri=\"sip:other.example\"");
    assert!(verify(&mut lenient, NOW, &forged, Secret::Password(PASSWORD)).is_err());
}

#[test]
fn qop_absent_follows_rfc2069_only_where_allowed() {
    // A client answering a challenge without qop (RFC 2069): accepted for MD5 by default.
    let mut s = server();
    let ch = challenge_for(&s, NOW, Algorithm::Md5, false).replace(", qop=\"auth\"", "");
    let header = answer(&ch, PASSWORD, RURI, 1);
    let creds = Credentials::parse(&header).expect("parses");
    assert_eq!(creds.qop(), None);
    let got = verify(&mut s, NOW, &header, Secret::Password(PASSWORD));
    assert!(
        matches!(got, Ok(Verified::Authenticated(a)) if a.nc.is_none() && a.rspauth.is_none()),
        "{got:?}"
    );
    // Refused when configured off.
    let mut strict = DigestServer::new(
        SECRET,
        DigestConfig {
            allow_rfc2069: false,
            ..DigestConfig::default()
        },
    );
    assert_eq!(
        verify(&mut strict, NOW, &header, Secret::Password(PASSWORD)),
        Err(DigestError::Missing("qop"))
    );
    // Never defined for SHA-256 (RFC 7616 requires qop).
    let ch = challenge_for(&s, NOW, Algorithm::Sha256, false).replace(", qop=\"auth\"", "");
    let header = answer(&ch, PASSWORD, RURI, 1);
    assert_eq!(
        verify(&mut s, NOW, &header, Secret::Password(PASSWORD)),
        Err(DigestError::Missing("qop"))
    );
}

#[test]
fn missing_parameters_and_bad_values() {
    let mut s = server();
    let ch = challenge_for(&s, NOW, Algorithm::Md5, false);
    let header = answer(&ch, PASSWORD, RURI, 1);
    for (param, expected) in [
        ("username", DigestError::Missing("username")),
        ("nonce", DigestError::Missing("nonce")),
        ("uri", DigestError::Missing("uri")),
        ("response", DigestError::Missing("response")),
        ("cnonce", DigestError::Missing("cnonce")),
        ("nc", DigestError::Missing("nc")),
    ] {
        let cut = remove_param(&header, param);
        assert_eq!(
            verify(&mut s, NOW, &cut, Secret::Password(PASSWORD)),
            Err(expected),
            "{param}"
        );
    }
    let odd = header.replace("algorithm=MD5", "algorithm=SHA-1");
    assert_eq!(
        verify(&mut s, NOW, &odd, Secret::Password(PASSWORD)),
        Err(DigestError::UnsupportedAlgorithm)
    );
    let int = header.replace("qop=auth", "qop=auth-int");
    assert_eq!(
        verify(&mut s, NOW, &int, Secret::Password(PASSWORD)),
        Err(DigestError::UnsupportedQop)
    );
    let opaque = header.replace("opaque=\"", "opaque=\"x");
    assert_eq!(
        verify(&mut s, NOW, &opaque, Secret::Password(PASSWORD)),
        Err(DigestError::InvalidNonce)
    );
    // An AKA vector cannot check an MD5 answer.
    assert_eq!(
        verify(
            &mut s,
            NOW,
            &header,
            Secret::Aka {
                xres: &XRES,
                ik: &IK,
                ck: &CK
            }
        ),
        Err(DigestError::UnsupportedAlgorithm)
    );
}

/// Drops `name=...` from a header value built by the client.
fn remove_param(header: &str, name: &str) -> String {
    let (scheme, rest) = header.split_once(' ').expect("scheme");
    let kept: Vec<&str> = rest
        .split(", ")
        .filter(|p| !p.starts_with(&format!("{name}=")))
        .collect();
    format!("{scheme} {}", kept.join(", "))
}

#[test]
fn aka_resync_reports_rand_and_auts() {
    let mut s = server();
    let ch = challenge_for(&s, NOW, Algorithm::AkaV1Md5, false);
    let parsed = Challenge::parse(&ch).expect("parses");
    assert_eq!(parsed.param("ik"), Some("00"));
    assert_eq!(
        sip_proto::digest::rand_autn(parsed.nonce().expect("nonce")),
        Some((RAND, AUTN))
    );
    let auts = [0x77; 14];
    let header = DigestClient::new(USER, b"ignored")
        .aka_resync_authorization(&parsed, "REGISTER", RURI, "c", 1, &auts)
        .expect("answers");
    let got = verify(&mut s, NOW, &header, server_secret(Algorithm::AkaV1Md5));
    assert_eq!(got, Ok(Verified::AkaResync { rand: RAND, auts }));
    // A resync header whose response used RES instead of the empty password fails.
    let auts_param = format!(", auts=\"{}\"", sip_proto::digest::encode_auts(&auts));
    let wrong = answer(&ch, &XRES, RURI, 2) + &auts_param;
    let creds = Credentials::parse(&wrong).expect("parses");
    assert_eq!(
        s.verify(NOW, &request(), &creds, server_secret(Algorithm::AkaV1Md5)),
        Err(DigestError::BadResponse)
    );
    // auts that is not 14 bytes of base64 is refused.
    let short = answer(&ch, b"", RURI, 3) + ", auts=\"d3d3\"";
    let creds = Credentials::parse(&short).expect("parses");
    assert_eq!(
        s.verify(NOW, &request(), &creds, server_secret(Algorithm::AkaV1Md5)),
        Err(DigestError::InvalidAuts)
    );
    // auts with a password algorithm is refused.
    let md5 = challenge_for(&s, NOW, Algorithm::Md5, false);
    let creds_text = answer(&md5, PASSWORD, RURI, 1) + &auts_param;
    let creds = Credentials::parse(&creds_text).expect("parses");
    assert_eq!(
        s.verify(NOW, &request(), &creds, Secret::Password(PASSWORD)),
        Err(DigestError::InvalidAuts)
    );
}

#[test]
fn authentication_info_rspauth_is_the_empty_method_response() {
    let mut s = server();
    let ch = challenge_for(&s, NOW, Algorithm::Sha256, false);
    let header = answer(&ch, PASSWORD, RURI, 1);
    let creds = Credentials::parse(&header).expect("parses");
    let Ok(Verified::Authenticated(auth)) =
        s.verify(NOW, &request(), &creds, Secret::Password(PASSWORD))
    else {
        panic!("verifies");
    };
    let info_text = s.authentication_info(&auth, &creds).expect("qop was used");
    let info = AuthenticationInfo::parse(&info_text).expect("parses");
    assert_eq!(info.nc(), Some(1));
    assert_eq!(info.cnonce(), Some("0a4f113b"));
    // rspauth = the client's computation with an empty method (RFC 7616 §3.5).
    let parsed = Challenge::parse(&ch).expect("parses");
    let expect = DigestClient::new(USER, PASSWORD)
        .authorization(&parsed, "", RURI, "0a4f113b", 1)
        .expect("answers");
    let expect = Credentials::parse(&expect).expect("parses");
    assert_eq!(info.rspauth(), expect.response());
    assert_ne!(info.rspauth(), creds.response());
}

#[test]
fn bounded_replay_table_turns_forgotten_nonces_stale() {
    let mut s = DigestServer::new(
        SECRET,
        DigestConfig {
            nc_capacity: 2,
            ..DigestConfig::default()
        },
    );
    let headers: Vec<String> = (0..3)
        .map(|i| {
            let ch = s.challenge(NOW + i, [i as u8; 16], REALM, Algorithm::Md5, false);
            answer(&ch, PASSWORD, RURI, 1)
        })
        .collect();
    for h in &headers {
        assert!(verify(&mut s, NOW + 10, h, Secret::Password(PASSWORD)).is_ok());
    }
    // The first nonce was evicted: its replay is not accepted.
    assert_eq!(
        verify(&mut s, NOW + 10, &headers[0], Secret::Password(PASSWORD)),
        Err(DigestError::Stale)
    );
    assert_eq!(
        verify(&mut s, NOW + 10, &headers[2], Secret::Password(PASSWORD)),
        Err(DigestError::Replay)
    );
}

#[test]
fn mangled_credentials_never_panic() {
    let mut s = server();
    let ch = challenge_for(&s, NOW, Algorithm::AkaV2Md5, false);
    let header = answer(&ch, &client_password(Algorithm::AkaV2Md5), RURI, 1);
    let bytes = header.as_bytes();
    // Truncations and single-byte substitutions at every position.
    for cut in 0..bytes.len() {
        let t = String::from_utf8_lossy(&bytes[..cut]).into_owned();
        if let Ok(c) = Credentials::parse(&t) {
            let _ = s.verify(NOW, &request(), &c, server_secret(Algorithm::AkaV2Md5));
        }
        for b in [b'"', b',', b'\\', b'=', b' ', b'A', 0u8, 0xff] {
            let mut m = bytes.to_vec();
            m[cut] = b;
            let t = String::from_utf8_lossy(&m).into_owned();
            if let Ok(c) = Credentials::parse(&t) {
                let r = s.verify(NOW, &request(), &c, server_secret(Algorithm::AkaV2Md5));
                assert!(!matches!(r, Ok(Verified::AkaResync { .. })));
            }
        }
    }
}

#[test]
fn auth_int_covers_the_body_when_the_caller_passes_it() {
    let mut s = server();
    let ch = challenge_for(&s, NOW, Algorithm::Sha256, false)
        .replace("qop=\"auth\"", "qop=\"auth,auth-int\"");
    let parsed = Challenge::parse(&ch).expect("parses");
    let body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n";
    let header = DigestClient::new(USER, PASSWORD)
        .authorization_with_body(&parsed, "REGISTER", RURI, body, "c", 1)
        .expect("answers");
    let creds = Credentials::parse(&header).expect("parses");
    assert_eq!(creds.qop(), Some("auth-int"));
    // Without a body from the caller, auth-int is refused.
    assert_eq!(
        s.verify(NOW, &request(), &creds, Secret::Password(PASSWORD)),
        Err(DigestError::UnsupportedQop)
    );
    let with_body = DigestRequest {
        body: Some(body),
        ..request()
    };
    let tampered = DigestRequest {
        body: Some(b"v=0\r\n"),
        ..request()
    };
    assert_eq!(
        s.verify(NOW, &tampered, &creds, Secret::Password(PASSWORD)),
        Err(DigestError::BadResponse)
    );
    let got = s.verify(NOW, &with_body, &creds, Secret::Password(PASSWORD));
    assert!(
        matches!(got, Ok(Verified::Authenticated(a)) if a.qop == Some("auth-int") && a.rspauth.is_none()),
        "{got:?}"
    );
}
