//! A blocking UDP socket for a caller-driven receive loop (one `recvfrom` per datagram, no
//! readiness polling): the shape of Kamailio's UDP workers, for the proxy's hot path.
//! Datagrams are received into slices of a shared chunk, so a message costs no allocation.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use socket2::{Domain, Protocol, Socket, Type};

/// Requested SO_RCVBUF / SO_SNDBUF (the kernel may cap it at `net.core.rmem_max`).
const SOCKET_BUFFER: usize = 4 << 20;

/// What one receive produced.
#[derive(Debug)]
pub enum Received {
    /// A datagram (not a keep-alive, not over the cap).
    Datagram(Bytes, SocketAddr),
    /// A keep-alive (only CR/LF) or an oversized datagram, dropped.
    Dropped,
    /// The read timeout passed with nothing received.
    TimedOut,
}

/// A bound blocking UDP socket.
#[derive(Debug)]
pub struct BlockingUdp {
    socket: UdpSocket,
    local: SocketAddr,
    buf: BytesMut,
    max: usize,
}

impl BlockingUdp {
    /// Bind `addr` with large buffers; messages over `max_message_size` are dropped.
    pub fn bind(addr: SocketAddr, max_message_size: usize) -> io::Result<Self> {
        let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        // Best effort: a smaller buffer is not fatal.
        let _ = socket.set_recv_buffer_size(SOCKET_BUFFER);
        let _ = socket.set_send_buffer_size(SOCKET_BUFFER);
        socket.bind(&addr.into())?;
        let socket: UdpSocket = socket.into();
        let local = socket.local_addr()?;
        Ok(Self {
            socket,
            local,
            buf: BytesMut::new(),
            max: max_message_size,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// How long [`BlockingUdp::recv`] waits at most (`None`: forever).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.socket.set_read_timeout(timeout)
    }

    /// Wait for one datagram.
    pub fn recv(&mut self) -> io::Result<Received> {
        // One byte more than the cap tells an oversized datagram from one exactly at it. The
        // chunk is zeroed once and then sliced, message after message: no per-message memset
        // and no unsafe commit of uninitialised bytes.
        let need = self.max.saturating_add(1);
        if self.buf.len() < need {
            self.buf = BytesMut::zeroed(need.saturating_mul(4).max(256 * 1024));
        }
        let (n, from) = match self.socket.recv_from(&mut self.buf[..]) {
            Ok(got) => got,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(Received::TimedOut)
            }
            // ICMP errors from earlier sends (ECONNREFUSED...) surface here: not fatal.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(Received::Dropped),
            Err(e) => return Err(e),
        };
        if n > self.max {
            return Ok(Received::Dropped);
        }
        let data = self.buf.split_to(n).freeze();
        if data.iter().all(|&b| b == b'\r' || b == b'\n') {
            return Ok(Received::Dropped);
        }
        Ok(Received::Datagram(data, from))
    }

    /// Send one datagram (blocking only if the send buffer is full).
    pub fn send_to(&self, data: &[u8], to: SocketAddr) -> io::Result<usize> {
        self.socket.send_to(data, to)
    }

    /// A second handle on the same socket (to send from another thread, or to wake the receiver
    /// by sending to it).
    pub fn try_clone_socket(&self) -> io::Result<UdpSocket> {
        self.socket.try_clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receives_slices_drops_keepalives_and_oversized_and_times_out() {
        let mut rx = BlockingUdp::bind("127.0.0.1:0".parse().unwrap(), 100).unwrap();
        rx.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = rx.local_addr();
        tx.send_to(b"OPTIONS one", to).unwrap();
        tx.send_to(b"\r\n\r\n", to).unwrap();
        tx.send_to(&[b'x'; 101], to).unwrap();
        tx.send_to(&[b'y'; 100], to).unwrap();
        match rx.recv().unwrap() {
            Received::Datagram(d, from) => {
                assert_eq!(&d[..], b"OPTIONS one");
                assert_eq!(from, tx.local_addr().unwrap());
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(rx.recv().unwrap(), Received::Dropped),
            "keep-alive"
        );
        assert!(
            matches!(rx.recv().unwrap(), Received::Dropped),
            "over the cap"
        );
        assert!(matches!(rx.recv().unwrap(), Received::Datagram(d, _) if d.len() == 100));
        assert!(matches!(rx.recv().unwrap(), Received::TimedOut));
        rx.send_to(b"back", tx.local_addr().unwrap()).unwrap();
        let mut b = [0u8; 8];
        assert_eq!(tx.recv(&mut b).unwrap(), 4);
    }
}
