//! SCTP transport (RFC 6733 §2.1, RFC 4960) through `sctp-rs`, compiled with the `sctp`
//! feature. One-to-one style sockets; every Diameter message is sent as one SCTP message on
//! stream 0. The socket is bridged to the same framed byte stream as TCP (a `duplex` pipe and
//! two small tasks), so the driver treats all transports alike.
//!
//! This kernel build may lack SCTP (`EPROTONOSUPPORT`): [`probe`] reports it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use sctp_rs::{
    ConnectedSocket, Listener, NotificationOrData, SendData, Socket, SocketToAssociation,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::framing::{split_frame, DEFAULT_MAX_MESSAGE_LEN};
use crate::transport::{BoxStream, ConnectError};

/// Size of the in-process pipe between the SCTP socket and the framed stream.
const PIPE: usize = 256 * 1024;

/// Whether the running kernel can create an SCTP socket.
pub fn probe() -> bool {
    Socket::new_v4(SocketToAssociation::OneToOne).is_ok()
}

fn new_socket(addr: SocketAddr) -> std::io::Result<Socket> {
    if addr.is_ipv4() {
        Socket::new_v4(SocketToAssociation::OneToOne)
    } else {
        Socket::new_v6(SocketToAssociation::OneToOne)
    }
}

/// Connects to `addr` and returns the association as a byte stream. (`sctp-rs`'s connect
/// future is not `Send`, so it runs on a blocking thread inside the runtime's context.)
pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<BoxStream, ConnectError> {
    let handle = tokio::runtime::Handle::current();
    let conn = tokio::task::spawn_blocking(move || {
        handle.block_on(async move {
            let sock = new_socket(addr)?;
            match tokio::time::timeout(timeout, sock.connect(addr)).await {
                Ok(r) => r.map(|(c, _assoc)| c).map_err(ConnectError::Io),
                Err(_) => Err(ConnectError::Timeout),
            }
        })
    })
    .await
    .map_err(|e| ConnectError::Io(std::io::Error::other(e)))??;
    Ok(bridge(conn))
}

/// Binds and listens on `addr`.
pub fn listen(addr: SocketAddr) -> std::io::Result<Listener> {
    let sock = new_socket(addr)?;
    sock.bind(addr)?;
    sock.listen(128)
}

/// Accepts one association, as a byte stream.
pub async fn accept(listener: &Listener) -> std::io::Result<(BoxStream, SocketAddr)> {
    let (conn, remote) = listener.accept().await?;
    Ok((bridge(conn), remote))
}

/// Bridges an association to a byte stream: received payloads are written to the pipe as they
/// come; bytes written to the stream are split into whole Diameter messages, each sent as one
/// SCTP message.
pub fn bridge(conn: ConnectedSocket) -> BoxStream {
    let conn = Arc::new(conn);
    let (ours, theirs) = tokio::io::duplex(PIPE);
    let (mut pipe_r, mut pipe_w) = tokio::io::split(theirs);
    let rx = conn.clone();
    tokio::spawn(async move {
        loop {
            match rx.sctp_recv().await {
                Ok(NotificationOrData::Data(d)) => {
                    if d.payload.is_empty() || pipe_w.write_all(&d.payload).await.is_err() {
                        break;
                    }
                }
                Ok(NotificationOrData::Notification(_)) => {}
                Err(_) => break,
            }
        }
        let _ = pipe_w.shutdown().await;
    });
    tokio::spawn(async move {
        let mut buf = BytesMut::with_capacity(16 * 1024);
        'outer: loop {
            match pipe_r.read_buf(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            loop {
                match split_frame(&mut buf, DEFAULT_MAX_MESSAGE_LEN * 16) {
                    Ok(Some(frame)) => {
                        let data = SendData {
                            payload: frame.to_vec(),
                            snd_info: None,
                        };
                        if conn.sctp_send(data).await.is_err() {
                            break 'outer;
                        }
                    }
                    Ok(None) => break,
                    Err(_) => break 'outer,
                }
            }
        }
        let _ = conn.shutdown(std::net::Shutdown::Both);
    });
    Box::new(ours)
}

#[cfg(test)]
mod tests {
    #[test]
    fn probe_matches_proc_protocols() {
        let listed = std::fs::read_to_string("/proc/net/protocols")
            .map(|s| s.lines().any(|l| l.starts_with("SCTP ")))
            .unwrap_or(false);
        // The kernel module may be loaded on demand by the first socket() call.
        if listed {
            assert!(super::probe());
        } else {
            let _ = super::probe();
        }
    }

    #[tokio::test]
    async fn loopback_association_when_the_kernel_has_sctp() {
        if !super::probe() {
            eprintln!("no SCTP in this kernel: skipped");
            return;
        }
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // Binding to port 0 gives no way to read the port back through sctp-rs 0.3; a fixed
        // high port is used instead.
        let addr: std::net::SocketAddr = "127.0.0.1:38681".parse().unwrap();
        let l = super::listen(addr).unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = super::accept(&l).await.unwrap();
            let mut b = [0u8; 20];
            s.read_exact(&mut b).await.unwrap();
            s.write_all(&b).await.unwrap();
        });
        let mut c = super::connect(addr, std::time::Duration::from_secs(2))
            .await
            .unwrap();
        let mut msg = [0u8; 20];
        msg[0] = 1;
        msg[3] = 20;
        c.write_all(&msg).await.unwrap();
        let mut back = [0u8; 20];
        c.read_exact(&mut back).await.unwrap();
        assert_eq!(back, msg);
        server.await.unwrap();
    }
}
