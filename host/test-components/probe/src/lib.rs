//! The `probe-tools` test component: the probe interface and nothing else.

wit_bindgen::generate!({ path: "../wit", world: "probe-tools" });

/// The component's WIT source, doc comments included, in the `wit-source` custom section that
/// hosts read tool descriptions from.
#[link_section = "wit-source"]
#[used]
static WIT_SOURCE: [u8; include_bytes!("../../wit/probe.wit").len()] =
    *include_bytes!("../../wit/probe.wit");

/// The component's exports.
struct Component;

include!("probe_impl.rs");

export!(Component);
