//! One version for the component (this crate), its WIT package, the host and the changelog;
//! `make package` tags the OCI artifact with it too (checked by `tests/e2e/test_package.py`).

use std::path::Path;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn read(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The `version` of a manifest's `[package]` table.
fn package_version(manifest: &str) -> Option<&str> {
    let package = manifest
        .split("\n[")
        .map(|table| table.strip_prefix('[').unwrap_or(table))
        .find(|table| table.starts_with("package]"))?;
    let line = package.lines().find(|line| {
        line.split('=')
            .next()
            .is_some_and(|key| key.trim() == "version")
    })?;
    line.split('"').nth(1)
}

#[test]
fn the_host_has_the_components_version() {
    assert_eq!(package_version(&read("host/Cargo.toml")), Some(VERSION));
}

#[test]
fn the_wit_package_has_the_components_version() {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve
        .push_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("wit"))
        .expect("wit/ parses");
    let name = &resolve.packages[package].name;
    assert_eq!(name.to_string(), format!("ktrdr:mcp@{VERSION}"));
}

#[test]
fn the_changelog_has_an_entry_for_the_version() {
    let heading = format!("## [{VERSION}]");
    assert!(
        read("CHANGELOG.md")
            .lines()
            .any(|line| line.starts_with(&heading)),
        "CHANGELOG.md has no `{heading}` entry"
    );
}

#[test]
fn package_version_reads_only_the_package_table() {
    let manifest =
        "[dependencies]\nversion = \"9\"\n\n[package]\nname = \"x\"\nversion = \"1.2.3\"\n";
    assert_eq!(package_version(manifest), Some("1.2.3"));
    assert_eq!(
        package_version("[package]\nversion = \"0.4.0\"\n"),
        Some("0.4.0")
    );
    assert_eq!(package_version("[workspace]\nversion = \"1\"\n"), None);
}
