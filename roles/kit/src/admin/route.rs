//! Which requests reach the JSON-RPC layer (sans-IO): the bearer token (RFC 6750 §2.1), the
//! path, the method and the body's framing; anything else is answered here.

use super::config::Token;
use super::http::{Request, Response};

/// Paths the API answers on (`/RPC` is Kamailio jsonrpcs' habit).
pub const PATHS: [&str; 3] = ["/", "/rpc", "/RPC"];

/// What to do with a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Routed<'a> {
    /// Run this JSON-RPC body.
    Rpc(&'a [u8]),
    /// Answer this and do not run anything.
    Answer(Response),
}

/// Checks `request` against the token (when one is configured), path and method.
pub fn route<'a>(request: &'a Request, token: Option<&Token>) -> Routed<'a> {
    if let Some(token) = token {
        let offered = request.header("authorization").and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim_start())
        });
        let challenge = match offered {
            Some(t) if token.matches(t.as_bytes()) => None,
            Some(_) => Some((
                "Bearer realm=\"ims-admin\", error=\"invalid_token\"",
                "invalid bearer token",
            )),
            None => Some((
                "Bearer realm=\"ims-admin\"",
                "missing Authorization: Bearer token",
            )),
        };
        if let Some((header, detail)) = challenge {
            let mut r = Response::text(401, detail);
            r.headers.push(("WWW-Authenticate", header.to_owned()));
            return Routed::Answer(r);
        }
    }
    if !PATHS.contains(&request.target.as_str()) {
        return Routed::Answer(Response::text(
            404,
            "no such path: POST JSON-RPC 2.0 requests to /",
        ));
    }
    if request.method != "POST" {
        let mut r = Response::text(405, "only POST is allowed");
        r.headers.push(("Allow", "POST".to_owned()));
        return Routed::Answer(r);
    }
    if request.content_length.is_none() {
        return Routed::Answer(Response::text(411, "POST needs Content-Length"));
    }
    Routed::Rpc(&request.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::http::RequestDecoder;

    fn request(text: &str) -> Request {
        let mut buf = text.as_bytes().to_vec();
        RequestDecoder::new().decode(&mut buf).unwrap().unwrap()
    }

    fn status(r: &Routed<'_>) -> u16 {
        match r {
            Routed::Rpc(_) => 200,
            Routed::Answer(a) => a.status,
        }
    }

    #[test]
    fn paths_methods_and_length() {
        let ok = request("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
        assert_eq!(route(&ok, None), Routed::Rpc(b"{}"));
        let rpc = request("POST /RPC HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(status(&route(&rpc, None)), 200);
        let missing = request("POST /admin HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(status(&route(&missing, None)), 404);
        let get = request("GET / HTTP/1.1\r\n\r\n");
        let Routed::Answer(a) = route(&get, None) else {
            panic!("GET routed")
        };
        assert_eq!(a.status, 405);
        assert_eq!(a.headers, vec![("Allow", "POST".to_owned())]);
        let unframed = request("POST / HTTP/1.1\r\n\r\n");
        assert_eq!(status(&route(&unframed, None)), 411);
    }

    #[test]
    fn bearer_token() {
        let token = Token::new("t0k3n");
        let t = Some(&token);
        let none = request("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        let Routed::Answer(a) = route(&none, t) else {
            panic!("no token accepted")
        };
        assert_eq!(a.status, 401);
        assert_eq!(a.headers[0].0, "WWW-Authenticate");
        assert!(String::from_utf8(a.body).unwrap().contains("missing"));
        let wrong =
            request("POST / HTTP/1.1\r\nAuthorization: Bearer t0k3m\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(status(&route(&wrong, t)), 401);
        let basic =
            request("POST / HTTP/1.1\r\nAuthorization: Basic t0k3n\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(status(&route(&basic, t)), 401);
        let right =
            request("POST / HTTP/1.1\r\nauthorization: bearer t0k3n\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(status(&route(&right, t)), 200);
        // Without the token even a wrong path learns nothing but 401.
        let probe = request("GET /etc HTTP/1.1\r\n\r\n");
        assert_eq!(status(&route(&probe, t)), 401);
    }
}
