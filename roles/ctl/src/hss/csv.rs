//! Subscribers in CSV (RFC 4180), turned into the `[[subscriber]]` TOML document that
//! `ims_store::import_toml` reads, so both forms get the same checks.
//!
//! The header line names the columns, with the TOML field names: `impi`, `impus` (URIs
//! separated by spaces), `k`, `op`, `opc`, `amf`, `sqn`, `password`, `ha1`, `auth_schemes`
//! (separated by `;` or `,`), `realm`, `barred`, `display_name`, `implicit_set`, `ifc_file`,
//! `ifc_xml`, `profile`. Empty cells are absent values; lines starting with `#` are comments.

use anyhow::{bail, Context};

/// Columns holding plain strings.
const TEXT_COLUMNS: [&str; 13] = [
    "impi",
    "k",
    "op",
    "opc",
    "amf",
    "password",
    "ha1",
    "realm",
    "display_name",
    "implicit_set",
    "ifc_file",
    "ifc_xml",
    "profile",
];

/// Splits CSV text into records of fields, each with its 1-based starting line.
pub(crate) fn records(text: &str) -> anyhow::Result<Vec<(usize, Vec<String>)>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    loop {
        let start = line;
        // A comment or blank line between records.
        match chars.peek() {
            None => break,
            Some('#') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                line += 1;
                continue;
            }
            Some('\r' | '\n') => {
                if chars.next() == Some('\n') {
                    line += 1;
                }
                continue;
            }
            Some(_) => {}
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut was_quoted = false;
        loop {
            let Some(c) = chars.next() else {
                if quoted {
                    bail!("line {start}: quoted field never ends");
                }
                fields.push(std::mem::take(&mut field));
                break;
            };
            if quoted {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => quoted = false,
                    c => {
                        if c == '\n' {
                            line += 1;
                        }
                        field.push(c);
                    }
                }
                continue;
            }
            match c {
                '"' if field.is_empty() && !was_quoted => {
                    quoted = true;
                    was_quoted = true;
                }
                '"' => bail!("line {line}: '\"' inside an unquoted field"),
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    was_quoted = false;
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    line += 1;
                    fields.push(std::mem::take(&mut field));
                    break;
                }
                c => field.push(c),
            }
        }
        out.push((start, fields));
    }
    Ok(out)
}

/// The import document (a TOML table with a `subscriber` array) of a CSV file.
pub(crate) fn to_import_doc(text: &str) -> anyhow::Result<toml::Table> {
    let mut recs = records(text)?.into_iter();
    let Some((_, header)) = recs.next() else {
        bail!("empty CSV: a header line is needed");
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    for h in &header {
        let known = TEXT_COLUMNS.contains(&h.as_str())
            || ["impus", "auth_schemes", "sqn", "barred"].contains(&h.as_str());
        if !known {
            bail!("unknown CSV column {h:?}");
        }
    }
    if !header.iter().any(|h| h == "impi") {
        bail!("the CSV header has no impi column");
    }
    let mut subscribers = Vec::new();
    for (line, cells) in recs {
        if cells.len() != header.len() {
            bail!(
                "line {line}: {} fields, the header has {}",
                cells.len(),
                header.len()
            );
        }
        let mut entry = toml::Table::new();
        for (name, cell) in header.iter().zip(cells) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            let value = match name.as_str() {
                "impus" => list(cell.split_whitespace()),
                "auth_schemes" => list(cell.split([',', ';'])),
                "sqn" => toml::Value::Integer(sqn(cell).with_context(|| format!("line {line}"))?),
                "barred" => {
                    toml::Value::Boolean(flag(cell).with_context(|| format!("line {line}"))?)
                }
                _ => toml::Value::String(cell.to_owned()),
            };
            entry.insert(name.clone(), value);
        }
        subscribers.push(toml::Value::Table(entry));
    }
    let mut doc = toml::Table::new();
    doc.insert("subscriber".into(), toml::Value::Array(subscribers));
    Ok(doc)
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> toml::Value {
    toml::Value::Array(
        items
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| toml::Value::String(s.to_owned()))
            .collect(),
    )
}

/// Decimal or `0x` hex.
fn sqn(cell: &str) -> anyhow::Result<i64> {
    let v = match cell.strip_prefix("0x").or_else(|| cell.strip_prefix("0X")) {
        Some(h) => i64::from_str_radix(h, 16),
        None => cell.parse(),
    };
    v.with_context(|| format!("sqn {cell:?} is not a number"))
}

fn flag(cell: &str) -> anyhow::Result<bool> {
    match cell.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => bail!("barred {cell:?}: use true or false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4180_records() {
        let text = "a,b\r\n# note\n\"x,1\",\"say \"\"hi\"\"\"\n\"multi\nline\",\n";
        let recs = records(text).unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(
            recs[1],
            (3, vec!["x,1".to_owned(), "say \"hi\"".to_owned()])
        );
        assert_eq!(recs[2], (4, vec!["multi\nline".to_owned(), String::new()]));
        assert!(records("a,\"b\n").is_err());
        assert!(records("a,b\"c\n").is_err());
    }

    #[test]
    fn rows_become_subscriber_tables() {
        let doc = to_import_doc(
            "impi,impus,k,opc,sqn,barred,auth_schemes\n\
             a@x,sip:a@x tel:+1,00,11,0x20,yes,\"AKAv1-MD5;SIP Digest\"\n",
        )
        .unwrap();
        let text = toml::to_string(&doc).unwrap();
        assert!(text.contains("impus = [\"sip:a@x\", \"tel:+1\"]"), "{text}");
        assert!(text.contains("sqn = 32"), "{text}");
        assert!(text.contains("barred = true"), "{text}");
        assert!(text.contains("\"SIP Digest\""), "{text}");
        assert!(to_import_doc("impi,kk\n").is_err());
        assert!(to_import_doc("impi,k\na@x\n").is_err());
        assert!(to_import_doc("impi,sqn\na@x,z\n").is_err());
    }
}
