//! Model training: strategy files, indicators and fuzzy features, a plain-Rust MLP, metrics,
//! model files, and the training operation that ties them together.

pub mod features;
pub mod indicators;
pub mod metrics;
pub mod mlp;
pub mod model_store;
pub mod runner;
pub mod strategy;
