//! The admin API's tokio driver: a TCP listener, one task per connection feeding the sans-IO
//! [`RequestDecoder`] and answering through [`route`] and [`AdminMethods::dispatch`], with a
//! read timeout per request, an idle timeout per connection, a connection limit and a graceful
//! stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::config::AdminConfig;
use super::http::{self, Request, RequestDecoder, Response, Version};
use super::methods::AdminMethods;
use super::route::{route, Routed};

/// How long [`AdminServer::stop`] lets connections finish the request they are serving.
const GRACE: Duration = Duration::from_secs(5);

/// Refusals (503) being written at once, beyond which extra connections are just closed.
const MAX_REFUSING: usize = 16;

/// Time allowed to write an answer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

struct Shared {
    config: AdminConfig,
    methods: AdminMethods,
}

/// A running admin endpoint.
#[derive(Debug)]
pub struct AdminServer {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl AdminServer {
    /// Binds `config.listen` and serves `methods` until [`stop`](Self::stop).
    pub async fn start(config: AdminConfig, mut methods: AdminMethods) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        let local_addr = listener.local_addr()?;
        if config.token.is_none() && !local_addr.ip().is_loopback() {
            tracing::warn!(%local_addr, "admin API without a token on a non-loopback address");
        }
        methods.started_now();
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared { config, methods });
        let task = tokio::spawn(accept_loop(listener, shared, stopped));
        tracing::info!(%local_addr, "admin API listening");
        Ok(Self {
            local_addr,
            stop,
            task,
        })
    }

    /// The bound address (the port when `listen` asked for 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets each connection finish its current request (up to 5 s), closes.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let limit = Arc::new(Semaphore::new(shared.config.max_connections));
    let mut connections = JoinSet::new();
    let mut refusing = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            Some(_) = refusing.join_next(), if !refusing.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors and the like: do not spin.
                        tracing::warn!(error = %e, "admin accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                match Arc::clone(&limit).try_acquire_owned() {
                    Ok(permit) => {
                        tracing::debug!(%peer, "admin connection");
                        connections.spawn(serve(stream, Arc::clone(&shared), stop.clone(), permit));
                    }
                    Err(_) if refusing.len() < MAX_REFUSING => {
                        refusing.spawn(refuse(stream));
                    }
                    Err(_) => drop(stream),
                }
            }
        }
    }
    drop(listener);
    refusing.abort_all();
    let grace = tokio::time::sleep(GRACE);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            () = &mut grace => {
                connections.abort_all();
                break;
            }
            next = connections.join_next() => if next.is_none() { break },
        }
    }
}

async fn refuse(mut stream: TcpStream) {
    let mut r = Response::text(503, "too many admin connections");
    r.close = true;
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&r.encode())).await;
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(bytes)).await,
        Ok(Ok(()))
    )
}

/// One connection: requests in order (pipelining allowed), one answer each.
async fn serve(
    mut stream: TcpStream,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let mut decoder = RequestDecoder::new();
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut continued = false;
    let mut deadline: Option<Instant> = None;
    let mut stopping = *stop.borrow();
    loop {
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(request)) => {
                    deadline = None;
                    continued = false;
                    let answer = answer(&shared, &request).await;
                    if !write(&mut stream, &answer.encode()).await || answer.close {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(error = %e, "admin request refused");
                    let _ = write(&mut stream, &Response::for_error(e).encode()).await;
                    return;
                }
            }
        }
        let in_request = decoder.in_request(&buf);
        if stopping && !in_request {
            return;
        }
        if decoder.expects_continue() && !continued {
            continued = true;
            if !write(&mut stream, http::CONTINUE).await {
                return;
            }
        }
        if in_request && deadline.is_none() {
            deadline = Some(Instant::now() + shared.config.read_timeout);
        }
        let until = deadline.unwrap_or_else(|| Instant::now() + shared.config.idle_timeout);
        tokio::select! {
            changed = stop.changed(), if !stopping => {
                stopping = changed.is_err() || *stop.borrow();
            }
            read = tokio::time::timeout_at(until, stream.read(&mut chunk)) => match read {
                Err(_) => {
                    if deadline.is_some() {
                        let mut r = Response::text(408, "request not received in time");
                        r.close = true;
                        let _ = write(&mut stream, &r.encode()).await;
                    }
                    return;
                }
                Ok(Ok(0) | Err(_)) => return,
                Ok(Ok(n)) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            },
        }
    }
}

/// The answer to one whole request.
async fn answer(shared: &Shared, request: &Request) -> Response {
    let keep_alive = request.keep_alive();
    let mut response = match route(request, shared.config.token.as_ref()) {
        Routed::Answer(r) => r,
        Routed::Rpc(body) => match shared.methods.dispatch(body).await {
            Some(value) => match serde_json::to_vec(&value) {
                Ok(bytes) => Response::json(bytes),
                Err(_) => Response::text(500, "response not serialisable"),
            },
            None => Response {
                status: 204,
                headers: Vec::new(),
                content_type: None,
                body: Vec::new(),
                close: false,
            },
        },
    };
    if !keep_alive {
        response.close = true;
    } else if request.version == Version::Http10 {
        response
            .headers
            .push(("Connection", "keep-alive".to_owned()));
    }
    response
}
