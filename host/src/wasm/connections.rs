//! Outgoing HTTP to the backend: hyper-util's pooled client, with wasi-http's per-request
//! timeouts and one resend of a request that a reused connection dropped unanswered.
//!
//! Connections are kept alive and reused per origin (scheme, host and port; the sandbox checked
//! the origin before a request gets here) by `hyper_util::client::legacy::Client` (`https`
//! ones over TLS from `hyper-rustls`, trusting what [`BackendTrust`] holds), which also
//! resends a request that never reached a live connection (one found closed before the request
//! was written). It does not resend a request that was written: yet a server may close a
//! kept-alive connection at any moment (uvicorn does after answering an unhandled error with a
//! complete 500 that does not say `Connection: close`), and the next request written into that
//! connection fails. So, as curl and browsers do, a request that went out on a *reused*
//! connection and got no byte of an answer is sent once more, on a new connection (through a
//! second client that never pools). A failure on a connection opened for the request is not
//! retried: it is reported (`connection-terminated` when the connection broke off).
//!
//! To tell the two apart, the connector wraps each connection's stream (above TLS, so that
//! handshake records do not count) in a [`Wire`] that counts its [`Traffic`]: requests begun
//! (a write after a read) and bytes read. The count rides in the connection's `Connected`
//! metadata, which hyper-util hands back with the error of a failed request
//! (`Error::connect_info`); it says whether the failed request was the connection's first and
//! whether any byte came back since it was written.
//!
//! To be sent again, a request body is held whole (the guest's bodies are small JSON), up to
//! [`MAX_BUFFERED_BODY`]; a larger one is refused with `HTTP-request-body-size`.
//!
//! The guest's request options are honoured, Wasmtime's 600 s defaults standing in for those it
//! leaves unset: the connect timeout bounds opening a connection, its TLS handshake included;
//! the first-byte timeout the wait for the response head, counted from when the request is
//! handed to the pool (so a new connection's connect, and a resend, fall within it); the
//! between-bytes timeout each wait for a body frame. A failed handshake is reported in the
//! words of [`tls::handshake_failure`].

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::uri::Scheme;
use http::{Extensions, Request, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::legacy::{Client, Error as ClientError};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tower_service::Service;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

use super::tls::{self, BackendTrust};

/// Idle connections kept per origin; more are closed when they come back.
const MAX_IDLE_PER_ORIGIN: usize = 64;

/// An idle connection unused for this long is closed instead of reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Wasmtime's defaults, for a request that sets no timeout of its own.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The largest request body held for a resend; a larger body is refused.
pub const MAX_BUFFERED_BODY: usize = 1024 * 1024;

/// What a sent request yields: the response, and a future that reports late connection errors.
pub type Sent = (
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), Error>> + Send>,
);

tokio::task_local! {
    /// The connect timeout of the request being sent, read by the connector when the pool asks
    /// it for a new connection (within the request's task).
    static CONNECT_TIMEOUT: Duration;
}

/// The host's HTTP client for the component's requests.
pub struct HttpClient {
    /// Keeps connections alive and reuses them.
    pooled: Client<Connector, Full<Bytes>>,
    /// Opens a new connection per request: for the resend of a request a reused one dropped.
    fresh: Client<Connector, Full<Bytes>>,
}

impl HttpClient {
    /// A client with an empty pool, trusting the system's CA certificates and `backend_ca` for
    /// `https` origins.
    pub fn new(backend_ca: Vec<CertificateDer<'static>>) -> Self {
        let mut tcp = HttpConnector::new();
        // Requests are written whole; do not hold the last segment back waiting for an ACK.
        tcp.set_nodelay(true);
        // `https` URIs reach it too, for the TLS connector to wrap the stream it opens.
        tcp.enforce_http(false);
        let connector = Connector {
            tcp,
            trust: Arc::new(BackendTrust::new(backend_ca)),
        };
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(IDLE_TIMEOUT)
            .pool_max_idle_per_host(MAX_IDLE_PER_ORIGIN);
        let pooled = builder.build(connector.clone());
        let fresh = builder.pool_max_idle_per_host(0).build(connector);
        Self { pooled, fresh }
    }

    /// Sends `request` (an absolute URI) on a kept-alive connection to its origin, or a new one;
    /// resends it once on a new connection if a reused one dropped it unanswered.
    pub async fn send(
        self: Arc<Self>,
        request: Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<Sent, Error> {
        let timeouts = Timeouts::of(options);
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts, Full::new(buffered(body).await?));
        let deadline = Instant::now() + timeouts.first_byte;

        let first = self.pooled.request(copy(&request));
        let response = match timeouts.head_within(deadline, first).await? {
            Ok(response) => response,
            Err(error) if went_unanswered_on_reused_connection(&error) => {
                tracing::debug!(
                    "a reused backend connection dropped a request, resending: {error}"
                );
                let again = self.fresh.request(request);
                timeouts
                    .head_within(deadline, again)
                    .await?
                    .map_err(|error| no_answer(&error))?
            }
            Err(error) => return Err(no_answer(&error)),
        };
        let between_bytes = timeouts.between_bytes;
        let response =
            response.map(|incoming| TimedBody::new(incoming, between_bytes).boxed_unsync());
        Ok((response, Box::new(async { Ok(()) })))
    }
}

