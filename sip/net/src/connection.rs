//! TCP/TLS connections: the connection table and the per-connection task (RFC 3261 §18.3
//! framing, RFC 5626 §4.4.1 CRLF keep-alive, idle timeout, batched writes).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use sip_proto::framing::{Framed, FramingError, StreamFramer};
use sip_proto::{ConnectionId, Flow, Transport};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::event::{Incoming, NetEvent};
use crate::network::Shared;
use crate::stats::Counters;

/// Messages a connection's write queue holds before `send` reports it full.
pub(crate) const WRITE_QUEUE: usize = 1024;
/// Bytes gathered from the write queue into one `write_all`.
const WRITE_BATCH: usize = 64 * 1024;
/// How long a closing connection may take to send its FIN / close_notify.
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
/// Free space kept in the read buffer before each read.
const READ_RESERVE: usize = 8 * 1024;

/// An open (or opening) connection as seen by `send`.
#[derive(Debug)]
pub(crate) struct ConnEntry {
    pub(crate) tx: mpsc::Sender<Bytes>,
    pub(crate) transport: Transport,
    pub(crate) remote: SocketAddr,
}

/// ConnectionId → write queue, and (transport, remote) → the newest connection to reuse.
#[derive(Debug, Default)]
pub(crate) struct ConnTable {
    pub(crate) by_id: HashMap<ConnectionId, ConnEntry>,
    pub(crate) by_remote: HashMap<(Transport, SocketAddr), ConnectionId>,
}

impl ConnTable {
    pub(crate) fn insert(&mut self, id: ConnectionId, entry: ConnEntry) {
        self.by_remote.insert((entry.transport, entry.remote), id);
        self.by_id.insert(id, entry);
    }

    pub(crate) fn remove(&mut self, id: ConnectionId) {
        if let Some(entry) = self.by_id.remove(&id) {
            let key = (entry.transport, entry.remote);
            if self.by_remote.get(&key) == Some(&id) {
                self.by_remote.remove(&key);
            }
        }
    }

    /// The connection `id` if it exists with that transport, else the newest to `remote`.
    pub(crate) fn find(
        &self,
        id: Option<ConnectionId>,
        transport: Transport,
        remote: SocketAddr,
    ) -> Option<(ConnectionId, &ConnEntry)> {
        if let Some(id) = id {
            if let Some(e) = self.by_id.get(&id) {
                if e.transport == transport && !e.tx.is_closed() {
                    return Some((id, e));
                }
            }
        }
        let id = *self.by_remote.get(&(transport, remote))?;
        let e = self.by_id.get(&id)?;
        (!e.tx.is_closed()).then_some((id, e))
    }
}

/// Why a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Close {
    PeerClosed,
    Idle,
    Framing,
    Oversized,
    Io,
    Shutdown,
}

fn is_oversize(e: &FramingError) -> bool {
    matches!(e, FramingError::TooLarge { .. })
}

/// Runs one established connection until it closes, then unregisters it and reports any
/// message still queued as failed. `flow.connection` must be set and registered.
pub(crate) async fn drive<S>(
    shared: Arc<Shared>,
    mut stream: S,
    mut rx: mpsc::Receiver<Bytes>,
    flow: Flow,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let counters = &shared.counters;
    Counters::inc(&counters.connections_open);
    let idle_for = shared.config.tcp_idle_timeout;
    let idle = tokio::time::sleep(idle_for);
    tokio::pin!(idle);
    let mut framer = StreamFramer::new(shared.config.max_message_size);
    let mut batch: Vec<Bytes> = Vec::new();
    let mut wbuf = BytesMut::new();
    let close = 'conn: loop {
        let rbuf = framer.buffer_mut();
        if rbuf.capacity() - rbuf.len() < READ_RESERVE {
            rbuf.reserve(READ_RESERVE * 2);
        }
        tokio::select! {
            read = stream.read_buf(framer.buffer_mut()) => {
                match read {
                    Ok(0) => break Close::PeerClosed,
                    Ok(_) => {}
                    Err(_) => break Close::Io,
                }
                idle.as_mut().reset(tokio::time::Instant::now() + idle_for);
                loop {
                    match framer.next_message() {
                        Ok(Some(Framed::Message(data))) => {
                            Counters::inc(&counters.received);
                            let ev = NetEvent::Message(Incoming { flow, data });
                            if shared.events.send(ev).await.is_err() {
                                break 'conn Close::Shutdown;
                            }
                        }
                        Ok(Some(Framed::Ping)) => {
                            // RFC 5626 §4.4.1: a double CRLF ping gets a single CRLF pong.
                            if stream.write_all(b"\r\n").await.is_err() {
                                break 'conn Close::Io;
                            }
                        }
                        Ok(Some(Framed::Pong)) => {}
                        Ok(None) => break,
                        Err(e) => {
                            if is_oversize(&e) {
                                Counters::inc(&counters.oversized);
                                break 'conn Close::Oversized;
                            }
                            Counters::inc(&counters.framing_errors);
                            break 'conn Close::Framing;
                        }
                    }
                }
            }
            first = rx.recv() => {
                let Some(first) = first else { break Close::Shutdown };
                batch.push(first);
                let mut size = batch.iter().map(Bytes::len).sum::<usize>();
                while size < WRITE_BATCH {
                    match rx.try_recv() {
                        Ok(more) => {
                            size += more.len();
                            batch.push(more);
                        }
                        Err(_) => break,
                    }
                }
                let result = write_batch(&mut stream, &batch, &mut wbuf).await;
                let n = batch.len() as u64;
                batch.clear();
                if result.is_err() {
                    Counters::add(&counters.send_failures, n);
                    for _ in 0..n {
                        report_failed(&shared, flow);
                    }
                    break Close::Io;
                }
                Counters::add(&counters.sent, n);
                idle.as_mut().reset(tokio::time::Instant::now() + idle_for);
            }
            () = &mut idle => break Close::Idle,
        }
    };
    tracing::debug!(remote = %flow.remote, ?close, "connection closed");
    shared.conns_lock().remove(connection_id(&flow));
    counters.connection_closed();
    let _ = tokio::time::timeout(SHUTDOWN_WAIT, stream.shutdown()).await;
    fail_queued(&shared, &mut rx, flow);
}

