//! The CPU time a process has used, all its threads together, from the scheduler's per-thread
//! run time in `/proc/<pid>/task/<tid>/schedstat` (nanoseconds, unlike the 10 ms ticks of
//! `/proc/<pid>/stat`); and that of every process a benchmark call passes through.

use std::time::Duration;

use anyhow::{Context, Result};

/// CPU time used by the processes a call passes through.
#[derive(Clone, Copy, Default)]
pub struct CpuUse {
    /// This process: the MCP client, or the direct HTTP client on a floor route.
    pub driver: Duration,
    /// `ktrdr-mcp` (zero on a direct route).
    pub host: Duration,
    /// The reference backend.
    pub backend: Duration,
}

impl CpuUse {
    /// What was used from `before` to `self`.
    pub fn since(&self, before: &CpuUse) -> CpuUse {
        CpuUse {
            driver: self.driver.saturating_sub(before.driver),
            host: self.host.saturating_sub(before.host),
            backend: self.backend.saturating_sub(before.backend),
        }
    }

    /// Adds `other` to this.
    pub fn add(&mut self, other: &CpuUse) {
        self.driver += other.driver;
        self.host += other.host;
        self.backend += other.backend;
    }
}

/// Reads the CPU time of the driver (this process), the backend and, on a host route, the host.
pub struct CpuMeter {
    backend: u32,
}

impl CpuMeter {
    /// A meter of this process and the backend with process id `backend`.
    pub fn new(backend: u32) -> Self {
        Self { backend }
    }

    /// The CPU time used so far by this process, the backend and `host` (if any).
    pub fn read(&self, host: Option<u32>) -> Result<CpuUse> {
        Ok(CpuUse {
            driver: cpu_time(std::process::id())?,
            host: host.map(cpu_time).transpose()?.unwrap_or_default(),
            backend: cpu_time(self.backend)?,
        })
    }
}

/// CPU time used so far by every thread of process `pid`.
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let tasks = format!("/proc/{pid}/task");
    let mut total = 0u64;
    for task in std::fs::read_dir(&tasks).with_context(|| format!("cannot list {tasks}"))? {
        let path = task?.path().join("schedstat");
        // A thread that has just exited has no schedstat any more; its time is gone with it.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        total += run_time_nanos(&text)
            .with_context(|| format!("{} is not a schedstat line", path.display()))?;
    }
    Ok(Duration::from_nanos(total))
}

/// The first field of a schedstat line: time spent on the CPU, in nanoseconds.
fn run_time_nanos(schedstat: &str) -> Option<u64> {
    schedstat.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_run_time_field() {
        assert_eq!(run_time_nanos("123456789 2000 31\n"), Some(123_456_789));
        assert_eq!(run_time_nanos(""), None);
        assert_eq!(run_time_nanos("x 1 2"), None);
    }

    #[test]
    fn cpu_use_adds_and_subtracts_per_process() {
        let ms = Duration::from_millis;
        let before = CpuUse {
            driver: ms(10),
            host: ms(20),
            backend: ms(30),
        };
        let after = CpuUse {
            driver: ms(15),
            host: ms(20),
            backend: ms(29), // a clock that went back reads as nothing used
        };
        let used = after.since(&before);
        assert_eq!(
            (used.driver, used.host, used.backend),
            (ms(5), ms(0), ms(0))
        );
        let mut total = used;
        total.add(&before);
        assert_eq!(
            (total.driver, total.host, total.backend),
            (ms(15), ms(20), ms(30))
        );
    }

    #[test]
    fn the_meter_reads_a_host_only_when_given_one() {
        let meter = CpuMeter::new(std::process::id());
        let without = meter.read(None).unwrap();
        assert_eq!(without.host, Duration::ZERO);
        assert!(without.driver > Duration::ZERO && without.backend > Duration::ZERO);
        let with = meter.read(Some(std::process::id())).unwrap();
        assert!(
            with.host >= without.driver,
            "{:?} < {:?}",
            with.host,
            without.driver
        );
    }

    #[test]
    fn the_own_process_time_grows_while_it_computes() {
        let before = cpu_time(std::process::id()).unwrap();
        let started = std::time::Instant::now();
        let mut x = 0u64;
        while started.elapsed() < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let after = cpu_time(std::process::id()).unwrap();
        assert!(
            after - before >= Duration::from_millis(10),
            "{before:?} -> {after:?}"
        );
    }
}
