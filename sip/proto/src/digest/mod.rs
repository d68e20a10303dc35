//! HTTP digest authentication for SIP (RFC 3261 §22, RFC 7616, RFC 8760; AKA per RFC 3310/4169).
//!
//! - [`Algorithm`]: MD5, SHA-256, SHA-512-256 (and `-sess`), AKAv1-MD5, AKAv2-MD5.
//! - [`response`]: HA1 / HA2 / request-digest (RFC 7616 §3.4), lowercase hex.
//! - [`NonceKey`]: stateless nonces with their own MAC and issue time (RFC 7616 §3.3).
//! - [`NonceCounts`]: bounded nonce-count replay table.
//! - [`DigestServer`]: challenge and verify for registrars and proxies.
//! - [`DigestClient`]: the UA side, producing Authorization values.
//!
//! Sans-IO: the caller passes the current time (unix seconds) and random bytes in.

mod aka;
mod algorithm;
mod client;
mod nonce;
mod replay;
pub mod response;
mod server;

pub use aka::{aka_password, akav2_password, decode_auts, encode_auts, rand_autn, AUTS_LEN};
pub use algorithm::{hash_parts, Algorithm, HashKind, HexDigest};
pub use client::DigestClient;
pub use nonce::{NonceInfo, NonceKey, MAC_LEN};
pub use replay::{NcCheck, NonceCounts, DEFAULT_CAPACITY};
pub use response::Qop;
pub use server::{Authenticated, DigestConfig, DigestRequest, DigestServer, Secret, Verified};

/// Why digest credentials were refused (RFC 7616 §3.4, §3.3 stale; RFC 3310).
///
/// String-free and `Copy`: never carries credential bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// The response was right but the nonce has expired: challenge again with `stale=true`.
    #[error("stale nonce")]
    Stale,
    /// The response does not match (wrong password, or tampered request).
    #[error("response does not match")]
    BadResponse,
    /// The nonce-count was already used for this nonce.
    #[error("nonce-count replayed")]
    Replay,
    /// The nonce is malformed, forged, or was issued for another realm or algorithm.
    #[error("invalid nonce")]
    InvalidNonce,
    /// A required parameter is missing (its name).
    #[error("missing digest parameter {0}")]
    Missing(&'static str),
    /// The algorithm is unknown, or does not fit the secret (e.g. MD5 with an AKA vector).
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// The qop is not one this side supports (only `auth`, or none for RFC 2069).
    #[error("unsupported qop")]
    UnsupportedQop,
    /// The credentials' realm is not the expected one.
    #[error("realm mismatch")]
    RealmMismatch,
    /// The digest-uri differs from the Request-URI (RFC 7616 §3.4.6).
    #[error("digest uri does not match the Request-URI")]
    UriMismatch,
    /// The credentials or challenge use another scheme than Digest.
    #[error("not a Digest scheme")]
    NotDigest,
    /// The `auts` parameter is not base64 of 14 bytes, or was sent without AKA.
    #[error("invalid auts")]
    InvalidAuts,
    /// The caller's stored secret is malformed (e.g. an HA1 of the wrong length).
    #[error("invalid stored secret")]
    InvalidSecret,
}
