//! Outgoing HTTP/1.1 connections, kept alive and reused across calls.
//!
//! Calls come and go (and instances with them), but the backend they talk to stays the same;
//! opening a TCP connection per request would cost both sides a connect, an accept and a
//! teardown. The pool keeps idle connections per origin (scheme, host and port, checked by the
//! sandbox before a request gets here) and hands one back when its response body has been read
//! to the end. A connection whose body is dropped half-read is closed, not reused. `https`
//! origins go through Wasmtime's default sender, one connection per request.
//!
//! The guest's request options are honoured: the connect timeout bounds a new connection, the
//! first-byte timeout the wait for the response head, the between-bytes timeout each wait for a
//! body frame.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::Scheme;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

use crate::busy_poll::BusyPoll;
use crate::locking::lock;

/// Idle connections kept per origin; more are closed when they come back.
const MAX_IDLE_PER_ORIGIN: usize = 64;

/// An idle connection unused for this long is closed instead of reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Wasmtime's defaults, for a request that sets no timeout of its own.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// What a sent request yields: the response, and a future that reports late connection errors.
pub type Sent = (
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), Error>> + Send>,
);

/// Idle keep-alive connections, by origin (`host:port`).
pub struct ConnectionPool {
    idle: Mutex<HashMap<String, Vec<Idle>>>,
    /// Watches every new connection for replies.
    busy_poll: Arc<BusyPoll>,
}

struct Idle {
    sender: SendRequest<WasiBody>,
    since: Instant,
}

impl ConnectionPool {
    /// An empty pool whose connections `busy_poll` watches.
    pub fn new(busy_poll: Arc<BusyPoll>) -> Self {
        Self {
            idle: Mutex::default(),
            busy_poll,
        }
    }

    /// Sends `request` (an absolute URI), on an idle connection to its origin when there is
    /// one that can take it, else on a new one.
    pub async fn send(
        self: Arc<Self>,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<Sent, Error> {
        if request.uri().scheme() == Some(&Scheme::HTTPS) {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            return Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ));
        }
        let timeouts = Timeouts::of(options);
        let origin = origin_of(request.uri())?;
        // On the wire the request line carries only the path; the origin picks the connection.
        *request.uri_mut() = path_only(request.uri());

        if let Some(mut sender) = self.take_idle(&origin) {
            match within(timeouts.first_byte, sender.try_send_request(request)).await? {
                Ok(response) => return Ok(self.finish(origin, sender, response, &timeouts)),
                // The connection closed before the request was written (e.g. the server timed
                // it out while idle): send the same request on a new connection.
                Err(mut failed) => match failed.take_message() {
                    Some(unsent) => request = unsent,
                    None => return Err(failed.into_error().into()),
                },
            }
        }
        let mut sender = connect(&origin, timeouts.connect, &self.busy_poll).await?;
        let response = within(timeouts.first_byte, sender.send_request(request)).await??;
        Ok(self.finish(origin, sender, response, &timeouts))
    }

    /// An idle connection to `origin` that can take a request now; closed and stale ones are
    /// dropped, busy ones (a response body still being read) stay.
    fn take_idle(&self, origin: &str) -> Option<SendRequest<WasiBody>> {
        let mut idle = lock(&self.idle);
        let connections = idle.get_mut(origin)?;
        connections.retain(|c| !c.sender.is_closed() && c.since.elapsed() < IDLE_TIMEOUT);
        let ready = connections.iter().rposition(|c| c.sender.is_ready())?;
        Some(connections.swap_remove(ready).sender)
    }

    fn put_back(&self, origin: String, sender: SendRequest<WasiBody>) {
        let mut idle = lock(&self.idle);
        let connections = idle.entry(origin).or_default();
        if connections.len() >= MAX_IDLE_PER_ORIGIN {
            connections.remove(0);
        }
        connections.push(Idle {
            sender,
            since: Instant::now(),
        });
    }

    /// The response with a body that returns the connection to the pool at its end.
    fn finish(
        self: Arc<Self>,
        origin: String,
        sender: SendRequest<WasiBody>,
        response: http::Response<Incoming>,
        timeouts: &Timeouts,
    ) -> Sent {
        let between_bytes = timeouts.between_bytes;
        let response = response.map(|incoming| {
            PooledBody {
                incoming,
                between_bytes,
                stall: Box::pin(tokio::time::sleep(between_bytes)),
                release: Some((self, origin, sender)),
            }
            .boxed_unsync()
        });
        (response, Box::new(async { Ok(()) }))
    }
}

