//! The ims-lab binary renders and checks every role's configuration, and refuses a bad one
//! naming the role and the key.
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn check_config_renders_every_role() {
    let dir = std::env::temp_dir().join(format!("ims-lab-check-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_ims-lab"))
        .args(["--check-config", "--ip", "127.0.3.200", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for role in ["hss", "ocs", "cdf", "scscf", "icscf", "pcscf"] {
        let text =
            std::fs::read_to_string(dir.join("config").join(format!("{role}.toml"))).unwrap();
        assert!(
            !text.contains("127.0.0.1"),
            "{role}: loopback address not substituted"
        );
        assert!(
            !text.contains("./ims-lab-data"),
            "{role}: data dir not substituted"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn environment_override_errors_name_the_role_and_key() {
    let dir = std::env::temp_dir().join(format!("ims-lab-bad-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_ims-lab"))
        .args(["--check-config", "--data-dir"])
        .arg(&dir)
        .env("IMS_SCSCF__SCSCF__SERVER_NAME", "not a uri")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("scscf.server_name"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
