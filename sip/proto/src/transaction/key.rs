//! Transaction matching keys (RFC 3261 §17.1.3 client side, §17.2.3 server side), encoded as
//! one byte string: a tag for the kind of key, then each matching field, length-prefixed. A
//! lookup encodes into the layer's reused buffer and hashes and compares plain bytes (no
//! allocation, no reference counting); a stored key is one exact-size shared allocation,
//! held by the key map and by its transaction (16 bytes in each, where a key of `Bytes`
//! slices took 64 to 104).

use std::sync::Arc;

use sip_types::{HeaderName, Message, Method};

/// A key as the layer stores it. It owns its bytes: slices of the message would pin the whole
/// receive buffer (a shared chunk on UDP) for as long as the transaction waits on Timers J/L.
pub(crate) type StoredKey = Arc<[u8]>;

/// Server key, top Via branch with the magic cookie: branch, sent-by host and port, method.
const BRANCH: u8 = b'B';
/// Server key for RFC 2543 peers (no magic cookie): Request-URI, From tag, Call-ID, CSeq
/// number and the whole top Via, plus the method. The To tag is left out so that an ACK,
/// whose To carries our tag, finds its INVITE.
const LEGACY: u8 = b'L';
/// Client key: our branch and the CSeq method.
const CLIENT: u8 = b'C';

/// Append `field` with its length; `None` past 64 KiB (no real key field comes near that).
fn put(out: &mut Vec<u8>, field: &[u8]) -> Option<()> {
    let len = u16::try_from(field.len()).ok()?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(field);
    Some(())
}

/// Encode the key a received request matches into `out` (RFC 3261 §17.2.3; ACK counts as
/// INVITE). Returns where the method field starts, for [`set_method`]; `None` if the top Via
/// (or, for RFC 2543 requests, another matching field) does not parse.
pub(crate) fn server_key(msg: &Message, out: &mut Vec<u8>) -> Option<usize> {
    out.clear();
    let method = match msg.method()? {
        m if *m == Method::ACK => Method::INVITE.as_str(),
        m => m.as_str(),
    };
    let via = msg.top_via().ok()?;
    // The branch comes from the parse-time cache: no parameter scan.
    let branch = msg.top_via_branch();
    if let Some(branch) = branch.filter(|b| b.len() > 7 && b.starts_with("z9hG4bK")) {
        out.push(BRANCH);
        put(out, branch.as_bytes())?;
        put(out, via.host_str.as_bytes())?;
        match via.port {
            Some(port) => {
                out.push(1);
                out.extend_from_slice(&port.to_le_bytes());
            }
            None => out.push(0),
        }
    } else {
        let via_text = msg.header_values(HeaderName::VIA).next()?.text;
        let from = msg.from().ok()?;
        out.push(LEGACY);
        put(out, msg.request_uri()?.as_bytes())?;
        put(out, from.tag().unwrap_or_default().as_bytes())?;
        put(out, msg.call_id().ok()?.as_bytes())?;
        out.extend_from_slice(&msg.cseq().ok()?.seq.to_le_bytes());
        put(out, via_text.as_bytes())?;
    }
    let at = out.len();
    put(out, method.as_bytes())?;
    Some(at)
}

/// Turn the server key in `out` into the same key for `method` (a CANCEL's key into its
/// INVITE's, RFC 3261 §9.2); `at` is what [`server_key`] returned.
pub(crate) fn set_method(out: &mut Vec<u8>, at: usize, method: &Method) -> Option<()> {
    out.truncate(at);
    put(out, method.as_str().as_bytes())
}

/// Encode the key of a client transaction into `out`: our branch and the method.
pub(crate) fn client_key(branch: &[u8], method: &Method, out: &mut Vec<u8>) -> Option<()> {
    out.clear();
    out.push(CLIENT);
    put(out, branch)?;
    put(out, method.as_str().as_bytes())
}

/// [`client_key`] of a request we send (its top Via carries our branch).
pub(crate) fn client_key_of_request(msg: &Message, out: &mut Vec<u8>) -> Option<()> {
    client_key(msg.top_via_branch()?.as_bytes(), msg.method()?, out)
}

/// [`client_key`] a response matches: top Via branch and CSeq method.
pub(crate) fn client_key_of_response(msg: &Message, out: &mut Vec<u8>) -> Option<()> {
    client_key(
        msg.top_via_branch()?.as_bytes(),
        &msg.cseq().ok()?.method,
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn parse(text: &str) -> Message {
        Message::parse(Bytes::copy_from_slice(text.as_bytes())).expect("test message")
    }

    fn request(method: &str, via: &str, from_tag: &str, cseq: u32) -> Message {
        parse(&format!(
            "{method} sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP {via}\r\n\
             From: <sip:alice@example.com>{from_tag}\r\nTo: <sip:bob@example.com>\r\n\
             Call-ID: c1\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
        ))
    }

    fn key(msg: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        server_key(msg, &mut out).expect("a key");
        out
    }

    #[test]
    fn server_keys_follow_rfc3261_17_2_3() {
        let via = "h.example.com:5060;branch=z9hG4bK1";
        let invite = key(&request("INVITE", via, ";tag=a", 1));
        assert_eq!(
            invite,
            key(&request("ACK", via, ";tag=a", 1)),
            "ACK as INVITE"
        );
        assert_ne!(invite, key(&request("CANCEL", via, ";tag=a", 1)));
        assert_ne!(
            invite,
            key(&request("INVITE", "h.example.com;branch=z9hG4bK1", "", 1))
        );
        assert_ne!(
            invite,
            key(&request(
                "INVITE",
                "h.example.com:5061;branch=z9hG4bK1",
                "",
                1
            ))
        );
        assert_ne!(
            invite,
            key(&request(
                "INVITE",
                "g.example.com:5060;branch=z9hG4bK1",
                "",
                1
            ))
        );
        // Only branch, sent-by and method count for RFC 3261 requests.
        assert_eq!(invite, key(&request("INVITE", via, ";tag=other", 9)));

        // A CANCEL's key turned into its INVITE's.
        let mut cancel = Vec::new();
        let at = server_key(&request("CANCEL", via, ";tag=a", 1), &mut cancel).expect("key");
        set_method(&mut cancel, at, &Method::INVITE).expect("short");
        assert_eq!(cancel, invite);

        // RFC 2543: From tag and CSeq number count; the branch-less Via is compared whole.
        let old = key(&request("INVITE", "h.example.com", ";tag=a", 1));
        assert_eq!(old, key(&request("ACK", "h.example.com", ";tag=a", 1)));
        assert_ne!(old, key(&request("INVITE", "h.example.com", ";tag=b", 1)));
        assert_ne!(old, key(&request("INVITE", "h.example.com", ";tag=a", 2)));
        assert_ne!(old, key(&request("INVITE", "h.example.com;x", ";tag=a", 1)));
    }

    #[test]
    fn fields_are_delimited_by_their_lengths() {
        // Same bytes end to end, split differently between the fields.
        let mut c = Vec::new();
        client_key(b"z9hG4bK1", &Method::INVITE, &mut c).expect("short");
        let mut d = Vec::new();
        client_key(b"z9hG4bK1I", &Method::from_token(b"NVITE"), &mut d).expect("short");
        assert_ne!(c, d);
        assert!(client_key("x".repeat(70_000).as_bytes(), &Method::INVITE, &mut d).is_none());
    }
}
