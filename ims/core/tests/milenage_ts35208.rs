//! TS 35.208 §4 conformance test sets, read from `tests/data/ts35208.txt`: every output
//! (OPc, f1, f1*, f2, f5, f3, f4, f5*) of every set, plus vector/resync consistency.

use std::collections::HashMap;

use ims_core::aka::{
    generate_vector, resync, usim_authenticate, Amf, Auts, Key, Milenage, Op, Opc, Rand, Sqn,
    SqnConfig, UsimSqnState,
};

fn sets() -> Vec<(String, HashMap<String, String>)> {
    let text = include_str!("data/ts35208.txt");
    let mut out: Vec<(String, HashMap<String, String>)> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.to_owned(), HashMap::new()));
            continue;
        }
        let (k, v) = line.split_once('=').expect("key = value");
        out.last_mut()
            .expect("a [set] header first")
            .1
            .insert(k.trim().to_owned(), v.trim().to_owned());
    }
    out
}

fn sqn_of(hex: &str) -> Sqn {
    Sqn::new(u64::from_str_radix(hex, 16).expect("hex SQN"))
}

#[test]
fn all_six_sets_match_every_output() {
    let sets = sets();
    assert_eq!(sets.len(), 6, "test sets 1..6");
    for (name, s) in &sets {
        let k = Key::from_hex(&s["K"]).unwrap();
        let op = Op::from_hex(&s["OP"]).unwrap();
        let rand = Rand::from_hex(&s["RAND"]).unwrap();
        let sqn = sqn_of(&s["SQN"]);
        let amf = Amf::from_hex(&s["AMF"]).unwrap();
        let opc = Opc::from_op(&k, &op);
        assert_eq!(opc.to_hex(), s["OPc"], "{name} OPc");
        // Keyed from OPc directly, as an HSS that stores OPc does.
        let m = Milenage::new(&k, &Opc::from_hex(&s["OPc"]).unwrap());
        assert_eq!(m.f1(&rand, sqn, amf).to_hex(), s["f1"], "{name} f1");
        assert_eq!(m.f1_star(&rand, sqn, amf).to_hex(), s["f1*"], "{name} f1*");
        assert_eq!(m.f2(&rand).to_hex(), s["f2"], "{name} f2");
        assert_eq!(m.f5(&rand).to_hex(), s["f5"], "{name} f5");
        assert_eq!(m.f3(&rand).to_hex(), s["f3"], "{name} f3");
        assert_eq!(m.f4(&rand).to_hex(), s["f4"], "{name} f4");
        assert_eq!(m.f5_star(&rand).to_hex(), s["f5*"], "{name} f5*");
    }
}

#[test]
fn vectors_from_test_data_verify_and_resync() {
    for (name, s) in &sets() {
        let m = Milenage::with_op(
            &Key::from_hex(&s["K"]).unwrap(),
            &Op::from_hex(&s["OP"]).unwrap(),
        );
        let rand = Rand::from_hex(&s["RAND"]).unwrap();
        let sqn = sqn_of(&s["SQN"]);
        let v = generate_vector(&m, Amf::from_hex(&s["AMF"]).unwrap(), sqn, rand);
        assert_eq!(v.autn.mac_a().to_hex(), s["f1"], "{name} MAC-A in AUTN");
        assert_eq!(v.xres.to_hex(), s["f2"], "{name} XRES");

        // The sets' SQNs are far from 0: a fresh USIM needs the widest window to accept them.
        let wide = SqnConfig::new(5, 1 << 43).unwrap();
        assert!(
            !UsimSqnState::new(SqnConfig::default()).is_acceptable(sqn) || sqn.value() < 1 << 33
        );
        let mut usim = UsimSqnState::new(wide);
        let r = usim_authenticate(&m, &mut usim, &rand, &v.autn).unwrap();
        assert_eq!(r.res, v.xres, "{name}");
        assert_eq!(r.sqn, sqn, "{name}");

        // AUTS built from the set's f1* (with AMF 0 for resync) and f5*.
        let mac_s = m.f1_star(&rand, sqn, Amf::RESYNC);
        let auts = Auts::assemble(sqn.xor(&m.f5_star(&rand)), mac_s);
        assert_eq!(resync(&m, &rand, &auts), Ok(sqn), "{name}");
        let mut forged = *auts.as_bytes();
        forged[0] ^= 0x01; // SQN bit flipped: MAC-S no longer matches
        assert!(
            resync(&m, &rand, &Auts::new(forged)).is_err(),
            "{name} forged"
        );
    }
}
