//! Driving a route: a fixed number of calls with a fixed number in flight, and interleaved
//! blocks of such runs over several routes so that machine noise falls on all of them alike.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use futures::future::try_join_all;

use crate::cpu::{CpuMeter, CpuUse};
use crate::probe::Probe;
use crate::route::Route;

/// Per-call latencies and the wall time of the runs that produced them.
#[derive(Default)]
pub struct Sample {
    /// Each call's latency.
    pub latencies: Vec<Duration>,
    /// Wall time from the first call's start to the last call's end, summed over runs.
    pub elapsed: Duration,
    /// CPU time the driver, host and backend used meanwhile, summed over runs.
    pub cpu: CpuUse,
}

impl Sample {
    /// Calls completed per second of wall time.
    pub fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The host's CPU time per call, µs (zero for a direct route).
    pub fn host_cpu_per_call(&self) -> f64 {
        self.per_call(self.cpu.host)
    }

    /// The driver's and the backend's CPU time together per call, µs: what a call costs
    /// outside the host.
    pub fn driver_and_backend_cpu_per_call(&self) -> f64 {
        self.per_call(self.cpu.driver + self.cpu.backend)
    }

    fn per_call(&self, time: Duration) -> f64 {
        time.as_secs_f64() * 1e6 / self.latencies.len() as f64
    }

    fn absorb(&mut self, other: Sample) {
        self.latencies.extend(other.latencies);
        self.elapsed += other.elapsed;
        self.cpu.add(&other.cpu);
    }
}

/// Makes `calls` calls of `probe` over `route`, keeping `in_flight` of them outstanding, and
/// reads the CPU time used meanwhile from `meter`.
pub async fn run(
    meter: &CpuMeter,
    route: Route<'_>,
    probe: &Probe,
    in_flight: usize,
    calls: usize,
) -> Result<Sample> {
    let next = AtomicUsize::new(0);
    let worker = || async {
        let mut latencies = Vec::with_capacity(calls / in_flight + 1);
        while next.fetch_add(1, Ordering::Relaxed) < calls {
            let started = Instant::now();
            route.call(probe).await?;
            latencies.push(started.elapsed());
        }
        anyhow::Ok(latencies)
    };
    let host = route.server_pid();
    let cpu_before = meter.read(host)?;
    let started = Instant::now();
    let per_worker = try_join_all((0..in_flight).map(|_| worker())).await?;
    let elapsed = started.elapsed();
    let cpu = meter.read(host)?.since(&cpu_before);
    Ok(Sample {
        elapsed,
        latencies: per_worker.into_iter().flatten().collect(),
        cpu,
    })
}

/// `rounds` rounds of one `block`-call run per route (`in_flight` outstanding), the routes'
/// order rotating each round; returns one merged sample per route, in `routes`' order.
pub async fn interleaved(
    meter: &CpuMeter,
    routes: &[Route<'_>],
    probe: &Probe,
    in_flight: usize,
    rounds: usize,
    block: usize,
) -> Result<Vec<Sample>> {
    let mut samples: Vec<Sample> = routes.iter().map(|_| Sample::default()).collect();
    for round in 0..rounds {
        for offset in 0..routes.len() {
            let index = (round + offset) % routes.len();
            let sample = run(meter, routes[index], probe, in_flight, block).await?;
            samples[index].absorb(sample);
        }
    }
    Ok(samples)
}
