//! UDP (RFC 3261 §18.1.1/§18.2.1): one message per datagram, large socket buffers, a receive
//! loop that drains the socket before waiting again.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use sip_proto::{Flow, Transport};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use crate::error::SendError;
use crate::event::{Incoming, NetEvent};
use crate::network::Shared;
use crate::stats::Counters;

/// Requested SO_RCVBUF / SO_SNDBUF (the kernel may cap it at `net.core.rmem_max`).
const SOCKET_BUFFER: usize = 4 << 20;

/// A bound UDP socket.
#[derive(Debug)]
pub(crate) struct UdpEndpoint {
    pub(crate) socket: Arc<UdpSocket>,
    pub(crate) local: SocketAddr,
}

/// Binds a non-blocking UDP socket with large buffers.
pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<UdpEndpoint> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // Best effort: a smaller buffer is not fatal.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    let socket = UdpSocket::from_std(socket.into())?;
    let local = socket.local_addr()?;
    Ok(UdpEndpoint {
        socket: Arc::new(socket),
        local,
    })
}

/// True for a datagram of only CR and LF (a keep-alive, RFC 5626 §3.5.1 style): ignored.
fn is_keepalive(data: &[u8]) -> bool {
    data.iter().all(|&b| b == b'\r' || b == b'\n')
}

/// Receives datagrams until the event receiver is gone. Datagrams are received into slices of a
/// shared chunk, so a message costs no allocation of its own.
pub(crate) async fn recv_loop(shared: Arc<Shared>, socket: Arc<UdpSocket>, local: SocketAddr) {
    let max = shared.config.max_message_size;
    // One byte more than the cap tells an oversized datagram from one exactly at it.
    let need = max.saturating_add(1);
    let chunk = need.saturating_mul(4).max(256 * 1024);
    let mut buf = BytesMut::with_capacity(chunk);
    loop {
        if buf.capacity() - buf.len() < need {
            buf = BytesMut::with_capacity(chunk);
        }
        let (n, remote) = match socket.try_recv_buf_from(&mut buf) {
            Ok(got) => got,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if socket.readable().await.is_err() {
                    return;
                }
                continue;
            }
            // ICMP errors from earlier sends (ECONNREFUSED...) surface here: keep going.
            Err(_) => {
                buf.clear();
                tokio::task::yield_now().await;
                continue;
            }
        };
        if n > max {
            Counters::inc(&shared.counters.oversized);
            buf.clear();
            continue;
        }
        let data: Bytes = buf.split().freeze();
        if data.is_empty() || is_keepalive(&data) {
            continue;
        }
        Counters::inc(&shared.counters.received);
        let flow = Flow {
            transport: Transport::Udp,
            remote,
            local,
            connection: None,
        };
        if shared
            .events
            .send(NetEvent::Message(Incoming { flow, data }))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// The socket bound to `local`, else the first of the remote's address family, else the first.
fn pick(udp: &[UdpEndpoint], local: SocketAddr, remote: SocketAddr) -> Option<&UdpEndpoint> {
    udp.iter()
        .find(|e| e.local == local)
        .or_else(|| udp.iter().find(|e| e.local.is_ipv4() == remote.is_ipv4()))
        .or_else(|| udp.first())
}

/// Sends one datagram now, or hands it to a task when the socket buffer is full.
pub(crate) fn send(shared: &Arc<Shared>, flow: &Flow, data: Bytes) -> Result<(), SendError> {
    let ep =
        pick(&shared.udp, flow.local, flow.remote).ok_or(SendError::NoTransport(Transport::Udp))?;
    match ep.socket.try_send_to(&data, flow.remote) {
        Ok(_) => {
            Counters::inc(&shared.counters.sent);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            let socket = Arc::clone(&ep.socket);
            let task_shared = Arc::clone(shared);
            let mut flow = *flow;
            flow.local = ep.local;
            shared.runtime.spawn(async move {
                if socket.send_to(&data, flow.remote).await.is_ok() {
                    Counters::inc(&task_shared.counters.sent);
                } else {
                    Counters::inc(&task_shared.counters.send_failures);
                    let _ = task_shared.events.try_send(NetEvent::SendFailed { flow });
                }
            });
            Ok(())
        }
        Err(e) => {
            Counters::inc(&shared.counters.send_failures);
            Err(SendError::Io(e.kind()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_detection() {
        assert!(is_keepalive(b"\r\n\r\n"));
        assert!(is_keepalive(b"\r\n"));
        assert!(!is_keepalive(b"\r\nOPTIONS"));
    }

    #[tokio::test]
    async fn picks_socket_by_local_then_family() {
        let a = bind("127.0.0.1:0".parse().expect("addr")).expect("bind a");
        let b = bind("127.0.0.1:0".parse().expect("addr")).expect("bind b");
        let (la, lb) = (a.local, b.local);
        let eps = vec![a, b];
        let remote: SocketAddr = "127.0.0.1:5060".parse().expect("addr");
        assert_eq!(pick(&eps, lb, remote).map(|e| e.local), Some(lb));
        let other: SocketAddr = "127.0.0.1:9".parse().expect("addr");
        assert_eq!(pick(&eps, other, remote).map(|e| e.local), Some(la));
        let v6: SocketAddr = "[::1]:5060".parse().expect("addr");
        assert_eq!(pick(&eps, other, v6).map(|e| e.local), Some(la));
        assert!(pick(&[], other, remote).is_none());
    }
}
