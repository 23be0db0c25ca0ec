//! Command-line settings.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

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

    /// Which upstream KTRDR API generation to serve: 2025 is the plan-era API (`POST /data/load`,
    /// five statuses); 2026 is the 2026-04 one (`POST /data/acquire/download` with a flat answer
    /// and no `local` mode, `resuming` via `POST /operations/{id}/resume`, the added operation
    /// and cancel fields, 503 when no training worker is free).
    #[arg(long, value_enum, default_value_t = ApiGeneration::V2025)]
    pub api: ApiGeneration,

    /// With --api 2026: the number of training workers; a training (started or resumed) holds
    /// one until it ends, and a start finding none free answers 503. Unlimited when absent.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub training_workers: Option<u32>,

    /// Reproduce a known upstream defect (with --api 2025). `training-result-500`: a completed
    /// training answers `GET /operations/{id}` and `/results` with upstream's 500
    /// `PydanticSerializationError` envelope and then drops the kept-alive connection without
    /// `Connection: close`, as uvicorn does after an unhandled error; the list and
    /// `/trainings/{id}/performance` keep working.
    #[arg(long, value_enum)]
    pub defect: Option<Defect>,
}

/// An upstream KTRDR API generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiGeneration {
    /// The plan-era API (upstream 61c94c3a, 2025-10).
    #[value(name = "2025")]
    V2025,
    /// The current API (upstream 2c5c7173, 2026-04).
    #[value(name = "2026")]
    V2026,
}

/// An upstream defect the backend can reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Defect {
    /// Contract 7.4: status and results of a completed training are a 500, then the kept-alive
    /// connection is dropped.
    #[value(name = "training-result-500")]
    TrainingResult500,
}

impl Settings {
    /// Refuses flag combinations that no upstream generation has.
    pub fn check(&self) -> Result<(), String> {
        if self.training_workers.is_some() && self.api != ApiGeneration::V2026 {
            return Err("--training-workers needs --api 2026 (the plan-era API trains in the backend process)".into());
        }
        if self.defect == Some(Defect::TrainingResult500) && self.api != ApiGeneration::V2025 {
            return Err(
                "--defect training-result-500 is a plan-era defect: use it with --api 2025".into(),
            );
        }
        Ok(())
    }

    /// Whether the 2026 API is served.
    pub fn is_2026(&self) -> bool {
        self.api == ApiGeneration::V2026
    }

    /// Whether completed trainings answer upstream's serialization 500.
    pub fn training_result_500(&self) -> bool {
        self.defect == Some(Defect::TrainingResult500)
    }
}