/// The request's timeouts, Wasmtime's defaults filled in.
struct Timeouts {
    connect: Duration,
    first_byte: Duration,
    between_bytes: Duration,
}

impl Timeouts {
    fn of(options: Option<RequestOptions>) -> Self {
        let options = options.unwrap_or_default();
        Self {
            connect: options.connect_timeout.unwrap_or(DEFAULT_TIMEOUT),
            first_byte: options.first_byte_timeout.unwrap_or(DEFAULT_TIMEOUT),
            // Zero would never let a frame through; treat it as the smallest wait.
            between_bytes: options
                .between_bytes_timeout
                .unwrap_or(DEFAULT_TIMEOUT)
                .max(Duration::from_nanos(1)),
        }
    }
}

/// `host:port` of an absolute `http` URI, the default port filled in.
fn origin_of(uri: &http::Uri) -> Result<String, Error> {
    let authority = uri.authority().ok_or(Error::HttpRequestUriInvalid)?;
    Ok(match authority.port_u16() {
        Some(_) => authority.as_str().to_owned(),
        None => format!("{}:80", authority.host()),
    })
}

fn path_only(uri: &http::Uri) -> http::Uri {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    http::Uri::try_from(path).unwrap_or_else(|_| http::Uri::from_static("/"))
}

/// Runs `future` for at most `limit`; a timeout is the guest's first-byte timeout.
async fn within<T>(limit: Duration, future: impl Future<Output = T>) -> Result<T, Error> {
    tokio::time::timeout(limit, future)
        .await
        .map_err(|_| Error::ConnectionReadTimeout)
}

/// Opens a connection to `origin`, watched by `busy_poll`, and spawns the task that drives it
/// for as long as it lives.
async fn connect(
    origin: &str,
    limit: Duration,
    busy_poll: &BusyPoll,
) -> Result<SendRequest<WasiBody>, Error> {
    let stream = tokio::time::timeout(limit, TcpStream::connect(origin))
        .await
        .map_err(|_| Error::ConnectionTimeout)?
        .map_err(Error::Connect)?;
    busy_poll.watch(&stream);
    // Requests are written whole; do not hold the last segment back waiting for an ACK.
    stream.set_nodelay(true).map_err(Error::Connect)?;
    let (sender, connection) = tokio::time::timeout(limit, http1::handshake(TokioIo::new(stream)))
        .await
        .map_err(|_| Error::ConnectionTimeout)??;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!("backend connection ended: {error}");
        }
    });
    Ok(sender)
}

/// A response body that enforces the between-bytes timeout and, read to its end, returns its
/// connection to the pool.
struct PooledBody {
    incoming: Incoming,
    between_bytes: Duration,
    stall: Pin<Box<tokio::time::Sleep>>,
    release: Option<(Arc<ConnectionPool>, String, SendRequest<WasiBody>)>,
}

impl PooledBody {
    fn release(&mut self) {
        if let Some((pool, origin, sender)) = self.release.take() {
            pool.put_back(origin, sender);
        }
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(None) => {
                this.release();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(frame))) => {
                let deadline = tokio::time::Instant::now() + this.between_bytes;
                this.stall.as_mut().reset(deadline);
                if this.incoming.is_end_stream() {
                    this.release();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                this.release = None;
                Poll::Ready(Some(Err(if error.is_timeout() {
                    Error::HttpResponseTimeout
                } else {
                    error.into()
                })))
            }
            Poll::Pending => {
                ready!(this.stall.as_mut().poll(cx));
                this.release = None;
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}
