//! Branch parameters for forwarded requests (RFC 3261 §16.6 step 8, §16.11) and the loop check
//! (§16.3 step 4) that the branch makes possible.
//!
//! A stateful branch is `z9hG4bK` + the request's loop hash + a per-node unique counter. A
//! stateless branch is a hash of the incoming top Via's branch and sent-by, so that
//! retransmissions, the ACK and the CANCEL of an INVITE all leave with the same branch.

use std::hash::{Hash, Hasher};

use bytes::{BufMut, BytesMut};
use sip_types::Message;

/// FNV-1a's offset basis and shape, eight bytes per step instead of one, with a final mix so
/// that every input bit reaches the low bits (the loop hash keeps 32 of them): a fast hash for
/// values that never key a hash table chosen by a peer (no flooding risk). Only this process
/// compares its outputs, so the exact function is free to change.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

/// Odd multiplier of the word steps (2^64 / golden ratio).
const WORD_MUL: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for Fnv64 {
    fn finish(&self) -> u64 {
        // Murmur3's 64-bit finaliser.
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in chunks.by_ref() {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(29) ^ u64::from_le_bytes(w)).wrapping_mul(WORD_MUL);
        }
        let rest = chunks.remainder();
        // The tail's length goes in too, so "ab" and "ab\0" differ.
        let mut w = [0u8; 8];
        if let Some(dst) = w.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        let tail = u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59);
        self.0 = (self.0.rotate_left(29) ^ tail).wrapping_mul(WORD_MUL);
    }

    /// Our transaction ids are sequential numbers: one multiply spreads them well enough.
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by our own transaction ids (never chosen by a peer, so no flooding risk).
pub(super) type IdMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fnv64>>;

/// The RFC 3261 magic cookie.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// Makes branch values; seeded per node so that two nodes never collide.
#[derive(Debug, Clone)]
pub struct BranchGenerator {
    seed: u64,
    counter: u64,
}

impl BranchGenerator {
    /// `seed` should be random per process start.
    pub fn new(seed: u64) -> Self {
        Self { seed, counter: 0 }
    }

