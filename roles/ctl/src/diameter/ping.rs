//! `imsctl diameter ping`: CER/CEA, DWR/DWA and DPR/DPA against a peer, with round-trip
//! times (RFC 6733 §5.3, §5.5, §5.4).

use std::net::SocketAddr;

use anyhow::bail;
use diameter_codec::generated::base::avp as b;
use diameter_codec::{AvpContainer, Message};

use super::session::{result_code, Identity, Session};

fn text(
    m: &Message,
    def: &diameter_codec::AvpDef<diameter_codec::format::DiameterIdentity>,
) -> String {
    m.get(def)
        .ok()
        .flatten()
        .map_or_else(|| "-".to_owned(), |v| v.as_str().to_owned())
}

/// The applications a CER/CEA advertises, as text.
pub fn applications(m: &Message) -> Vec<String> {
    let mut out = Vec::new();
    for a in m.get_all(&b::AUTH_APPLICATION_ID).unwrap_or_default() {
        out.push(format!("auth:{a}"));
    }
    for a in m.get_all(&b::ACCT_APPLICATION_ID).unwrap_or_default() {
        out.push(format!("acct:{a}"));
    }
    for g in m
        .get_all(&b::VENDOR_SPECIFIC_APPLICATION_ID)
        .unwrap_or_default()
    {
        let v = g.get(&b::VENDOR_ID).ok().flatten().unwrap_or(0);
        if let Ok(Some(a)) = g.get(&b::AUTH_APPLICATION_ID) {
            out.push(format!("vendor-auth:{v}/{a}"));
        }
        if let Ok(Some(a)) = g.get(&b::ACCT_APPLICATION_ID) {
            out.push(format!("vendor-acct:{v}/{a}"));
        }
    }
    out
}

/// Runs the ping; Ok only when CEA, DWA and DPA all carry 2001.
pub async fn run(addr: SocketAddr, id: &Identity) -> anyhow::Result<()> {
    let mut s = Session::connect(addr, id).await?;
    let cer = s.cer();
    let (cea, rtt) = s.exchange(cer).await?;
    let rc = result_code(&cea);
    println!(
        "CEA Result-Code: {}",
        rc.map_or_else(|| "-".into(), |c| c.to_string())
    );
    println!("Origin-Host: {}", text(&cea, &b::ORIGIN_HOST));
    println!("Origin-Realm: {}", text(&cea, &b::ORIGIN_REALM));
    println!(
        "Product-Name: {}",
        cea.get(&b::PRODUCT_NAME)
            .ok()
            .flatten()
            .map_or_else(|| "-".to_owned(), |v| v.as_str().to_owned())
    );
    println!("Applications: {}", applications(&cea).join(" "));
    println!("CEA RTT: {:.3} ms", rtt.as_secs_f64() * 1e3);
    if rc != Some(2001) {
        bail!("CER refused with {rc:?}");
    }
    let dwr = s.dwr();
    let (dwa, rtt) = s.exchange(dwr).await?;
    let rc = result_code(&dwa);
    println!(
        "DWA Result-Code: {} RTT: {:.3} ms",
        rc.unwrap_or(0),
        rtt.as_secs_f64() * 1e3
    );
    if rc != Some(2001) {
        bail!("DWR answered {rc:?}");
    }
    let dpr = s.dpr();
    let (dpa, rtt) = s.exchange(dpr).await?;
    let rc = result_code(&dpa);
    println!(
        "DPA Result-Code: {} RTT: {:.3} ms",
        rc.unwrap_or(0),
        rtt.as_secs_f64() * 1e3
    );
    s.close().await;
    if rc != Some(2001) {
        bail!("DPR answered {rc:?}");
    }
    Ok(())
}
