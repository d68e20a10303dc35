//! The admin server over real loopback sockets (127.0.5.0/24): curl as the client, raw HTTP
//! for the faults curl will not send (pipelining, malformed heads, slow and idle peers), the
//! token, the connection limit and the graceful stop.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use role_kit::admin::{AdminConfig, AdminMethods, AdminServer, Params, RpcError, Token};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn methods() -> AdminMethods {
    AdminMethods::new()
        .method("test.echo", |p: Params| async move { Ok(p.into_value()) })
        .method("test.slow", |_| async {
            tokio::time::sleep(Duration::from_millis(400)).await;
            Ok(json!("done"))
        })
        .method("test.fail", |_| async {
            Err(RpcError::server(2, "sip:x@y: S-CSCF unreachable"))
        })
}

async fn start(host: u8, edit: impl FnOnce(&mut AdminConfig)) -> AdminServer {
    let mut config = AdminConfig::new(SocketAddr::from(([127, 0, 5, host], 0)));
    edit(&mut config);
    AdminServer::start(config, methods()).await.unwrap()
}

/// One HTTP response: status, header lines, body.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// Reads one response from `buf` + `stream` (Content-Length framed).
async fn read_answer(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Answer> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8(buf[..end].to_vec()).unwrap();
            let status: u16 = head[9..12].parse().unwrap();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .map_or(0, |v| v.parse().unwrap());
            if buf.len() >= end + 4 + len {
                let body = buf[end + 4..end + 4 + len].to_vec();
                buf.drain(..end + 4 + len);
                return Some(Answer { status, head, body });
            }
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn exchange(addr: SocketAddr, bytes: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    read_answer(&mut s, &mut Vec::new()).await.unwrap()
}

fn post(body: &str, extra: &str) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: t\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Waits until the peer closes (read returns 0) and says how long that took.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Duration {
    let start = std::time::Instant::now();
    let mut rest = Vec::new();
    let n = tokio::time::timeout(limit, s.read_to_end(&mut rest))
        .await
        .expect("connection not closed in time")
        .unwrap_or(0);
    let _ = n;
    start.elapsed()
}

#[tokio::test]
async fn curl_calls_with_and_without_the_token() {
    let server = start(1, |c| c.token = Some(Token::new("s3cret"))).await;
    let url = format!("http://{}/", server.local_addr());
    let body = r#"{"jsonrpc":"2.0","method":"test.echo","params":{"a":[1,2]},"id":1}"#;
    let curl = |args: &[&str]| {
        let out = std::process::Command::new("curl")
            .args([
                "-sS",
                "-w",
                "\n%{http_code}",
                "-H",
                "Content-Type: application/json",
            ])
            .args(args)
            .output()
            .expect("curl runs");
        let text = String::from_utf8(out.stdout).unwrap();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.to_owned(), body.to_owned())
    };
    let url2 = url.clone();
    let (ok, unauthorized, wrong) = tokio::task::spawn_blocking(move || {
        (
            curl(&["-H", "Authorization: Bearer s3cret", "-d", body, &url2]),
            curl(&["-d", body, &url2]),
            curl(&["-H", "Authorization: Bearer s3creT", "-d", body, &url2]),
        )
    })
    .await
    .unwrap();
    assert_eq!(ok.0, "200");
    let v: Value = serde_json::from_str(&ok.1).unwrap();
    assert_eq!(v, json!({"jsonrpc":"2.0","result":{"a":[1,2]},"id":1}));
    assert_eq!(unauthorized.0, "401");
    assert!(
        unauthorized.1.contains("missing Authorization"),
        "{}",
        unauthorized.1
    );
    assert_eq!(wrong.0, "401");
    assert!(wrong.1.contains("invalid bearer token"));
    server.stop().await;
}

