//! The machine a run happened on: when, which processor, how many cores, how loaded.

use anyhow::{Context, Result};

/// What the report says about the machine.
pub struct Machine {
    /// Local date and time of the run.
    pub date: String,
    /// The processor's model name, from `/proc/cpuinfo`.
    pub cpu: String,
    /// Cores available to this process (what `nproc` prints).
    pub cores: usize,
    /// The 1/5/15-minute load averages when the run started.
    pub load_at_start: String,
}

impl Machine {
    /// Reads the machine's state now.
    pub fn now() -> Result<Self> {
        let cpuinfo =
            std::fs::read_to_string("/proc/cpuinfo").context("cannot read /proc/cpuinfo")?;
        Ok(Self {
            date: chrono::Local::now().format("%Y-%m-%d %H:%M %Z").to_string(),
            cpu: model_name(&cpuinfo)
                .unwrap_or("unknown processor")
                .to_owned(),
            cores: std::thread::available_parallelism()?.get(),
            load_at_start: load_average()?,
        })
    }
}

/// The first `model name` of a `/proc/cpuinfo` text.
fn model_name(cpuinfo: &str) -> Option<&str> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim())
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_model_name() {
        let cpuinfo =
            "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\n\
                       processor\t: 1\nmodel name\t: Other\n";
        assert_eq!(model_name(cpuinfo), Some("Intel(R) Xeon(R) Processor"));
        assert_eq!(model_name("processor\t: 0\n"), None);
    }
}