impl HttpClient {
    /// The status of `GET uri` on a pooled connection, or why none came within `timeout`.
    pub async fn status_of(&self, uri: Uri, timeout: Duration) -> Result<http::StatusCode, String> {
        let request = Request::get(uri)
            .body(Full::default())
            .expect("a GET request with a valid URI");
        match tokio::time::timeout(timeout, self.pooled.request(request)).await {
            Ok(Ok(response)) => Ok(response.status()),
            Ok(Err(error)) => {
                let mut reason = error.to_string();
                let mut cause = error.source();
                while let Some(inner) = cause {
                    reason = format!("{reason}: {inner}");
                    cause = inner.source();
                }
                Err(reason)
            }
            Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
        }
    }
}

/// The guest's request body, read whole (up to [`MAX_BUFFERED_BODY`]) so that it can be resent.
async fn buffered(body: WasiBody) -> Result<Bytes, Error> {
    match Limited::new(body, MAX_BUFFERED_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) => Err(match error.downcast::<Error>() {
            Ok(error) => *error,
            Err(_too_long) => Error::HttpRequestBodySize(Some(MAX_BUFFERED_BODY as u64)),
        }),
    }
}

/// A copy of `request` (method, URI, version, headers and body), to send while keeping the
/// original for a resend.
fn copy(request: &Request<Full<Bytes>>) -> Request<Full<Bytes>> {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// Whether `error` struck a request on a connection that had carried an earlier exchange, before
/// any byte of its answer came.
fn went_unanswered_on_reused_connection(error: &ClientError) -> bool {
    let Some(connected) = error.connect_info() else {
        return false;
    };
    let mut extensions = Extensions::new();
    connected.get_extras(&mut extensions);
    extensions
        .get::<Arc<Traffic>>()
        .is_some_and(|traffic| traffic.reused_and_unanswered())
}

/// The wasi-http error for a request that got no response head.
fn no_answer(error: &ClientError) -> Error {
    tracing::debug!("backend request failed: {error:?}");
    if let Some(tls) = tls::tls_error_in(error) {
        tracing::warn!("TLS with the backend failed: {tls}");
        return tls::handshake_failure(tls);
    }
    let mut cause = error.source();
    if error.is_connect() {
        while let Some(inner) = cause {
            if inner.is::<ConnectTimedOut>() {
                return Error::ConnectionTimeout;
            }
            if let Some(io) = inner.downcast_ref::<io::Error>() {
                return Error::Connect(io::Error::new(io.kind(), io.to_string()));
            }
            cause = inner.source();
        }
        return Error::Connect(io::Error::other(error.to_string()));
    }
    while let Some(inner) = cause {
        if let Some(hyper) = inner.downcast_ref::<hyper::Error>() {
            return if hyper.is_parse() {
                Error::HttpProtocolError
            } else if hyper.is_user() {
                Error::InternalError(Some(hyper.to_string()))
            } else {
                // Closed, reset or broken off before a complete head came.
                Error::ConnectionTerminated
            };
        }
        cause = inner.source();
    }
    Error::InternalError(Some(error.to_string()))
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

    /// Runs `sending` (a request through a client) until `deadline`, a new connection it opens
    /// bounded by the connect timeout.
    async fn head_within<T>(
        &self,
        deadline: Instant,
        sending: impl Future<Output = T>,
    ) -> Result<T, Error> {
        tokio::time::timeout_at(deadline, CONNECT_TIMEOUT.scope(self.connect, sending))
            .await
            .map_err(|_| Error::ConnectionReadTimeout)
    }
}

/// Opens connections, TCP with hyper-util's connector and TLS over it for `https`, within the
/// current request's connect timeout, each wrapped in a [`Wire`].
#[derive(Clone)]
struct Connector {
    tcp: HttpConnector,
    trust: Arc<BackendTrust>,
}

/// A connection's stream: TCP, with TLS over it for `https`.
type Stream = MaybeHttpsStream<TokioIo<TcpStream>>;

/// The error of opening a connection.
type ConnectError = Box<dyn StdError + Send + Sync>;

/// A connect that did not finish within the request's connect timeout.
#[derive(Debug)]
struct ConnectTimedOut;

impl fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the connect timed out")
    }
}

impl StdError for ConnectTimedOut {}

