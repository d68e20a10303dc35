//! Dialogs (RFC 3261 §12): identifiers, route set, CSeq, remote target.
