//! Encodes the doc comments of `wit/ktrdr.wit` for the component's `package-docs` section, and
//! has the linker write the component's function names demangled.

fn main() {
    package_docs::write_for_build_script("wit", "ktrdr-tools");
    // The `name` section (function names in trap backtraces) with demangled names, e.g.
    // `ktrdr_tools::http::HttpClient::send::h470a…`: shorter than the mangled symbols, by
    // about 9 KB of the component.
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--demangle");
    }
}
