//! The built component (`make component`): what it exports, what it imports, how big it
//! is, and the doc comments it carries for hosts.
//!
//! Decodes the component `make component` leaves in the target directory
//! ([`artifacts::component`]) with `wit-component`, as `wasm-tools component wit` does.

use backend_launcher::artifacts;
use std::path::PathBuf;
use wit_component::DecodedWasm;
use wit_parser::{Resolve, WorldId, WorldItem, WorldKey};

/// The seven tools, in WIT spelling.
const TOOLS: [&str; 7] = [
    "list-operations",
    "get-operation-status",
    "cancel-operation",
    "get-operation-results",
    "trigger-data-loading",
    "start-training",
    "get-market-data",
];

/// Interfaces the component may import: outgoing HTTP with the `wasi:io` and `wasi:clocks` it
/// needs, its configuration (`wasi:cli/environment`), and what Rust's std runtime links in on
/// `wasm32-wasip2` (exit, the standard streams and terminals for panic output, randomness).
const ALLOWED_IMPORTS: [&str; 17] = [
    "wasi:http/types",
    "wasi:http/outgoing-handler",
    "wasi:io/poll",
    "wasi:io/error",
    "wasi:io/streams",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
];

/// `wasi:random/*` is allowed too (std may seed hash maps from it).
const ALLOWED_IMPORT_PACKAGES: [&str; 1] = ["wasi:random/"];

/// The release component must stay below this size, in bytes. It was 300 KB for the six
/// operation tools against one API generation; reading both generations (two data-load
/// routes and answer shapes, the performance fallback) and `get-market-data` cost ~30 KB of
/// code, docs and names. A change that grows it past this should say why.
const MAX_COMPONENT_BYTES: u64 = 335 * 1000;

fn component_path() -> PathBuf {
    artifacts::component().unwrap_or_else(|error| panic!("{error}"))
}

fn component_bytes() -> Vec<u8> {
    let path = component_path();
    std::fs::read(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read the component at {} ({error}): run `make component` first",
            path.display()
        )
    })
}

fn decoded() -> (Resolve, WorldId) {
    match wit_component::decode(&component_bytes()).expect("the component decodes") {
        DecodedWasm::Component(resolve, world) => (resolve, world),
        DecodedWasm::WitPackage(..) => panic!("expected a component, got a WIT package"),
    }
}

/// `namespace:package/interface` of an interface import or export, without its version.
fn interface_name(resolve: &Resolve, key: &WorldKey, item: &WorldItem) -> String {
    match (key, item) {
        (WorldKey::Interface(id), _) | (_, WorldItem::Interface { id, .. }) => {
            let name = resolve
                .id_of(*id)
                .unwrap_or_else(|| resolve.name_world_key(key));
            name.split('@').next().unwrap_or_default().to_owned()
        }
        (WorldKey::Name(name), _) => name.clone(),
    }
}

#[test]
fn imports_are_only_http_its_wasi_needs_and_the_environment() {
    let (resolve, world) = decoded();
    let imports: Vec<String> = resolve.worlds[world]
        .imports
        .iter()
        .map(|(key, item)| interface_name(&resolve, key, item))
        .collect();
    for import in &imports {
        assert!(
            !import.starts_with("wasi:filesystem/") && !import.starts_with("wasi:sockets/"),
            "forbidden import {import}"
        );
        assert!(
            ALLOWED_IMPORTS.contains(&import.as_str())
                || ALLOWED_IMPORT_PACKAGES
                    .iter()
                    .any(|package| import.starts_with(package)),
            "unexpected import {import} (all: {imports:?})"
        );
    }
    for needed in ["wasi:http/outgoing-handler", "wasi:cli/environment"] {
        assert!(
            imports.iter().any(|import| import == needed),
            "missing {needed}"
        );
    }
}

