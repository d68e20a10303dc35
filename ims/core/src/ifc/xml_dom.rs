//! A small element tree read with quick-xml, under size and depth limits, so the schema
//! mapping in `xml_parse` is plain tree walking. Namespace prefixes are dropped.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::error::IfcError;

/// Deepest element nesting accepted (the Annex E schema needs 6).
pub(crate) const MAX_DEPTH: usize = 32;
/// Most elements accepted in one document.
pub(crate) const MAX_ELEMENTS: usize = 50_000;
/// Largest document accepted, in bytes.
pub(crate) const MAX_BYTES: usize = 4 << 20;

/// One element: its local name, its text (concatenated, trimmed) and its children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Self>,
}

impl Element {
    /// Children named `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Self> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The only child named `name`, if any; more than one is an error.
    pub(crate) fn opt(&self, name: &'static str) -> Result<Option<&Self>, IfcError> {
        let mut it = self.all(name);
        let first = it.next();
        if it.next().is_some() {
            return Err(IfcError::Repeated { element: name });
        }
        Ok(first)
    }

    /// The only child named `name`; absent or repeated is an error.
    pub(crate) fn one(&self, name: &'static str) -> Result<&Self, IfcError> {
        self.opt(name)?.ok_or(IfcError::Missing { element: name })
    }
}

fn local(name: &[u8]) -> String {
    let local = match memchr_colon(name) {
        Some(i) => name.get(i + 1..).unwrap_or_default(),
        None => name,
    };
    String::from_utf8_lossy(local).into_owned()
}

fn memchr_colon(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b':')
}

/// Parse `xml` into its root element.
pub(crate) fn parse(xml: &str) -> Result<Element, IfcError> {
    if xml.len() > MAX_BYTES {
        return Err(IfcError::TooLarge);
    }
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let ev = reader.read_event().map_err(|_| IfcError::Xml {
            offset: reader.error_position(),
        })?;
        match ev {
            Event::Start(_) | Event::Empty(_) if root.is_some() && stack.is_empty() => {
                return Err(IfcError::BadRoot);
            }
            Event::Start(e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(IfcError::TooLarge);
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(IfcError::TooDeep { limit: MAX_DEPTH });
                }
                stack.push(Element {
                    name: local(e.name().as_ref()),
                    ..Element::default()
                });
            }
            Event::Empty(e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(IfcError::TooLarge);
                }
                let el = Element {
                    name: local(e.name().as_ref()),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let mut el = stack.pop().ok_or_else(|| IfcError::Xml {
                    offset: reader.buffer_position(),
                })?;
                el.text = el.text.trim().to_owned();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|_| IfcError::Xml {
                    offset: reader.buffer_position(),
                })?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(IfcError::BadRoot),
                }
            }
            Event::CData(c) => {
                let text = c.decode().map_err(|_| IfcError::Xml {
                    offset: reader.buffer_position(),
                })?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&text),
                    None => return Err(IfcError::BadRoot),
                }
            }
            Event::Eof => {
                if !stack.is_empty() {
                    return Err(IfcError::Truncated);
                }
                return root.ok_or(IfcError::BadRoot);
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_tree_with_text_and_prefixes_dropped() {
        let root =
            parse("<?xml version=\"1.0\"?><a:R><X> 1 &amp; 2 </X><Y/><X>3</X></a:R>").unwrap();
        assert_eq!(root.name, "R");
        assert_eq!(root.children.len(), 3);
        assert_eq!(root.children[0].text, "1 & 2");
        assert_eq!(root.one("Y").unwrap().text, "");
        assert_eq!(
            root.opt("X").unwrap_err(),
            IfcError::Repeated { element: "X" }
        );
        assert_eq!(
            root.one("Z").unwrap_err(),
            IfcError::Missing { element: "Z" }
        );
    }

    #[test]
    fn rejects_bad_documents() {
        assert!(matches!(
            parse("<R><X></R>").unwrap_err(),
            IfcError::Xml { .. }
        ));
        assert_eq!(parse("<R><X>").unwrap_err(), IfcError::Truncated);
        assert_eq!(parse("").unwrap_err(), IfcError::BadRoot);
        assert_eq!(parse("<R/><S/>").unwrap_err(), IfcError::BadRoot);
        assert_eq!(parse("junk<R/>").unwrap_err(), IfcError::BadRoot);
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(
            parse(&deep).unwrap_err(),
            IfcError::TooDeep { limit: MAX_DEPTH }
        );
        let wide = format!("<R>{}</R>", "<x/>".repeat(MAX_ELEMENTS + 1));
        assert_eq!(parse(&wide).unwrap_err(), IfcError::TooLarge);
    }
}