#[tokio::test]
async fn http_faults_get_their_status() {
    let server = start(2, |_| {}).await;
    let a = server.local_addr();
    let r = exchange(a, b"GET / HTTP/1.1\r\n\r\n").await;
    assert_eq!(r.status, 405);
    assert!(r.head.contains("Allow: POST"));
    let r = exchange(a, b"POST /nope HTTP/1.1\r\nContent-Length: 0\r\n\r\n").await;
    assert_eq!(r.status, 404);
    let r = exchange(a, b"POST / HTTP/1.1\r\n\r\n").await;
    assert_eq!(r.status, 411);
    let r = exchange(
        a,
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(r.status, 411);
    assert!(r.head.contains("Connection: close"));
    let r = exchange(a, b"POST / HTTP/1.1\r\nBad Header\r\n\r\n").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        "400 Bad Request: malformed header field on line 1\n"
    );
    let r = exchange(a, b"POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n").await;
    assert_eq!(r.status, 413);
    let r = exchange(a, b"POST / HTTP/3\r\n\r\n").await;
    assert_eq!(r.status, 505);
    // JSON-RPC faults are 200 with an error object.
    let r = exchange(a, &post("{not json", "")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["error"]["code"], -32700);
    let r = exchange(a, &post(r#"{"jsonrpc":"2.0","method":"x.y","id":9}"#, "")).await;
    assert_eq!(r.json()["error"]["code"], -32601);
    assert_eq!(r.json()["error"]["message"], "method not found: x.y");
    let r = exchange(
        a,
        &post(r#"{"jsonrpc":"2.0","method":"test.fail","id":9}"#, ""),
    )
    .await;
    assert_eq!(r.json()["error"]["code"], -32002);
    // A notification only: 204, nothing to say.
    let r = exchange(a, &post(r#"{"jsonrpc":"2.0","method":"test.echo"}"#, "")).await;
    assert_eq!(r.status, 204);
    server.stop().await;
}

#[tokio::test]
async fn pipelined_and_keep_alive_requests_answer_in_order() {
    let server = start(3, |_| {}).await;
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut bytes = post(r#"{"jsonrpc":"2.0","method":"test.slow","id":1}"#, "");
    bytes.extend(post(
        r#"{"jsonrpc":"2.0","method":"test.echo","params":[2],"id":2}"#,
        "",
    ));
    bytes.extend(post(
        r#"{"jsonrpc":"2.0","method":"system.methods","id":3}"#,
        "Connection: close\r\n",
    ));
    s.write_all(&bytes).await.unwrap();
    let mut buf = Vec::new();
    let r1 = read_answer(&mut s, &mut buf).await.unwrap();
    let r2 = read_answer(&mut s, &mut buf).await.unwrap();
    let r3 = read_answer(&mut s, &mut buf).await.unwrap();
    assert_eq!(r1.json()["result"], "done");
    assert_eq!(r2.json()["result"], json!([2]));
    assert_eq!(
        r3.json()["result"],
        json!([
            "system.health",
            "system.methods",
            "test.echo",
            "test.fail",
            "test.slow"
        ])
    );
    assert!(r3.head.contains("Connection: close"));
    assert!(read_answer(&mut s, &mut buf).await.is_none());
    server.stop().await;
}

#[tokio::test]
async fn expect_continue_then_body() {
    let server = start(4, |_| {}).await;
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    let body = r#"{"jsonrpc":"2.0","method":"system.health","id":1}"#;
    let head = format!(
        "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let interim = read_answer(&mut s, &mut buf).await.unwrap();
    assert_eq!(interim.status, 100);
    s.write_all(body.as_bytes()).await.unwrap();
    let r = read_answer(&mut s, &mut buf).await.unwrap();
    assert_eq!(r.json()["result"]["status"], "ok");
    server.stop().await;
}

#[tokio::test]
async fn slow_requests_time_out_and_idle_connections_close() {
    let server = start(5, |c| {
        c.read_timeout = Duration::from_millis(300);
        c.idle_timeout = Duration::from_millis(300);
    })
    .await;
    // Half a request, then silence: 408.
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nContent-Le").await.unwrap();
    let r = read_answer(&mut s, &mut Vec::new()).await.unwrap();
    assert_eq!(r.status, 408);
    // A slow-loris that keeps trickling is cut at the read timeout all the same.
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    let trickle = async {
        for b in b"POST / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaa" {
            if s.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), trickle)
        .await
        .unwrap();
    let r = read_answer(&mut s, &mut Vec::new()).await.unwrap();
    assert_eq!(r.status, 408);
    // An idle keep-alive connection closes without a word.
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    s.write_all(&post(
        r#"{"jsonrpc":"2.0","method":"system.health","id":1}"#,
        "",
    ))
    .await
    .unwrap();
    let mut buf = Vec::new();
    assert_eq!(read_answer(&mut s, &mut buf).await.unwrap().status, 200);
    let took = closed_within(&mut s, Duration::from_secs(5)).await;
    assert!(took >= Duration::from_millis(200), "{took:?}");
    server.stop().await;
}

#[tokio::test]
async fn connection_limit_answers_503() {
    let server = start(6, |c| c.max_connections = 1).await;
    let a = server.local_addr();
    let mut first = TcpStream::connect(a).await.unwrap();
    first
        .write_all(&post(
            r#"{"jsonrpc":"2.0","method":"system.health","id":1}"#,
            "",
        ))
        .await
        .unwrap();
    assert_eq!(
        read_answer(&mut first, &mut Vec::new())
            .await
            .unwrap()
            .status,
        200
    );
    let refused = exchange(a, &post("{}", "")).await;
    assert_eq!(refused.status, 503);
    drop(first);
    // The slot comes back once the first connection is gone.
    let mut ok = false;
    for _ in 0..50 {
        let mut s = TcpStream::connect(a).await.unwrap();
        s.write_all(&post(
            r#"{"jsonrpc":"2.0","method":"system.health","id":1}"#,
            "",
        ))
        .await
        .unwrap();
        if read_answer(&mut s, &mut Vec::new()).await.unwrap().status == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok, "slot never freed");
    server.stop().await;
}

#[tokio::test]
async fn stop_finishes_the_request_in_flight() {
    let server = start(7, |_| {}).await;
    let a = server.local_addr();
    let mut s = TcpStream::connect(a).await.unwrap();
    s.write_all(&post(
        r#"{"jsonrpc":"2.0","method":"test.slow","id":1}"#,
        "",
    ))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(server.stop());
    let r = read_answer(&mut s, &mut Vec::new()).await.unwrap();
    assert_eq!(r.json()["result"], "done");
    // ... and then closes it.
    closed_within(&mut s, Duration::from_secs(5)).await;
    tokio::time::timeout(Duration::from_secs(6), stopping)
        .await
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(a).await.is_err(), "still listening");
}
