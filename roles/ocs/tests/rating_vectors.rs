//! Data-driven rating: `tests/data/rating.toml` holds tariffs and, per tariff, used units with
//! the billed units and price each must give (TS 32.299 rating, rounding per tariff).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use ims_ocs::TariffTable;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    tariff: String,
    units: Vec<u64>,
    billed: Vec<u64>,
    price: Vec<i64>,
}

#[derive(Deserialize)]
struct Vectors {
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[test]
fn rating_vectors() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rating.toml"
    ))
    .unwrap();
    // The tariff table is strict (no unknown keys): give it only the `[[tariff]]` tables.
    let value: toml::Table = toml::from_str(&text).unwrap();
    let mut tariffs = toml::Table::new();
    tariffs.insert("tariff".into(), value["tariff"].clone());
    let table = TariffTable::from_toml(&toml::to_string(&tariffs).unwrap()).unwrap();
    let vectors: Vectors = toml::from_str(&text).unwrap();
    let mut checked = 0;
    for case in &vectors.cases {
        let t = table.by_name(&case.tariff).expect("tariff of case");
        assert_eq!(case.units.len(), case.billed.len());
        assert_eq!(case.units.len(), case.price.len());
        for ((&u, &billed), &price) in case.units.iter().zip(&case.billed).zip(&case.price) {
            assert_eq!(t.billed_seconds(u), billed, "{} billed({u})", case.tariff);
            assert_eq!(t.price(u), price, "{} price({u})", case.tariff);
            checked += 1;
        }
    }
    assert_eq!(checked, 24);
}
