//! The admin API's input path on arbitrary bytes: `RequestDecoder` fed in chunks whose size is
//! the first byte (pipelined requests included), then `route` with a token, the JSON-RPC body
//! parse and every answer's encoding. Nothing may panic; each request's body has its announced
//! length; no more bytes come out than went in; a refused stream answers with its error status.
#![no_main]

use libfuzzer_sys::fuzz_target;
use role_kit::admin::http::{RequestDecoder, Response, MAX_REQUEST};
use role_kit::admin::jsonrpc::{self, Body};
use role_kit::admin::route::{route, Routed};
use role_kit::admin::Token;

fuzz_target!(|data: &[u8]| {
    let Some((first, input)) = data.split_first() else {
        return;
    };
    let step = usize::from(*first).max(1);
    let token = Token::new("fuzz-token");
    let mut decoder = RequestDecoder::new();
    let mut buf = Vec::new();
    let mut consumed = 0usize;
    for chunk in input.chunks(step) {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(request)) => {
                    assert_eq!(request.body.len(), request.content_length.unwrap_or(0));
                    consumed += request.body.len();
                    assert!(consumed <= input.len());
                    assert!(request.body.len() <= MAX_REQUEST);
                    let _ = request.keep_alive();
                    for t in [None, Some(&token)] {
                        match route(&request, t) {
                            Routed::Rpc(body) => {
                                if let Ok(Body::Batch(entries)) = jsonrpc::parse_body(body) {
                                    assert!(!entries.is_empty());
                                }
                            }
                            Routed::Answer(answer) => {
                                assert!(answer.status >= 400);
                                let _ = answer.encode();
                            }
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let answer = Response::for_error(e);
                    assert_eq!(answer.status, e.status());
                    assert!(answer.close);
                    return;
                }
            }
        }
    }
    // Whatever is left is one unfinished request, never more than the cap.
    assert!(buf.len() <= MAX_REQUEST + step);
});
