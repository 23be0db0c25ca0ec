//! Stdin and stdout as async streams for the transport.
//!
//! An MCP client starts a stdio server with pipes. Pipes and sockets are switched to
//! non-blocking mode and polled by the runtime's own reactor, so a message costs no thread hop;
//! the original mode is restored when the stream is dropped. Anything else (a terminal, a file)
//! falls back to Tokio's stdio, which reads and writes on its blocking thread pool.

use tokio::io::{AsyncRead, AsyncWrite};

use crate::busy_poll::BusyPoll;

/// Standard input as an async reader; a pipe or socket is also watched by `busy_poll`.
#[cfg_attr(not(unix), allow(unused_variables))]
pub fn stdin(busy_poll: &BusyPoll) -> Box<dyn AsyncRead + Send + Unpin> {
    #[cfg(unix)]
    if let Some(pipe) = polled::Polled::new(std::io::stdin(), polled::Interest::READABLE) {
        busy_poll.watch(&std::io::stdin());
        return Box::new(pipe);
    }
    Box::new(tokio::io::stdin())
}

/// Standard output as an async writer; each write goes straight to the descriptor.
pub fn stdout() -> Box<dyn AsyncWrite + Send + Unpin> {
    #[cfg(unix)]
    if let Some(pipe) = polled::Polled::new(std::io::stdout(), polled::Interest::WRITABLE) {
        return Box::new(pipe);
    }
    Box::new(tokio::io::stdout())
}

#[cfg(unix)]
mod polled {
    use std::io;
    use std::os::fd::{AsFd, AsRawFd};
    use std::pin::Pin;
    use std::task::{ready, Context, Poll};

    use rustix::fs::{fcntl_getfl, fcntl_setfl, fstat, FileType, OFlags};
    use tokio::io::unix::AsyncFd;
    pub use tokio::io::Interest;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    /// The process's stdin or stdout.
    pub trait StdStream: AsRawFd + AsFd {}
    impl StdStream for std::io::Stdin {}
    impl StdStream for std::io::Stdout {}

    /// A pipe or socket descriptor in non-blocking mode, registered with the reactor.
    pub struct Polled<F: StdStream> {
        fd: AsyncFd<F>,
        /// The descriptor's flags before, restored on drop.
        original: OFlags,
    }

    impl<F: StdStream> Polled<F> {
        /// `None` when `file` is not a pipe or socket, or cannot be made non-blocking and
        /// polled for `interest`; it is then left as it was.
        pub fn new(file: F, interest: Interest) -> Option<Self> {
            let kind = FileType::from_raw_mode(fstat(&file).ok()?.st_mode);
            if !matches!(kind, FileType::Fifo | FileType::Socket) {
                return None;
            }
            let original = fcntl_getfl(&file).ok()?;
            fcntl_setfl(&file, original | OFlags::NONBLOCK).ok()?;
            // SAFETY: `file` is the process's stdin or stdout (`StdStream`): its descriptor
            // (0 or 1) is open for the whole life of the process (std never closes it, nor
            // does this program) and always names the same file description.
            match unsafe { AsyncFd::register_with_interest(file, interest) } {
                Ok(fd) => Some(Self { fd, original }),
                Err(error) => {
                    let (file, _cause) = error.into_parts();
                    let _ = fcntl_setfl(&file, original);
                    None
                }
            }
        }
    }

    impl<F: StdStream> Drop for Polled<F> {
        fn drop(&mut self) {
            let _ = fcntl_setfl(self.fd.get_ref(), self.original);
        }
    }

    impl<F: StdStream + Unpin> AsyncRead for Polled<F> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            loop {
                let mut ready = ready!(self.fd.poll_read_ready(cx))?;
                let unfilled = buf.initialize_unfilled();
                match ready.try_io(|fd| Ok(rustix::io::read(fd.get_ref(), &mut *unfilled)?)) {
                    Ok(result) => {
                        let read = result?;
                        buf.advance(read);
                        return Poll::Ready(Ok(()));
                    }
                    Err(_would_block) => continue,
                }
            }
        }
    }

    impl<F: StdStream + Unpin> AsyncWrite for Polled<F> {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            data: &[u8],
        ) -> Poll<io::Result<usize>> {
            loop {
                let mut ready = ready!(self.fd.poll_write_ready(cx))?;
                match ready.try_io(|fd| Ok(rustix::io::write(fd.get_ref(), data)?)) {
                    Ok(result) => return Poll::Ready(result),
                    Err(_would_block) => continue,
                }
            }
        }

        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }
}
