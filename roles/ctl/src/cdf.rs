//! `imsctl cdf export`: the CDRs (TS 32.260 IMS records, one per ACR) or the correlated call
//! details of the CDF database as CSV (RFC 4180) or JSON lines, through `ims_cdf::export`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use ims_cdf::{export_call_details, export_records, CdrStore, ExportFormat, TimeRange};
use ims_store::SqlOptions;

use crate::db::DbArgs;

/// `[store] url` of roles/config/cdf.toml.
pub(crate) const DEFAULT_DB: &str = "sqlite:./ims-lab-data/cdf.db";

/// `imsctl cdf` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum CdfCmd {
    /// Export CDRs (or call details with --calls), ordered by record time.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Only records at or after: Unix seconds, 2026-11-26, 2026-11-26T10:00:00Z (or with
        /// +hh:mm), or an age such as 90s, 15m, 2h, 7d.
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only records before this time (same forms as --since).
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Export one correlated call detail per session (START…STOP) instead of raw CDRs.
        #[arg(long)]
        calls: bool,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// CSV with a header line (RFC 4180).
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Runs one `imsctl cdf` command.
pub(crate) async fn run(cmd: CdfCmd, db: &DbArgs) -> anyhow::Result<()> {
    let CdfCmd::Export {
        format,
        out,
        since,
        until,
        calls,
    } = cmd;
    let now = unix_now();
    let range = TimeRange {
        from: since.as_deref().map(|s| parse_time(s, now)).transpose()?,
        to: until.as_deref().map(|s| parse_time(s, now)).transpose()?,
    };
    let format = match format {
        Format::Csv => ExportFormat::Csv,
        Format::Jsonl => ExportFormat::JsonLines,
    };
    let target = db.target(DEFAULT_DB)?;
    target.prepare(false)?;
    let mut options = SqlOptions::new(target.url.clone());
    options.max_connections = 2;
    if let Some(s) = target.schema {
        options = options.with_schema(s);
    }
    let store = CdrStore::open(&options)
        .await
        .with_context(|| format!("opening the CDF database {}", target.url))?;
    let r = export(&store, &range, format, out, calls).await;
    store.close().await;
    let (n, dest) = r?;
    eprintln!(
        "exported {n} {} to {dest}",
        if calls { "call details" } else { "records" }
    );
    Ok(())
}

async fn export(
    store: &CdrStore,
    range: &TimeRange,
    format: ExportFormat,
    out: Option<PathBuf>,
    calls: bool,
) -> anyhow::Result<(usize, String)> {
    let (mut w, dest): (Box<dyn Write>, String) = match &out {
        Some(path) => {
            let f = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            (
                Box::new(std::io::BufWriter::new(f)),
                path.display().to_string(),
            )
        }
        None => (
            Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            "standard output".to_owned(),
        ),
    };
    let n = if calls {
        export_call_details(store, range, format, &mut w).await?
    } else {
        export_records(store, range, format, &mut w).await?
    };
    w.flush().context("writing the export")?;
    Ok((n, dest))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Unix seconds of a `--since`/`--until` value (see [`CdfCmd::Export`]).
fn parse_time(s: &str, now: u64) -> anyhow::Result<u64> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(secs);
    }
    if let Some(unit) = s.chars().last().filter(|c| "smhd".contains(*c)) {
        if let Some(Ok(n)) = s.strip_suffix(unit).map(str::parse::<u64>) {
            let scale = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3_600,
                _ => 86_400,
            };
            return Ok(now.saturating_sub(n.saturating_mul(scale)));
        }
    }
    rfc3339(s).with_context(|| {
        format!("time {s:?}: use Unix seconds, YYYY-MM-DD[THH:MM[:SS]][Z|±hh:mm] or an age like 2h")
    })
}

/// `YYYY-MM-DD[THH:MM[:SS]][Z|±hh:mm]` (RFC 3339, UTC when no offset is given).
fn rfc3339(s: &str) -> anyhow::Result<u64> {
    let num = |t: &str| -> anyhow::Result<i64> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            bail!("{t:?} is not a number");
        }
        Ok(t.parse()?)
    };
    let (date, time) = match s.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut d = date.splitn(3, '-');
    let (Some(y), Some(mo), Some(da)) = (d.next(), d.next(), d.next()) else {
        bail!("date {date:?}");
    };
    let (y, mo, da) = (num(y)?, num(mo)?, num(da)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        bail!("date {date:?} out of range");
    }
    let mut secs = days_from_civil(y, mo, da) * 86_400;
    if let Some(t) = time {
        let (clock, offset) = if let Some(c) = t.strip_suffix(['Z', 'z']) {
            (c, 0)
        } else if let Some(i) = t.rfind(['+', '-']) {
            let (c, off) = t.split_at(i);
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let Some((oh, om)) = off.get(1..).and_then(|o| o.split_once(':')) else {
                bail!("offset {off:?}");
            };
            (c, sign * (num(oh)? * 3_600 + num(om)? * 60))
        } else {
            (t, 0)
        };
        let mut parts = clock.split(':');
        let h = num(parts.next().unwrap_or_default())?;
        let m = num(parts.next().unwrap_or_default())?;
        let sec = match parts.next() {
            // Fractions of a second are dropped.
            Some(v) => num(v.split('.').next().unwrap_or_default())?,
            None => 0,
        };
        if parts.next().is_some() || h > 23 || m > 59 || sec > 60 {
            bail!("time {clock:?}");
        }
        secs += h * 3_600 + m * 60 + sec - offset;
    }
    u64::try_from(secs).context("time before 1970")
}

/// Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let now = 1_000_000;
        assert_eq!(parse_time("1790000000", now).ok(), Some(1_790_000_000));
        assert_eq!(parse_time("2h", now).ok(), Some(now - 7_200));
        assert_eq!(parse_time("1970-01-02", now).ok(), Some(86_400));
        assert_eq!(
            parse_time("2000-02-29T00:00:00Z", now).ok(),
            Some(951_782_400)
        );
        assert_eq!(
            parse_time("2026-12-31T23:59:59Z", now).ok(),
            Some(1_798_761_599)
        );
        assert_eq!(
            parse_time("2027-01-01T01:00:00+01:00", now).ok(),
            Some(1_798_761_600)
        );
        assert_eq!(
            parse_time("2026-12-31T23:59", now).ok(),
            Some(1_798_761_540)
        );
        for bad in [
            "yesterday",
            "2026-13-01",
            "2026-01-01T25:00Z",
            "1969-12-31",
            "x1h",
        ] {
            assert!(parse_time(bad, now).is_err(), "{bad}");
        }
    }
}
