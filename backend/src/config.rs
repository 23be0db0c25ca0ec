//! Command-line settings.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Parser;

/// Reference KTRDR backend: the KTRDR HTTP API (operations, data loading, MLP training) under
/// `/api/v1`. Prints the bound port alone on the first stdout line, then serves; logs go to stderr.
#[derive(Parser, Debug, Clone)]
#[command(name = "ktrdr-backend", version)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on; 0 picks a free port.
    #[arg(long, default_value_t = 8000)]
    pub port: u16,

    /// Directory of cached bars (`<SYMBOL>_<tf>.csv`).
    #[arg(long, default_value = "ktrdr-data/data")]
    pub data_dir: PathBuf,

    /// Directory where trained models are written.
    #[arg(long, default_value = "ktrdr-data/models")]
    pub models_dir: PathBuf,

    /// Directory of strategy files (`<name>.yaml`).
    #[arg(long, default_value = "ktrdr-data/strategies")]
    pub strategies_dir: PathBuf,

    /// Write the deterministic sample bars (AAPL, MSFT at 1h and 1d) and the shipped strategies
    /// (mlp_basic, mlp_long) into the directories, where missing.
    #[arg(long)]
    pub seed_data: bool,

    /// With --seed-data: exit once the files are written instead of serving.
    #[arg(long, requires = "seed_data")]
    pub seed_only: bool,

    /// Simulated latency of each request to the market-data source (one segment of at most 500
    /// bars) in tail/backfill/full loads, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub segment_delay_ms: u64,

    /// Finished operations kept in memory; the oldest are forgotten first.
    #[arg(long, default_value_t = 1000)]
    pub max_finished_operations: usize,

    /// Log level on stderr (error, warn, info, debug, trace).
    #[arg(long, default_value = "info")]
    pub log_level: tracing::Level,
}
