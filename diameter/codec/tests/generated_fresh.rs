//! The committed `src/generated` must be exactly what `diameter-dictgen` produces from
//! `diameter/dict` (the h2/hyper "generated file is up to date" check). On failure run
//! `cargo run -p diameter-dictgen`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn generated_code_is_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files =
        diameter_dictgen::generate_dir(&root.join("../dict")).expect("dictionaries compile");
    let out = root.join("src/generated");
    let mut stale = Vec::new();
    for (name, text) in &files {
        let committed = std::fs::read_to_string(out.join(name)).unwrap_or_default();
        if &committed != text {
            stale.push(name.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `cargo run -p diameter-dictgen`"
    );
    let mut on_disk: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = files.into_iter().map(|(n, _)| n).collect();
    expected.sort();
    assert_eq!(
        on_disk, expected,
        "files in src/generated that the generator does not write"
    );
}
