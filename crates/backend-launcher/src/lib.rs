//! Starts the reference backend, `ktrdr-backend`, on a free loopback port with its data, models
//! and strategies in fresh temporary directories, seeded with the sample bars and strategies;
//! and finds the built artifacts ([`artifacts`]). The backend's contract tests, the host's
//! integration tests and the benchmarks run against it.

pub mod artifacts;

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result};

/// The API prefix every backend path sits under.
pub const API_PREFIX: &str = "/api/v1";

/// A running `ktrdr-backend`; killed on drop, its directories removed.
pub struct SeededBackend {
    child: Child,
    port: u16,
    dirs: tempfile::TempDir,
}

impl SeededBackend {
    /// Starts the backend binary `bin` with `extra` arguments (after the port, seeding and
    /// directory ones) and waits until it has announced its port.
    pub fn start(bin: &Path, extra: &[&str]) -> Result<Self> {
        let dirs = tempfile::tempdir()?;
        let mut child = Command::new(bin)
            .args(["--port", "0", "--seed-data", "--log-level", "warn"])
            .arg("--data-dir")
            .arg(dirs.path().join("data"))
            .arg("--models-dir")
            .arg(dirs.path().join("models"))
            .arg("--strategies-dir")
            .arg(dirs.path().join("strategies"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut line = String::new();
        let stdout = child.stdout.take().context("the backend's stdout")?;
        BufReader::new(stdout).read_line(&mut line)?;
        let port = line
            .trim()
            .parse()
            .with_context(|| format!("the backend announced {line:?}, not a port"))?;
        Ok(Self { child, port, dirs })
    }

    /// The backend's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Its base URL, API prefix included, as the host takes it.
    pub fn api_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.addr())
    }

    /// Its data directory (`--data-dir`): the seeded bars, one CSV per symbol and bar size.
    pub fn data_dir(&self) -> PathBuf {
        self.dirs.path().join("data")
    }

    /// Its models directory (`--models-dir`).
    pub fn models_dir(&self) -> PathBuf {
        self.dirs.path().join("models")
    }

    /// Its strategies directory (`--strategies-dir`), seeded with the shipped strategies.
    pub fn strategies_dir(&self) -> PathBuf {
        self.dirs.path().join("strategies")
    }
}

impl Drop for SeededBackend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