impl Service<Uri> for Connector {
    type Response = TokioIo<Wire>;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, destination: Uri) -> Self::Future {
        let limit = CONNECT_TIMEOUT
            .try_with(|limit| *limit)
            .unwrap_or(DEFAULT_TIMEOUT);
        let connecting: Pin<Box<dyn Future<Output = Result<Stream, ConnectError>> + Send>> =
            if destination.scheme() == Some(&Scheme::HTTPS) {
                let mut https =
                    HttpsConnector::from((self.tcp.clone(), self.trust.client_config()));
                Box::pin(https.call(destination))
            } else {
                let tcp = self.tcp.call(destination);
                Box::pin(async { Ok(MaybeHttpsStream::Http(tcp.await?)) })
            };
        Box::pin(async move {
            let stream = tokio::time::timeout(limit, connecting)
                .await
                .map_err(|_| ConnectTimedOut)??;
            Ok::<_, Self::Error>(TokioIo::new(Wire {
                stream: TokioIo::new(stream),
                traffic: Arc::default(),
            }))
        })
    }
}

/// What one connection has carried, as far as telling a dropped request on a reused connection
/// needs. HTTP/1.1 without pipelining: a write after a read begins the next request.
#[derive(Default)]
struct Traffic {
    /// Requests begun.
    requests: AtomicU32,
    /// Bytes read, in all.
    read: AtomicU64,
    /// `read` when the current request began.
    read_before_request: AtomicU64,
    /// Whether the connection has written since it last read.
    writing: AtomicBool,
}

impl Traffic {
    fn note_write(&self) {
        if !self.writing.swap(true, Relaxed) {
            self.requests.fetch_add(1, Relaxed);
            self.read_before_request
                .store(self.read.load(Relaxed), Relaxed);
        }
    }

    fn note_read(&self, bytes: usize) {
        if bytes > 0 {
            self.read.fetch_add(bytes as u64, Relaxed);
            self.writing.store(false, Relaxed);
        }
    }

    /// Whether the current request is not the connection's first and no byte came back since
    /// it began.
    fn reused_and_unanswered(&self) -> bool {
        self.requests.load(Relaxed) > 1
            && self.read.load(Relaxed) == self.read_before_request.load(Relaxed)
    }
}

/// A backend connection that counts its [`Traffic`] and hands the count to hyper-util as
/// connection metadata.
struct Wire {
    stream: TokioIo<Stream>,
    traffic: Arc<Traffic>,
}

impl Connection for Wire {
    fn connected(&self) -> Connected {
        self.stream.inner().connected().extra(self.traffic.clone())
    }
}

