//! The component's exported functions, read from its own WIT: each function of the world and
//! of every interface it exports becomes one tool.

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};
use wit_parser::decoding::DecodedWasm;
use wit_parser::{Function, FunctionKind, Resolve, WorldId, WorldItem};

use crate::convert::{check_case_names, json_name};
use crate::schema::{Outcome, SchemaBuilder};
use crate::wit_docs::{overview, Annotations, FunctionDocs};

/// One exported function, described as a tool.
#[derive(Debug, Clone)]
pub struct ExportedFunction {
    /// The tool's name: the function's name in snake_case, unique across the world's exports.
    pub tool_name: String,
    /// The export name of the function's interface (e.g. `tools`); `None` for a
    /// function exported by the world itself.
    pub interface: Option<String>,
    /// The function's WIT signature.
    pub function: Function,
    /// Its parsed doc comment.
    pub docs: FunctionDocs,
    /// How its result splits into success and error.
    pub outcome: Outcome,
    /// The tool's `inputSchema`.
    pub input_schema: Map<String, Value>,
    /// The tool's `outputSchema`, when the success value is an object.
    pub output_schema: Option<Map<String, Value>>,
}

impl ExportedFunction {
    /// The tool's behaviour hints, if its docs declare them.
    pub fn annotations(&self) -> Option<&Annotations> {
        self.docs.annotations.as_ref()
    }
}

/// What a component exports, as tools.
#[derive(Debug)]
pub struct ComponentInterface {
    /// The component's types (with doc comments, when the component carries its WIT source).
    pub resolve: Resolve,
    /// Its functions, in export order.
    pub functions: Vec<ExportedFunction>,
    /// The overviews of the exported interfaces (their docs before the first `#` heading), in
    /// export order, one paragraph group each: what a server tells agents about its tools.
    pub instructions: Option<String>,
}

impl ComponentInterface {
    /// Reads the exports of a component binary. Functions whose types cannot cross as JSON
    /// (resources, streams, futures) are left out with a warning.
    pub fn decode(component: &[u8]) -> Result<Self> {
        let decoded = wit_parser::decoding::decode(component)
            .context("cannot read the component's WIT (is it a WebAssembly component?)")?;
        let DecodedWasm::Component(resolve, world) = decoded else {
            bail!("the file is a WIT package, not a component");
        };
        Self::of_world(resolve, world)
    }

    /// Reads the exports of `world`: its own functions and those of every interface it exports.
    /// Two functions that would be the same tool, or an enum whose cases share a JSON name, are
    /// errors.
    pub fn of_world(resolve: Resolve, world: WorldId) -> Result<Self> {
        check_case_names(&resolve)?;
        let mut found = Vec::new();
        let mut overviews = Vec::new();
        for (key, item) in &resolve.worlds[world].exports {
            match item {
                WorldItem::Interface { id, .. } => {
                    let interface = &resolve.interfaces[*id];
                    let export_name = resolve.name_world_key(key);
                    overviews.extend(overview(&interface.docs));
                    for function in interface.functions.values() {
                        found.push((Some(export_name.clone()), function.clone()));
                    }
                }
                WorldItem::Function(function) => found.push((None, function.clone())),
                WorldItem::Type { .. } => {}
            }
        }
        let schemas = SchemaBuilder::new(&resolve);
        let mut functions: Vec<ExportedFunction> = Vec::new();
        for (export, function) in found {
            if function.kind != FunctionKind::Freestanding {
                continue;
            }
            let tool_name = json_name(&function.name);
            if let Some(other) = functions.iter().find(|f| f.tool_name == tool_name) {
                bail!(
                    "{} and {} would both be the tool `{tool_name}`; tool names must be unique \
                     across the exported interfaces, so rename one of the functions",
                    where_exported(other.interface.as_deref(), &other.function.name),
                    where_exported(export.as_deref(), &function.name),
                );
            }
            match describe(&schemas, &resolve, &function) {
                Ok((docs, outcome, input_schema, output_schema)) => {
                    functions.push(ExportedFunction {
                        tool_name,
                        interface: export,
                        function,
                        docs,
                        outcome,
                        input_schema,
                        output_schema,
                    })
                }
                Err(reason) => tracing::warn!(
                    function = %function.name, %reason,
                    "function left out: its types cannot be passed as JSON"
                ),
            }
        }
        let instructions = (!overviews.is_empty()).then(|| overviews.join("\n\n"));
        Ok(Self {
            resolve,
            functions,
            instructions,
        })
    }

