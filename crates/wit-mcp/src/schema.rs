//! JSON Schemas of WIT types: a tool's `inputSchema` from its parameters and its `outputSchema`
//! from its result's success type, matching what `convert` accepts and produces.
//!
//! Inputs: records and parameters are objects with `additionalProperties: false`, `option<T>`
//! members are not `required`; integers carry their type's range (narrowed by a documented
//! `Range:`); documented defaults become `default`. Outputs: every record field is present and
//! `option<T>` is `T` or `null`. Enum cases and flags are listed by their JSON names (a case's
//! ``JSON: `name`.``, else its snake_case name). Descriptions come from the WIT doc comments.

use serde_json::{json, Map, Value};
use wit_parser::{Docs, Function, Resolve, Type, TypeDefKind};

use crate::convert::{case_json_name, is_json_alias, json_name, narrowed_range, Converter};
use crate::wit_docs::{json_spelling, CaseDocs, FunctionDocs, IntRange};

/// Which side of a call a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Arguments sent to the component.
    Input,
    /// Values returned by the component.
    Output,
}

/// Why a type cannot be served as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// The success and error types of a function's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The type of a successful value, if any.
    pub ok: Option<Type>,
    /// The error type, when the function returns `result<_, E>`.
    pub err: Option<Type>,
    /// Whether the function returns a `result`.
    pub is_result: bool,
}

impl Outcome {
    /// Splits a function's return type into success and error.
    pub fn of(resolve: &Resolve, function: &Function) -> Self {
        if let Some(Type::Id(id)) = function.result {
            if let TypeDefKind::Result(result) = &resolve.types[id].kind {
                return Self {
                    ok: result.ok,
                    err: result.err,
                    is_result: true,
                };
            }
        }
        Self {
            ok: function.result,
            err: None,
            is_result: false,
        }
    }
}

/// Builds schemas for the types of one component.
pub struct SchemaBuilder<'a> {
    resolve: &'a Resolve,
}

impl<'a> SchemaBuilder<'a> {
    /// A builder for the types in `resolve`.
    pub fn new(resolve: &'a Resolve) -> Self {
        Self { resolve }
    }

    /// The tool's `inputSchema`: an object with one property per parameter.
    pub fn input_schema(
        &self,
        function: &Function,
        docs: &FunctionDocs,
    ) -> Result<Map<String, Value>, Unsupported> {
        let converter = Converter::new(self.resolve);
        let mut properties = Map::new();
        let mut required = Vec::new();
        for param in &function.params {
            let param_docs = docs.params.get(&param.name);
            let range = param_docs.and_then(|d| d.range);
            let mut schema = self.member_schema(&param.ty, Direction::Input, range)?;
            let text = param_docs
                .map(|d| d.description.clone())
                .filter(|d| !d.is_empty());
            add_description(&mut schema, text.as_deref());
            if let Some(default) = param_docs.and_then(|d| d.default.as_ref()) {
                // Spell the default the way arguments are spelled (cases by their JSON names).
                match converter.val_from_json(&param.ty, default, &param.name, range) {
                    Ok(val) => {
                        let normalized = converter.json_from_val(&param.ty, &val);
                        let normalized = match normalized {
                            Value::Null => default.clone(),
                            other => other,
                        };
                        set_member(&mut schema, "default", normalized);
                    }
                    Err(error) => tracing::warn!(
                        function = %function.name, parameter = %error.path,
                        expected = %error.expected,
                        "documented default does not fit the parameter's type; left out"
                    ),
                }
            }
            if !converter.is_option(&param.ty) {
                required.push(Value::String(json_name(&param.name)));
            }
            properties.insert(json_name(&param.name), schema);
        }
        Ok(object_schema(properties, required))
    }

    /// The tool's `outputSchema`: the success type's schema when it is an object (a record).
    pub fn output_schema(
        &self,
        outcome: &Outcome,
    ) -> Result<Option<Map<String, Value>>, Unsupported> {
        let Some(ok) = outcome.ok else {
            return Ok(None);
        };
        match self.type_schema(&ok, Direction::Output, None)? {
            Value::Object(schema) if schema.get("type") == Some(&json!("object")) => {
                Ok(Some(schema))
            }
            _ => Ok(None),
        }
    }

    /// Checks that a value of `ty` can cross as JSON (no resources, futures or streams).
    pub fn check(&self, ty: &Type) -> Result<(), Unsupported> {
        self.type_schema(ty, Direction::Output, None).map(|_| ())
    }

