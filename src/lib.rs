//! KTRDR tools component.
//!
//! Gives AI agents a KTRDR trading-research backend's long-running operations as tools (the
//! `tools` interface exported by the `ktrdr:mcp` world in `wit/ktrdr.wit`): list, watch, cancel
//! and read the results of operations, start data loads and trainings, and read cached bars.
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

/// The types of the exported `tools` interface (records, enums, `tool-error`).
pub use exports::tools;

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

/// The doc comments of `wit/ktrdr.wit`, in the `package-docs` custom section that WIT decoders
/// (`wasm-tools component wit`, `wit-parser`, the host) restore docs from: the component binary
/// format keeps the interface's types but not its docs. Written by `build.rs`.
///
/// On wasm a `link_section` static becomes a custom section. Being `pub` makes rustc emit it;
/// it is not `#[used]`, which would also keep a copy of its bytes in the data segment.
#[cfg(target_arch = "wasm32")]
#[link_section = "package-docs"]
#[doc(hidden)]
pub static PACKAGE_DOCS: [u8; include_bytes!(concat!(env!("OUT_DIR"), "/package-docs")).len()] =
    *include_bytes!(concat!(env!("OUT_DIR"), "/package-docs"));
