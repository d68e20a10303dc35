//! The HSS's admin API against the whole lab (127.0.5.0/24), over real sockets end to end: an
//! operator's `hss.deregister` makes the HSS send RTR to the S-CSCF, which drops the user's
//! binding (a MESSAGE to her then gets 480); with the S-CSCF gone the call fails naming it and
//! the HSS keeps the registration; `hss.set_profile` on a registered user reaches the S-CSCF
//! by PPR, and her next INVITE follows the new iFC through an application server;
//! `hss.delete` of a registered user de-registers her first.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, SocketAddr};

use ims_e2e::{Credentials, Ue};
use ims_lab::Lab;
use imsctl::admin_client::{AdminClient, ClientError};
use serde_json::{json, Value};
use sip_types::{Method, StatusCode};

mod common;

/// The lab and a client on its HSS's admin API.
struct Bed {
    inner: common::Bed,
    ip: IpAddr,
    admin: AdminClient,
}

impl Bed {
    async fn start(n: u8) -> Self {
        let ip = IpAddr::from([127, 0, 5, n]);
        let inner = common::Bed::start(ip, "e2e-admin").await;
        // roles/config/hss.toml's [admin] section, rendered onto the lab's address.
        let admin_addr = inner.lab().hss.admin_addr().unwrap();
        assert_eq!(admin_addr, SocketAddr::new(ip, 9100));
        let admin = AdminClient::new(&format!("http://{admin_addr}"), None).unwrap();
        Self { inner, ip, admin }
    }

    fn lab(&self) -> &Lab {
        self.inner.lab()
    }

    async fn ue(&self, name: &str, credentials: Credentials) -> Ue {
        self.inner.ue(name, credentials).await
    }

    async fn registered(&self, name: &str) -> Ue {
        let mut ue = if name == "alice" {
            self.ue(name, Credentials::demo_aka()).await
        } else {
            self.ue(name, Credentials::Password(format!("{name}-secret")))
                .await
        };
        let algorithm = if name == "alice" { "AKAv1-MD5" } else { "MD5" };
        let ok = ue.register(600, algorithm).await.unwrap();
        assert_eq!(ok.status(), Some(StatusCode::OK), "{ok:?}");
        ue
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        self.admin.call(method, params).await
    }

    /// The HSS's view of `impi`'s first public identity: (state, S-CSCF).
    async fn hss_state(&self, impi: &str) -> (String, Value) {
        let show = self
            .call("hss.show", json!({ "impi": impi }))
            .await
            .unwrap();
        let impu = &show["impus"][0];
        (
            impu["state"].as_str().unwrap().to_owned(),
            impu["scscf"].clone(),
        )
    }

    async fn bindings(&self, aor: &str) -> usize {
        self.inner.bindings(aor).await
    }

    async fn stop(self) {
        self.inner.stop().await;
    }
}

