//! Where the measured artifacts are: the host and backend binaries, the release component, the
//! host tests' probe component, and the Python peer with the interpreter of the project's venv.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};

/// The release component, relative to a target directory.
const COMPONENT: &str = "wasm32-wasip2/release/ktrdr_tools.wasm";
/// The host tests' probe component, relative to a target directory.
const PROBE: &str = "test-components/wasm32-wasip2/release/probe.wasm";
/// The Python peer, relative to the workspace.
const PEER: &str = "bench/peer/ktrdr_peer.py";
/// The project venv's interpreter (`make setup-python`), relative to the workspace.
const PYTHON: &str = ".venv/bin/python";

/// Paths of the artifacts under measurement.
pub struct Binaries {
    /// `ktrdr-mcp`: `KTRDR_MCP_BIN`, else `<target>/native/ktrdr-mcp`.
    pub host: PathBuf,
    /// `ktrdr-backend`: `KTRDR_BACKEND_BIN`, else `<target>/native/ktrdr-backend`.
    pub backend: PathBuf,
    /// The release component the host embeds (`<target>/wasm32-wasip2/release/…`, else the
    /// workspace's `target/`, as the host's build script looks for it).
    pub component: PathBuf,
    /// The host tests' probe component (`<target>/test-components/…`), whose `calls-served`
    /// does no I/O.
    pub probe: PathBuf,
    /// The Python peer's script.
    pub peer: PathBuf,
    /// The interpreter that runs it, with the MCP SDK and httpx installed.
    pub python: PathBuf,
}

impl Binaries {
    /// Finds every artifact, failing with the command that builds a missing one.
    pub fn locate() -> Result<Self> {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(|dir| workspace.join(dir))
            .unwrap_or_else(|| workspace.join("target"));
        let host = from_env_or("KTRDR_MCP_BIN", target.join("native/ktrdr-mcp"));
        let backend = from_env_or("KTRDR_BACKEND_BIN", target.join("native/ktrdr-backend"));
        let component = [
            target.join(COMPONENT),
            workspace.join("target").join(COMPONENT),
        ]
        .into_iter()
        .find(|path| path.is_file())
        .context("the release component is missing: run `make component`")?;
        for path in [&host, &backend] {
            ensure!(
                path.is_file(),
                "{} is missing: run `make build` (or set KTRDR_MCP_BIN / KTRDR_BACKEND_BIN)",
                path.display()
            );
        }
        let probe = target.join(PROBE);
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

fn from_env_or(variable: &str, default: PathBuf) -> PathBuf {
    std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or(default)
}

/// The size of the file at `path`, in bytes.
pub fn file_size(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("cannot stat {}", path.display()))?
        .len())
}
