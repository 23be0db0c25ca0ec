//! Remote MCP (`--http`): MCP Streamable HTTP at `/mcp`, behind bearer tokens, for clients that
//! connect over the network. The host keeps no state between requests but its configuration
//! (2025-11-25 sessions aside), so replicas behind a load balancer are interchangeable.
//!
//! [`settings`] checks the flags, [`tokens`] holds the bearer tokens, [`gateway`] routes and
//! guards each request before rmcp's service, [`listener`] accepts connections and drains them.

mod gateway;
mod listener;
mod settings;
mod tokens;

pub use listener::serve;
pub use settings::RemoteSettings;
