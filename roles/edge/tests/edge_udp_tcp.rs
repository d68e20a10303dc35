//! ims-edge over real loopback sockets: a UAC socket, the edge, a UAS socket.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use std::net::SocketAddr;
use std::time::Duration;

use ims_edge::config::{EdgeConfig, DEFAULTS, ENV_PREFIX};
use ims_edge::Edge;
use sip_proto::Transport;
use sip_types::{HeaderName, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

fn config(uas: SocketAddr, extra: &str) -> EdgeConfig {
    let text = format!(
        "[[listen]]\ntransport = \"udp\"\naddr = \"127.0.0.1:0\"\n\
         [[listen]]\ntransport = \"tcp\"\naddr = \"127.0.0.1:0\"\n\
         [[route]]\nname = \"uas\"\ndestinations = [\"sip:{uas}\"]\n{extra}"
    );
    let path = std::env::temp_dir().join(format!(
        "edge-test-{}-{}.toml",
        std::process::id(),
        uas.port()
    ));
    std::fs::write(&path, text).unwrap();
    role_kit::load_config(DEFAULTS, Some(&path), ENV_PREFIX).unwrap()
}

struct Running {
    udp: SocketAddr,
    tcp: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<sip_proto::proxy::ProxyStats>,
}

async fn start(cfg: &EdgeConfig) -> Running {
    let edge = Edge::bind(cfg).await.unwrap();
    let find = |t| {
        edge.listeners()
            .into_iter()
            .find(|(tr, _)| *tr == t)
            .unwrap()
            .1
    };
    let (udp, tcp) = (find(Transport::Udp), find(Transport::Tcp));
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(edge.run(async move {
        let _ = rx.await;
    }));
    Running {
        udp,
        tcp,
        stop: Some(stop),
        task,
    }
}

impl Running {
    async fn stop(mut self) -> sip_proto::proxy::ProxyStats {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.task.await.unwrap()
    }
}

fn options(branch: &str, cseq: &str, via_host: &str) -> String {
    format!(
        "OPTIONS sip:service@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {via_host};branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@example.com>;tag=a1\r\n\
         To: <sip:service@example.com>\r\n\
         Call-ID: {branch}@test\r\n\
         CSeq: {cseq}\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

async fn recv(sock: &UdpSocket) -> (Message, SocketAddr) {
    let mut buf = vec![0u8; 65536];
    let (n, from) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
        .await
        .expect("no message within 5 s")
        .unwrap();
    (
        Message::parse(bytes::Bytes::copy_from_slice(&buf[..n])).unwrap(),
        from,
    )
}

/// The UAS side: answer `request` with `status`, copying the Vias and dialog headers.
fn answer(request: &Message, status: u16) -> String {
    let mut out = format!("SIP/2.0 {status} OK\r\n");
    for v in request.header_values(HeaderName::VIA) {
        out.push_str(&format!("Via: {}\r\n", v.text));
    }
    for name in [HeaderName::FROM, HeaderName::CALL_ID, HeaderName::CSEQ] {
        out.push_str(&format!(
            "{}: {}\r\n",
            name.as_str(),
            request.header(name).unwrap()
        ));
    }
    out.push_str(&format!(
        "To: {};tag=uas\r\nContent-Length: 0\r\n\r\n",
        request.header(HeaderName::TO).unwrap()
    ));
    out
}

#[tokio::test]
async fn options_relayed_over_udp_and_answers_return() {
    let uas = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let edge = start(&config(uas.local_addr().unwrap(), "")).await;
    let uac = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let via_host = uac.local_addr().unwrap().to_string();
    uac.send_to(
        options("z9hG4bK-t1", "1 OPTIONS", &via_host).as_bytes(),
        edge.udp,
    )
    .await
    .unwrap();

    let (fwd, from) = recv(&uas).await;
    assert_eq!(from, edge.udp, "forwarded from the edge's UDP listener");
    assert_eq!(fwd.max_forwards().unwrap(), Some(69));
    let vias: Vec<_> = fwd
        .header_values(HeaderName::VIA)
        .map(|v| v.text.to_owned())
        .collect();
    assert_eq!(vias.len(), 2, "{vias:?}");
    assert!(vias[0].contains(&edge.udp.to_string()), "{vias:?}");
    assert!(
        vias[1].contains(&format!("rport={}", uac.local_addr().unwrap().port())),
        "{vias:?}"
    );

    uas.send_to(answer(&fwd, 200).as_bytes(), from)
        .await
        .unwrap();
    let (resp, _) = recv(&uac).await;
    assert_eq!(resp.status().unwrap().0, 200);
    assert_eq!(resp.header_values(HeaderName::VIA).count(), 1);
    assert_eq!(resp.top_via().unwrap().branch(), Some("z9hG4bK-t1"));
    let stats = edge.stop().await;
    assert_eq!(stats.forwarded_requests, 1);
    assert_eq!(stats.forwarded_responses, 1);
}

#[tokio::test]
async fn malformed_requests_get_400_naming_the_fault_and_the_edge_keeps_going() {
    let uas = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let edge = start(&config(uas.local_addr().unwrap(), "")).await;
    let uac = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let via_host = uac.local_addr().unwrap().to_string();

    uac.send_to(
        options("z9hG4bK-bad1", "x OPTIONS", &via_host).as_bytes(),
        edge.udp,
    )
    .await
    .unwrap();
    let (resp, _) = recv(&uac).await;
    assert_eq!(resp.status().unwrap().0, 400);
    assert!(
        resp.reason().unwrap().contains("CSeq"),
        "{:?}",
        resp.reason()
    );

    let no_call_id = options("z9hG4bK-bad2", "1 OPTIONS", &via_host)
        .replace("Call-ID: z9hG4bK-bad2@test\r\n", "");
    uac.send_to(no_call_id.as_bytes(), edge.udp).await.unwrap();
    let (resp, _) = recv(&uac).await;
    assert_eq!(resp.status().unwrap().0, 400);
    assert!(
        resp.reason().unwrap().contains("Call-ID"),
        "{:?}",
        resp.reason()
    );

    let zero_mf = options("z9hG4bK-bad3", "1 OPTIONS", &via_host)
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    uac.send_to(zero_mf.as_bytes(), edge.udp).await.unwrap();
    let (resp, _) = recv(&uac).await;
    assert_eq!(resp.status().unwrap().0, 483);

    // Garbage gets no answer and no crash; a good request still goes through afterwards.
    uac.send_to(b"\x00\x01garbage\r\n\r\n", edge.udp)
        .await
        .unwrap();
    uac.send_to(
        options("z9hG4bK-ok", "2 OPTIONS", &via_host).as_bytes(),
        edge.udp,
    )
    .await
    .unwrap();
    let (fwd, _) = recv(&uas).await;
    assert_eq!(fwd.cseq().unwrap().seq, 2);
    let stats = edge.stop().await;
    assert_eq!(stats.bad_requests, 2);
    assert_eq!(stats.dropped, 1);
}

#[tokio::test]
async fn tcp_request_relayed_to_udp_and_answer_returns_on_the_connection() {
    let uas = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let edge = start(&config(uas.local_addr().unwrap(), "")).await;
    let mut conn = TcpStream::connect(edge.tcp).await.unwrap();
    let me = conn.local_addr().unwrap().to_string();
    let req = options("z9hG4bK-tcp1", "1 OPTIONS", &me).replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    conn.write_all(req.as_bytes()).await.unwrap();

    let (fwd, from) = recv(&uas).await;
    assert!(fwd.top_via().unwrap().transport.eq_ignore_ascii_case("UDP"));
    uas.send_to(answer(&fwd, 200).as_bytes(), from)
        .await
        .unwrap();

    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout_at(deadline, conn.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed early");
        got.extend_from_slice(&buf[..n]);
    }
    let resp = Message::parse(bytes::Bytes::from(got)).unwrap();
    assert_eq!(resp.status().unwrap().0, 200);
    assert_eq!(resp.top_via().unwrap().branch(), Some("z9hG4bK-tcp1"));
    edge.stop().await;
}

#[tokio::test]
async fn oversized_tcp_message_closes_the_connection() {
    let uas = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let edge = start(&config(
        uas.local_addr().unwrap(),
        "[limits]\nmax_message_size = 2000\n",
    ))
    .await;
    let mut conn = TcpStream::connect(edge.tcp).await.unwrap();
    // A header section that never ends.
    let mut endless = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
    endless.extend(std::iter::repeat_n(b'X', 5000));
    let _ = conn.write_all(&endless).await;
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break true,
                Ok(_) => {}
            }
        }
    })
    .await
    .unwrap_or(false);
    assert!(
        closed,
        "the edge closes a connection whose message exceeds the cap"
    );
    edge.stop().await;
}

#[test]
fn check_config_names_the_bad_key() {
    let path = std::env::temp_dir().join(format!("edge-bad-{}.toml", std::process::id()));
    std::fs::write(&path, "[node]\nmode = \"sideways\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ims-edge"))
        .args(["--config", path.to_str().unwrap(), "--check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mode"), "{err}");

    std::fs::write(
        &path,
        "[[route]]\nname = \"r\"\ndestinations = [\"tel:+123\"]\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ims-edge"))
        .args(["--config", path.to_str().unwrap(), "--check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("route[0].destinations[0]"), "{err}");
}
