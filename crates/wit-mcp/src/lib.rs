//! MCP tools from a WebAssembly component's WIT.
//!
//! [`ComponentInterface`] reads the exports of a component (or of a WIT world) and describes
//! each exported function as an MCP tool: its name, title, description, `inputSchema`,
//! `outputSchema` and annotations, taken from the WIT types and the doc-comment conventions
//! the crate's README specifies. It then converts a `tools/call`'s JSON arguments to the
//! function's parameter values ([`ComponentInterface::arguments`]) and the function's return
//! value back to JSON ([`ComponentInterface::result_to_json`]); [`Converter`] does the same for
//! single values of any type. Running the component is the host's business.
//!
//! ```
//! use serde_json::json;
//! use wit_mcp::ComponentInterface;
//!
//! let mut resolve = wit_mcp::wit_parser::Resolve::default();
//! let package = resolve
//!     .push_str(
//!         "greeter.wit",
//!         "package demo:greeter;
//!          world greeter {
//!              /// Greets people.
//!              export api: interface {
//!                  /// Says hello.
//!                  ///
//!                  /// # Parameters
//!                  /// - `times`: How often. Range: `1..=3`. Default: `1`.
//!                  say-hello: func(name: string, times: option<u8>) -> string;
//!              }
//!          }",
//!     )
//!     .unwrap();
//! let world = resolve.select_world(&[package], None).unwrap();
//! let tools = ComponentInterface::of_world(resolve, world).unwrap();
//!
//! let tool = tools.functions[0].tool_descriptor();
//! assert_eq!(tool["name"], "say_hello");
//! assert_eq!(tool["inputSchema"]["properties"]["times"]["maximum"], 3);
//! assert_eq!(tools.instructions.as_deref(), Some("Greets people."));
//!
//! let index = tools.function_index("say_hello").unwrap();
//! let error = tools.arguments(index, json!({ "times": 9 }).as_object().unwrap());
//! assert_eq!(
//!     error.unwrap_err().to_string(),
//!     "Argument `name` is required: a string. Fix it and call again."
//! );
//! ```

mod convert;
mod interface;
mod schema;
mod tasks;
mod wit_docs;

pub use convert::{json_name, ArgumentError, ArgumentProblem, Converter};
pub use interface::{ComponentInterface, Error, ExportedFunction};
pub use schema::Outcome;
pub use tasks::{TaskFunctions, TaskRole, TaskState};
pub use wit_docs::{Annotations, FunctionDocs, IntRange, ParamDoc};

/// The component value type the conversions produce and take (wasmtime's).
pub use wasmtime::component::Val;
/// The `wit-parser` this crate reads WIT with, for building a [`wit_parser::Resolve`] to pass to
/// [`ComponentInterface::of_world`].
pub use wit_parser;