impl AsyncRead for Wire {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.stream).poll_read(cx, buf))?;
        self.traffic.note_read(buf.filled().len() - before);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Wire {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.traffic.note_write();
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.traffic.note_write();
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A response body that enforces the between-bytes timeout.
struct TimedBody {
    incoming: Incoming,
    between_bytes: Duration,
    stall: Pin<Box<tokio::time::Sleep>>,
}

impl TimedBody {
    fn new(incoming: Incoming, between_bytes: Duration) -> Self {
        Self {
            incoming,
            between_bytes,
            stall: Box::pin(tokio::time::sleep(between_bytes)),
        }
    }
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Ok(frame))) => {
                let deadline = Instant::now() + this.between_bytes;
                this.stall.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(if error.is_timeout() {
                Error::HttpResponseTimeout
            } else {
                error.into()
            }))),
            Poll::Pending => {
                ready!(this.stall.as_mut().poll(cx));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream as StdTcpStream};
    use std::thread::JoinHandle;

    /// One request as a test server read it: its head and body.
    struct Received {
        head: String,
        body: Vec<u8>,
    }

    /// Reads one request (head, then a `content-length` body); `None` at end of stream.
    fn read_request(stream: &mut StdTcpStream) -> Option<Received> {
        let mut data = Vec::new();
        let mut byte = [0u8; 1];
        while !data.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).ok()? == 0 {
                return None;
            }
            data.push(byte[0]);
        }
        let head = String::from_utf8(data).unwrap();
        let length = head
            .lines()
            .find_map(|line| {
                line.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|n| n.trim().parse::<usize>().unwrap())
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        stream.read_exact(&mut body).ok()?;
        Some(Received { head, body })
    }

    fn answer(stream: &mut StdTcpStream, status: &str, body: &str) {
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        stream
            .write_all(format!("{head}{body}").as_bytes())
            .unwrap();
    }

    /// A loopback server running `serve` on its listener in a thread; returns its origin.
    fn server<T: Send + 'static>(
        serve: impl FnOnce(TcpListener) -> T + Send + 'static,
    ) -> (String, JoinHandle<T>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        (origin, std::thread::spawn(move || serve(listener)))
    }

    fn post(uri: &str, body: &'static str) -> Request<WasiBody> {
        Request::post(uri)
            .body(
                Full::new(Bytes::from_static(body.as_bytes()))
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            )
            .unwrap()
    }

    async fn text(sent: Sent) -> (u16, String) {
        let (response, _) = sent;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_request_a_reused_connection_drops_unanswered_is_resent_on_a_new_one() {
        let (origin, served) = server(|listener| {
            let (mut kept, _) = listener.accept().unwrap();
            let first = read_request(&mut kept).unwrap();
            answer(&mut kept, "500 Internal Server Error", "oops");
            // The next request on the kept-alive connection is read, then the connection closed.
            let dropped = read_request(&mut kept).unwrap();
            drop(kept);
            let (mut fresh, _) = listener.accept().unwrap();
            let resent = read_request(&mut fresh).unwrap();
            answer(&mut fresh, "200 OK", "fine");
            [first, dropped, resent]
        });
        let client = Arc::new(HttpClient::new(Vec::new()));
        let first = client
            .clone()
            .send(post(&format!("{origin}/a"), "one"), None);
        assert_eq!(text(first.await.unwrap()).await, (500, "oops".into()));
        let second = client.send(post(&format!("{origin}/b"), "two"), None);
        assert_eq!(text(second.await.unwrap()).await, (200, "fine".into()));

        let [first, dropped, resent] = served.join().unwrap();
        assert!(first.head.starts_with("POST /a HTTP/1.1"), "{}", first.head);
        assert!(
            dropped.head.starts_with("POST /b HTTP/1.1"),
            "{}",
            dropped.head
        );
        assert_eq!(resent.head, dropped.head);
        assert_eq!(
            (dropped.body.as_slice(), resent.body.as_slice()),
            (&b"two"[..], &b"two"[..])
        );
    }

    #[tokio::test]
    async fn a_new_connection_dropped_after_the_request_is_not_retried() {
        let (origin, served) = server(|listener| {
            let (mut connection, _) = listener.accept().unwrap();
            read_request(&mut connection).unwrap();
            drop(connection);
            // Any resend would open a second connection.
            listener.set_nonblocking(true).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            listener.accept().is_err()
        });
        let client = Arc::new(HttpClient::new(Vec::new()));
        let error = client
            .send(post(&format!("{origin}/a"), "x"), None)
            .await
            .err()
            .unwrap();
        assert!(matches!(error, Error::ConnectionTerminated), "{error:?}");
        assert!(served.join().unwrap(), "the request was sent again");
    }

    #[tokio::test]
    async fn a_head_later_than_the_first_byte_timeout_is_a_read_timeout() {
        let (origin, served) = server(|listener| {
            let (mut connection, _) = listener.accept().unwrap();
            read_request(&mut connection).unwrap();
            // Holds the connection open, unanswered; the client closes it when it gives up.
            connection
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            matches!(connection.read(&mut [0; 1]), Ok(0))
        });
        let options = RequestOptions {
            first_byte_timeout: Some(Duration::from_millis(200)),
            ..RequestOptions::default()
        };
        let client = Arc::new(HttpClient::new(Vec::new()));
        let started = std::time::Instant::now();
        let error = client
            .send(post(&format!("{origin}/slow"), ""), Some(options))
            .await
            .err()
            .unwrap();
        assert!(matches!(error, Error::ConnectionReadTimeout), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // Joined off the runtime's thread, which must stay free to close the connection.
        let closed = tokio::task::spawn_blocking(move || served.join().unwrap());
        assert!(closed.await.unwrap(), "the connection was left open");
    }

    #[tokio::test]
    async fn a_body_over_the_buffer_cap_is_refused_before_connecting() {
        let body: &'static str = "x".repeat(MAX_BUFFERED_BODY + 1).leak();
        // Nothing listens on port 9 of loopback; the body is refused before any connect.
        let error = Arc::new(HttpClient::new(Vec::new()))
            .send(post("http://127.0.0.1:9/", body), None)
            .await
            .err()
            .unwrap();
        assert!(
            matches!(error, Error::HttpRequestBodySize(Some(n)) if n == MAX_BUFFERED_BODY as u64),
            "{error:?}"
        );
    }

    #[test]
    fn traffic_tells_a_reused_connection_and_an_answer() {
        let traffic = Traffic::default();
        traffic.note_write();
        assert!(
            !traffic.reused_and_unanswered(),
            "the first request is on a new connection"
        );
        traffic.note_read(100);
        traffic.note_write();
        traffic.note_write();
        assert!(traffic.reused_and_unanswered());
        traffic.note_read(0);
        assert!(
            traffic.reused_and_unanswered(),
            "an empty read is no answer"
        );
        traffic.note_read(1);
        assert!(
            !traffic.reused_and_unanswered(),
            "one byte of the answer came"
        );
    }
}
