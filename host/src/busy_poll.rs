//! Adaptive busy-polling before the runtime's thread goes to sleep.
//!
//! A client that sends its next request at once answers within tens of microseconds. Sleeping
//! in `epoll_wait` through so short a wait costs more than the wait: the thread is switched out,
//! and waking it (often from another core) takes tens of microseconds of its own, more on a
//! virtual machine. So before the runtime parks, its thread polls the descriptors it watches
//! (stdin) for up to a budget; when one turns ready, the runtime picks the event up without
//! having slept.
//!
//! It spins only while spinning pays: after a wait the budget would not have covered, the next
//! park sleeps at once, until a wait within the budget is seen again. A host that waits for a
//! person, a slow backend or an idle client therefore spends at most one budget of CPU per run
//! of long waits. Busy-polling needs Linux's epoll; elsewhere the host always sleeps at once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use platform::WatchSet;
pub use platform::Watchable;

/// Spins before parking, on a set of watched descriptors. Its hooks run on the runtime's thread.
pub struct BusyPoll {
    /// The watched descriptors; `None` when busy-polling is off.
    watched: Option<WatchSet>,
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
            WatchSet::create()
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

    /// Adds `source` (a pipe, a socket) to what a spin watches for input. It leaves the set by
    /// itself when its descriptor is closed.
    pub fn watch(&self, source: &impl Watchable) {
        let Some(watched) = &self.watched else { return };
        if let Err(error) = watched.add(source) {
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
            while !watched.has_input() && began.elapsed() < self.budget {
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

/// The watched descriptors, on Linux: an epoll set, level-triggered, that is polled and never
/// waited on, so it tells whether any of them has input without consuming an event.
#[cfg(target_os = "linux")]
mod platform {
    use std::io;
    use std::os::fd::{AsFd, OwnedFd};

    use rustix::event::epoll::{self, CreateFlags, EventData, EventFlags};
    use rustix::event::{poll, PollFd, PollFlags, Timespec};

    /// What can be watched: anything with a file descriptor.
    pub use std::os::fd::AsFd as Watchable;

    /// An epoll set of watched descriptors.
    pub struct WatchSet(OwnedFd);

    impl WatchSet {
        pub fn create() -> io::Result<Self> {
            Ok(Self(epoll::create(CreateFlags::CLOEXEC)?))
        }

        pub fn add(&self, source: &impl AsFd) -> io::Result<()> {
            Ok(epoll::add(
                &self.0,
                source,
                EventData::new_u64(0),
                EventFlags::IN,
            )?)
        }

        /// Whether a watched descriptor has input now (the set polls readable), without waiting.
        pub fn has_input(&self) -> bool {
            let now = Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            let mut set = [PollFd::new(&self.0, PollFlags::IN)];
            matches!(poll(&mut set, Some(&now)), Ok(ready) if ready > 0)
        }
    }
}

/// Without epoll there is nothing to poll: no set can be created, so busy-polling stays off.
#[cfg(not(target_os = "linux"))]
mod platform {
    use std::io;

    /// What can be watched: anything (nothing is).
    pub trait Watchable {}
    impl<T: ?Sized> Watchable for T {}

    /// No set: this type has no values.
    pub enum WatchSet {}

    impl WatchSet {
        pub fn create() -> io::Result<Self> {
            Err(io::Error::other("it needs Linux's epoll"))
        }

        pub fn add(&self, _source: &impl Watchable) -> io::Result<()> {
            match *self {}
        }

        pub fn has_input(&self) -> bool {
            match *self {}
        }
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
        busy_poll.watch(&reader);
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
