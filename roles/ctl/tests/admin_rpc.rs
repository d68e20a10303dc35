//! `imsctl rpc` and `imsctl hss deregister|set-profile` run as a process against a running
//! HSS's admin API (an `HssNode` from roles/config/hss.toml on 127.0.5.31, with a token).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use ims_hss::node::{HssFile, HssNode, DEFAULTS, ENV_PREFIX};
use serde_json::Value;

const TOKEN: &str = "imsctl-test-token";

struct Bed {
    node: HssNode,
    url: String,
    dir: PathBuf,
}

async fn start() -> Bed {
    let dir = std::env::temp_dir().join(format!("imsctl-admin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let text = include_str!("../../config/hss.toml")
        .replace("127.0.0.1", "127.0.5.31")
        .replace("./ims-lab-data", &dir.display().to_string())
        .replace(
            "# token_file = \"/etc/ims/admin.token\"",
            &format!("token = \"{TOKEN}\""),
        );
    let path = dir.join("hss.toml");
    std::fs::write(&path, text).unwrap();
    let file: HssFile = role_kit::load_config(DEFAULTS, Some(&path), ENV_PREFIX).unwrap();
    let node = HssNode::start(file).await.unwrap();
    let url = format!("http://{}", node.admin_addr().unwrap());
    Bed { node, url, dir }
}

/// Runs imsctl with `IMSCTL_ADMIN`/`IMSCTL_ADMIN_TOKEN` as given (unset otherwise), off the
/// test's runtime thread so the HSS keeps answering.
async fn imsctl(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_imsctl"));
    cmd.args(args)
        .env_remove("IMSCTL_ADMIN")
        .env_remove("IMSCTL_ADMIN_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "imsctl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    assert!(!out.status.success(), "imsctl succeeded");
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imsctl_drives_the_hss_admin_api() {
    let bed = start().await;
    let url = bed.url.as_str();
    let auth = ["--admin", url, "--token", TOKEN];

    // Generic calls: the result is printed as JSON.
    let out = imsctl(&[&["rpc", "system.methods"][..], &auth].concat(), &[]).await;
    let methods: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(methods
        .as_array()
        .unwrap()
        .contains(&Value::from("hss.deregister")));
    let out = imsctl(
        &[
            &["rpc", "hss.show", r#"{"impi":"alice@ims.test"}"#][..],
            &auth,
        ]
        .concat(),
        &[],
    )
    .await;
    let alice: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(alice["impus"][0]["impu"], "sip:alice@ims.test");
    assert_eq!(alice["password"], "(set)");

    // The URL and token from the environment.
    let out = imsctl(
        &["rpc", "system.health"],
        &[("IMSCTL_ADMIN", url), ("IMSCTL_ADMIN_TOKEN", TOKEN)],
    )
    .await;
    assert!(stdout(&out).contains("\"status\": \"ok\""));

    // Faults are named.
    let err = stderr(&imsctl(&["rpc", "system.health", "--admin", url], &[]).await);
    assert!(err.contains("HTTP 401"), "{err}");
    let err = stderr(&imsctl(&[&["rpc", "hss.nope"][..], &auth].concat(), &[]).await);
    assert!(
        err.contains("method not found: hss.nope (JSON-RPC error -32601)"),
        "{err}"
    );
    let err = stderr(&imsctl(&[&["rpc", "hss.show", "{oops"][..], &auth].concat(), &[]).await);
    assert!(err.contains("PARAMS is not JSON"), "{err}");
    let err = stderr(&imsctl(&["rpc", "system.health"], &[]).await);
    assert!(err.contains("IMSCTL_ADMIN"), "{err}");
    let err = stderr(
        &imsctl(
            &["rpc", "system.health", "--admin", "http://127.0.5.31:1"],
            &[],
        )
        .await,
    );
    assert!(err.contains("127.0.5.31:1"), "{err}");

    // hss deregister: carol is not registered, and the error says so.
    let err = stderr(
        &imsctl(
            &[&["hss", "deregister", "carol@ims.test"][..], &auth].concat(),
            &[],
        )
        .await,
    );
    assert!(
        err.contains("carol@ims.test is not registered") && err.contains("-32002"),
        "{err}"
    );
    let err = stderr(
        &imsctl(
            &[
                &[
                    "hss",
                    "deregister",
                    "sip:carol@ims.test",
                    "--reason",
                    "BORED",
                ][..],
                &auth,
            ]
            .concat(),
            &[],
        )
        .await,
    );
    assert!(err.contains("-32602"), "{err}");

    // hss set-profile from a file: stored, nothing to push while carol is not registered.
    let xml = bed.dir.join("carol.xml");
    std::fs::write(
        &xml,
        "<ServiceProfile><InitialFilterCriteria><Priority>0</Priority>\
         <ApplicationServer><ServerName>sip:as.ims.test</ServerName></ApplicationServer>\
         </InitialFilterCriteria></ServiceProfile>",
    )
    .unwrap();
    let out = imsctl(
        &[
            &[
                "hss",
                "set-profile",
                "carol@ims.test",
                "--profile-xml",
                xml.to_str().unwrap(),
            ][..],
            &auth,
        ]
        .concat(),
        &[],
    )
    .await;
    let text = stdout(&out);
    assert!(
        text.contains("carol@ims.test: service profile carol@ims.test"),
        "{text}"
    );
    assert!(text.contains("no PPR sent"), "{text}");
    let stored = bed
        .node
        .hss()
        .store()
        .find_public("sip:carol@ims.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.service_profile, "carol@ims.test");
    let out = imsctl(
        &[
            &[
                "hss",
                "set-profile",
                "carol@ims.test",
                "--profile",
                "default",
                "--json",
            ][..],
            &auth,
        ]
        .concat(),
        &[],
    )
    .await;
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["profile"], "default");
    assert_eq!(v["ppr"], serde_json::json!([]));

    bed.node.stop().await;
    let _ = std::fs::remove_dir_all(&bed.dir);
}
