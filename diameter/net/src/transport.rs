//! Opening transport connections: TCP, TLS at connect time (RFC 6733 §13), and SCTP behind
//! the `sctp` feature. Every connection is handed around as a boxed byte stream.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A connected byte stream (TCP or TLS).
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// A boxed connected stream.
pub type BoxStream = Box<dyn Stream>;

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// TCP connect or TLS handshake failed.
    #[error("connect: {0}")]
    Io(#[from] std::io::Error),
    /// Did not complete in time.
    #[error("connect timed out")]
    Timeout,
    /// The TLS server name is not valid.
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
    /// The transport is not available in this build or kernel.
    #[error("transport unsupported: {0}")]
    Unsupported(&'static str),
}

/// Connects over TCP, then TLS when `tls` gives a client configuration and the name to verify.
pub async fn connect(
    addr: SocketAddr,
    tls: Option<(Arc<rustls::ClientConfig>, &str)>,
    timeout: Duration,
) -> Result<BoxStream, ConnectError> {
    connect_local(addr, tls, timeout).await.map(|(s, _)| s)
}

/// As [`connect`], also returning the local address (for Host-IP-Address, RFC 6733 §5.3.5).
pub async fn connect_local(
    addr: SocketAddr,
    tls: Option<(Arc<rustls::ClientConfig>, &str)>,
    timeout: Duration,
) -> Result<(BoxStream, SocketAddr), ConnectError> {
    let fut = async {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let local = tcp.local_addr()?;
        match tls {
            None => Ok::<(BoxStream, SocketAddr), ConnectError>((Box::new(tcp), local)),
            Some((config, name)) => {
                let name = ServerName::try_from(name.to_owned())
                    .map_err(|_| ConnectError::ServerName(name.to_owned()))?;
                let s = tokio_rustls::TlsConnector::from(config)
                    .connect(name, tcp)
                    .await?;
                Ok((Box::new(s) as BoxStream, local))
            }
        }
    };
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| ConnectError::Timeout)?
}