#[test]
fn exports_the_seven_tools() {
    let (resolve, world) = decoded();
    let exports = &resolve.worlds[world].exports;
    assert_eq!(exports.len(), 1, "exactly one export");
    let (key, item) = exports.iter().next().expect("one export");
    assert_eq!(interface_name(&resolve, key, item), "tools");
    let WorldItem::Interface { id, .. } = item else {
        panic!("the export is not an interface");
    };
    let mut functions: Vec<&str> = resolve.interfaces[*id]
        .functions
        .keys()
        .map(String::as_str)
        .collect();
    functions.sort_unstable();
    let mut expected = TOOLS.to_vec();
    expected.sort_unstable();
    assert_eq!(functions, expected);
}

#[test]
fn decodes_with_the_docs_of_the_wit_it_was_built_from() {
    let mut source = Resolve::default();
    let (package, _) = source
        .push_dir(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/wit"
        )))
        .expect("wit/ parses");
    let source_world = source
        .select_world(&[package], Some("ktrdr-tools"))
        .expect("world ktrdr-tools");
    let source_tools = exported_interface(&source, source_world);
    let (resolve, world) = decoded();
    let tools = exported_interface(&resolve, world);
    assert_eq!(
        resolve.worlds[world].docs, source.worlds[source_world].docs,
        "world docs differ: rebuild the component (`make component`)"
    );
    for name in TOOLS {
        let function = &resolve.interfaces[tools].functions[name];
        let documented = &source.interfaces[source_tools].functions[name];
        assert_eq!(
            function.docs, documented.docs,
            "{name}: docs differ: rebuild the component (`make component`)"
        );
        let docs = function.docs.contents.as_deref().unwrap_or_default();
        assert!(docs.contains("# Annotations"), "{name} lacks # Annotations");
        for parameter in &function.params {
            assert!(
                docs.contains(&format!("`{}`", parameter.name)),
                "{name} does not document `{}`",
                parameter.name
            );
        }
    }
    for (id, documented) in source.interfaces[source_tools].types.iter() {
        let decoded_type = resolve.interfaces[tools].types[id.as_str()];
        assert_eq!(
            resolve.types[decoded_type].docs, source.types[*documented].docs,
            "type {id}: docs differ"
        );
    }
}

/// The one interface `world` exports.
fn exported_interface(resolve: &Resolve, world: WorldId) -> wit_parser::InterfaceId {
    match resolve.worlds[world].exports.values().next() {
        Some(WorldItem::Interface { id, .. }) => *id,
        _ => panic!("the world exports no interface"),
    }
}

#[test]
fn release_component_is_small() {
    let size = std::fs::metadata(component_path())
        .unwrap_or_else(|error| panic!("{error}: run `make component` first"))
        .len();
    assert!(
        size < MAX_COMPONENT_BYTES,
        "the component is {size} bytes; the budget is {MAX_COMPONENT_BYTES}"
    );
}

/// `make component` leaves function names a trap backtrace can show as they read in the source:
/// demangled and without hashes.
#[test]
fn function_names_are_short_rust_paths() {
    let bytes = component_bytes();
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let wasmparser::Payload::CustomSection(section) = payload.unwrap() {
            if let wasmparser::KnownCustom::Name(reader) = section.as_known() {
                for name in reader {
                    if let wasmparser::Name::Function(map) = name.unwrap() {
                        names.extend(map.into_iter().map(|n| n.unwrap().name.to_owned()));
                    }
                }
            }
        }
    }
    assert!(
        names
            .iter()
            .any(|name| name == "ktrdr_tools::operations::OperationsClient::list_operations"),
        "no function named ktrdr_tools::operations::OperationsClient::list_operations"
    );
    let hash = |name: &&String| {
        name.rsplit("::").next().is_some_and(|last| {
            last.len() == 17
                && last.starts_with('h')
                && last[1..].bytes().all(|b| b.is_ascii_hexdigit())
        })
    };
    let long: Vec<&String> = names
        .iter()
        .filter(|name| name.starts_with("_ZN") || name.starts_with("_R") || hash(name))
        .collect();
    assert!(long.is_empty(), "mangled or hashed names: {long:?}");
}
