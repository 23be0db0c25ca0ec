//! The component's exported functions, read from its own WIT: each function of the world and
//! of every interface it exports becomes one tool.

use serde_json::{json, Map, Value};
use wasmtime::component::Val;
use wit_parser::decoding::DecodedWasm;
use wit_parser::{Function, FunctionKind, Resolve, Type, WorldId, WorldItem};

use crate::convert::{check_case_names, json_name, ArgumentError, Converter};
use crate::schema::{Outcome, SchemaBuilder};
use crate::tasks::TaskFunctions;
use crate::wit_docs::{overview, Annotations, FunctionDocs, IntRange};

/// Why a component's exports cannot be served as tools.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a WebAssembly binary whose WIT can be read.
    #[error("cannot read the component's WIT (is it a WebAssembly component?): {0}")]
    Decode(String),
    /// The binary is a WIT package (types only), not a component.
    #[error("the file is a WIT package, not a component")]
    NotAComponent,
    /// Two exported functions map to the same tool name.
    #[error(
        "{first} and {second} would both be the tool `{tool}`; tool names must be unique \
         across the exported interfaces, so rename one of the functions"
    )]
    DuplicateTool {
        /// The tool name both would have.
        tool: String,
        /// Where the first function is exported, e.g. `` `get-status` of the interface `a` ``.
        first: String,
        /// Where the second one is.
        second: String,
    },
    /// Two cases of an enum or flags type share a JSON name.
    #[error(
        "the cases `{first}` and `{second}` of `{type_name}` both have the JSON name \"{json_name}\"; \
         give one of them another ``JSON: `name`.`` in its doc comment"
    )]
    DuplicateCaseName {
        /// The enum or flags type (`an anonymous type` if it has no name).
        type_name: String,
        /// The WIT name of the first case.
        first: String,
        /// The WIT name of the second case.
        second: String,
        /// The JSON name they share.
        json_name: String,
    },
    /// The `# Task` sections do not make one complete set of task functions.
    #[error("the `# Task` doc-comment sections are not usable: {0}")]
    TaskConvention(String),
}

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

    /// The tool's title: its WIT name as words (`get-operation-status` → `Get operation status`).
    pub fn title(&self) -> String {
        let words = json_name(&self.function.name).replace('_', " ");
        let mut chars = words.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }

    /// The tool's description: the doc comment's text before its first heading, or a sentence
    /// naming the function when it has none.
    pub fn description(&self) -> String {
        if self.docs.description.is_empty() {
            format!("Calls the component's `{}` function.", self.function.name)
        } else {
            self.docs.description.clone()
        }
    }

    /// The parameters as [`Converter::fields_from_json`] takes them: WIT name, type and the
    /// documented `Range:`.
    pub fn params(&self) -> impl Iterator<Item = (&str, &Type, Option<IntRange>)> + Clone {
        self.function.params.iter().map(|param| {
            let range = self.docs.params.get(&param.name).and_then(|d| d.range);
            (param.name.as_str(), &param.ty, range)
        })
    }

    /// The tool as MCP's `tools/list` lists it: `name`, `title`, `description`, `inputSchema`,
    /// and `outputSchema` and `annotations` when there are any.
    pub fn tool_descriptor(&self) -> Value {
        let mut tool = json!({
            "name": self.tool_name,
            "title": self.title(),
            "description": self.description(),
            "inputSchema": self.input_schema,
        });
        if let Some(schema) = &self.output_schema {
            tool["outputSchema"] = Value::Object(schema.clone());
        }
        if let Some(hints) = self.annotations() {
            tool["annotations"] = json!({
                "readOnlyHint": hints.read_only,
                "destructiveHint": hints.destructive,
                "idempotentHint": hints.idempotent,
                "openWorldHint": hints.open_world,
            });
        }
        tool
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
    /// The functions that serve tasks, if the docs declare them (`# Task` sections).
    pub tasks: Option<TaskFunctions>,
}

impl ComponentInterface {
    /// Reads the exports of a component binary. Functions whose types cannot cross as JSON
    /// (resources, streams, futures) are left out with a warning.
    pub fn decode(component: &[u8]) -> Result<Self, Error> {
        let decoded = wit_parser::decoding::decode(component)
            .map_err(|error| Error::Decode(format!("{error:#}")))?;
        let DecodedWasm::Component(resolve, world) = decoded else {
            return Err(Error::NotAComponent);
        };
        Self::of_world(resolve, world)
    }

    /// Reads the exports of `world`: its own functions and those of every interface it exports.
    /// Two functions that would be the same tool, or an enum whose cases share a JSON name, are
    /// errors.
    pub fn of_world(resolve: Resolve, world: WorldId) -> Result<Self, Error> {
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
                return Err(Error::DuplicateTool {
                    first: where_exported(other.interface.as_deref(), &other.function.name),
                    second: where_exported(export.as_deref(), &function.name),
                    tool: tool_name,
                });
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
        let tasks = TaskFunctions::find(&resolve, &functions)?;
        Ok(Self {
            resolve,
            functions,
            instructions,
            tasks,
        })
    }

