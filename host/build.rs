//! Embeds the tools component into the host binary, so that `ktrdr-mcp` is one file that runs
//! with no flags. The component is, in this order:
//! 1. `KTRDR_COMPONENT_WASM`, if set;
//! 2. the one `make component` leaves in the `component` profile's `wasm32-wasip2` output under
//!    `$CARGO_TARGET_DIR` or the workspace's `target/`;
//! 3. otherwise built here, from the workspace's sources, by a nested
//!    `cargo build --profile component --target wasm32-wasip2` in its own target directory
//!    under `OUT_DIR` (so `cargo install --path host` works from a checkout), with its names
//!    shortened as `make component` does.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "component";
const FILE: &str = "ktrdr_tools.wasm";

fn main() {
    println!("cargo:rerun-if-env-changed=KTRDR_COMPONENT_WASM");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
    let workspace = Path::new(&env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo")).join("..");
    let component = match prebuilt(&workspace) {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", path.display());
            path
        }
        None => match build(&workspace) {
            Ok(path) => path,
            Err(error) => {
                println!("cargo::error={error}");
                return;
            }
        },
    };
    let component = component.canonicalize().expect("the component path exists");
    println!(
        "cargo:rustc-env=KTRDR_BUNDLED_COMPONENT={}",
        component.display()
    );
}

/// The component named by `KTRDR_COMPONENT_WASM` or left by `make component`, if any.
fn prebuilt(workspace: &Path) -> Option<PathBuf> {
    if let Some(path) = env::var_os("KTRDR_COMPONENT_WASM") {
        return Some(PathBuf::from(path));
    }
    let output = Path::new(TARGET).join(PROFILE).join(FILE);
    env::var_os("CARGO_TARGET_DIR")
        .map(|dir| workspace.join(dir).join(&output))
        .into_iter()
        .chain([workspace.join("target").join(&output)])
        .find(|path| path.is_file())
}

/// Builds the component from the workspace's sources into `OUT_DIR` and returns its path.
fn build(workspace: &Path) -> Result<PathBuf, String> {
    for input in ["src", "wit", "build.rs", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(input).display());
    }
    let target_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("component");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--locked", "--package", "ktrdr-tools"])
        .args(["--profile", PROFILE, "--target", TARGET])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        // The host's own build settings are not the component's.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .map_err(|error| format!("cannot run cargo to build the tools component: {error}"))?;
    if !status.success() {
        return Err(format!(
            "building the tools component failed ({status}); is the target installed? \
             `rustup target add {TARGET}` (or `make component`, or KTRDR_COMPONENT_WASM=PATH)"
        ));
    }
    let built = target_dir.join(TARGET).join(PROFILE).join(FILE);
    let bytes = std::fs::read(&built).map_err(|error| format!("{}: {error}", built.display()))?;
    let shortened = component_names::shorten_component(&bytes)
        .map_err(|error| format!("cannot shorten the component's names: {error:#}"))?;
    let embedded = target_dir.join(FILE);
    std::fs::write(&embedded, shortened)
        .map_err(|error| format!("{}: {error}", embedded.display()))?;
    Ok(embedded)
}
