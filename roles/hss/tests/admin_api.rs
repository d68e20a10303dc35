//! The HSS's admin API over real sockets (127.0.5.20-29): an `HssNode` started from
//! roles/config/hss.toml with a token, called over HTTP. Provisioning (list, show, add, import,
//! delete, set_profile), and RTR toward S-CSCFs that cannot de-register: one unreachable, one
//! (our own Diameter node) answering DIAMETER_UNABLE_TO_COMPLY. The store stays unchanged in
//! both. The RTR/PPR that succeed are in tests/tests/lab_admin.rs, against the real S-CSCF.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use diameter_codec::generated::base::{avp as b, AuthSessionState, ResultCode};
use diameter_codec::{AvpContainer, Message, MessageBuilder, WriteAvps};
use diameter_net::{DiameterNode, Handlers, NetConfig, Peer, Route, Transport};
use diameter_proto::{Application, LocalNode, PeerConfig};
use ims_hss::node::{HssFile, HssNode, DEFAULTS, ENV_PREFIX};
use ims_store::{ImpuRegistration, RegistrationState};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "hss-admin-test-token";

struct Bed {
    node: HssNode,
    admin: SocketAddr,
    dir: std::path::PathBuf,
}

async fn start(host: u8) -> Bed {
    let ip = format!("127.0.5.{host}");
    let dir = std::env::temp_dir().join(format!("ims-hss-admin-{}-{host}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let text = include_str!("../../config/hss.toml")
        .replace("127.0.0.1", &ip)
        .replace("./ims-lab-data", &dir.display().to_string())
        .replace(
            "# token_file = \"/etc/ims/admin.token\"",
            &format!("token = \"{TOKEN}\""),
        );
    let path = dir.join("hss.toml");
    std::fs::write(&path, text).unwrap();
    let file: HssFile = role_kit::load_config(DEFAULTS, Some(&path), ENV_PREFIX).unwrap();
    let node = HssNode::start(file).await.unwrap();
    let admin = node.admin_addr().unwrap();
    assert_eq!(admin, format!("{ip}:9100").parse().unwrap());
    Bed { node, admin, dir }
}

impl Bed {
    async fn stop(self) {
        self.node.stop().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// POSTs `body` with `token`; returns status and body.
async fn post(addr: SocketAddr, token: Option<&str>, body: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let request = format!(
        "POST / HTTP/1.1\r\nHost: hss\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

/// Calls `method`; `Ok(result)` or `Err(error object)`.
async fn call(bed: &Bed, method: &str, params: Value) -> Result<Value, Value> {
    let mut body = json!({ "jsonrpc": "2.0", "method": method, "id": 1 });
    if !params.is_null() {
        body["params"] = params;
    }
    let (status, text) = post(bed.admin, Some(TOKEN), &body.to_string()).await;
    assert_eq!(status, 200, "{text}");
    let mut v: Value = serde_json::from_str(&text).unwrap();
    match v.get_mut("error") {
        Some(e) => Err(e.take()),
        None => Ok(v["result"].take()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_over_the_admin_api() {
    let bed = start(21).await;
    // The token is required.
    let (status, text) = post(
        bed.admin,
        None,
        r#"{"jsonrpc":"2.0","method":"hss.list","id":1}"#,
    )
    .await;
    assert_eq!(status, 401, "{text}");
    let (status, _) = post(bed.admin, Some("wrong"), "{}").await;
    assert_eq!(status, 401);

    let methods = call(&bed, "system.methods", Value::Null).await.unwrap();
    for m in [
        "hss.add",
        "hss.delete",
        "hss.deregister",
        "hss.import",
        "hss.list",
        "hss.set_profile",
        "hss.show",
    ] {
        assert!(methods.as_array().unwrap().contains(&json!(m)), "{methods}");
    }

    let page = call(&bed, "hss.list", json!({ "limit": 2 })).await.unwrap();
    let impis: Vec<&str> = page["subscribers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["impi"].as_str().unwrap())
        .collect();
    assert_eq!(impis, ["alice@ims.test", "bob@ims.test"]);
    assert_eq!(page["next"], "bob@ims.test");
    let rest = call(&bed, "hss.list", json!({ "after": "bob@ims.test" }))
        .await
        .unwrap();
    assert_eq!(rest["subscribers"][0]["impi"], "carol@ims.test");
    assert_eq!(
        rest["subscribers"][0]["impus"][0]["state"],
        "not-registered"
    );
    assert_eq!(rest["next"], Value::Null);
    let e = call(&bed, "hss.list", json!({ "limit": 0 }))
        .await
        .unwrap_err();
    assert_eq!(e["code"], -32602);
    let e = call(&bed, "hss.list", json!({ "bogus": 1 }))
        .await
        .unwrap_err();
    assert_eq!(e["code"], -32602);
    assert!(e["message"].as_str().unwrap().contains("bogus"), "{e}");

    // Secrets only when asked.
    let shown = call(&bed, "hss.show", json!({ "impi": "alice@ims.test" }))
        .await
        .unwrap();
    assert_eq!(shown["password"], "(set)");
    assert!(shown.get("k").is_none());
    assert!(!shown.to_string().contains("alice-secret"));
    let secret = call(
        &bed,
        "hss.show",
        json!({ "impi": "alice@ims.test", "secrets": true }),
    )
    .await
    .unwrap();
    assert_eq!(secret["k"], "30313233343536373839616263646566");
    assert_eq!(secret["password"], "alice-secret");

    // hss.add takes a [[subscriber]] entry.
    let dave = json!({
        "impi": "dave@ims.test",
        "impus": ["sip:dave@ims.test", "tel:+15550004"],
        "k": "465b5ce8b199b49faa5f0a2ee238a6bc",
        "opc": "cd63cb71954a9f4e48a5994e37a02baf",
        "password": "dave-secret",
        "profile": "default",
    });
    let report = call(&bed, "hss.add", dave.clone()).await.unwrap();
    assert_eq!(report["private_identities"], 1);
    assert_eq!(report["public_identities"], 2);
    let e = call(&bed, "hss.add", dave.clone()).await.unwrap_err();
    assert_eq!(e["code"], -32005);
    assert!(e["message"].as_str().unwrap().contains("dave@ims.test"));
    let mut replace = dave.clone();
    replace["replace"] = json!(true);
    call(&bed, "hss.add", replace).await.unwrap();
    let mut thief = dave.clone();
    thief["impi"] = json!("eve@ims.test");
    let e = call(&bed, "hss.add", thief).await.unwrap_err();
    assert_eq!(e["code"], -32005);
    assert_eq!(e["message"], "sip:dave@ims.test belongs to dave@ims.test");
    let e = call(&bed, "hss.add", json!({ "impi": "x@ims.test", "k": "00" }))
        .await
        .unwrap_err();
    assert_eq!(e["code"], -32602);
    assert!(e["message"].as_str().unwrap().contains("x@ims.test"), "{e}");

    // hss.import: the TOML text of `imsctl hss import`, or the same as JSON.
    let toml = r#"
[[service_profile]]
id = "gold"
xml = "<ServiceProfile/>"

[[subscriber]]
impi = "erin@ims.test"
impus = ["sip:erin@ims.test"]
password = "erin-secret"
auth_schemes = ["MD5"]
k = "ascii:0123456789abcdef"
op = "ascii:fedcba9876543210"
profile = "gold"
"#;
    let report = call(&bed, "hss.import", json!({ "toml": toml }))
        .await
        .unwrap();
    assert_eq!(report["service_profiles"], 1);
    assert_eq!(report["private_identities"], 1);
    let e = call(
        &bed,
        "hss.import",
        json!({ "subscriber": [{ "impi": "f@ims.test", "ifc_file": "/etc/passwd" }] }),
    )
    .await
    .unwrap_err();
    assert_eq!(e["code"], -32602);
    assert!(e["message"].as_str().unwrap().contains("ifc_file"), "{e}");
    let e = call(&bed, "hss.import", json!({ "toml": "[[subscriber]\n" }))
        .await
        .unwrap_err();
    assert_eq!(e["code"], -32602);

    // hss.set_profile of a user who is not registered: stored, nothing pushed.
    let set = call(
        &bed,
        "hss.set_profile",
        json!({ "impi": "dave@ims.test", "profile": "gold" }),
    )
    .await
    .unwrap();
    assert_eq!(set["ppr"], json!([]));
    let shown = call(&bed, "hss.show", json!({ "impi": "dave@ims.test" }))
        .await
        .unwrap();
    assert_eq!(shown["impus"][0]["service_profile"], "gold");
    assert_eq!(shown["impus"][1]["service_profile"], "gold");
    let e = call(
        &bed,
        "hss.set_profile",
        json!({ "impi": "dave@ims.test", "profile": "nope" }),
    )
    .await
    .unwrap_err();
    assert_eq!(e["code"], -32602);
    let e = call(
        &bed,
        "hss.set_profile",
        json!({ "impi": "nobody@ims.test", "profile": "gold" }),
    )
    .await
    .unwrap_err();
    assert_eq!(e["code"], -32001);

    // hss.delete of a user who is not registered.
    let deleted = call(&bed, "hss.delete", json!({ "impi": "dave@ims.test" }))
        .await
        .unwrap();
    assert_eq!(deleted["deregistered"], json!([]));
    assert_eq!(
        deleted["removed_impus"],
        json!(["sip:dave@ims.test", "tel:+15550004"])
    );
    let e = call(&bed, "hss.show", json!({ "impi": "dave@ims.test" }))
        .await
        .unwrap_err();
    assert_eq!(e["code"], -32001);
    assert_eq!(e["message"], "no subscriber dave@ims.test");
    let e = call(&bed, "hss.deregister", json!({ "impi": "carol@ims.test" }))
        .await
        .unwrap_err();
    assert_eq!(e["code"], -32002);
    let e = call(&bed, "hss.deregister", json!({})).await.unwrap_err();
    assert_eq!(e["code"], -32602);
    bed.stop().await;
}

/// An answer to `request` with DIAMETER_UNABLE_TO_COMPLY (RFC 6733 §7.1.5), shaped as an RTA
/// or PPA (TS 29.229 §6.1.10, §6.1.12).
fn unable_to_comply(request: &Message, origin_host: &str) -> bytes::Bytes {
    let mut a = MessageBuilder::answer(request.header());
    if let Ok(Some(sid)) = request.find(b::SESSION_ID.code()) {
        a.put_raw(&sid);
    }
    a.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
        g.put(&b::VENDOR_ID, &ims_hss::VENDOR_3GPP)
            .put(&b::AUTH_APPLICATION_ID, &ims_hss::node::CX_APPLICATION);
    });
    a.put(
        &b::AUTH_SESSION_STATE,
        &AuthSessionState::NO_STATE_MAINTAINED,
    )
    .put(&b::ORIGIN_HOST, origin_host)
    .put(&b::ORIGIN_REALM, "ims.test")
    .put(&b::RESULT_CODE, &ResultCode::DIAMETER_UNABLE_TO_COMPLY.0);
    a.finish()
}

/// A Diameter node connecting to the HSS as `origin_host`, answering every Cx request with
/// DIAMETER_UNABLE_TO_COMPLY.
async fn refusing_scscf(origin_host: &str, hss: SocketAddr) -> DiameterNode {
    let mut c = NetConfig::new(LocalNode {
        origin_host: origin_host.to_owned(),
        origin_realm: "ims.test".to_owned(),
        host_ip_addresses: vec![IpAddr::from([127, 0, 5, 22])],
        vendor_id: 0,
        product_name: "refusing-scscf".to_owned(),
        firmware_revision: None,
        origin_state_id: 1,
        applications: vec![Application::VendorAuth {
            vendor: 10415,
            app: ims_hss::node::CX_APPLICATION,
        }],
        supported_vendor_ids: vec![10415],
    });
    let mut peer = PeerConfig::new("hss.ims.test", "ims.test", true);
    peer.tc = Duration::from_millis(200);
    c.peers.push(Peer {
        config: peer,
        address: Some(hss),
        transport: Transport::Tcp,
        tls_name: None,
    });
    c.routes.push(Route {
        realm: "ims.test".to_owned(),
        application: None,
        peer_host: "hss.ims.test".to_owned(),
        metric: 1,
    });
    let me = origin_host.to_owned();
    let handlers = Handlers::new().with(ims_hss::node::CX_APPLICATION, move |request| {
        let me = me.clone();
        async move { unable_to_comply(&request, &me) }
    });
    DiameterNode::start(c, handlers).await.unwrap()
}

async fn assign(bed: &Bed, impu: &str, host: &str) {
    bed.node
        .hss()
        .store()
        .set_registration(
            impu,
            &ImpuRegistration {
                state: RegistrationState::Registered,
                scscf_name: Some(format!("sip:{host}:5080")),
                origin_host: Some(host.to_owned()),
            },
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtr_that_fails_leaves_the_registration() {
    let bed = start(22).await;
    // An S-CSCF that never connected: no route.
    assign(&bed, "sip:alice@ims.test", "scscf.gone.test").await;
    let e = call(&bed, "hss.deregister", json!({ "impi": "alice@ims.test" }))
        .await
        .unwrap_err();
    assert_eq!(e["code"], -32003, "{e}");
    assert_eq!(
        e["message"],
        "RTR for sip:alice@ims.test to S-CSCF scscf.gone.test: no route"
    );
    let shown = call(&bed, "hss.show", json!({ "impi": "alice@ims.test" }))
        .await
        .unwrap();
    assert_eq!(shown["impus"][0]["state"], "registered");
    let e = call(
        &bed,
        "hss.set_profile",
        json!({ "impi": "alice@ims.test", "profile": "default" }),
    )
    .await
    .unwrap_err();
    assert_eq!(e["code"], -32003);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("profile stored, but PPR for sip:alice@ims.test"),
        "{e}"
    );

    // An S-CSCF that answers 5012: the result is named, the store unchanged.
    let hss_addr = bed.node.local_addrs()[0];
    let scscf = refusing_scscf("scscf.refuse.test", hss_addr).await;
    assign(&bed, "sip:bob@ims.test", "scscf.refuse.test").await;
    let mut last = Value::Null;
    for _ in 0..100 {
        match call(
            &bed,
            "hss.deregister",
            json!({ "impu": "sip:bob@ims.test", "reason": "SERVER_CHANGE" }),
        )
        .await
        {
            Err(e) if e["code"] == -32004 => {
                last = e;
                break;
            }
            // Until its CER/CEA is done the HSS has no route to it.
            Err(e) => {
                last = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(v) => panic!("de-registered by a refusing S-CSCF: {v}"),
        }
    }
    assert_eq!(last["code"], -32004, "{last}");
    assert_eq!(
        last["message"],
        "RTR for sip:bob@ims.test: S-CSCF scscf.refuse.test answered DIAMETER_UNABLE_TO_COMPLY (5012)"
    );
    assert_eq!(last["data"]["result"]["code"], 5012);
    let shown = call(&bed, "hss.show", json!({ "impi": "bob@ims.test" }))
        .await
        .unwrap();
    assert_eq!(shown["impus"][0]["state"], "registered");
    assert_eq!(shown["impus"][0]["origin_host"], "scscf.refuse.test");
    scscf.shutdown().await;
    bed.stop().await;
}