    /// The position in `functions` of the function serving `tool_name`.
    pub fn function_index(&self, tool_name: &str) -> Option<usize> {
        self.functions.iter().position(|f| f.tool_name == tool_name)
    }

    /// A converter for the values of this component's types.
    pub fn converter(&self) -> Converter<'_> {
        Converter::new(&self.resolve)
    }

    /// Converts a `tools/call`'s arguments to the parameter values of function `index`:
    /// absent or `null` optional parameters are none, a missing required parameter, a value
    /// that does not fit its type or range, and an argument no parameter has are errors.
    ///
    /// # Panics
    /// If `index` is not a position in `functions`.
    pub fn arguments(
        &self,
        index: usize,
        arguments: &Map<String, Value>,
    ) -> Result<Vec<Val>, ArgumentError> {
        self.converter()
            .fields_from_json(self.functions[index].params(), arguments, "")
    }

    /// Converts the return value of function `index` to JSON: `Ok` with the success value
    /// (`null` when the function returns nothing, or `result<_, E>`), `Err` with the error
    /// value of a `result<T, E>` (`null` for `result<T>`).
    ///
    /// # Panics
    /// If `index` is not a position in `functions`.
    pub fn result_to_json(&self, index: usize, value: Option<&Val>) -> Result<Value, Value> {
        let outcome = self.functions[index].outcome;
        let converter = self.converter();
        let to_json = |ty: Option<Type>, val: Option<&Val>| match (ty, val) {
            (Some(ty), Some(val)) => converter.json_from_val(&ty, val),
            _ => Value::Null,
        };
        match (value, outcome.is_result) {
            (Some(Val::Result(Ok(payload))), true) => Ok(to_json(outcome.ok, payload.as_deref())),
            (Some(Val::Result(Err(payload))), true) => {
                Err(to_json(outcome.err, payload.as_deref()))
            }
            (value, _) => Ok(to_json(outcome.ok, value)),
        }
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

/// For the crate's tests: the interface of the one world in WIT `source`.
#[cfg(test)]
pub(crate) fn of_wit(source: &str) -> Result<ComponentInterface, Error> {
    let mut resolve = Resolve::default();
    let package = resolve.push_str("test.wit", source).unwrap();
    let world = resolve.select_world(&[package], None).unwrap();
    ComponentInterface::of_world(resolve, world)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exported_interface_serves_its_functions() {
        let served = of_wit(
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
        let error = of_wit(
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
        let error = of_wit(
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

    #[test]
    fn a_tool_descriptor_is_an_mcp_tool() {
        let served = of_wit(
            "package t:m;
            world w {
                export a: interface {
                    record job-count { count: u32 }
                    /// Lists jobs.
                    ///
                    /// # Annotations
                    /// read-only, idempotent
                    list-jobs: func() -> result<job-count, string>;
                    forget: func(id: string);
                }
            }",
        )
        .unwrap();
        assert_eq!(
            served.functions[0].tool_descriptor(),
            json!({
                "name": "list_jobs",
                "title": "List jobs",
                "description": "Lists jobs.",
                "inputSchema": { "type": "object", "properties": {}, "additionalProperties": false },
                "outputSchema": {
                    "type": "object",
                    "properties": { "count": { "type": "integer", "minimum": 0, "maximum": 4294967295u32 } },
                    "required": ["count"],
                    "additionalProperties": false,
                },
                "annotations": {
                    "readOnlyHint": true,
                    "destructiveHint": false,
                    "idempotentHint": true,
                    "openWorldHint": false,
                },
            })
        );
        let forget = served.functions[1].tool_descriptor();
        assert_eq!(
            forget["description"],
            "Calls the component's `forget` function."
        );
        assert_eq!(forget.get("outputSchema"), None);
        assert_eq!(forget.get("annotations"), None);
    }

    #[test]
    fn arguments_and_results_convert_by_the_function_types() {
        let served = of_wit(
            "package t:c;
            world w {
                export a: interface {
                    /// Divides.
                    ///
                    /// # Parameters
                    /// - `by`: The divisor. Range: `1..=9`.
                    divide: func(value: s32, by: option<u8>) -> result<s32, string>;
                    ping: func();
                }
            }",
        )
        .unwrap();
        let divide = served.function_index("divide").unwrap();
        let arguments = json!({ "value": -8, "by": null });
        assert_eq!(
            served.arguments(divide, arguments.as_object().unwrap()),
            Ok(vec![Val::S32(-8), Val::Option(None)])
        );
        let error = served
            .arguments(divide, json!({ "value": 1, "by": 0 }).as_object().unwrap())
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Argument `by` must be an integer from 1 to 9; got 0. Fix it and call again."
        );
        let ok = Val::Result(Ok(Some(Box::new(Val::S32(-4)))));
        assert_eq!(served.result_to_json(divide, Some(&ok)), Ok(json!(-4)));
        let err = Val::Result(Err(Some(Box::new(Val::String("by zero".into())))));
        assert_eq!(
            served.result_to_json(divide, Some(&err)),
            Err(json!("by zero"))
        );
        let ping = served.function_index("ping").unwrap();
        assert_eq!(served.result_to_json(ping, None), Ok(Value::Null));
    }
}
