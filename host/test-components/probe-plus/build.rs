//! Encodes the doc comments of the `probe-plus-tools` world for the component's `package-docs` section.

fn main() {
    package_docs::write_for_build_script("../wit", "probe-plus-tools");
}
