//! Parser for `.dia` dictionary files.

use crate::GenError;

/// One `.dia` file.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    /// Source file name.
    pub file: String,
    /// `@name`: the generated module name.
    pub name: String,
    /// `@doc`: one-line description with the specification.
    pub doc: String,
    /// `@id`: Application-Id, if the dictionary is an application.
    pub id: Option<u32>,
    /// `@vendor`: Vendor-ID given to AVPs with the V flag.
    pub vendor: u32,
    /// `@inherits`: dictionaries whose AVPs this one uses.
    pub inherits: Vec<String>,
    /// `@avp_types`.
    pub avps: Vec<AvpDecl>,
    /// `@messages`.
    pub messages: Vec<MessageDecl>,
    /// `@grouped`.
    pub grouped: Vec<GroupedDecl>,
    /// `@enum` and `@define`.
    pub values: Vec<ValuesDecl>,
}

/// `Name Code Type Flags` under `@avp_types`.
#[derive(Debug, Clone)]
pub struct AvpDecl {
    /// AVP name.
    pub name: String,
    /// AVP code.
    pub code: u32,
    /// Data format name as in RFC 6733 §4.2/§4.3.
    pub data_type: String,
    /// M flag must be set.
    pub m: bool,
    /// V flag must be set (Vendor-ID is the dictionary's `@vendor`).
    pub v: bool,
    /// Vendor-ID.
    pub vendor: u32,
}

/// Slot of a CCF rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// `< >`.
    Fixed,
    /// `{ }`.
    Required,
    /// `[ ]`.
    Optional,
}

/// One CCF rule.
#[derive(Debug, Clone)]
pub struct RuleDecl {
    /// AVP name, or `AVP` for the extension slot.
    pub name: String,
    /// Slot.
    pub slot: Slot,
    /// Minimum.
    pub min: u32,
    /// Maximum (`u32::MAX` unbounded).
    pub max: u32,
}

/// A command under `@messages`.
#[derive(Debug, Clone)]
pub struct MessageDecl {
    /// Short name (CER).
    pub name: String,
    /// Command Code.
    pub code: u32,
    /// R bit.
    pub request: bool,
    /// P bit.
    pub proxiable: bool,
    /// Application-Id override in the header rule.
    pub application: Option<u32>,
    /// Body rules.
    pub rules: Vec<RuleDecl>,
}

/// A Grouped AVP grammar.
#[derive(Debug, Clone)]
pub struct GroupedDecl {
    /// AVP name.
    pub name: String,
    /// Body rules.
    pub rules: Vec<RuleDecl>,
}

/// `@enum Name` or `@define Name` with `LABEL value` lines.
#[derive(Debug, Clone)]
pub struct ValuesDecl {
    /// AVP name.
    pub avp: String,
    /// Labels and values.
    pub values: Vec<(String, i64)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Avps,
    Messages,
    Grouped,
    Values,
}

fn err(file: &str, line: usize, message: impl Into<String>) -> GenError {
    GenError::Syntax {
        file: file.to_owned(),
        line,
        message: message.into(),
    }
}

