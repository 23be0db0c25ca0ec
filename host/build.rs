//! Embeds the tools component into the host binary, so that `ktrdr-mcp` runs with no flags
//! after `make build`. The component is `KTRDR_COMPONENT_WASM` if set, else `ktrdr_tools.wasm`
//! in the `component` profile's `wasm32-wasip2` output under `$CARGO_TARGET_DIR` or the
//! workspace's `target/` (`make component` builds it).

use std::env;
use std::path::PathBuf;

const COMPONENT: &str = "wasm32-wasip2/component/ktrdr_tools.wasm";

fn main() {
    println!("cargo:rerun-if-env-changed=KTRDR_COMPONENT_WASM");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let candidates: Vec<PathBuf> = match env::var_os("KTRDR_COMPONENT_WASM") {
        Some(path) => vec![PathBuf::from(path)],
        None => env::var_os("CARGO_TARGET_DIR")
            .map(|dir| PathBuf::from(dir).join(COMPONENT))
            .into_iter()
            .chain([manifest_dir.join("../target").join(COMPONENT)])
            .collect(),
    };
    let Some(component) = candidates.iter().find(|path| path.is_file()) else {
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        println!(
            "cargo::error=build the component first: make component (no tools component at {}; \
             KTRDR_COMPONENT_WASM=PATH names another)",
            tried.join(" or ")
        );
        return;
    };
    let component = component.canonicalize().expect("the component path exists");
    println!("cargo:rerun-if-changed={}", component.display());
    println!(
        "cargo:rustc-env=KTRDR_BUNDLED_COMPONENT={}",
        component.display()
    );
}
