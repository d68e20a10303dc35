//! Wildcarded PSI matching (TS 23.003 §13.5, TS 29.228 Annex E).
//!
//! In the TS 23.003 form (`sip:chatlist!.*!@example.com`) only the parts
//! between `!` delimiters are regular expressions and the rest is literal
//! (so the `+` of `tel:+1555!.*!` is a plus sign); a pattern without `!` is
//! a regular expression as a whole.
//!
//! The pattern language is the subset of regular expressions that
//! wildcarded PSIs use in practice: literals, `.`, `\` escapes, bracket
//! classes `[a-z0-9]` / `[^...]`, and the postfix quantifiers `*`, `+`, `?`.
//! Matching anchors both ends and runs in O(pattern × text) time (a set of
//! NFA positions, no backtracking), so a hostile URI cannot make it slow.

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Class {
    Any,
    Lit(char),
    Set {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Class {
    fn matches(&self, c: char) -> bool {
        match self {
            Self::Any => true,
            Self::Lit(l) => *l == c,
            Self::Set { negated, ranges } => {
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rep {
    One,
    ZeroOrOne,
    ZeroOrMore,
    OneOrMore,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    atoms: Vec<(Class, Rep)>,
}

/// Longest pattern accepted, in characters.
const MAX_PATTERN: usize = 1024;

impl Pattern {
    /// Compiles `src` (see the module documentation for the `!` form).
    pub(crate) fn compile(src: &str) -> Result<Self, StoreError> {
        if src.chars().count() > MAX_PATTERN {
            return Err(StoreError::invalid("wildcard pattern too long"));
        }
        let bad = |m: &str| StoreError::invalid(format!("wildcard pattern {src:?}: {m}"));
        let delimited = src.contains('!');
        if src.matches('!').count() % 2 != 0 {
            return Err(bad("unbalanced '!' delimiters"));
        }
        let mut in_regex = !delimited;
        let mut atoms: Vec<(Class, Rep)> = Vec::new();
        let mut it = src.chars().peekable();
        while let Some(c) = it.next() {
            if c == '!' {
                in_regex = !in_regex;
                continue;
            }
            if !in_regex {
                atoms.push((Class::Lit(c), Rep::One));
                continue;
            }
            let class = match c {
                '.' => Class::Any,
                '\\' => Class::Lit(it.next().ok_or_else(|| bad("trailing '\\'"))?),
                '[' => {
                    let negated = it.peek() == Some(&'^');
                    if negated {
                        it.next();
                    }
                    let mut ranges = Vec::new();
                    loop {
                        let lo = match it.next() {
                            None => return Err(bad("unclosed '['")),
                            Some(']') if !ranges.is_empty() => break,
                            Some('\\') => it.next().ok_or_else(|| bad("trailing '\\'"))?,
                            Some(x) => x,
                        };
                        let mut hi = lo;
                        if it.peek() == Some(&'-') {
                            it.next();
                            match it.peek() {
                                Some(']') | None => ranges.push(('-', '-')),
                                Some(_) => {
                                    hi = it.next().ok_or_else(|| bad("bad range"))?;
                                }
                            }
                        }
                        if hi < lo {
                            return Err(bad("reversed range"));
                        }
                        ranges.push((lo, hi));
                    }
                    Class::Set { negated, ranges }
                }
                '*' | '+' | '?' => {
                    let Some(last) = atoms.last_mut() else {
                        return Err(bad("quantifier without atom"));
                    };
                    if last.1 != Rep::One {
                        return Err(bad("repeated quantifier"));
                    }
                    last.1 = match c {
                        '*' => Rep::ZeroOrMore,
                        '+' => Rep::OneOrMore,
                        _ => Rep::ZeroOrOne,
                    };
                    continue;
                }
                '(' | ')' | '|' | '{' | '}' | '^' | '$' => {
                    return Err(bad("unsupported regular expression operator"))
                }
                other => Class::Lit(other),
            };
            atoms.push((class, Rep::One));
        }
        Ok(Self { atoms })
    }

    /// Whether the whole of `text` matches.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        let n = self.atoms.len();
        // states[i]: the NFA is before atom i (i == n: accepted).
        let mut states = vec![false; n + 1];
        let mut next = vec![false; n + 1];
        states[0] = true;
        self.close(&mut states);
        for c in text.chars() {
            next.iter_mut().for_each(|s| *s = false);
            for (i, (class, rep)) in self.atoms.iter().enumerate() {
                if !states[i] || !class.matches(c) {
                    continue;
                }
                match rep {
                    Rep::One | Rep::ZeroOrOne => next[i + 1] = true,
                    Rep::ZeroOrMore => next[i] = true,
                    Rep::OneOrMore => {
                        next[i] = true;
                        next[i + 1] = true;
                    }
                }
            }
            std::mem::swap(&mut states, &mut next);
            self.close(&mut states);
            if !states.iter().any(|&s| s) {
                return false;
            }
        }
        states[n]
    }

    /// Epsilon closure: optional (`?`, `*`) atoms may be skipped.
    fn close(&self, states: &mut [bool]) {
        for i in 0..self.atoms.len() {
            if states[i] && matches!(self.atoms[i].1, Rep::ZeroOrOne | Rep::ZeroOrMore) {
                states[i + 1] = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Pattern::compile(p).map(|p| p.is_match(t)).unwrap_or(false)
    }

    #[test]
    fn star_and_literals() {
        assert!(m(
            "sip:chatlist!.*!@example.com",
            "sip:chatlist1@example.com"
        ));
        assert!(m(
            "sip:chatlist!.*!@example.com",
            "sip:chatlist@example.com"
        ));
        assert!(!m(
            "sip:chatlist!.*!@example.com",
            "sip:chatlis@example.com"
        ));
        assert!(!m(
            "sip:chatlist.*@example.com",
            "sip:chatlist1@example.com.evil"
        ));
        assert!(m("a.c", "abc"));
        assert!(!m("a.c", "abbc"));
    }

    #[test]
    fn only_delimited_parts_are_regular_expressions() {
        assert!(m("tel:+1555!.*!", "tel:+15551234"));
        assert!(!m("tel:+1555!.*!", "tel:15551234"));
        assert!(m("sip:a.b!.*!@x", "sip:a.bc@x"));
        assert!(!m("sip:a.b!.*!@x", "sip:axbc@x"));
    }

    #[test]
    fn plus_question_and_classes() {
        assert!(m("sip:conf[0-9]+@x", "sip:conf12@x"));
        assert!(!m("sip:conf[0-9]+@x", "sip:conf@x"));
        assert!(!m("sip:conf[0-9]+@x", "sip:confa@x"));
        assert!(m("ab?c", "ac"));
        assert!(m("ab?c", "abc"));
        assert!(!m("ab?c", "abbc"));
        assert!(m("[^@]*@h", "user@h"));
        assert!(!m("[^@]*@h", "us@er@h"));
        assert!(m(r"a\.b", "a.b"));
        assert!(!m(r"a\.b", "axb"));
    }

    #[test]
    fn rejects_unsupported_or_broken_patterns() {
        for p in ["*a", "a**", "(a)", "a|b", "[abc", "a\\", "[z-a]", "x!.*"] {
            assert!(Pattern::compile(p).is_err(), "{p}");
        }
    }

    #[test]
    fn pathological_input_is_linear() {
        let p = Pattern::compile(&"a*".repeat(30)).map_err(|e| e.to_string());
        let text = format!("{}b", "a".repeat(5000));
        assert_eq!(p.map(|p| p.is_match(&text)), Ok(false));
    }
}
