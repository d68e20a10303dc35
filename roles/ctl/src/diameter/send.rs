//! `imsctl diameter send`: CER/CEA, then one request from a TOML file; prints the answer's AVPs
//! by name.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;

use super::session::{result_code, Identity, Session};

/// Sends the request in `file`; Ok when an answer arrived (its Result-Code is printed, and a
/// non-2xxx code is an error).
pub async fn run(addr: SocketAddr, file: &Path, id: &Identity) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut s = Session::connect(addr, id).await?;
    s.handshake().await?;
    let hbh = s.next_id();
    let req = super::msgfile::encode(&text, hbh, &id.origin_host, &id.origin_realm)?;
    let (answer, rtt) = s.exchange(req).await?;
    print!("{}", super::print::render(&answer));
    println!("RTT: {:.3} ms", rtt.as_secs_f64() * 1e3);
    let dpr = s.dpr();
    let _ = s.exchange(dpr).await;
    s.close().await;
    match result_code(&answer) {
        Some(c) if (2000..3000).contains(&c) => Ok(()),
        other => anyhow::bail!("answer Result-Code {other:?}"),
    }
}
