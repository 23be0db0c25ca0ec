//! The `probe-plus-tools` test component: the probe interface plus one world-level function,
//! standing for a function added to a component's WIT after its first release, and a second
//! exported interface.

wit_bindgen::generate!({ path: "../wit", world: "probe-plus-tools" });

/// The doc comments of the component's WIT, in the `package-docs` section that WIT decoders
/// (and so hosts) restore docs from. Written by `build.rs`.
#[link_section = "package-docs"]
#[used]
static PACKAGE_DOCS: [u8; include_bytes!(concat!(env!("OUT_DIR"), "/package-docs")).len()] =
    *include_bytes!(concat!(env!("OUT_DIR"), "/package-docs"));

/// The component's exports.
struct Component;

include!("../../probe/src/probe_impl.rs");

impl Guest for Component {
    fn count_chars(text: String) -> u32 {
        text.chars().count() as u32
    }
}

impl exports::text::Guest for Component {
    fn reverse(text: String) -> String {
        text.chars().rev().collect()
    }
}

export!(Component);
