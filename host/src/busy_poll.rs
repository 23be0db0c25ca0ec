//! Adaptive busy-polling before the runtime's thread goes to sleep.
//!
//! A client that sends its next request at once and a backend on loopback both answer within
//! tens of microseconds. Sleeping in `epoll_wait` through so short a wait costs more than the
//! wait: the thread is switched out, and waking it (often from another core) takes tens of
//! microseconds of its own, more on a virtual machine. So before the runtime parks, its thread
//! polls the descriptors that bring it work (stdin and the backend connections) for up to a
//! budget; when one turns ready, the runtime picks the event up without having slept.
//!
//! Busy-polling needs Linux's epoll; elsewhere the host always sleeps at once.
//!
//! It spins only while spinning pays: after a wait the budget would not have covered, the next
//! park sleeps at once, until a wait within the budget is seen again. A host that waits for a
//! person, a slow backend or an idle client therefore spends at most one budget of CPU per run
//! of long waits.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};

/// Spins before parking, on a set of watched descriptors. Its hooks run on the runtime's thread.
pub struct BusyPoll {
    /// The watched descriptors as one that turns readable when any of them is (see
    /// `watch_set`). `None` when busy-polling is off.
    watched: Option<OwnedFd>,
    /// The longest spin before a park.
    budget: Duration,
    /// The reference point of `wait_began`.
    origin: Instant,
    /// When the current wait began, in nanoseconds since `origin`.
    wait_began: AtomicU64,
    /// Whether the next park spins first: the last wait ended within the budget.
    spin_next: AtomicBool,
}

impl BusyPoll {
    /// Busy-polling for up to `budget` before each park; a zero budget turns it off, as does a
    /// system that cannot create the epoll set (with a warning).
    pub fn new(budget: Duration) -> Self {
        let watched = if budget.is_zero() {
            None
        } else {
            watch_set::create()
                .inspect_err(|error| tracing::warn!("busy-polling is off: {error}"))
                .ok()
        };
        Self {
            watched,
            budget,
            origin: Instant::now(),
            wait_began: AtomicU64::new(0),
            spin_next: AtomicBool::new(false),
        }
    }

    /// Busy-polling for up to `budget` where it can help: with one CPU to run on (affinity and
    /// quota included), a spin would only hold back the process being waited for, so it is off.
    pub fn on_this_machine(budget: Duration) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(if cpus > 1 { budget } else { Duration::ZERO })
    }

    /// Adds `fd` to the descriptors a spin watches for input. It leaves the set by itself when
    /// the descriptor is closed.
    pub fn watch(&self, fd: BorrowedFd<'_>) {
        let Some(watched) = &self.watched else { return };
        if let Err(error) = watch_set::add(watched, fd) {
            tracing::debug!("busy-polling does not watch a descriptor: {error}");
        }
    }

    /// The runtime's `on_thread_park` hook: spins, if the last wait was short, until a watched
    /// descriptor is ready or the budget is spent; then notes when the wait began.
    pub fn before_park(&self) {
        let Some(watched) = &self.watched else { return };
        let began = Instant::now();
        self.wait_began
            .store(self.nanos_since_origin(began), Ordering::Relaxed);
        if self.spin_next.load(Ordering::Relaxed) {
            while !is_readable(watched.as_fd()) && began.elapsed() < self.budget {
                std::hint::spin_loop();
            }
        }
    }

    /// The runtime's `on_thread_unpark` hook: the next park spins only if this wait (spin
    /// included) ended within the budget.
    pub fn after_unpark(&self) {
        if self.watched.is_none() {
            return;
        }
        let waited = self
            .nanos_since_origin(Instant::now())
            .saturating_sub(self.wait_began.load(Ordering::Relaxed));
        self.spin_next
            .store(waited <= self.budget.as_nanos() as u64, Ordering::Relaxed);
    }

    fn nanos_since_origin(&self, instant: Instant) -> u64 {
        instant.duration_since(self.origin).as_nanos() as u64
    }
}

/// Whether `fd` has input now, without waiting.
fn is_readable(fd: BorrowedFd<'_>) -> bool {
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut fds = [PollFd::from_borrowed_fd(fd, PollFlags::IN)];
    matches!(poll(&mut fds, Some(&now)), Ok(ready) if ready > 0)
}

/// The set of watched descriptors: an epoll set, level-triggered, that is polled (never waited
/// on), so it reports input without consuming any event.
#[cfg(target_os = "linux")]
mod watch_set {
    use std::io;
    use std::os::fd::{BorrowedFd, OwnedFd};

    use rustix::event::epoll::{self, CreateFlags, EventData, EventFlags};

    pub fn create() -> io::Result<OwnedFd> {
        Ok(epoll::create(CreateFlags::CLOEXEC)?)
    }

    pub fn add(set: &OwnedFd, fd: BorrowedFd<'_>) -> io::Result<()> {
        Ok(epoll::add(set, fd, EventData::new_u64(0), EventFlags::IN)?)
    }
}

/// Without epoll there is no set to poll: busy-polling stays off.
#[cfg(not(target_os = "linux"))]
mod watch_set {
    use std::io;
    use std::os::fd::{BorrowedFd, OwnedFd};

    pub fn create() -> io::Result<OwnedFd> {
        Err(io::Error::other("it needs Linux's epoll"))
    }

    pub fn add(_set: &OwnedFd, _fd: BorrowedFd<'_>) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    #[test]
    fn a_spin_ends_as_soon_as_a_watched_descriptor_has_input() {
        let busy_poll = BusyPoll::new(Duration::from_secs(30));
        let (mut writer, reader) = UnixStream::pair().unwrap();
        busy_poll.watch(reader.as_fd());
        writer.write_all(b"x").unwrap();
        busy_poll.spin_next.store(true, Ordering::Relaxed);
        let began = Instant::now();
        busy_poll.before_park();
        // Far below the 30 s budget: the spin saw the input.
        assert!(began.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn short_waits_turn_spinning_on_and_long_ones_off() {
        let busy_poll = BusyPoll::new(Duration::from_millis(50));
        busy_poll.before_park();
        busy_poll.after_unpark();
        assert!(busy_poll.spin_next.load(Ordering::Relaxed));

        busy_poll.before_park();
        std::thread::sleep(Duration::from_millis(120));
        busy_poll.after_unpark();
        assert!(!busy_poll.spin_next.load(Ordering::Relaxed));
    }

    #[test]
    fn a_zero_budget_never_spins() {
        let busy_poll = BusyPoll::new(Duration::ZERO);
        assert!(busy_poll.watched.is_none());
        busy_poll.before_park();
        busy_poll.after_unpark();
        assert!(!busy_poll.spin_next.load(Ordering::Relaxed));
    }
}
