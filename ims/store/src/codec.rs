//! A small self-delimiting text encoding of a list of optional strings,
//! used for multi-valued columns (Path, flow, push info) and for Redis hash
//! values. Each field is `~` (absent) or `<byte length>:<bytes>`, so any
//! content round-trips and decoding never trusts a length beyond the input.

use crate::{Result, StoreError};

/// Encodes fields.
pub(crate) fn encode<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut out = String::new();
    for f in fields {
        match f {
            None => out.push('~'),
            Some(s) => {
                out.push_str(&s.len().to_string());
                out.push(':');
                out.push_str(s);
            }
        }
    }
    out
}

/// Decodes fields; fails on any malformed input.
pub(crate) fn decode(mut text: &str) -> Result<Vec<Option<String>>> {
    let bad = |why: &str| StoreError::invalid(format!("field encoding: {why}"));
    let mut out = Vec::new();
    while !text.is_empty() {
        if let Some(rest) = text.strip_prefix('~') {
            out.push(None);
            text = rest;
            continue;
        }
        let (len, rest) = text.split_once(':').ok_or_else(|| bad("missing ':'"))?;
        if len.is_empty() || len.len() > 10 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("bad length"));
        }
        let len: usize = len.parse().map_err(|_| bad("bad length"))?;
        let value = rest.get(..len).ok_or_else(|| bad("length past end"))?;
        out.push(Some(value.to_owned()));
        text = rest.get(len..).ok_or_else(|| bad("length past end"))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_any_content() {
        let fields = [Some("a:b~c"), None, Some(""), Some("ünï\n12:")];
        let enc = encode(fields);
        assert_eq!(enc, "5:a:b~c~0:9:ünï\n12:");
        let dec = decode(&enc).map_err(|e| e.to_string());
        assert_eq!(
            dec,
            Ok(fields.iter().map(|f| f.map(str::to_owned)).collect())
        );
        assert_eq!(decode("").ok(), Some(vec![]));
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in ["5:abc", "x:a", ":a", "3", "99999999999:a", "1:é", "-1:a"] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }
}
