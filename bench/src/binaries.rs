//! Where the measured artifacts are: the host and backend binaries, the release component, the
//! host tests' probe component, and the Python peer with the interpreter of the project's venv.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use backend_launcher::artifacts;

/// The Python peer, relative to the workspace.
const PEER: &str = "bench/peer/ktrdr_peer.py";
/// The project venv's interpreter (`make setup-python`), relative to the workspace.
const PYTHON: &str = ".venv/bin/python";

/// Paths of the artifacts under measurement.
pub struct Binaries {
    /// `ktrdr-mcp`, built with the benchmark's profile (see [`artifacts::host_bin`]).
    pub host: PathBuf,
    /// `ktrdr-backend`, likewise.
    pub backend: PathBuf,
    /// The tools component the host embeds.
    pub component: PathBuf,
    /// The host tests' probe component, whose `calls-served` does no I/O.
    pub probe: PathBuf,
    /// The Python peer's script.
    pub peer: PathBuf,
    /// The interpreter that runs it, with the MCP SDK and httpx installed.
    pub python: PathBuf,
}

impl Binaries {
    /// Finds every artifact, failing with the command that builds a missing one.
    pub fn locate() -> Result<Self> {
        let workspace = artifacts::workspace();
        let host = artifacts::host_bin()?;
        let backend = artifacts::backend_bin()?;
        let component = artifacts::component()?;
        let probe = artifacts::test_component("probe");
        ensure!(
            probe.is_file(),
            "{} is missing: run `make test-components`",
            probe.display()
        );
        let python = workspace.join(PYTHON);
        ensure!(
            python.is_file(),
            "{} is missing: run `make setup-python`",
            python.display()
        );
        Ok(Self {
            host,
            backend,
            component,
            probe,
            peer: workspace.join(PEER),
            python,
        })
    }
}

/// The size of the file at `path`, in bytes.
pub fn file_size(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("cannot stat {}", path.display()))?
        .len())
}
