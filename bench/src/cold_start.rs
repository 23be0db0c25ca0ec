//! Cold start: process spawn → `initialize` result → first `tools/list` result, with the
//! compiled component cached and uncached, the two kinds of start alternating.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::mcp_driver::{ComponentCache, HostLauncher};
use crate::stats::Percentiles;

/// Starts measured per kind.
pub const SPAWNS: usize = 20;

/// The start-up times of one kind of start.
pub struct ColdStart {
    /// Spawn → `initialize` result.
    pub initialize: Percentiles,
    /// Spawn → first `tools/list` result.
    pub tools_list: Percentiles,
}

/// Cached and uncached start-up times.
pub struct ColdStarts {
    /// With a warm `--cache-dir`.
    pub cached: ColdStart,
    /// With `--no-cache`.
    pub uncached: ColdStart,
}

/// Warms a cache in `cache_dir` with one start, then measures [`SPAWNS`] starts of each kind.
pub async fn measure(launcher: &HostLauncher, cache_dir: &Path) -> Result<ColdStarts> {
    let cached = ComponentCache::Dir(cache_dir);
    launcher.start(cached, None, &[]).await?.close().await?;
    let mut cached_times = Vec::with_capacity(SPAWNS);
    let mut uncached_times = Vec::with_capacity(SPAWNS);
    for _ in 0..SPAWNS {
        cached_times.push(time_start(launcher, cached).await?);
        uncached_times.push(time_start(launcher, ComponentCache::Off).await?);
    }
    Ok(ColdStarts {
        cached: summarize(&cached_times),
        uncached: summarize(&uncached_times),
    })
}

/// (spawn → `initialize`, spawn → `tools/list`) of one start.
async fn time_start(
    launcher: &HostLauncher,
    cache: ComponentCache<'_>,
) -> Result<(Duration, Duration)> {
    let started = Instant::now();
    let session = launcher.start(cache, None, &[]).await?;
    let initialized = started.elapsed();
    session.list_tools().await?;
    let listed = started.elapsed();
    session.close().await?;
    Ok((initialized, listed))
}

fn summarize(times: &[(Duration, Duration)]) -> ColdStart {
    let (initialize, tools_list): (Vec<Duration>, Vec<Duration>) = times.iter().copied().unzip();
    ColdStart {
        initialize: Percentiles::of(&initialize),
        tools_list: Percentiles::of(&tools_list),
    }
}
