//! The component's exported functions, read from its own WIT: each becomes one tool.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};
use wit_parser::decoding::DecodedWasm;
use wit_parser::{Function, FunctionKind, Resolve, WorldItem};

use crate::convert::json_name;
use crate::schema::{Outcome, SchemaBuilder};
use crate::wit_docs::{Annotations, FunctionDocs};

/// One exported function, described as a tool.
#[derive(Debug, Clone)]
pub struct ExportedFunction {
    /// The tool's name: the function's name in snake_case (prefixed with its interface's name
    /// when two interfaces export the same name).
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
        let mut found = Vec::new();
        for (key, item) in &resolve.worlds[world].exports {
            match item {
                WorldItem::Interface { id, .. } => {
                    let interface = &resolve.interfaces[*id];
                    let export_name = resolve.name_world_key(key);
                    for function in interface.functions.values() {
                        found.push((
                            Some(export_name.clone()),
                            interface.name.clone(),
                            function.clone(),
                        ));
                    }
                }
                WorldItem::Function(function) => found.push((None, None, function.clone())),
                WorldItem::Type { .. } => {}
            }
        }
        let mut name_counts: HashMap<String, usize> = HashMap::new();
        for (_, _, function) in &found {
            *name_counts.entry(json_name(&function.name)).or_default() += 1;
        }
        let schemas = SchemaBuilder::new(&resolve);
        let mut functions = Vec::new();
        for (export, interface_name, function) in found {
            if function.kind != FunctionKind::Freestanding {
                continue;
            }
            let base = json_name(&function.name);
            let tool_name = match (&interface_name, name_counts[&base]) {
                (Some(interface), n) if n > 1 => format!("{}_{base}", json_name(interface)),
                _ => base,
            };
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
        Ok(Self { resolve, functions })
    }

    /// The position in `functions` of the function serving `tool_name`.
    pub fn function_index(&self, tool_name: &str) -> Option<usize> {
        self.functions.iter().position(|f| f.tool_name == tool_name)
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
