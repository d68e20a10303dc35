//! Test harness: a P-CSCF on 127.0.0.1 port 0 whose I-CSCF and S-CSCF are UDP sockets of the
//! test, and SIP message helpers for the UE side.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use ims_pcscf::{Pcscf, PcscfConfig};
use sip_proto::Transport;
use sip_types::{HeaderName, Message, Method, ResponseBuilder, StatusCode};
use tokio::net::UdpSocket;

/// The P-CSCF and the sockets around it.
pub struct Lab {
    pub pcscf: Pcscf,
    /// The P-CSCF's UDP listener.
    pub addr: SocketAddr,
    /// The P-CSCF's TCP listener.
    pub tcp: SocketAddr,
    /// Plays the I-CSCF (REGISTER arrives here).
    pub icscf: UdpSocket,
    /// Plays the S-CSCF (`scscf.ims.test` in `[sip.hosts]`).
    pub scscf: UdpSocket,
}

pub async fn socket() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

pub async fn start() -> Lab {
    let icscf = socket().await;
    let scscf = socket().await;
    let text = format!(
        "[sip]\n\
         [[sip.listen]]\ntransport = \"udp\"\naddr = \"127.0.0.1:0\"\n\
         [[sip.listen]]\ntransport = \"tcp\"\naddr = \"127.0.0.1:0\"\n\
         [sip.hosts]\n\"scscf.ims.test\" = [\"udp:{}\"]\n\
         [pcscf]\nicscf = \"sip:{}\"\nvisited_network_id = \"ims.test\"\n\
         node_name = \"pcscf.ims.test\"\n\
         [log]\nlevel = \"warn\"\n",
        scscf.local_addr().unwrap(),
        icscf.local_addr().unwrap(),
    );
    let config: PcscfConfig = toml::from_str(&text).unwrap();
    let pcscf = Pcscf::start(config).await.unwrap();
    let listener = |transport| {
        pcscf
            .sip_listeners()
            .into_iter()
            .find(|(t, _)| *t == transport)
            .map(|(_, a)| a)
            .unwrap()
    };
    let addr = listener(Transport::Udp);
    let tcp = listener(Transport::Tcp);
    Lab {
        pcscf,
        addr,
        tcp,
        icscf,
        scscf,
    }
}

/// The next message on `sock` (5 s at most), and where it came from.
pub async fn recv_from(sock: &UdpSocket) -> (Message, SocketAddr) {
    let mut buf = vec![0u8; 65_535];
    let (n, from) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
        .await
        .expect("a message in time")
        .unwrap();
    (
        Message::parse(Bytes::copy_from_slice(&buf[..n])).unwrap(),
        from,
    )
}

/// The next message on `sock` other than a 100 Trying or an ACK.
pub async fn recv(sock: &UdpSocket) -> Message {
    loop {
        let (m, _) = recv_from(sock).await;
        if m.status() != Some(StatusCode::TRYING) && m.method() != Some(&Method::ACK) {
            return m;
        }
    }
}

/// The ACK a UAC sends for a non-2xx final `response` to `invite` (RFC 3261 §17.1.1.3).
pub fn ack(invite: &Message, response: &Message) -> String {
    let header = |name: HeaderName| response.header(name).unwrap_or_default().to_owned();
    let seq = response.cseq().map(|c| c.seq).unwrap_or(1);
    let routes: String = invite
        .header_lines(HeaderName::ROUTE)
        .map(|r| format!("Route: {r}\r\n"))
        .collect();
    format!(
        "ACK {} SIP/2.0\r\nVia: {}\r\nMax-Forwards: 70\r\n{routes}From: {}\r\nTo: {}\r\n\
         Call-ID: {}\r\nCSeq: {seq} ACK\r\nContent-Length: 0\r\n\r\n",
        invite.request_uri().unwrap_or_default(),
        invite.header(HeaderName::VIA).unwrap_or_default(),
        header(HeaderName::FROM),
        header(HeaderName::TO),
        header(HeaderName::CALL_ID),
    )
}

pub async fn send(sock: &UdpSocket, to: SocketAddr, message: impl AsRef<[u8]>) {
    sock.send_to(message.as_ref(), to).await.unwrap();
}

/// A REGISTER of `user` from `ue` with `expires` on its contact, and extra header lines.
pub fn register(
    user: &str,
    ue: SocketAddr,
    call: &str,
    cseq: u32,
    expires: u32,
    extra: &str,
) -> String {
    format!(
        "REGISTER sip:ims.test SIP/2.0\r\n\
         Via: SIP/2.0/UDP {ue};branch=z9hG4bK-{call}-{cseq};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:{user}@ims.test>;tag=reg{user}\r\n\
         To: <sip:{user}@ims.test>\r\n\
         Call-ID: {call}\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Contact: <sip:{user}@{ue}>;expires={expires}\r\n\
         {extra}\
         Content-Length: 0\r\n\r\n"
    )
}

/// An initial INVITE to `uri` from `from_user` at `ue`, with extra header lines.
pub fn invite(uri: &str, from_user: &str, ue: SocketAddr, call: &str, extra: &str) -> String {
    format!(
        "INVITE {uri} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {ue};branch=z9hG4bK-{call};rport\r\n\
         Max-Forwards: 70\r\n\
         {extra}\
         From: <sip:{from_user}@ims.test>;tag=inv{call}\r\n\
         To: <{uri}>\r\n\
         Call-ID: {call}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:{from_user}@{ue}>\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// A response to `request` with a To tag and extra headers.
pub fn answer(request: &Message, status: u16, headers: &[(&str, &str)]) -> Bytes {
    let mut b = ResponseBuilder::new(request, StatusCode(status)).to_tag("t1");
    for (name, value) in headers {
        b = b.header(name, *value);
    }
    b.build()
}

/// Read one message (no body) from a TCP stream, 5 s at most.
pub async fn read_stream(stream: &mut tokio::net::TcpStream, pending: &mut Vec<u8>) -> Message {
    use tokio::io::AsyncReadExt;
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = pending.split_off(end + 4);
            let message = std::mem::replace(pending, rest);
            let m = Message::parse(Bytes::from(message)).unwrap();
            if m.status() == Some(StatusCode::TRYING) {
                continue;
            }
            return m;
        }
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("a message in time")
            .unwrap();
        assert!(n > 0, "connection closed");
        pending.extend_from_slice(&buf[..n]);
    }
}