    /// The position in `functions` of the function serving `tool_name`.
    pub fn function_index(&self, tool_name: &str) -> Option<usize> {
        self.functions.iter().position(|f| f.tool_name == tool_name)
    }
}

/// `` `f` of the interface `i` `` or `` the world's function `f` ``, for error messages.
fn where_exported(interface: Option<&str>, function: &str) -> String {
    match interface {
        Some(interface) => format!("`{function}` of the interface `{interface}`"),
        None => format!("the world's function `{function}`"),
    }
}

type Described = (
    FunctionDocs,
    Outcome,
    Map<String, Value>,
    Option<Map<String, Value>>,
);

fn describe(
    schemas: &SchemaBuilder<'_>,
    resolve: &Resolve,
    function: &Function,
) -> Result<Described, String> {
    let docs = FunctionDocs::of(function);
    let outcome = Outcome::of(resolve, function);
    let input_schema = schemas.input_schema(function, &docs).map_err(|u| u.0)?;
    if let Some(err) = &outcome.err {
        schemas.check(err).map_err(|u| u.0)?;
    }
    let output_schema = schemas.output_schema(&outcome).map_err(|u| u.0)?;
    Ok((docs, outcome, input_schema, output_schema))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(wit: &str) -> Result<ComponentInterface> {
        let mut resolve = Resolve::default();
        let package = resolve.push_str("w.wit", wit).unwrap();
        let world = resolve.select_world(&[package], None).unwrap();
        ComponentInterface::of_world(resolve, world)
    }

    #[test]
    fn every_exported_interface_serves_its_functions() {
        let served = world(
            "package t:w;
            world w {
                /// Operations: start them, watch them.
                ///
                /// # Conventions
                /// For hosts only.
                export ops: interface {
                    /// Starts `long-job`.
                    start: func() -> string;
                }
                /// Market data from `the-cache`.
                export market: interface {
                    bars: func(symbol: string) -> list<f64>;
                }
                export version: func() -> string;
            }",
        )
        .unwrap();
        let tools: Vec<(&str, Option<&str>)> = served
            .functions
            .iter()
            .map(|f| (f.tool_name.as_str(), f.interface.as_deref()))
            .collect();
        assert_eq!(
            tools,
            [
                ("version", None),
                ("start", Some("ops")),
                ("bars", Some("market"))
            ]
        );
        assert_eq!(
            served.instructions.as_deref(),
            Some("Operations: start them, watch them.\n\nMarket data from `the_cache`.")
        );
    }

    #[test]
    fn a_tool_name_exported_twice_is_a_startup_error() {
        let error = world(
            "package t:d;
            world w {
                export a: interface { get-status: func() -> string; }
                export b: interface { get-status: func() -> u32; }
            }",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("`get-status` of the interface `a` and `get-status` of the interface `b` would both be the tool `get_status`"),
            "{error}"
        );
    }

    #[test]
    fn an_enum_whose_json_names_collide_is_a_startup_error() {
        let error = world(
            "package t:e;
            world w {
                export a: interface {
                    enum frame {
                        /// JSON: `1d`.
                        day1,
                        /// JSON: `1d`.
                        daily,
                    }
                    f: func(x: frame);
                }
            }",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("\"1d\""), "{error}");
    }
}