fn parse_num(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// Parses the text of one `.dia` file. Comments start with `;;`.
pub fn parse(file: &str, text: &str) -> Result<Dictionary, GenError> {
    let mut d = Dictionary {
        file: file.to_owned(),
        ..Dictionary::default()
    };
    let mut section = Section::None;
    // Grammar definitions span lines: (line, header, body) accumulated until the next `::=`.
    let mut pending: Option<(usize, String, String)> = None;
    let flush = |d: &mut Dictionary,
                 section: Section,
                 p: Option<(usize, String, String)>|
     -> Result<(), GenError> {
        if let Some((line, head, body)) = p {
            let (name, header, rules) = parse_definition(file, line, &head, &body)?;
            match section {
                Section::Messages => d
                    .messages
                    .push(message_decl(file, line, name, &header, rules)?),
                _ => d.grouped.push(GroupedDecl { name, rules }),
            }
        }
        Ok(())
    };
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.split(";;").next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        if let Some(directive) = content.strip_prefix('@') {
            flush(&mut d, section, pending.take())?;
            let mut parts = directive.split_whitespace();
            let key = parts.next().unwrap_or("");
            let rest: Vec<&str> = parts.collect();
            section = Section::None;
            match key {
                "name" => d.name = rest.first().copied().unwrap_or("").to_owned(),
                "doc" => d.doc = rest.join(" "),
                "id" => {
                    d.id = Some(
                        rest.first()
                            .and_then(|s| s.parse().ok())
                            .ok_or_else(|| err(file, line, "@id needs a number"))?,
                    );
                }
                "vendor" => {
                    d.vendor = rest
                        .first()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| err(file, line, "@vendor needs a number"))?;
                }
                "inherits" => d.inherits.extend(rest.iter().map(|s| (*s).to_owned())),
                "avp_types" => section = Section::Avps,
                "messages" => section = Section::Messages,
                "grouped" => section = Section::Grouped,
                "enum" | "define" => {
                    let avp = rest
                        .first()
                        .ok_or_else(|| err(file, line, "@enum needs an AVP name"))?;
                    d.values.push(ValuesDecl {
                        avp: (*avp).to_owned(),
                        values: Vec::new(),
                    });
                    section = Section::Values;
                }
                other => return Err(err(file, line, format!("unknown directive @{other}"))),
            }
            continue;
        }
        match section {
            Section::None => return Err(err(file, line, "text outside a section")),
            Section::Avps => {
                let f: Vec<&str> = content.split_whitespace().collect();
                let [name, code, ty, rest @ ..] = f.as_slice() else {
                    return Err(err(file, line, "expected `Name Code Type Flags`"));
                };
                let code = code.parse().map_err(|_| err(file, line, "bad AVP code"))?;
                let flags = rest.first().copied().unwrap_or("-");
                if !flags.chars().all(|c| matches!(c, 'M' | 'V' | 'P' | '-')) {
                    return Err(err(file, line, "flags are M, V, P or -"));
                }
                let v = flags.contains('V');
                d.avps.push(AvpDecl {
                    name: (*name).to_owned(),
                    code,
                    data_type: (*ty).to_owned(),
                    m: flags.contains('M'),
                    v,
                    vendor: if v { d.vendor } else { 0 },
                });
            }
            Section::Messages | Section::Grouped => {
                if let Some((head, body)) = content.split_once("::=") {
                    flush(&mut d, section, pending.take())?;
                    pending = Some((line, head.trim().to_owned(), body.trim().to_owned()));
                } else if let Some((_, _, body)) = pending.as_mut() {
                    body.push(' ');
                    body.push_str(content);
                } else {
                    return Err(err(file, line, "rule outside a definition"));
                }
            }
            Section::Values => {
                let f: Vec<&str> = content.split_whitespace().collect();
                let [label, value] = f.as_slice() else {
                    return Err(err(file, line, "expected `LABEL value`"));
                };
                let value = parse_num(value).ok_or_else(|| err(file, line, "bad value"))?;
                if let Some(v) = d.values.last_mut() {
                    v.values.push(((*label).to_owned(), value));
                }
            }
        }
    }
    flush(&mut d, section, pending.take())?;
    if d.name.is_empty() {
        return Err(err(file, 1, "missing @name"));
    }
    Ok(d)
}

/// Splits `Name ::= < Header ... > rules` into the name, the header text and the rules.
fn parse_definition(
    file: &str,
    line: usize,
    head: &str,
    body: &str,
) -> Result<(String, String, Vec<RuleDecl>), GenError> {
    let name = head
        .trim_matches(|c| c == '<' || c == '>' || c == ' ')
        .to_owned();
    let body = body.trim();
    let Some(after_open) = body.strip_prefix('<') else {
        return Err(err(
            file,
            line,
            "definition must start with `< ... Header: ... >`",
        ));
    };
    let Some((header, rest)) = after_open.split_once('>') else {
        return Err(err(file, line, "unclosed header rule"));
    };
    Ok((
        name,
        header.trim().to_owned(),
        parse_rules(file, line, rest)?,
    ))
}

