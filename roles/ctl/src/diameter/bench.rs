//! `imsctl diameter bench`: N Cx UAR requests over one connection with K in flight; reports
//! answers/s, and the server's CPU time per answer from `/proc/PID/stat` when given its PID.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use bytes::{Bytes, BytesMut};
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cx;
use diameter_codec::{Message, MessageBuilder, WriteAvps};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use super::session::{result_code, Identity, Session};

/// Options of `bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Requests to send.
    #[arg(short = 'n', long, default_value_t = 20_000)]
    pub requests: u32,
    /// Requests in flight.
    #[arg(short = 'k', long, default_value_t = 64)]
    pub inflight: u32,
    /// Destination-Realm of the requests.
    #[arg(long, default_value = "ims.test")]
    pub destination_realm: String,
    /// PID of the server, to read its CPU time from /proc/PID/stat.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Label for the result line.
    #[arg(long, default_value = "server")]
    pub label: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub max_secs: u64,
}

/// utime + stime of `pid` in clock ticks (fields 14 and 15 of /proc/PID/stat).
pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    parse_stat_ticks(&s).ok_or_else(|| anyhow!("unparsable /proc/{pid}/stat"))
}

fn parse_stat_ticks(s: &str) -> Option<u64> {
    // The command name (field 2) may hold spaces: fields restart after the last ')'.
    let rest = s.get(s.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3: utime is field 14 → index 11, stime → 12.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn uar(hbh: u32, id: &Identity, realm: &str) -> Bytes {
    let mut m = MessageBuilder::request(&cx::cmd::UAR, hbh, hbh);
    let sid = format!("{};bench;{hbh}", id.origin_host);
    m.put(&b::SESSION_ID, sid.as_str())
        .put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
            g.put(&b::VENDOR_ID, &10415)
                .put(&b::AUTH_APPLICATION_ID, &16_777_216);
        })
        .put(
            &b::AUTH_SESSION_STATE,
            &diameter_codec::generated::base::AuthSessionState::NO_STATE_MAINTAINED,
        )
        .put(&b::ORIGIN_HOST, id.origin_host.as_str())
        .put(&b::ORIGIN_REALM, id.origin_realm.as_str())
        .put(&b::DESTINATION_REALM, realm)
        .put(&b::USER_NAME, "alice@ims.test")
        .put(&cx::avp::PUBLIC_IDENTITY, "sip:alice@ims.test")
        .put(&cx::avp::VISITED_NETWORK_IDENTIFIER, b"ims.test".as_slice());
    m.finish()
}

/// Runs the bench and prints one Markdown table row.
pub async fn run(addr: SocketAddr, id: &Identity, args: &BenchArgs) -> anyhow::Result<()> {
    let mut s = Session::connect(addr, id).await?;
    s.handshake().await?;
    let base = s.next_id();
    let (mut reader, mut writer) = s.into_parts();
    let n = args.requests;
    let permits = Arc::new(Semaphore::new(args.inflight.max(1) as usize));
    let cpu0 = args.server_pid.map(cpu_ticks).transpose()?;
    let start = Instant::now();
    let w_permits = permits.clone();
    let id2 = id.clone();
    let realm = args.destination_realm.clone();
    let writer_task = tokio::spawn(async move {
        let mut sent = 0u32;
        let mut batch = BytesMut::with_capacity(64 * 1024);
        while sent < n {
            let Ok(p) = w_permits.acquire().await else {
                break;
            };
            p.forget();
            let mut k = 1;
            while sent + k < n && k < 128 {
                match w_permits.try_acquire() {
                    Ok(p) => {
                        p.forget();
                        k += 1;
                    }
                    Err(_) => break,
                }
            }
            batch.clear();
            for i in 0..k {
                batch.extend_from_slice(&uar(base.wrapping_add(1 + sent + i), &id2, &realm));
            }
            sent += k;
            if writer.write_all(&batch).await.is_err() {
                break;
            }
        }
        writer
    });
    let mut codes: BTreeMap<u32, u32> = BTreeMap::new();
    let mut got = 0u32;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.max_secs);
    while got < n {
        let frame = tokio::time::timeout_at(deadline, reader.next_frame())
            .await
            .map_err(|_| anyhow!("bench timed out after {got} answers"))??
            .ok_or_else(|| anyhow!("connection closed after {got} answers"))?;
        let m = Message::decode(frame).map_err(|e| anyhow!("bad answer: {e}"))?;
        if m.header().flags.is_request() {
            continue; // a DWR from the server during a long run: not counted
        }
        got += 1;
        *codes.entry(result_code(&m).unwrap_or(0)).or_default() += 1;
        permits.add_permits(1);
    }
    let elapsed = start.elapsed();
    let cpu1 = args.server_pid.map(cpu_ticks).transpose()?;
    let mut writer = writer_task.await?;
    let _ = writer.shutdown().await;
    let rate = f64::from(got) / elapsed.as_secs_f64();
    let cpu = match (cpu0, cpu1) {
        (Some(a), Some(b)) => {
            let ms = (b.saturating_sub(a)) as f64 * 10.0; // 100 ticks/s (USER_HZ)
            format!("{ms:.0} | {:.1}", ms * 1000.0 / f64::from(got.max(1)))
        }
        _ => "- | -".to_owned(),
    };
    let codes_s = codes
        .iter()
        .map(|(c, k)| format!("{c}×{k}"))
        .collect::<Vec<_>>()
        .join(" ");
    println!(
        "| {} | {} | {} | {:.2} | {:.0} | {} | {} |",
        args.label,
        got,
        args.inflight,
        elapsed.as_secs_f64(),
        rate,
        cpu,
        codes_s
    );
    if got < n {
        bail!("only {got} of {n} answers");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields() {
        let line = "1234 (free Diameter d) S 1 2 3 4 5 6 7 8 9 10 250 17 0 0 20 0 4";
        assert_eq!(parse_stat_ticks(line), Some(267));
        assert_eq!(parse_stat_ticks("garbage"), None);
    }

    #[test]
    fn uar_is_valid() {
        let id = Identity {
            origin_host: "c.ims.test".into(),
            origin_realm: "ims.test".into(),
            tls: None,
            tls_name: None,
            auth_apps: vec![],
            timeout: 1,
        };
        let m = Message::decode(uar(5, &id, "ims.test")).unwrap();
        diameter_codec::validate(&m, &cx::cmd::UAR).unwrap();
    }
}
