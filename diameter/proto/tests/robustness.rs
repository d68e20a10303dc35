//! No input panics the node: mutated and random frames, before and after the CER exchange,
//! from a deterministic generator (a fuzz-style smoke test; the fuzz targets go further).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut f = seed.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(5) {
            0 if !f.is_empty() => {
                let i = rng.below(f.len());
                f[i] = rng.next() as u8;
            }
            1 if !f.is_empty() => {
                let i = rng.below(f.len());
                f.truncate(i);
            }
            2 => {
                for _ in 0..rng.below(16) {
                    f.push(rng.next() as u8);
                }
            }
            3 if f.len() >= 4 => {
                // Keep Message Length consistent so the body parser is reached.
                let l = (f.len() as u32).to_be_bytes();
                f[1..4].copy_from_slice(&l[1..]);
            }
            _ => {
                if f.len() > 24 {
                    let i = 20 + rng.below(f.len() - 20);
                    f[i] ^= 0xff;
                }
            }
        }
    }
    f
}

#[test]
fn mutated_frames_never_panic_an_open_node() {
    let (mut net, a, b_, _pa, _pb) = open_pair();
    let seeds: Vec<Bytes> = vec![
        uar("pcscf.a.test", "a.test", "b.test", None),
        uar("pcscf.a.test", "a.test", "x.test", Some("hss.b.test")),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..5000 {
        let seed = &seeds[i % seeds.len()];
        let f = mutate(&mut rng, seed);
        if net.link_count(a, b_) == 0 {
            net.advance(Duration::from_secs(40));
        }
        if net.link_count(a, b_) == 1 {
            net.inject(a, b_, Bytes::from(f));
        }
        // Answer whatever got through, as a user would.
        for (req, from) in requests(&net.take(b_)) {
            let _ = net.nodes[b_].send_answer(net.now, from, uaa(&req, "hss.b.test", "b.test"));
        }
        net.run();
    }
}

#[test]
fn random_frames_never_panic_before_cer() {
    let mut rng = Rng(42);
    let mut net = Net::new();
    let b_ = net.add("hss.b.test", "b.test", vec![CX_APP], cfg());
    let seed = {
        // A valid CER from a peer b knows nothing of.
        let mut n = Net::new();
        let a = n.add("pcscf.a.test", "a.test", vec![CX_APP], cfg());
        let bb = n.add("hss.b.test", "b.test", vec![CX_APP], cfg());
        n.peer(a, bb, "b.test", true);
        n.start();
        n.frames(a, bb, 257, true).pop().unwrap().bytes
    };
    let now = net.now;
    for i in 0..5000u64 {
        let conn = diameter_proto::ConnectionId(10_000 + i);
        net.nodes[b_].handle_accepted(now, conn, "127.0.0.1:1".parse().unwrap());
        let f = if i % 2 == 0 {
            mutate(&mut rng, &seed)
        } else {
            (0..rng.below(64)).map(|_| rng.next() as u8).collect()
        };
        net.nodes[b_].handle_frame(now, conn, Bytes::from(f));
        net.nodes[b_].handle_closed(now, conn);
        while net.nodes[b_].poll_transmit().is_some() {}
        while net.nodes[b_].poll_event().is_some() {}
    }
    net.nodes[b_].handle_timeout(now + Duration::from_secs(60));
    assert_eq!(net.nodes[b_].poll_timeout(), None, "nothing left behind");
}