/// Writes one message as is, or several gathered into one buffer and one `write_all`.
async fn write_batch<S: AsyncWrite + Unpin>(
    stream: &mut S,
    batch: &[Bytes],
    wbuf: &mut BytesMut,
) -> std::io::Result<()> {
    if let [one] = batch {
        stream.write_all(one).await?;
    } else {
        wbuf.clear();
        for b in batch {
            wbuf.extend_from_slice(b);
        }
        stream.write_all(wbuf).await?;
    }
    stream.flush().await
}

fn connection_id(flow: &Flow) -> ConnectionId {
    flow.connection.unwrap_or(ConnectionId(0))
}

fn report_failed(shared: &Shared, flow: Flow) {
    let _ = shared.events.try_send(NetEvent::SendFailed { flow });
}

/// Unregisters a connection that never came up (or went down) and fails what it had queued.
pub(crate) fn fail_queued(shared: &Shared, rx: &mut mpsc::Receiver<Bytes>, flow: Flow) {
    shared.conns_lock().remove(connection_id(&flow));
    rx.close();
    while rx.try_recv().is_ok() {
        Counters::inc(&shared.counters.send_failures);
        report_failed(shared, flow);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(transport: Transport, remote: SocketAddr) -> (ConnEntry, mpsc::Receiver<Bytes>) {
        let (tx, rx) = mpsc::channel(1);
        (
            ConnEntry {
                tx,
                transport,
                remote,
            },
            rx,
        )
    }

    #[test]
    fn table_finds_by_id_then_by_remote() {
        let remote: SocketAddr = "192.0.2.1:5060".parse().expect("addr");
        let other: SocketAddr = "192.0.2.2:5060".parse().expect("addr");
        let mut table = ConnTable::default();
        let (e1, _rx1) = entry(Transport::Tcp, remote);
        let (e2, _rx2) = entry(Transport::Tcp, remote);
        let (e3, rx3) = entry(Transport::Tls, other);
        table.insert(ConnectionId(1), e1);
        table.insert(ConnectionId(2), e2);
        table.insert(ConnectionId(3), e3);
        let id = |f: Option<(ConnectionId, &ConnEntry)>| f.map(|(id, _)| id);
        // Exact id wins; the newest connection to the remote otherwise.
        assert_eq!(
            id(table.find(Some(ConnectionId(1)), Transport::Tcp, other)),
            Some(ConnectionId(1))
        );
        assert_eq!(
            id(table.find(None, Transport::Tcp, remote)),
            Some(ConnectionId(2))
        );
        // A transport mismatch on the id falls back to the remote lookup.
        assert_eq!(
            id(table.find(Some(ConnectionId(3)), Transport::Tcp, remote)),
            Some(ConnectionId(2))
        );
        assert_eq!(id(table.find(None, Transport::Udp, remote)), None);
        // Removing an older connection keeps the newer one reachable by address.
        table.remove(ConnectionId(1));
        assert_eq!(
            id(table.find(None, Transport::Tcp, remote)),
            Some(ConnectionId(2))
        );
        table.remove(ConnectionId(2));
        assert_eq!(id(table.find(None, Transport::Tcp, remote)), None);
        // A closed queue is not offered.
        drop(rx3);
        assert_eq!(
            id(table.find(Some(ConnectionId(3)), Transport::Tls, other)),
            None
        );
        table.remove(ConnectionId(99));
        assert_eq!(table.by_id.len(), 1);
    }

    #[test]
    fn oversize_is_told_apart() {
        assert!(is_oversize(&FramingError::TooLarge { limit: 10 }));
        assert!(!is_oversize(&FramingError::BadContentLength));
    }
}
