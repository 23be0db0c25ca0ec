//! The machine a run happened on: when, how many cores, how loaded.

use anyhow::{Context, Result};

/// What the report says about the machine.
pub struct Machine {
    /// Local date and time of the run.
    pub date: String,
    /// Cores available to this process (what `nproc` prints).
    pub cores: usize,
    /// The 1/5/15-minute load averages when the run started.
    pub load_at_start: String,
}

impl Machine {
    /// Reads the machine's state now.
    pub fn now() -> Result<Self> {
        Ok(Self {
            date: chrono::Local::now().format("%Y-%m-%d %H:%M %Z").to_string(),
            cores: std::thread::available_parallelism()?.get(),
            load_at_start: load_average()?,
        })
    }
}

/// The 1/5/15-minute load averages, from `/proc/loadavg`.
pub fn load_average() -> Result<String> {
    let text = std::fs::read_to_string("/proc/loadavg").context("cannot read /proc/loadavg")?;
    Ok(text
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" "))
}
