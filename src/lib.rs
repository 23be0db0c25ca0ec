//! KTRDR tools component.
//!
//! Gives AI agents a KTRDR trading-research backend's long-running operations as six tools
//! (the `ktrdr:mcp/tools` interface of `wit/ktrdr.wit`): list, watch, cancel and read the
//! results of operations, and start data loads and trainings.
//!
//! The crate is built two ways:
//! - as a `wasm32-wasip2` component (`cdylib`), whose exports are [`facade`]'s tools and whose
//!   only reach to the outside is `wasi:http` to the configured backend;
//! - natively (`rlib`), where everything except the HTTP transport is available, so request
//!   building, input validation and response parsing are unit-tested without a runtime.
//!
//! Layout, one concept per module:
//! - [`config`]: `KTRDR_API_URL` and `API_TIMEOUT` from `wasi:cli/environment`.
//! - [`error`]: the one error type and its mapping to the WIT `tool-error`.
//! - [`validate`]: argument checks done before any request is sent.
//! - [`json`]: lenient, panic-free reading of backend JSON.
//! - [`http`]: request description, URL encoding, response decoding, the wasi-http transport.
//! - [`operations`], [`data`], [`training`]: the domain clients.
//! - [`facade`]: one entry point over the domain clients, and the WIT export.

wit_bindgen::generate!({
    path: "wit",
    world: "ktrdr-tools",
    additional_derives: [PartialEq],
});

/// The types of the exported `ktrdr:mcp/tools` interface (records, enums, `tool-error`).
pub use exports::ktrdr::mcp::tools;

pub mod config;
pub mod data;
pub mod error;
#[cfg(target_arch = "wasm32")]
pub mod facade;
pub mod http;
pub mod json;
pub mod operations;
pub mod training;
pub mod validate;

/// The WIT source of the component (`wit/ktrdr.wit`), carried in a `wit-source` custom
/// section: the component binary format keeps the interface's types but not its doc comments,
/// and hosts that serve the functions as described tools read them from here. (On wasm a
/// `link_section` static becomes a custom section, not data.)
#[cfg(target_arch = "wasm32")]
#[link_section = "wit-source"]
pub static WIT_SOURCE: [u8; include_bytes!("../wit/ktrdr.wit").len()] =
    *include_bytes!("../wit/ktrdr.wit");
