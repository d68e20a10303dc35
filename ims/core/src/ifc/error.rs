//! Errors of the iFC module: string-free, naming the element at fault.

/// Why an IMSSubscription document or an iFC value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IfcError {
    /// The XML is not well-formed (bad syntax, mismatched tags, bad escape) near `offset`.
    #[error("malformed XML near byte {offset}")]
    Xml {
        /// Byte offset where the reader stopped.
        offset: u64,
    },
    /// The document is not UTF-8 (the User-Data AVP is an OctetString holding UTF-8 XML).
    #[error("XML document is not UTF-8")]
    NotUtf8,
    /// The document ended before its root element was closed.
    #[error("truncated XML document")]
    Truncated,
    /// No root element, a second root element, or text outside the root.
    #[error("XML document must have exactly one root element")]
    BadRoot,
    /// The root element is not `<IMSSubscription>`.
    #[error("root element is not IMSSubscription")]
    NotImsSubscription,
    /// Elements nest deeper than the limit.
    #[error("XML nesting deeper than {limit}")]
    TooDeep {
        /// The depth limit.
        limit: usize,
    },
    /// More elements or bytes than the limit.
    #[error("XML document larger than the limit")]
    TooLarge,
    /// A mandatory element is missing.
    #[error("missing <{element}>")]
    Missing {
        /// The element's name.
        element: &'static str,
    },
    /// An element occurs more often than the schema allows.
    #[error("<{element}> occurs too many times")]
    Repeated {
        /// The element's name.
        element: &'static str,
    },
    /// An element's text is not a valid value for it (bad integer, unknown enum value).
    #[error("invalid value in <{element}>")]
    BadValue {
        /// The element's name.
        element: &'static str,
    },
    /// A regular expression does not compile (or exceeds the size limit).
    #[error("invalid regular expression in <{element}>")]
    BadRegex {
        /// The element's name.
        element: &'static str,
    },
    /// An SPT names no condition, or more than one.
    #[error("SPT must hold exactly one condition")]
    BadSpt,
}
