//! Where the built artifacts are, for the host's tests and the benchmarks: the native binaries
//! built with the same profile as the running executable, and the component files under the
//! same target directory. `KTRDR_MCP_BIN` and `KTRDR_BACKEND_BIN` name other binaries.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Result};

/// The tools component, relative to a target directory (`make component`).
pub const COMPONENT: &str = "wasm32-wasip2/component/ktrdr_tools.wasm";

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The directory of the running executable's profile (`target/quick` for a test binary in
/// `target/quick/deps`, `target/release` for the benchmark there): the binaries built
/// alongside it.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable's path");
    let dir = exe.parent().expect("an executable is in a directory");
    match dir.file_name() {
        Some(name) if name == "deps" => dir.parent().unwrap_or(dir).to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

/// The target directory the running executable was built in.
pub fn target_dir() -> PathBuf {
    let profile = profile_dir();
    profile.parent().unwrap_or(&profile).to_path_buf()
}

/// The host binary: `KTRDR_MCP_BIN`, else `ktrdr-mcp` in [`profile_dir`].
pub fn host_bin() -> Result<PathBuf> {
    binary("KTRDR_MCP_BIN", "ktrdr-mcp")
}

/// The reference backend: `KTRDR_BACKEND_BIN`, else `ktrdr-backend` in [`profile_dir`].
pub fn backend_bin() -> Result<PathBuf> {
    binary("KTRDR_BACKEND_BIN", "ktrdr-backend")
}

/// The tools component, [`COMPONENT`] under [`target_dir`].
pub fn component() -> Result<PathBuf> {
    let path = target_dir().join(COMPONENT);
    ensure!(
        path.is_file(),
        "the component {} is missing: run `make component`",
        path.display()
    );
    Ok(path)
}

/// The target directory of the host tests' components (`host/test-components`, built with
/// `cargo build --release --target wasm32-wasip2 --target-dir` it).
pub fn test_components_dir() -> PathBuf {
    target_dir().join("test-components")
}

/// The host tests' component `name` (`probe`, `probe_plus`) in [`test_components_dir`].
pub fn test_component(name: &str) -> PathBuf {
    test_components_dir().join(format!("wasm32-wasip2/release/{name}.wasm"))
}

fn binary(variable: &str, name: &str) -> Result<PathBuf> {
    let path = match std::env::var_os(variable) {
        Some(path) => PathBuf::from(path),
        None => profile_dir().join(name),
    };
    ensure!(
        path.is_file(),
        "{} is missing: run `make test-build` for the tests or `make build` for the benchmark \
         (or set {variable})",
        path.display()
    );
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_binary_finds_its_profile_and_target_directories() {
        let exe = std::env::current_exe().unwrap();
        assert_eq!(exe.parent(), Some(profile_dir().join("deps").as_path()));
        assert_eq!(profile_dir().parent(), Some(target_dir().as_path()));
        assert!(target_dir().join("CACHEDIR.TAG").is_file());
    }
}
