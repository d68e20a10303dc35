//! Branch parameters for forwarded requests (RFC 3261 §16.6 step 8, §16.11) and the loop check
//! (§16.3 step 4) that the branch makes possible.
//!
//! A stateful branch is `z9hG4bK` + the request's loop hash + a per-node unique counter. A
//! stateless branch is a hash of the incoming top Via's branch and sent-by, so that
//! retransmissions, the ACK and the CANCEL of an INVITE all leave with the same branch.

use std::hash::{Hash, Hasher};

use sip_types::Message;

/// FNV-1a, 64 bits: a fast hash for values that never key a hash table (no flooding risk).
#[derive(Debug, Clone, Copy)]
pub(super) struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv64 {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
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
        self.counter = self.counter.wrapping_add(1);
        format!(
            "{MAGIC_COOKIE}{loop_hash:08x}.{:x}",
            self.counter ^ self.seed
        )
    }

    /// A branch derived from the incoming request alone (§16.11): the same input gives the same
    /// branch, and different transactions give different ones.
    pub fn stateless(&self, request: &Message) -> String {
        let mut h = Fnv64::default();
        self.seed.hash(&mut h);
        match request.top_via() {
            Ok(via) if via.has_rfc3261_branch() => {
                via.branch().hash(&mut h);
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
        format!("{MAGIC_COOKIE}s{:016x}", h.finish())
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
        HeaderName::PROXY_REQUIRE,
    ] {
        request.header(name).hash(&mut h);
    }
    // Every Route line, not just the first: a request that passes a node twice with the same
    // URI on top (a P-CSCF on both sides of a dialog) differs in the rest of its route set.
    for header in request.headers() {
        if header.name == HeaderName::ROUTE {
            request
                .as_bytes()
                .get(header.value_range.clone())
                .hash(&mut h);
        }
    }
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
            sip_types::Message::parse(bytes::Bytes::from(format!(
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