/// Parses CCF rules: `[qual] <X>`, `[qual] {X}`, `[qual] [X]` with `qual = [min] * [max]`.
fn parse_rules(file: &str, line: usize, text: &str) -> Result<Vec<RuleDecl>, GenError> {
    let mut rules = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let qual_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '*' || c.is_whitespace()))
            .unwrap_or(rest.len());
        let qual: String = rest[..qual_end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        rest = &rest[qual_end..];
        let (slot, close) = match rest.chars().next() {
            Some('<') => (Slot::Fixed, '>'),
            Some('{') => (Slot::Required, '}'),
            Some('[') => (Slot::Optional, ']'),
            _ => return Err(err(file, line, format!("bad rule near `{rest}`"))),
        };
        let Some(end) = rest.find(close) else {
            return Err(err(file, line, "unclosed rule"));
        };
        let name = rest[1..end].trim().to_owned();
        rest = rest[end + 1..].trim_start();
        let (mut min, mut max) = match slot {
            Slot::Optional => (0, 1),
            _ => (1, 1),
        };
        if !qual.is_empty() {
            let Some((lo, hi)) = qual.split_once('*') else {
                return Err(err(file, line, "qualifier needs `*`"));
            };
            min = if lo.is_empty() {
                u32::from(slot != Slot::Optional)
            } else {
                lo.parse().map_err(|_| err(file, line, "bad min"))?
            };
            max = if hi.is_empty() {
                u32::MAX
            } else {
                hi.parse().map_err(|_| err(file, line, "bad max"))?
            };
        }
        rules.push(RuleDecl {
            name,
            slot,
            min,
            max,
        });
    }
    Ok(rules)
}

fn message_decl(
    file: &str,
    line: usize,
    name: String,
    header: &str,
    rules: Vec<RuleDecl>,
) -> Result<MessageDecl, GenError> {
    let Some(spec) = header.strip_prefix("Diameter Header:") else {
        return Err(err(
            file,
            line,
            "message header must be `< Diameter Header: code, ... >`",
        ));
    };
    let mut parts = spec.split(',').map(str::trim);
    let code = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| err(file, line, "bad command code"))?;
    let mut m = MessageDecl {
        name,
        code,
        request: false,
        proxiable: false,
        application: None,
        rules,
    };
    for p in parts {
        match p {
            "REQ" => m.request = true,
            "PXY" => m.proxiable = true,
            n => {
                m.application = Some(
                    n.parse()
                        .map_err(|_| err(file, line, format!("bad header flag `{n}`")))?,
                );
            }
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "
@name demo ;; a comment
@id 4
@vendor 10415
@avp_types
   Session-Id 263 UTF8String M
   Public-Identity 601 UTF8String MV
@messages
   XR ::= < Diameter Header: 300, REQ, PXY, 16777216 >
          < Session-Id >
       1* { Public-Identity }
      2*3 [ Session-Id ]
        * [ AVP ]
@grouped
   G ::= < AVP Header: 612 >
         [ Session-Id ]
@enum Session-Id
   A 1
   B-C 2
";

    #[test]
    fn parses_all_sections() {
        let d = parse("demo.dia", SAMPLE).unwrap();
        assert_eq!((d.name.as_str(), d.id, d.vendor), ("demo", Some(4), 10415));
        assert_eq!(d.avps[1].vendor, 10415);
        assert_eq!(d.avps[0].vendor, 0);
        let m = &d.messages[0];
        assert!(m.request && m.proxiable);
        assert_eq!(m.application, Some(16_777_216));
        let r: Vec<_> = m
            .rules
            .iter()
            .map(|r| (r.name.as_str(), r.slot, r.min, r.max))
            .collect();
        assert_eq!(
            r,
            vec![
                ("Session-Id", Slot::Fixed, 1, 1),
                ("Public-Identity", Slot::Required, 1, u32::MAX),
                ("Session-Id", Slot::Optional, 2, 3),
                ("AVP", Slot::Optional, 0, u32::MAX),
            ]
        );
        assert_eq!(d.grouped[0].rules.len(), 1);
        assert_eq!(
            d.values[0].values,
            vec![("A".to_owned(), 1), ("B-C".to_owned(), 2)]
        );
    }

    #[test]
    fn reports_line_numbers() {
        let e = parse("x.dia", "@name x\n@avp_types\n  Foo bar UTF8String M\n").unwrap_err();
        assert_eq!(e.to_string(), "x.dia:3: bad AVP code");
        assert!(parse("x.dia", "@name x\n@bogus\n").is_err());
    }
}
