//! Starts the reference backend, `ktrdr-backend`, on a free loopback port with its data, models
//! and strategies in fresh temporary directories, seeded with the sample bars and strategies.
//! The host's integration tests and the benchmarks run against it.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result};

/// The API prefix every backend path sits under.
pub const API_PREFIX: &str = "/api/v1";

/// A running `ktrdr-backend`; killed on drop, its directories removed.
pub struct SeededBackend {
    child: Child,
    port: u16,
    _dirs: tempfile::TempDir,
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
        Ok(Self {
            child,
            port,
            _dirs: dirs,
        })
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
}

impl Drop for SeededBackend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
