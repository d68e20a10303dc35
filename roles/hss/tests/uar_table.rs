//! Data-driven UAR outcomes (`tests/data/uar_cases.txt`) on the demo subscribers, on every
//! backend (TS 29.228 §6.1.1.1, Table 6.1.1.1).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use diameter_codec::generated::cx::{self, UserAuthorizationType};
use ims_hss::{Hss, Outcome};

async fn uar_table(hss: Hss) {
    let data = include_str!("data/uar_cases.txt");
    let mut n = 0;
    for (lineno, line) in data.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(f.len(), 5, "line {}: {line}", lineno + 1);
        let uat = match f[3] {
            "-" => None,
            v => Some(UserAuthorizationType(v.parse().expect("uat"))),
        };
        let code: u32 = f[4][1..].parse().expect("code");
        let want = if f[4].starts_with('E') {
            Outcome::Experimental(code)
        } else {
            Outcome::Base(code)
        };
        let ans = ask(&hss, uar(f[0], f[1], f[2], uat), &cx::cmd::UAA).await;
        assert_eq!(result(&ans), want, "line {}: {line}", lineno + 1);
        n += 1;
    }
    assert_eq!(n, 14);
}

on_all_backends!(uar_table);