    /// A fresh branch carrying `loop_hash` (see [`loop_hash`]).
    pub fn stateful(&mut self, loop_hash: u32) -> String {
        let mut out = BytesMut::with_capacity(32);
        self.write_stateful(loop_hash, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// [`BranchGenerator::stateful`] written straight into `out` (no formatting machinery).
    pub(super) fn write_stateful(&mut self, loop_hash: u32, out: &mut BytesMut) {
        self.counter = self.counter.wrapping_add(1);
        out.put_slice(MAGIC_COOKIE.as_bytes());
        put_hex(out, u64::from(loop_hash), 8);
        out.put_u8(b'.');
        put_hex(out, self.counter ^ self.seed, 1);
    }

    /// A branch derived from the incoming request alone (§16.11): the same input gives the same
    /// branch, and different transactions give different ones.
    pub fn stateless(&self, request: &Message) -> String {
        let mut out = BytesMut::with_capacity(24);
        self.write_stateless(request, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// [`BranchGenerator::stateless`] written straight into `out`.
    pub(super) fn write_stateless(&self, request: &Message, out: &mut BytesMut) {
        let mut h = Fnv64::default();
        self.seed.hash(&mut h);
        // The branch comes from the parse-time cache (no parameter scan); the same test as
        // `Via::has_rfc3261_branch`.
        let branch = request
            .top_via_branch()
            .filter(|b| b.len() > MAGIC_COOKIE.len() && b.starts_with(MAGIC_COOKIE));
        match (request.top_via(), branch) {
            (Ok(via), Some(branch)) => {
                Some(branch).hash(&mut h);
                via.host_str.hash(&mut h);
                via.port.hash(&mut h);
            }
            _ => {
                // RFC 2543 peers: the transaction is identified by these (§17.2.3).
                request.request_uri().hash(&mut h);
                request.header(sip_types::HeaderName::FROM).hash(&mut h);
                request.call_id().ok().hash(&mut h);
                request.cseq().ok().map(|c| c.seq).hash(&mut h);
                request.header(sip_types::HeaderName::VIA).hash(&mut h);
            }
        }
        // ACK and CANCEL must match the INVITE's branch downstream: the method is not hashed.
        out.put_slice(MAGIC_COOKIE.as_bytes());
        out.put_u8(b's');
        put_hex(out, h.finish(), 16);
    }
}

/// `n` in lower-case hex, at least `width` digits (zero-padded), as `{:0width$x}` prints it.
pub(super) fn put_hex(out: &mut impl BufMut, n: u64, width: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (64 - n.leading_zeros() as usize)
        .div_ceil(4)
        .max(width.clamp(1, 16));
    for i in (0..digits).rev() {
        out.put_u8(HEX[((n >> (i * 4)) & 0xf) as usize]);
    }
}

/// The loop-detection hash of §16.6 step 8: over the fields that, when unchanged, mean the
/// request came back to us without being retargeted (Request-URI, From, To, Call-ID, CSeq,
/// Route, Proxy-Require).
pub fn loop_hash(request: &Message) -> u32 {
    use sip_types::HeaderName;
    // The raw header values stand for their tags: a request that comes back unchanged has them
    // byte for byte, and hashing text avoids parsing on every forwarded request.
    let mut h = Fnv64::default();
    request.request_uri().hash(&mut h);
    for name in [
        HeaderName::FROM,
        HeaderName::TO,
        HeaderName::CALL_ID,
        HeaderName::CSEQ,
    ] {
        request.header(name).hash(&mut h);
    }
    // Every Route line, not just the first: a request that passes a node twice with the same
    // URI on top (a P-CSCF on both sides of a dialog) differs in the rest of its route set.
    // The first Proxy-Require line is picked up in the same pass.
    let raw = request.as_bytes();
    let mut proxy_require = None;
    for header in request.headers() {
        if header.name == HeaderName::ROUTE {
            raw.get(header.value_range.clone()).hash(&mut h);
        } else if header.name == HeaderName::PROXY_REQUIRE && proxy_require.is_none() {
            proxy_require = raw.get(header.value_range.clone());
        }
    }
    proxy_require.hash(&mut h);
    // Truncation to 32 bits is deliberate: the branch carries 8 hex digits.
    (h.finish() & 0xffff_ffff) as u32
}

/// The loop hash carried in one of our stateful branches, if `branch` is one.
pub fn loop_hash_of_branch(branch: &str) -> Option<u32> {
    let rest = branch.strip_prefix(MAGIC_COOKIE)?;
    let hex = rest.get(..8)?;
    if rest.as_bytes().get(8) != Some(&b'.') {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_hash_covers_every_route_line() {
        let bye = |routes: &str| {
            Message::parse(bytes::Bytes::from(format!(
                "BYE sip:bob@127.0.0.1:5090 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n\
                 {routes}From: <sip:alice@a>;tag=1\r\nTo: <sip:bob@b>;tag=2\r\nCall-ID: c\r\n\
                 CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
            )))
            .unwrap()
        };
        // A P-CSCF on both sides of a dialog sees the same URI on top twice.
        let first_pass = bye(
            "Route: <sip:10.0.0.1;lr>\r\nRoute: <sip:10.0.0.2;lr>\r\nRoute: <sip:10.0.0.1;lr>\r\n",
        );
        let second_pass = bye("Route: <sip:10.0.0.1;lr>\r\n");
        assert_ne!(loop_hash(&first_pass), loop_hash(&second_pass));
        assert_eq!(
            loop_hash(&second_pass),
            loop_hash(&bye("Route: <sip:10.0.0.1;lr>\r\n"))
        );
    }

    #[test]
    fn stateful_branches_are_unique_and_carry_the_hash() {
        let mut g = BranchGenerator::new(0xfeed);
        let a = g.stateful(0xdead_beef);
        let b = g.stateful(0xdead_beef);
        assert_ne!(a, b);
        assert!(a.starts_with("z9hG4bKdeadbeef."));
        assert_eq!(loop_hash_of_branch(&a), Some(0xdead_beef));
        assert_eq!(loop_hash_of_branch("z9hG4bK776asdhds"), None);
        assert_eq!(loop_hash_of_branch("z9hG4bK"), None);
    }
}
