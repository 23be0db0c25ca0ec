//! The `probe-tools` test component: the probe interface and nothing else.

wit_bindgen::generate!({ path: "../wit", world: "probe-tools" });

/// The doc comments of the component's WIT, in the `package-docs` section that WIT decoders
/// (and so hosts) restore docs from. Written by `build.rs`.
#[link_section = "package-docs"]
#[used]
static PACKAGE_DOCS: [u8; include_bytes!(concat!(env!("OUT_DIR"), "/package-docs")).len()] =
    *include_bytes!(concat!(env!("OUT_DIR"), "/package-docs"));

/// The component's exports.
struct Component;

include!("probe_impl.rs");

export!(Component);
