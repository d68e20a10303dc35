//! Byte-level helpers shared by the parsers (RFC 3261 §25.1 basic rules): token characters,
//! linear white space (LWS, including folded CRLF + WSP) and quote-aware splitting.

/// RFC 3261 §25.1 `token` character: alphanum / `-.!%*_+`'~`.
pub(crate) fn is_token_char(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

/// Lookup table behind [`is_token_char`].
static TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        i += 1;
    }
    t
};

/// Index of the first `needle` in `b`, eight bytes at a time (SWAR): header lines are short,
/// so this beats memchr's dispatch and setup.
pub(crate) fn find_byte_swar(b: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    let pattern = LO * u64::from(needle);
    let mut chunks = b.chunks_exact(8);
    let mut base = 0;
    for c in chunks.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let found = zero_bytes(u64::from_le_bytes(w) ^ pattern);
        if found != 0 {
            return Some(base + (found.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == needle)
        .map(|i| base + i)
}

/// Index of the first `b` in `s`.
pub(crate) fn find_byte(s: &str, b: u8) -> Option<usize> {
    // The strings searched here are short (URIs, parameters): a plain loop beats memchr's
    // setup.
    s.as_bytes().iter().position(|&c| c == b)
}

/// `s` split around the first `b` (which is dropped); `None` when absent.
pub(crate) fn split_once_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = find_byte(s, b)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
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
    let b = s.as_bytes();
    let Some(start) = b.iter().position(|&c| !is_lws(c)) else {
        return "";
    };
    let end = b.iter().rposition(|&c| !is_lws(c)).map_or(start, |e| e + 1);
    // LWS bytes are ASCII, so both ends are char boundaries.
    s.get(start..end).unwrap_or("")
}

/// Index of the first `needle` in `s` outside double-quoted strings (with `\` escapes) and,
/// when `brackets` is set, outside `<...>`. `None` if absent or a quote is left open.
/// Jumps between interesting bytes with memchr rather than stepping byte by byte.
pub(crate) fn find_unquoted(s: &[u8], needle: u8, brackets: bool) -> Option<usize> {
    if s.len() <= SHORT {
        return find_unquoted_short(s, needle, brackets);
    }
    find_unquoted_long(s, needle, brackets)
}

/// [`find_unquoted`] for long inputs, jumping with memchr.
fn find_unquoted_long(s: &[u8], needle: u8, brackets: bool) -> Option<usize> {
    let mut i = 0;
    loop {
        let rest = s.get(i..)?;
        let hit = if brackets {
            memchr::memchr3(needle, b'"', b'<', rest)?
        } else {
            memchr::memchr2(needle, b'"', rest)?
        };
        let at = i + hit;
        match s.get(at) {
            Some(&c) if c == needle => return Some(at),
            Some(b'"') => {
                let close = quoted_end(s.get(at..)?)?;
                i = at + close;
            }
            Some(b'<') => {
                let close = memchr::memchr(b'>', s.get(at..)?)?;
                i = at + close + 1;
            }
            _ => return None,
        }
    }
}

/// Below this length a byte loop beats memchr's dispatch and setup.
const SHORT: usize = 64;

/// High bit of each byte of the result set iff that byte of `x` is zero (exact: no false
/// positives, unlike the classic `(x - LO) & !x & HI`).
fn zero_bytes(x: u64) -> u64 {
    const HI: u64 = 0x8080_8080_8080_8080;
    !(((x & !HI).wrapping_add(!HI)) | x) & HI
}

/// [`find_unquoted`] for short inputs: skips eight bytes at a time while none is the needle,
/// a quote or (with `brackets`) a `<`, then steps through the interesting byte.
fn find_unquoted_short(s: &[u8], needle: u8, brackets: bool) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    let pn = LO * u64::from(needle);
    let pq = LO * u64::from(b'"');
    let pl = LO * u64::from(if brackets { b'<' } else { needle });
    let mut i = 0;
    loop {
        if let Some(Ok(w)) = s.get(i..i + 8).map(<[u8; 8]>::try_from) {
            let w = u64::from_le_bytes(w);
            let m = zero_bytes(w ^ pn) | zero_bytes(w ^ pq) | zero_bytes(w ^ pl);
            if m == 0 {
                i += 8;
                continue;
            }
            i += (m.trailing_zeros() / 8) as usize;
        }
        let &c = s.get(i)?;
        if c == needle {
            return Some(i);
        }
        match c {
            b'"' => i += quoted_end(s.get(i..)?)?,
            b'<' if brackets => i += s.get(i..)?.iter().position(|&c| c == b'>')? + 1,
            _ => i += 1,
        }
    }
}

/// Index just past the closing quote of the quoted string that opens `s` (`s[0] == '"'`),
/// honouring `\` quoted-pairs. `None` when unterminated.
pub(crate) fn quoted_end(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    loop {
        let at = i + memchr::memchr2(b'"', b'\\', s.get(i..)?)?;
        match s.get(at) {
            Some(b'"') => return Some(at + 1),
            _ => i = at + 2,
        }
    }
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
    fn swar_find_matches_position() {
        let hay: Vec<u8> = (0..200u16).map(|i| (i * 37 % 251) as u8).collect();
        for needle in [0u8, b'\n', b'\r', 0x80, 0xff, 10, 200, 37] {
            for start in 0..hay.len() {
                let s = &hay[start..];
                assert_eq!(
                    find_byte_swar(s, needle),
                    s.iter().position(|&c| c == needle),
                    "{needle} {start}"
                );
            }
        }
        assert_eq!(find_byte_swar(b"", b'\n'), None);
        assert_eq!(find_byte_swar(b"abcdefgh\n", b'\n'), Some(8));
        assert_eq!(find_byte_swar(b"\x8a\n", b'\n'), Some(1));
    }

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
        let long = format!("{}<a,b>\"x,\\\"y\", z", "w".repeat(70));
        for (t, brackets) in [
            (r#""a,b" <sip:x,y>, c"#, true),
            (r#"<a,b"#, true),
            (r#"<a,b"#, false),
            (r#""a\",b" , c"#, false),
            (long.as_str(), true),
            (long.as_str(), false),
            ("", true),
        ] {
            let short = find_unquoted_short(t.as_bytes(), b',', brackets);
            assert_eq!(
                find_unquoted_long(t.as_bytes(), b',', brackets),
                short,
                "{t}"
            );
        }
        // The SWAR skip agrees with memchr at every offset of strings mixing the interesting
        // bytes into eight-byte runs.
        let mix = "SIP/2.0/UDP h;branch=z9\"q,<\\\"x>,\", <sip:a,b>, \"tail, end";
        for start in 0..mix.len() {
            for end in start..=mix.len() {
                let Some(t) = mix.get(start..end) else {
                    continue;
                };
                for brackets in [true, false] {
                    assert_eq!(
                        find_unquoted_short(t.as_bytes(), b',', brackets),
                        find_unquoted_long(t.as_bytes(), b',', brackets),
                        "{t:?} {brackets}"
                    );
                }
            }
        }
        assert_eq!(quoted_end(br#""a\"b" x"#), Some(6));
        assert_eq!(quoted_end(br#""abc"#), None);
        assert_eq!(parse_u32("0068"), Some(68));
        assert_eq!(parse_u32("4294967296"), None);
        assert_eq!(parse_u32("-1"), None);
        assert_eq!(parse_u32(""), None);
    }
}