    /// The schema of a record field or parameter: `option<T>` members are `T` in inputs (absence
    /// means none) and `T` or `null` in outputs.
    fn member_schema(
        &self,
        ty: &Type,
        direction: Direction,
        range: Option<IntRange>,
    ) -> Result<Value, Unsupported> {
        match (direction, self.option_inner(ty)) {
            (Direction::Input, Some(inner)) => self.type_schema(&inner, direction, range),
            _ => self.type_schema(ty, direction, range),
        }
    }

    fn option_inner(&self, ty: &Type) -> Option<Type> {
        match ty {
            Type::Id(id) => match &self.resolve.types[*id].kind {
                TypeDefKind::Option(inner) => Some(*inner),
                TypeDefKind::Type(inner) => self.option_inner(inner),
                _ => None,
            },
            _ => None,
        }
    }

    /// The schema of a value of `ty`.
    pub fn type_schema(
        &self,
        ty: &Type,
        direction: Direction,
        range: Option<IntRange>,
    ) -> Result<Value, Unsupported> {
        if let Some((min, max)) = narrowed_range(ty, range) {
            return Ok(json!({ "type": "integer", "minimum": min, "maximum": max }));
        }
        Ok(match ty {
            Type::Bool => json!({ "type": "boolean" }),
            Type::F32 | Type::F64 => json!({ "type": "number" }),
            Type::Char => json!({ "type": "string", "minLength": 1, "maxLength": 1 }),
            Type::String => json!({ "type": "string" }),
            Type::Id(_) if is_json_alias(self.resolve, ty) => {
                json!({ "description": "Any JSON value." })
            }
            Type::Id(id) => {
                let def = &self.resolve.types[*id];
                let mut schema = self.defined_schema(&def.kind, direction, range)?;
                if !matches!(def.kind, TypeDefKind::Type(_)) || def.docs.contents.is_some() {
                    add_description(&mut schema, docs_text(&def.docs));
                }
                schema
            }
            _ => return Err(Unsupported("error-context values".into())),
        })
    }

