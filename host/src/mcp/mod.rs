//! The MCP side: an rmcp server whose tools are the component's functions, the tool results
//! and errors it answers with, the MCP tasks its task functions serve, and its channel on stdin
//! and stdout.

mod results;
mod server;
mod stdio;
mod tasks;

pub use server::{tools_json, ToolServer};
pub use stdio::stdio;
