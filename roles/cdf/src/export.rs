//! Export of CDRs and call details as CSV (RFC 4180: CRLF lines, a header line, fields with
//! `,` `"` CR or LF quoted and quotes doubled) or JSON lines (one RFC 8259 object per line).
//! Times are RFC 3339 UTC strings; absent values are empty (CSV) or `null` (JSON). These are
//! the functions behind `imsctl cdf export`.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::str::FromStr;

use crate::call_detail::CallDetail;
use crate::store::{Cdr, CdrStore, TimeRange};
use crate::CdfError;

/// The output format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values, RFC 4180.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl FromStr for ExportFormat {
    type Err = CdfError;
    /// `csv`, or `json` / `jsonl` / `ndjson`.
    fn from_str(s: &str) -> Result<Self, CdfError> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "json" | "jsonl" | "ndjson" => Ok(Self::JsonLines),
            _ => Err(CdfError::Config(format!(
                "export format {s:?}: use csv or json"
            ))),
        }
    }
}

/// One exported value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field<'a> {
    /// Absent.
    Null,
    /// Text.
    Text(&'a str),
    /// An integer.
    Int(i64),
    /// A time in Unix seconds, written as RFC 3339 UTC.
    Time(u64),
    /// A flag.
    Bool(bool),
}

/// A row type that can be exported: fixed column names and one field per column.
pub trait ExportRow {
    /// Column names (CSV header, JSON keys).
    const COLUMNS: &'static [&'static str];
    /// The fields, in [`ExportRow::COLUMNS`] order.
    fn fields(&self) -> Vec<Field<'_>>;
}

fn text(v: &Option<String>) -> Field<'_> {
    v.as_deref().map_or(Field::Null, Field::Text)
}

fn time(v: Option<u64>) -> Field<'static> {
    v.map_or(Field::Null, Field::Time)
}

fn int<T: Into<i64>>(v: Option<T>) -> Field<'static> {
    v.map_or(Field::Null, |v| Field::Int(v.into()))
}

impl ExportRow for Cdr {
    const COLUMNS: &'static [&'static str] = &[
        "session_id",
        "record_type",
        "record_number",
        "record_time",
        "received_at",
        "origin_host",
        "origin_realm",
        "user_name",
        "event_timestamp",
        "sip_method",
        "event",
        "expires",
        "role_of_node",
        "node_functionality",
        "user_session_id",
        "calling_party_address",
        "called_party_address",
        "sip_request_timestamp",
        "sip_response_timestamp",
        "originating_ioi",
        "terminating_ioi",
        "ims_charging_identifier",
        "sdp_session_description",
        "sdp_media",
        "cause_code",
    ];

    fn fields(&self) -> Vec<Field<'_>> {
        let r = &self.record;
        vec![
            Field::Text(&r.session_id),
            Field::Text(r.record_type.as_str()),
            Field::Int(r.record_number.into()),
            Field::Time(self.record_time),
            Field::Time(r.received_at),
            Field::Text(&r.origin_host),
            Field::Text(&r.origin_realm),
            text(&r.user_name),
            time(r.event_timestamp),
            text(&r.sip_method),
            text(&r.event),
            int(r.expires),
            int(r.role_of_node),
            int(r.node_functionality),
            text(&r.user_session_id),
            text(&r.calling_party_address),
            text(&r.called_party_address),
            time(r.sip_request_timestamp),
            time(r.sip_response_timestamp),
            text(&r.originating_ioi),
            text(&r.terminating_ioi),
            text(&r.ims_charging_identifier),
            text(&r.sdp_session_description),
            text(&r.sdp_media),
            int(r.cause_code),
        ]
    }
}

impl ExportRow for CallDetail {
    const COLUMNS: &'static [&'static str] = &[
        "session_id",
        "ims_charging_identifier",
        "user_session_id",
        "calling_party_address",
        "called_party_address",
        "origin_host",
        "node_functionality",
        "role_of_node",
        "start_time",
        "stop_time",
        "duration",
        "interim_count",
        "record_count",
        "last_record_number",
        "cause_code",
        "complete",
    ];

    fn fields(&self) -> Vec<Field<'_>> {
        vec![
            Field::Text(&self.session_id),
            text(&self.ims_charging_identifier),
            text(&self.user_session_id),
            text(&self.calling_party_address),
            text(&self.called_party_address),
            Field::Text(&self.origin_host),
            int(self.node_functionality),
            int(self.role_of_node),
            time(self.start_time),
            time(self.stop_time),
            self.duration.map_or(Field::Null, |d| {
                Field::Int(i64::try_from(d).unwrap_or(i64::MAX))
            }),
            Field::Int(self.interim_count.into()),
            Field::Int(self.record_count.into()),
            Field::Int(self.last_record_number.into()),
            int(self.cause_code),
            Field::Bool(self.is_complete()),
        ]
    }
}

