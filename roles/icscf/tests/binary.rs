//! The `ims-icscf` binary's `--check-config`: the lab's example file passes, a bad key is
//! named and exits 2.
#![allow(clippy::unwrap_used)]

use std::process::Command;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/icscf.toml");

#[test]
fn example_config_checks() {
    let out = Command::new(env!("CARGO_BIN_EXE_ims-icscf"))
        .args(["--config", EXAMPLE, "--check-config"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("configuration OK"));
}

#[test]
fn bad_config_names_the_key() {
    let dir = std::env::temp_dir().join(format!("ims-icscf-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("icscf.toml");
    let text = std::fs::read_to_string(EXAMPLE)
        .unwrap()
        .replace("\"scscf.ims.test\" = [\"udp:127.0.0.1:5080\"]", "");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ims-icscf"))
        .args(["--config", path.to_str().unwrap(), "--check-config"])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("icscf.scscf[0].name"), "{err}");
}