fn rpc_code(e: &ClientError) -> i64 {
    match e {
        ClientError::Rpc { code, .. } => *code,
        other => panic!("not a JSON-RPC error: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deregister_sends_rtr_and_the_scscf_drops_the_binding() {
    let bed = Bed::start(11).await;
    let mut alice = bed.registered("alice").await;
    let mut bob = bed.registered("bob").await;
    assert_eq!(bed.bindings("sip:alice@ims.test").await, 1);
    let (state, scscf) = bed.hss_state("alice@ims.test").await;
    assert_eq!(state, "registered");
    assert_eq!(scscf, "sip:scscf.ims.test:5080");

    let result = bed
        .call(
            "hss.deregister",
            json!({
                "impu": "sip:alice@ims.test",
                "reason": "PERMANENT_TERMINATION",
                "reason_info": "contract ended",
            }),
        )
        .await
        .unwrap();
    assert_eq!(result["identity"], "sip:alice@ims.test");
    assert_eq!(result["reason"], "PERMANENT_TERMINATION");
    let rta = &result["rtr"][0];
    assert_eq!(rta["result"]["code"], 2001, "{result}");
    assert_eq!(rta["result"]["name"], "DIAMETER_SUCCESS");
    assert_eq!(rta["destination_host"], "scscf.ims.test");
    assert_eq!(rta["impus"], json!(["sip:alice@ims.test"]));

    // The HSS forgot the assignment, the S-CSCF the binding.
    assert_eq!(
        bed.hss_state("alice@ims.test").await,
        ("not-registered".to_owned(), Value::Null)
    );
    assert_eq!(bed.bindings("sip:alice@ims.test").await, 0);
    let (message, _) = bob.request(
        Method::MESSAGE,
        "sip:alice@ims.test",
        "",
        Some(("text/plain", "still there?")),
    );
    bob.send(message.as_bytes()).await.unwrap();
    let answer = bob.final_response("480 to MESSAGE").await.unwrap();
    assert_eq!(
        answer.status(),
        Some(StatusCode::TEMPORARILY_UNAVAILABLE),
        "{answer:?}"
    );

    // Nothing left to de-register; unknown identities and reasons are named.
    let e = bed
        .call("hss.deregister", json!({ "impi": "alice@ims.test" }))
        .await
        .unwrap_err();
    assert_eq!(rpc_code(&e), -32002, "{e}");
    assert!(e.to_string().contains("alice@ims.test"), "{e}");
    let e = bed
        .call("hss.deregister", json!({ "impu": "sip:nobody@ims.test" }))
        .await
        .unwrap_err();
    assert_eq!(rpc_code(&e), -32001, "{e}");
    let e = bed
        .call(
            "hss.deregister",
            json!({ "impu": "sip:bob@ims.test", "reason": "BORED" }),
        )
        .await
        .unwrap_err();
    assert_eq!(rpc_code(&e), -32602, "{e}");
    assert_eq!(bed.bindings("sip:bob@ims.test").await, 1);

    // Her next REGISTER is an initial registration again: challenged, then 200.
    let again = alice.register(600, "AKAv1-MD5").await.unwrap();
    assert_eq!(again.status(), Some(StatusCode::OK), "{again:?}");
    assert_eq!(bed.hss_state("alice@ims.test").await.0, "registered");
    assert_eq!(bed.bindings("sip:alice@ims.test").await, 1);
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deregister_with_the_scscf_gone_names_it_and_changes_nothing() {
    let mut bed = Bed::start(12).await;
    let _alice = bed.registered("alice").await;
    // The S-CSCF stops (its Diameter connection to the HSS closes with DPR).
    let lab = bed.inner.take_lab().unwrap();
    lab.pcscf.stop().await;
    lab.icscf.stop().await;
    lab.scscf.stop().await;
    let e = bed
        .call("hss.deregister", json!({ "impu": "sip:alice@ims.test" }))
        .await
        .unwrap_err();
    assert_eq!(rpc_code(&e), -32003, "{e}");
    let ClientError::Rpc { message, data, .. } = &e else {
        unreachable!()
    };
    assert!(
        message.starts_with("RTR for sip:alice@ims.test to S-CSCF scscf.ims.test:"),
        "{message}"
    );
    assert_eq!(data.as_ref().unwrap()["destination_host"], "scscf.ims.test");
    // The store is unchanged (TS 29.228 §6.1.3: only a successful RTA de-registers).
    let show = bed
        .call("hss.show", json!({ "impi": "alice@ims.test" }))
        .await
        .unwrap();
    assert_eq!(show["impus"][0]["state"], "registered");
    // hss.delete refuses to delete a subscriber it cannot de-register.
    let e = bed
        .call("hss.delete", json!({ "impi": "alice@ims.test" }))
        .await
        .unwrap_err();
    assert_eq!(rpc_code(&e), -32003, "{e}");
    assert!(bed
        .call("hss.show", json!({ "impi": "alice@ims.test" }))
        .await
        .is_ok());
    lab.cdf.stop().await;
    lab.ocs.stop().await;
    lab.hss.stop().await;
    bed.stop().await;
}

/// An iFC sending the INVITEs the user originates (session case 0) to `as_addr`.
fn as_profile(as_addr: SocketAddr) -> String {
    format!(
        "<ServiceProfile><InitialFilterCriteria><Priority>1</Priority><TriggerPoint>\
         <ConditionTypeCNF>0</ConditionTypeCNF>\
         <SPT><ConditionNegated>0</ConditionNegated><Group>0</Group><Method>INVITE</Method></SPT>\
         <SPT><ConditionNegated>0</ConditionNegated><Group>0</Group><SessionCase>0</SessionCase></SPT>\
         </TriggerPoint><ApplicationServer><ServerName>sip:{as_addr}</ServerName>\
         <DefaultHandling>0</DefaultHandling></ApplicationServer></InitialFilterCriteria></ServiceProfile>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_profile_pushes_ppr_and_delete_deregisters_first() {
    let bed = Bed::start(13).await;
    let app_server = tokio::net::UdpSocket::bind((bed.ip, 0)).await.unwrap();
    let as_addr = app_server.local_addr().unwrap();
    let mut alice = bed.registered("alice").await;
    let _bob = bed.registered("bob").await;
    let before = bed
        .lab()
        .scscf
        .shared()
        .profiles
        .get("sip:alice@ims.test")
        .unwrap();

    let bad = bed
        .call(
            "hss.set_profile",
            json!({ "impi": "alice@ims.test", "profile_xml": "<nonsense/>" }),
        )
        .await
        .unwrap_err();
    assert_eq!(rpc_code(&bad), -32602, "{bad}");

    let result = bed
        .call(
            "hss.set_profile",
            json!({ "impi": "alice@ims.test", "profile_xml": as_profile(as_addr) }),
        )
        .await
        .unwrap();
    assert_eq!(result["profile"], "alice@ims.test");
    assert_eq!(result["ppr"][0]["result"]["code"], 2001, "{result}");
    assert_eq!(result["ppr"][0]["destination_host"], "scscf.ims.test");
    let after = bed
        .lab()
        .scscf
        .shared()
        .profiles
        .get("sip:alice@ims.test")
        .unwrap();
    assert!(!std::sync::Arc::ptr_eq(&before, &after), "profile replaced");
    let show = bed
        .call("hss.show", json!({ "impi": "alice@ims.test" }))
        .await
        .unwrap();
    assert_eq!(show["impus"][0]["service_profile"], "alice@ims.test");
    assert_eq!(show["impus"][0]["state"], "registered");

    // Without re-registering, her INVITE now visits the application server.
    let (invite, call_id) = alice.request(Method::INVITE, "sip:bob@ims.test", "", None);
    alice.send(invite.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 65_535];
    let (n, _) = tokio::time::timeout(ims_e2e::WAIT, app_server.recv_from(&mut buf))
        .await
        .expect("the INVITE reaches the AS")
        .unwrap();
    let at_as = sip_types::Message::parse(bytes::Bytes::copy_from_slice(&buf[..n])).unwrap();
    assert_eq!(at_as.method(), Some(&Method::INVITE));
    assert_eq!(at_as.call_id(), Ok(call_id.as_str()));

    // Deleting registered bob de-registers him first.
    let deleted = bed
        .call("hss.delete", json!({ "impi": "bob@ims.test" }))
        .await
        .unwrap();
    assert_eq!(
        deleted["deregistered"][0]["result"]["code"], 2001,
        "{deleted}"
    );
    assert_eq!(deleted["removed_impus"], json!(["sip:bob@ims.test"]));
    assert_eq!(bed.bindings("sip:bob@ims.test").await, 0);
    let e = bed
        .call("hss.show", json!({ "impi": "bob@ims.test" }))
        .await
        .unwrap_err();
    assert_eq!(rpc_code(&e), -32001);
    bed.stop().await;
}
