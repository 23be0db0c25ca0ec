//! The `probe-plus-tools` test component: the probe interface plus one world-level function,
//! standing for a function added to a component's WIT after its first release.

wit_bindgen::generate!({ path: "../wit", world: "probe-plus-tools" });

/// The component's WIT source, doc comments included, in the `wit-source` custom section that
/// hosts read tool descriptions from.
#[link_section = "wit-source"]
#[used]
static WIT_SOURCE: [u8; include_bytes!("../../wit/probe.wit").len()] =
    *include_bytes!("../../wit/probe.wit");

/// The component's exports.
struct Component;

include!("../../probe/src/probe_impl.rs");

impl Guest for Component {
    fn count_chars(text: String) -> u32 {
        text.chars().count() as u32
    }
}

export!(Component);