/// Writes `rows` as CSV with a header line.
pub fn write_csv<R: ExportRow, W: Write>(rows: &[R], out: &mut W) -> io::Result<()> {
    out.write_all(R::COLUMNS.join(",").as_bytes())?;
    out.write_all(b"\r\n")?;
    let mut line = String::new();
    for row in rows {
        line.clear();
        for (i, f) in row.fields().iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            match *f {
                Field::Null => {}
                Field::Text(s) => csv_field(&mut line, s),
                Field::Int(v) => {
                    let _ = write!(line, "{v}");
                }
                Field::Time(t) => rfc3339(&mut line, t),
                Field::Bool(v) => line.push_str(if v { "true" } else { "false" }),
            }
        }
        line.push_str("\r\n");
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Writes `rows` as JSON lines.
pub fn write_json_lines<R: ExportRow, W: Write>(rows: &[R], out: &mut W) -> io::Result<()> {
    let mut line = String::new();
    for row in rows {
        line.clear();
        line.push('{');
        for (i, (name, f)) in R::COLUMNS.iter().zip(row.fields()).enumerate() {
            if i > 0 {
                line.push(',');
            }
            json_string(&mut line, name);
            line.push(':');
            match f {
                Field::Null => line.push_str("null"),
                Field::Text(s) => json_string(&mut line, s),
                Field::Int(v) => {
                    let _ = write!(line, "{v}");
                }
                Field::Time(t) => {
                    line.push('"');
                    rfc3339(&mut line, t);
                    line.push('"');
                }
                Field::Bool(v) => line.push_str(if v { "true" } else { "false" }),
            }
        }
        line.push_str("}\n");
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Writes `rows` in `format`.
pub fn write_rows<R: ExportRow, W: Write>(
    rows: &[R],
    format: ExportFormat,
    out: &mut W,
) -> io::Result<()> {
    match format {
        ExportFormat::Csv => write_csv(rows, out),
        ExportFormat::JsonLines => write_json_lines(rows, out),
    }
}

/// Exports the CDRs filed in `range`; returns how many were written.
pub async fn export_records<W: Write>(
    store: &CdrStore,
    range: &TimeRange,
    format: ExportFormat,
    out: &mut W,
) -> Result<usize, CdfError> {
    let rows = store.records(range).await?;
    write_rows(&rows, format, out)?;
    Ok(rows.len())
}

/// Exports the call details of the sessions with a record in `range`; returns how many were
/// written.
pub async fn export_call_details<W: Write>(
    store: &CdrStore,
    range: &TimeRange,
    format: ExportFormat,
    out: &mut W,
) -> Result<usize, CdfError> {
    let rows = store.call_details(range).await?;
    write_rows(&rows, format, out)?;
    Ok(rows.len())
}

/// Appends a CSV field, quoted when it holds `,` `"` CR or LF or starts or ends with a space.
fn csv_field(out: &mut String, s: &str) {
    let quote = s.contains([',', '"', '\r', '\n']) || s.starts_with(' ') || s.ends_with(' ');
    if quote {
        out.push('"');
        for ch in s.chars() {
            if ch == '"' {
                out.push('"');
            }
            out.push(ch);
        }
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// Appends a JSON string literal (RFC 8259 §7).
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, RFC 3339).
fn rfc3339(out: &mut String, secs: u64) {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (eras of 400 years, March-based years).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: u64) -> String {
        let mut s = String::new();
        rfc3339(&mut s, secs);
        s
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(t(0), "1970-01-01T00:00:00Z");
        assert_eq!(t(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(t(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(t(4_107_542_400), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn csv_and_json_escaping() {
        let mut s = String::new();
        csv_field(&mut s, "plain");
        s.push('|');
        csv_field(&mut s, "a,b");
        s.push('|');
        csv_field(&mut s, "say \"hi\"");
        s.push('|');
        csv_field(&mut s, "l1\nl2");
        s.push('|');
        csv_field(&mut s, " pad");
        assert_eq!(s, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"l1\nl2\"|\" pad\"");
        let mut j = String::new();
        json_string(&mut j, "q\"\\\n\u{1}é");
        assert_eq!(j, "\"q\\\"\\\\\\n\\u0001é\"");
    }

    #[test]
    fn formats_parse() {
        assert_eq!("CSV".parse::<ExportFormat>().ok(), Some(ExportFormat::Csv));
        assert_eq!(
            "jsonl".parse::<ExportFormat>().ok(),
            Some(ExportFormat::JsonLines)
        );
        assert!("xml".parse::<ExportFormat>().is_err());
    }
}
