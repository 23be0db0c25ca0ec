//! Accepted connections that a handler can mark to be dropped once its answer is sent, as
//! uvicorn drops a kept-alive connection after answering an unhandled error with a 500 (no
//! `Connection: close` in that answer): once the marked answer is flushed, the stream reads as
//! ended, so the server closes the connection without reading another request.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A handler's view of its connection (`ConnectInfo<Connection>`).
#[derive(Clone, Debug)]
pub struct Connection {
    drop_after_answer: Arc<AtomicBool>,
}

impl Connection {
    /// Closes the connection once the current answer has been flushed: the server reads
    /// nothing more from it.
    pub fn drop_after_answer(&self) {
        self.drop_after_answer.store(true, Ordering::Release);
    }
}

/// A TCP listener whose connections can be dropped after an answer.
pub struct DroppingListener(pub TcpListener);

/// An accepted TCP stream that, once its connection is marked, reads as ended after the next
/// completed flush (the marked answer's).
pub struct DroppableStream {
    stream: TcpStream,
    drop_after_answer: Arc<AtomicBool>,
    /// Set once the marked answer has been flushed.
    ended: bool,
    /// The task waiting to read, woken when the stream ends.
    reader: Option<Waker>,
}

impl Listener for DroppingListener {
    type Io = DroppableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (DroppableStream, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((stream, address)) => {
                    let stream = DroppableStream {
                        stream,
                        drop_after_answer: Arc::default(),
                        ended: false,
                        reader: None,
                    };
                    return (stream, address);
                }
                Err(error) => {
                    // Per-connection failures (reset before accept) are retried at once; others
                    // (out of file descriptors) after a pause, so the loop does not spin.
                    tracing::warn!("accept failed: {error}");
                    if !matches!(
                        error.kind(),
                        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                    ) {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, DroppingListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, DroppingListener>) -> Self {
        Self {
            drop_after_answer: Arc::clone(&stream.io().drop_after_answer),
        }
    }
}

impl AsyncRead for DroppableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // An end of stream makes the server close the connection.
        if self.ended {
            return Poll::Ready(Ok(()));
        }
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if polled.is_pending() {
            self.reader = Some(cx.waker().clone());
        }
        polled
    }
}

impl AsyncWrite for DroppableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flushed = Pin::new(&mut self.stream).poll_flush(cx);
        if matches!(flushed, Poll::Ready(Ok(()))) && self.drop_after_answer.load(Ordering::Acquire)
        {
            self.ended = true;
            if let Some(reader) = self.reader.take() {
                reader.wake();
            }
        }
        flushed
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
