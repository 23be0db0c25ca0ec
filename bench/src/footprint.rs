//! The servers' footprint: peak resident memory (from `/proc/<pid>/status`) and artifact sizes.

use anyhow::{Context, Result};

/// Memory and size figures, in bytes.
pub struct Footprint {
    /// The host's peak RSS after `initialize` and `tools/list`, before any call.
    pub idle_peak_rss: u64,
    /// The host's peak RSS after the concurrency runs (up to 64 calls in flight).
    pub loaded_peak_rss: u64,
    /// The Python peer's peak RSS after `initialize` and `tools/list`, before any call.
    pub peer_idle_peak_rss: u64,
    /// The Python peer's peak RSS after the concurrency runs.
    pub peer_loaded_peak_rss: u64,
    /// The release component's file.
    pub component_bytes: u64,
    /// The host binary's file.
    pub host_bytes: u64,
}

/// Peak resident set size (`VmHWM`) of process `pid`, in bytes.
pub fn peak_rss(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    vm_hwm_bytes(&status).with_context(|| format!("no VmHWM line in {path}"))
}

/// The `VmHWM:  <n> kB` line of a `/proc/<pid>/status` text, in bytes.
fn vm_hwm_bytes(status: &str) -> Option<u64> {
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_hwm_in_bytes() {
        let status = "Name:\tktrdr-mcp\nVmPeak:\t  999 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(vm_hwm_bytes(status), Some(12345 * 1024));
    }

    #[test]
    fn a_status_without_vm_hwm_has_none() {
        assert_eq!(vm_hwm_bytes("Name:\tkthreadd\nState:\tS\n"), None);
    }

    #[test]
    fn the_own_process_has_a_peak() {
        assert!(peak_rss(std::process::id()).unwrap() > 0);
    }
}
