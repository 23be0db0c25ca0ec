//! The WebAssembly side: the engine the component is compiled for and the on-disk cache of
//! its compiled code, the pool of instances that run calls with their store limits, the
//! sandbox's hooks, and the pooled HTTP client (and its TLS) that carries the component's
//! allowed requests.

mod compiled_cache;
mod connections;
mod engine;
mod limits;
mod runtime;
mod sandbox;
mod tls;

pub use runtime::{CallFailure, Runtime};
pub use sandbox::AllowedOrigin;
pub use tls::read_ca_file;
