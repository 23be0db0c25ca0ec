//! Encodes the doc comments of `wit/ktrdr.wit` for the component's `package-docs` section.

fn main() {
    package_docs::write_for_build_script("wit", "ktrdr-tools");
}
