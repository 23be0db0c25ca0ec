//! Cold start: process spawn → `initialize` result → first `tools/list` result, for the host with
//! the compiled component cached and uncached and for the Python peer, the kinds of start
//! alternating.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::mcp_driver::{ComponentCache, HostLauncher, PeerLauncher, Start};
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

/// Start-up times by kind of start.
pub struct ColdStarts {
    /// The host with a warm `--cache-dir`.
    pub cached: ColdStart,
    /// The host with `--no-cache`.
    pub uncached: ColdStart,
    /// The Python peer.
    pub peer: ColdStart,
}

/// Warms a cache in `cache_dir` and the peer's files with one start each, then measures
/// [`SPAWNS`] starts of each kind.
pub async fn measure(
    host: &HostLauncher,
    peer: &PeerLauncher,
    cache_dir: &Path,
) -> Result<ColdStarts> {
    let cached = Start::Host(host, ComponentCache::Dir(cache_dir));
    let peer = Start::Peer(peer);
    for warm_up in [cached, peer] {
        warm_up.start().await?.close().await?;
    }
    let kinds = [cached, Start::Host(host, ComponentCache::Off), peer];
    let mut times: [Vec<(Duration, Duration)>; 3] = Default::default();
    for _ in 0..SPAWNS {
        for (kind, times) in kinds.iter().zip(&mut times) {
            times.push(time_start(*kind).await?);
        }
    }
    let [cached, uncached, peer] = times.map(|times| summarize(&times));
    Ok(ColdStarts {
        cached,
        uncached,
        peer,
    })
}

/// (spawn → `initialize`, spawn → `tools/list`) of one start.
async fn time_start(kind: Start<'_>) -> Result<(Duration, Duration)> {
    let started = Instant::now();
    let session = kind.start().await?;
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
