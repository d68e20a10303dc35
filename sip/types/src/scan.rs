//! Byte-level helpers shared by the parsers (RFC 3261 §25.1 basic rules): token characters,
//! linear white space (LWS, including folded CRLF + WSP) and quote-aware splitting.

/// RFC 3261 §25.1 `token` character: alphanum / `-.!%*_+`'~`.
pub(crate) fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// True when `s` is a non-empty token.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// LWS byte: SP, HTAB, or the CR/LF of a fold (header values keep their folds).
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// `s` without leading and trailing LWS.
pub(crate) fn trim_lws(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii() && is_lws(c as u8))
}

/// Index of the first `needle` in `s` outside double-quoted strings (with `\` escapes) and,
/// when `brackets` is set, outside `<...>`. `None` if absent or a quote is left open.
pub(crate) fn find_unquoted(s: &[u8], needle: u8, brackets: bool) -> Option<usize> {
    let mut in_quote = false;
    let mut in_angle = false;
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if in_quote {
            match b {
                b'\\' => i += 1,
                b'"' => in_quote = false,
                _ => {}
            }
        } else if in_angle {
            if b == b'>' {
                in_angle = false;
            }
        } else if b == needle {
            return Some(i);
        } else if b == b'"' {
            in_quote = true;
        } else if brackets && b == b'<' {
            in_angle = true;
        }
        i += 1;
    }
    None
}

/// Index just past the closing quote of the quoted string that opens `s` (`s[0] == '"'`),
/// honouring `\` quoted-pairs. `None` when unterminated.
pub(crate) fn quoted_end(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    while let Some(&b) = s.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Parse `1*DIGIT` as u32, `None` on empty, non-digit or overflow.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let mut v: u32 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(is_token("!interesting-Method0123456789_*+`.%indeed'~"));
        assert!(!is_token("a b"));
        assert!(!is_token(""));
        assert_eq!(trim_lws(" \r\n\tx y \r\n "), "x y");
        assert_eq!(
            find_unquoted(br#""a,b" <sip:x,y>, c"#, b',', true),
            Some(15)
        );
        assert_eq!(find_unquoted(br#""a\",b" , c"#, b',', false), Some(8));
        assert_eq!(find_unquoted(br#""open, c"#, b',', false), None);
        assert_eq!(quoted_end(br#""a\"b" x"#), Some(6));
        assert_eq!(quoted_end(br#""abc"#), None);
        assert_eq!(parse_u32("0068"), Some(68));
        assert_eq!(parse_u32("4294967296"), None);
        assert_eq!(parse_u32("-1"), None);
        assert_eq!(parse_u32(""), None);
    }
}
