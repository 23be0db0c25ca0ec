//! A WIT world's doc comments, encoded as the `package-docs` custom section that a component
//! built from it can carry.
//!
//! The component binary format keeps a component's types but not their doc comments. Tools such
//! as `wasm-tools component wit` and every `wit-parser` decoder restore docs from a
//! `package-docs` custom section, which describes the package a decoded component synthesises:
//! `root:component` with one world, `root`. So the world's exports must be inline interfaces
//! (`export tools: interface { … }`): those belong to that package, while the items of an
//! interface from a named package (`export ns:pkg/iface`) cannot be described by it.
//!
//! Call [`write_for_build_script`] from a component's `build.rs` and place the file it writes in
//! a `#[link_section = "package-docs"]` static: decoders read the section wherever it sits in
//! the component.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};
use wit_parser::{PackageMetadata, Resolve, WorldItem};

/// Name of the custom section that carries package docs.
pub const SECTION_NAME: &str = PackageMetadata::SECTION_NAME;

/// The world name a decoder gives a component's own world.
const DECODED_WORLD: &str = "root";

/// Contents of the `package-docs` section for the component of `world` in the WIT package at
/// `wit_dir`. Fails if the WIT does not parse, the world is missing, or one of its exports is an
/// interface of a named package (whose docs a component cannot carry).
pub fn section_contents(wit_dir: &Path, world: &str) -> Result<Vec<u8>> {
    let mut resolve = Resolve::default();
    let (package, _) = resolve
        .push_dir(wit_dir)
        .with_context(|| format!("cannot read the WIT package in {}", wit_dir.display()))?;
    let world_id = resolve.select_world(&[package], Some(world))?;
    for (key, item) in &resolve.worlds[world_id].exports {
        if let WorldItem::Interface { id, .. } = item {
            if resolve.interfaces[*id].name.is_some() {
                bail!(
                    "world `{world}` exports the named interface `{}`: export it inline \
                     (`export name: interface {{ … }}`) so that its docs can travel with the component",
                    resolve.name_world_key(key)
                );
            }
        }
    }
    let encoded = PackageMetadata::extract(&resolve, package).encode()?;
    let (version, json) = encoded
        .split_first()
        .context("package docs encode to nothing")?;
    let mut metadata: Map<String, Value> = serde_json::from_slice(json)?;
    let world_docs = metadata
        .get_mut("worlds")
        .and_then(Value::as_object_mut)
        .and_then(|worlds| worlds.remove(world))
        .unwrap_or_else(|| Value::Object(Map::new()));
    // A decoded component has only its own world: docs of anything else would not resolve.
    metadata.remove("interfaces");
    metadata.insert(
        "worlds".into(),
        Value::Object(Map::from_iter([(DECODED_WORLD.to_string(), world_docs)])),
    );
    let mut section = vec![*version];
    serde_json::to_writer(&mut section, &metadata)?;
    Ok(section)
}

/// For a component's `build.rs`: writes the section for `world` of the WIT package in `wit_dir`
/// to `$OUT_DIR/package-docs` and asks cargo to rerun when the WIT changes. Panics (failing the
/// build) with the reason if the docs cannot be encoded.
pub fn write_for_build_script(wit_dir: &str, world: &str) {
    println!("cargo:rerun-if-changed={wit_dir}");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let section = section_contents(Path::new(wit_dir), world)
        .unwrap_or_else(|error| panic!("cannot encode the docs of `{world}`: {error:#}"));
    std::fs::write(Path::new(&out_dir).join(SECTION_NAME), section)
        .unwrap_or_else(|error| panic!("cannot write $OUT_DIR/{SECTION_NAME}: {error}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary directory holding `source` as its one WIT file.
    fn wit_dir(source: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("world.wit"), source).unwrap();
        dir
    }

    #[test]
    fn describes_the_inline_exports_under_the_decoded_world_name() {
        let dir = wit_dir(
            "package a:b;\n/// The world.\nworld w {\n  /// The tools.\n  export tools: interface {\n    \
             /// Adds.\n    add: func(x: u32) -> u32;\n  }\n}\n",
        );
        let section = section_contents(dir.path(), "w").unwrap();
        let json: Value = serde_json::from_slice(&section[1..]).unwrap();
        let world = &json["worlds"]["root"];
        assert_eq!(world["docs"], "The world.");
        assert_eq!(
            world["interface_exports"]["tools"]["funcs"]["add"]["docs"],
            "Adds."
        );
        assert!(json["worlds"].get("w").is_none());
    }

    #[test]
    fn refuses_a_named_interface_export() {
        let dir = wit_dir(
            "package a:c;\ninterface tools {\n  /// Adds.\n  add: func(x: u32) -> u32;\n}\n\
             world w {\n  export tools;\n}\n",
        );
        let error = section_contents(dir.path(), "w").unwrap_err().to_string();
        assert!(error.contains("export it inline"), "{error}");
    }
}
