//! The server side of the API: a [`Handler`] per application answers requests delivered by
//! the node (RFC 6733 §6.1: local delivery).

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::{AvpContainer, CommandFlags, Message, MessageBuilder, ResultCode, WriteAvps};

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Answers the requests of one application. The returned bytes are the encoded answer (any
/// Hop-by-Hop and End-to-End: the node copies them from the request).
pub trait Handler: Send + Sync + 'static {
    /// Handles one request and produces its answer.
    fn handle(&self, request: Message) -> BoxFuture<Bytes>;
}

impl<F, Fut> Handler for F
where
    F: Fn(Message) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Bytes> + Send + 'static,
{
    fn handle(&self, request: Message) -> BoxFuture<Bytes> {
        Box::pin(self(request))
    }
}

/// The answer to a request with `result_code`: Session-Id copied, Origin-Host/Realm ours,
/// E bit set for protocol errors (RFC 6733 §6.2, §7.1.3).
pub fn simple_answer(
    request: &Message,
    result_code: ResultCode,
    origin_host: &str,
    origin_realm: &str,
) -> Bytes {
    let mut a = MessageBuilder::answer(request.header());
    a.set_flag(CommandFlags::ERROR, (3000..4000).contains(&result_code.0));
    if let Ok(Some(sid)) = request.find(b::SESSION_ID.code()) {
        a.put_raw(&sid);
    }
    a.put(&b::ORIGIN_HOST, origin_host)
        .put(&b::ORIGIN_REALM, origin_realm)
        .put(&b::RESULT_CODE, &result_code.0);
    a.finish()
}

/// The 3007 DIAMETER_APPLICATION_UNSUPPORTED answer for a request no handler serves
/// (RFC 6733 §7.1.3).
pub fn application_unsupported(request: &Message, origin_host: &str, origin_realm: &str) -> Bytes {
    simple_answer(
        request,
        ResultCode::DIAMETER_APPLICATION_UNSUPPORTED,
        origin_host,
        origin_realm,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::cx;

    #[test]
    fn unsupported_answer_has_e_bit_and_3007() {
        let mut r = MessageBuilder::request(&cx::cmd::UAR, 5, 6);
        r.put(&b::SESSION_ID, "s;1");
        let req = Message::decode(r.finish()).unwrap();
        let ans = Message::decode(application_unsupported(&req, "h", "r")).unwrap();
        assert!(!ans.header().flags.is_request());
        assert!(ans.header().flags.is_error());
        assert_eq!(ans.header().hop_by_hop, 5);
        assert_eq!(ans.get(&b::RESULT_CODE).unwrap(), Some(3007));
        assert_eq!(ans.get(&b::SESSION_ID).unwrap().unwrap().as_str(), "s;1");
    }
}
