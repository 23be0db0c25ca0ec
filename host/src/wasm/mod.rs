//! The WebAssembly side: the engine the component is compiled for (with Wasmtime's
//! compiled-code cache), the pool of instances that run calls, and each call's store limits.
//! The sandbox's hooks and the outgoing HTTP client are in `crate::sandbox` and
//! `crate::connections`.

mod engine;
mod limits;
mod runtime;

pub use runtime::{CallFailure, Runtime};