    fn defined_schema(
        &self,
        kind: &TypeDefKind,
        direction: Direction,
        range: Option<IntRange>,
    ) -> Result<Value, Unsupported> {
        Ok(match kind {
            TypeDefKind::Type(inner) => self.type_schema(inner, direction, range)?,
            TypeDefKind::Record(record) => {
                let mut properties = Map::new();
                let mut required = Vec::new();
                for field in &record.fields {
                    let mut schema = self.member_schema(&field.ty, direction, None)?;
                    add_description(&mut schema, docs_text(&field.docs));
                    if direction == Direction::Output || self.option_inner(&field.ty).is_none() {
                        required.push(Value::String(json_name(&field.name)));
                    }
                    properties.insert(json_name(&field.name), schema);
                }
                Value::Object(object_schema(properties, required))
            }
            TypeDefKind::Enum(e) => {
                let names: Vec<Value> = e
                    .cases
                    .iter()
                    .map(|c| json!(case_json_name(&c.name, &c.docs)))
                    .collect();
                let mut schema = json!({ "type": "string", "enum": names });
                add_description(
                    &mut schema,
                    case_list(e.cases.iter().map(|c| (&c.name, &c.docs))).as_deref(),
                );
                schema
            }
            TypeDefKind::Flags(flags) => {
                let names: Vec<Value> = flags
                    .flags
                    .iter()
                    .map(|f| json!(case_json_name(&f.name, &f.docs)))
                    .collect();
                let mut schema = json!({
                    "type": "array",
                    "items": { "type": "string", "enum": names },
                    "uniqueItems": true,
                });
                add_description(
                    &mut schema,
                    case_list(flags.flags.iter().map(|f| (&f.name, &f.docs))).as_deref(),
                );
                schema
            }
            TypeDefKind::Variant(variant) => {
                let cases = variant
                    .cases
                    .iter()
                    .map(|case| {
                        let mut schema = match &case.ty {
                            None => json!({ "const": json_name(&case.name) }),
                            Some(ty) => {
                                let mut properties = Map::new();
                                properties.insert(
                                    json_name(&case.name),
                                    self.type_schema(ty, direction, None)?,
                                );
                                Value::Object(object_schema(
                                    properties,
                                    vec![json!(json_name(&case.name))],
                                ))
                            }
                        };
                        add_description(&mut schema, docs_text(&case.docs));
                        Ok(schema)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                json!({ "oneOf": cases })
            }
            TypeDefKind::Option(inner) => {
                json!({ "anyOf": [self.type_schema(inner, direction, range)?, { "type": "null" }] })
            }
            TypeDefKind::Result(result) => {
                let branch = |key: &str, ty: &Option<Type>| -> Result<Value, Unsupported> {
                    let payload = match ty {
                        Some(ty) => self.type_schema(ty, direction, None)?,
                        None => json!({ "type": "null" }),
                    };
                    let mut properties = Map::new();
                    properties.insert(key.to_string(), payload);
                    Ok(Value::Object(object_schema(properties, vec![json!(key)])))
                };
                json!({ "oneOf": [branch("ok", &result.ok)?, branch("err", &result.err)?] })
            }
            TypeDefKind::List(inner) => {
                json!({ "type": "array", "items": self.type_schema(inner, direction, range)? })
            }
            TypeDefKind::FixedLengthList(inner, n) => json!({
                "type": "array",
                "items": self.type_schema(inner, direction, range)?,
                "minItems": n,
                "maxItems": n,
            }),
            TypeDefKind::Tuple(tuple) => {
                let items = tuple
                    .types
                    .iter()
                    .map(|ty| self.type_schema(ty, direction, None))
                    .collect::<Result<Vec<_>, _>>()?;
                json!({
                    "type": "array",
                    "prefixItems": items,
                    "items": false,
                    "minItems": tuple.types.len(),
                    "maxItems": tuple.types.len(),
                })
            }
            TypeDefKind::Map(key, value) => json!({
                "type": "array",
                "items": {
                    "type": "array",
                    "prefixItems": [
                        self.type_schema(key, direction, None)?,
                        self.type_schema(value, direction, None)?,
                    ],
                    "items": false,
                    "minItems": 2,
                    "maxItems": 2,
                },
            }),
            other => return Err(Unsupported(format!("{} values", other.as_str()))),
        })
    }
}

fn object_schema(properties: Map<String, Value>, required: Vec<Value>) -> Map<String, Value> {
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    schema.insert("additionalProperties".into(), json!(false));
    schema
}

fn docs_text(docs: &Docs) -> Option<&str> {
    docs.contents
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
}

/// `- "case": doc` lines for an enum's or flags' description, cases by their JSON names.
fn case_list<'d>(cases: impl Iterator<Item = (&'d String, &'d Docs)>) -> Option<String> {
    let lines: Vec<String> = cases
        .filter_map(|(name, docs)| {
            let text = CaseDocs::of(docs).description;
            (!text.is_empty()).then(|| format!("- \"{}\": {text}", case_json_name(name, docs)))
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Puts `text` (quoted WIT names in their JSON spelling) first in the schema's description,
/// before what is there already.
fn add_description(schema: &mut Value, text: Option<&str>) {
    let Some(text) = text.map(json_spelling) else {
        return;
    };
    let text = text.as_str();
    let Value::Object(object) = schema else {
        return;
    };
    let combined = match object.get("description").and_then(Value::as_str) {
        Some(existing) if existing != text => format!("{text}\n{existing}"),
        _ => text.to_string(),
    };
    set_member(schema, "description", Value::String(combined));
}

/// Sets `key` of an object schema.
fn set_member(schema: &mut Value, key: &str, value: Value) {
    if let Value::Object(object) = schema {
        object.insert(key.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIT: &str = r#"
        package t:t;
        interface i {
            /// JSON text.
            type json = string;
            /// How to load.
            enum mode {
                /// From the cache.
                local,
                /// From the source.
                full-range,
            }
            /// A result.
            record reply {
                /// The id.
                operation-id: string,
                /// A note.
                note: option<string>,
                /// Free-form.
                extra: json,
                /// Counts.
                counts: list<u16>,
            }
            /// Does it.
            ///
            /// # Parameters
            /// - `limit`: At most this many. Range: `1..=50`. Default: `10`.
            /// - `mode`: Where from. Default: `"full-range"`.
            /// - `name`: Who.
            f: func(name: string, limit: option<u32>, mode: option<mode>, extra: option<json>) -> result<reply, string>;
            g: func() -> u8;
        }
    "#;

    fn fixture() -> (Resolve, Function, Function) {
        let mut resolve = Resolve::default();
        resolve.push_str("t.wit", WIT).unwrap();
        let (_, interface) = resolve.interfaces.iter().next().unwrap();
        let f = interface.functions["f"].clone();
        let g = interface.functions["g"].clone();
        (resolve, f, g)
    }

    #[test]
    fn input_schema_has_properties_required_ranges_defaults_and_enums() {
        let (resolve, f, _) = fixture();
        let schema = SchemaBuilder::new(&resolve)
            .input_schema(&f, &FunctionDocs::of(&f))
            .unwrap();
        let schema = Value::Object(schema);
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["name"]));
        assert_eq!(schema["additionalProperties"], false);
        let limit = &schema["properties"]["limit"];
        assert_eq!(limit["type"], "integer");
        assert_eq!(
            (limit["minimum"].clone(), limit["maximum"].clone()),
            (json!(1), json!(50))
        );
        assert_eq!(limit["default"], 10);
        assert_eq!(limit["description"], "At most this many.");
        let mode = &schema["properties"]["mode"];
        assert_eq!(mode["enum"], json!(["local", "full_range"]));
        assert_eq!(
            mode["default"], "full_range",
            "defaults are spelled like arguments"
        );
        let description = mode["description"].as_str().unwrap();
        assert!(description.starts_with("Where from."), "{description}");
        assert!(
            description.contains("- \"full_range\": From the source."),
            "{description}"
        );
        assert_eq!(
            schema["properties"]["extra"].get("type"),
            None,
            "json takes any value"
        );
        assert_eq!(schema["properties"]["name"]["description"], "Who.");
    }

    #[test]
    fn output_schema_is_the_success_record_with_nullable_options() {
        let (resolve, f, g) = fixture();
        let builder = SchemaBuilder::new(&resolve);
        let outcome = Outcome::of(&resolve, &f);
        assert!(outcome.is_result && outcome.err == Some(Type::String));
        let schema = Value::Object(builder.output_schema(&outcome).unwrap().unwrap());
        assert_eq!(
            schema["required"],
            json!(["operation_id", "note", "extra", "counts"])
        );
        assert_eq!(
            schema["properties"]["note"]["anyOf"][1],
            json!({ "type": "null" })
        );
        assert_eq!(schema["properties"]["note"]["description"], "A note.");
        assert_eq!(schema["properties"]["counts"]["items"]["maximum"], 65535);
        assert_eq!(schema["description"], "A result.");
        assert_eq!(
            builder.output_schema(&Outcome::of(&resolve, &g)).unwrap(),
            None,
            "a u8 is not an object"
        );
    }

    const TIMEFRAME_WIT: &str = r#"
        package t:tf;
        interface i {
            /// A bar size.
            enum timeframe {
                /// One-hour bars. JSON: `1h`.
                hour1,
                /// JSON: `1M`.
                month1,
                /// A whole session's bars.
                trading-session,
            }
            /// What `f` returns.
            record bars {
                /// Its bar size.
                frame: timeframe,
            }
            /// Loads bars.
            ///
            /// # Parameters
            /// - `frame`: The bar size. Default: `"1h"`.
            /// - `frames`: More bar sizes. Default: `["1h", "trading_session"]`.
            f: func(frame: option<timeframe>, frames: option<list<timeframe>>) -> bars;
        }
    "#;

    #[test]
    fn enum_cases_carry_their_documented_json_names() {
        let mut resolve = Resolve::default();
        resolve.push_str("tf.wit", TIMEFRAME_WIT).unwrap();
        let (_, interface) = resolve.interfaces.iter().next().unwrap();
        let f = interface.functions["f"].clone();
        let builder = SchemaBuilder::new(&resolve);
        let input = Value::Object(builder.input_schema(&f, &FunctionDocs::of(&f)).unwrap());
        let frame = &input["properties"]["frame"];
        assert_eq!(frame["enum"], json!(["1h", "1M", "trading_session"]));
        assert_eq!(frame["default"], "1h");
        assert_eq!(
            frame["description"],
            "The bar size.\nA bar size.\n- \"1h\": One-hour bars.\n- \"trading_session\": A whole session's bars."
        );
        let frames = &input["properties"]["frames"];
        assert_eq!(
            frames["items"]["enum"],
            json!(["1h", "1M", "trading_session"])
        );
        assert_eq!(frames["default"], json!(["1h", "trading_session"]));
        let output = builder
            .output_schema(&Outcome::of(&resolve, &f))
            .unwrap()
            .unwrap();
        assert_eq!(
            output["properties"]["frame"]["enum"],
            json!(["1h", "1M", "trading_session"])
        );
    }

    #[test]
    fn resources_cannot_cross_as_json() {
        let mut resolve = Resolve::default();
        resolve
            .push_str(
                "r.wit",
                "package t:r; interface i { resource r; f: func(x: r); }",
            )
            .unwrap();
        let (_, interface) = resolve.interfaces.iter().next().unwrap();
        let f = interface.functions["f"].clone();
        let result = SchemaBuilder::new(&resolve).input_schema(&f, &FunctionDocs::default());
        assert!(result.is_err());
    }
}
