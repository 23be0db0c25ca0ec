//! The listening socket: accepts connections (over TLS if configured), serves each with hyper's
//! HTTP/1.1 server under a header-read timeout, re-reads the tokens on SIGHUP, and on SIGTERM or
//! SIGINT stops accepting, lets in-flight requests finish for up to the drain time, and returns.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::gateway::Gateway;
use super::settings::RemoteSettings;
use crate::mcp::ToolServer;
use crate::wasm::Runtime;

/// After the drain, the time connections get to close before the host exits anyway.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Serves `server` over Streamable HTTP as `settings` say, until SIGTERM or SIGINT.
pub async fn serve(
    settings: RemoteSettings,
    server: ToolServer,
    runtime: Arc<Runtime>,
) -> Result<()> {
    let listener = TcpListener::bind(settings.address)
        .await
        .with_context(|| format!("cannot listen on {}", settings.address))?;
    let address = listener.local_addr()?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;

    let shutdown = CancellationToken::new();
    let gateway = Arc::new(Gateway::new(&settings, server, runtime, shutdown.clone()));
    let tls = settings.tls.clone().map(TlsAcceptor::from);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout);
    let connections = GracefulShutdown::new();
    tracing::info!(
        authenticated = settings.tokens.is_some(),
        "serving MCP on {}://{address}/mcp",
        if tls.is_some() { "https" } else { "http" },
    );

    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let connection = Connection {
                        gateway: gateway.clone(),
                        http: http.clone(),
                        watcher: connections.watcher(),
                        handshake_timeout: settings.header_timeout,
                    };
                    tokio::spawn(connection.serve(stream, tls.clone()));
                }
                Err(error) => {
                    // Out of file descriptors, most likely: let connections close first.
                    tracing::warn!("cannot accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = hangup.recv() => reload_tokens(&gateway),
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    drop(listener);
    tracing::info!(
        in_flight = gateway.in_flight(),
        "stopping: finishing the requests in flight for up to {:?}",
        settings.drain
    );
    let drain = async {
        if tokio::time::timeout(settings.drain, gateway.drained())
            .await
            .is_err()
        {
            tracing::warn!(
                in_flight = gateway.in_flight(),
                "requests still in flight at the end of the drain"
            );
        }
        // Ends the sessions' event streams, which would keep their connections open.
        shutdown.cancel();
    };
    let all_closed = tokio::time::timeout(
        settings.drain + CLOSE_GRACE,
        futures_util::future::join(connections.shutdown(), drain),
    );
    if all_closed.await.is_err() {
        tracing::warn!("connections still open after the drain; exiting anyway");
    }
    Ok(())
}

fn reload_tokens(gateway: &Gateway) {
    let Some(tokens) = gateway.tokens() else {
        return;
    };
    match tokens.reload() {
        Ok(count) => tracing::info!("SIGHUP: {count} bearer tokens loaded"),
        Err(error) => tracing::error!("SIGHUP: keeping the tokens in force: {error:#}"),
    }
}

/// One accepted connection and what serving it needs.
struct Connection {
    gateway: Arc<Gateway>,
    http: http1::Builder,
    watcher: Watcher,
    handshake_timeout: Duration,
}

impl Connection {
    async fn serve(self, stream: TcpStream, tls: Option<TlsAcceptor>) {
        // Answers are written whole; do not hold their last segment back.
        let _ = stream.set_nodelay(true);
        match tls {
            None => self.serve_http(stream).await,
            Some(acceptor) => {
                match tokio::time::timeout(self.handshake_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => self.serve_http(stream).await,
                    Ok(Err(error)) => tracing::debug!("TLS handshake failed: {error}"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                }
            }
        }
    }

    async fn serve_http(self, io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static) {
        let gateway = self.gateway;
        let service = service_fn(move |request| {
            let gateway = gateway.clone();
            async move { Ok::<_, Infallible>(gateway.handle(request).await) }
        });
        let connection = self.http.serve_connection(TokioIo::new(io), service);
        if let Err(error) = self.watcher.watch(connection).await {
            tracing::debug!("connection ended: {error}");
        }
    }
}
