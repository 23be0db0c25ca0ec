//! Properties of the bridge over a world that uses every WIT type a tool can take or return:
//! any JSON arguments convert or fail with an error naming an argument, never a panic; valid
//! values survive JSON → WIT → JSON → WIT; valid arguments satisfy the tool's `inputSchema` and
//! converted success values its `outputSchema`.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use wit_mcp::wit_parser::{Resolve, Type, TypeDefKind};
use wit_mcp::{ComponentInterface, IntRange, Val};

const WIT: &str = r#"
package test:properties;

world tools {
    /// Jobs and their data.
    export jobs: interface {
        /// Free-form JSON.
        type json = string;
        /// How to load.
        enum mode {
            /// One hour. JSON: `1h`.
            hour1,
            dry-run,
            full,
        }
        flags sides {
            /// JSON: `L`.
            long,
            short-side,
        }
        variant shape { dot, circle(u32), label(string), corner(tuple<s16, s16>) }
        record inner { operation-id: string, note: option<string>, level: s8, letter: char }
        record outer {
            inner: inner,
            modes: list<mode>,
            extra: json,
            pair: tuple<u8, s64>,
            shape: shape,
            sides: sides,
            ratio: f32,
            scale: f64,
            big: u64,
            small: s32,
            maybe: option<u16>,
            outcome: result<u16, string>,
            done: result,
            inners: list<inner>,
        }

        /// Lists things.
        ///
        /// # Parameters
        /// - `limit`: At most this many. Range: `1..=1000`. Default: `10`.
        /// - `offset`: Where to start. Range: `-5..=5`.
        list-things: func(
            limit: option<u32>,
            mode: option<mode>,
            symbols: list<string>,
            active: bool,
            offset: s8,
            extra: option<json>,
        ) -> result<outer, string>;
        put-outer: func(o: outer, s: shape, sides: sides) -> result<list<inner>, outer>;
        ping: func();
        stamp: func(at: u64, half: s16) -> tuple<string, f64>;
    }
}
"#;

/// The fixture's tools, read once.
fn tools() -> &'static ComponentInterface {
    static TOOLS: OnceLock<ComponentInterface> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let mut resolve = Resolve::default();
        let package = resolve.push_str("properties.wit", WIT).unwrap();
        let world = resolve.select_world(&[package], None).unwrap();
        ComponentInterface::of_world(resolve, world).unwrap()
    })
}

fn resolve() -> &'static Resolve {
    &tools().resolve
}

/// The bounds of an integer type, narrowed by a documented range.
fn integer_bounds(ty: &Type, range: Option<IntRange>) -> Option<(i128, i128)> {
    let (min, max): (i128, i128) = match ty {
        Type::U8 => (0, u8::MAX.into()),
        Type::U16 => (0, u16::MAX.into()),
        Type::U32 => (0, u32::MAX.into()),
        Type::U64 => (0, u64::MAX.into()),
        Type::S8 => (i8::MIN.into(), i8::MAX.into()),
        Type::S16 => (i16::MIN.into(), i16::MAX.into()),
        Type::S32 => (i32::MIN.into(), i32::MAX.into()),
        Type::S64 => (i64::MIN.into(), i64::MAX.into()),
        _ => return None,
    };
    let range = range.unwrap_or_default();
    Some((
        range.min.map_or(min, |m| m.max(min)),
        range.max.map_or(max, |m| m.min(max)),
    ))
}

fn is_json_alias(ty: &Type) -> bool {
    matches!(ty, Type::Id(id) if resolve().types[*id].name.as_deref() == Some("json"))
}

/// The type inside `option<T>`, through aliases.
fn option_inner(ty: &Type) -> Option<Type> {
    match ty {
        Type::Id(id) => match &resolve().types[*id].kind {
            TypeDefKind::Option(inner) => Some(*inner),
            TypeDefKind::Type(inner) => option_inner(inner),
            _ => None,
        },
        _ => None,
    }
}

/// Arbitrary JSON, nested a few levels.
fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "(op_|dry_run|hour1|1h|L|short-side|dot|circle|ok|err|\\[\\]|\\{\\})"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_-]{0,10}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// The members of an object with fields `fields` (name, type, range), each valid. With
/// `omit_none`, an `option<T>` member that is none is left out, as an input schema has it;
/// otherwise it is `null`.
fn valid_members(
    fields: Vec<(String, Type, Option<IntRange>)>,
    omit_none: bool,
) -> BoxedStrategy<Map<String, Value>> {
    let members: Vec<_> = fields
        .into_iter()
        .map(|(name, ty, range)| {
            let name = wit_mcp::json_name(&name);
            match option_inner(&ty) {
                Some(inner) if omit_none => prop_oneof![
                    Just(None),
                    valid_json(inner, range, omit_none).prop_map(move |v| Some((name.clone(), v)))
                ]
                .boxed(),
                _ => valid_json(ty, range, omit_none)
                    .prop_map(move |v| Some((name.clone(), v)))
                    .boxed(),
            }
        })
        .collect();
    members
        .prop_map(|members| members.into_iter().flatten().collect())
        .boxed()
}

/// JSON that is a valid value of `ty` (integers within `range`).
fn valid_json(ty: Type, range: Option<IntRange>, omit_none: bool) -> BoxedStrategy<Value> {
    if let Some((min, max)) = integer_bounds(&ty, range) {
        return (min..=max)
            .prop_map(|n| match u64::try_from(n) {
                Ok(n) => Value::from(n),
                Err(_) => Value::from(n as i64),
            })
            .boxed();
    }
    if is_json_alias(&ty) {
        // A null would be the absence of an optional value.
        return any_json()
            .prop_filter("null is absence", |v| !v.is_null())
            .boxed();
    }
    let finite = prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO;
    let converter = tools().converter();
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::F64 => finite.prop_map(Value::from).boxed(),
        Type::F32 => any::<f32>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Value::from(f64::from(f)))
            .boxed(),
        Type::Char => any::<char>().prop_map(|c| Value::String(c.into())).boxed(),
        Type::String => ".{0,24}".prop_map(Value::String).boxed(),
        Type::Id(id) => match resolve().types[id].kind.clone() {
            TypeDefKind::Type(inner) => valid_json(inner, range, omit_none),
            TypeDefKind::Option(inner) => {
                prop_oneof![Just(Value::Null), valid_json(inner, range, omit_none)].boxed()
            }
            TypeDefKind::List(inner) => {
                prop::collection::vec(valid_json(inner, range, omit_none), 0..4)
                    .prop_map(Value::Array)
                    .boxed()
            }
            TypeDefKind::Tuple(tuple) => {
                let items: Vec<_> = tuple
                    .types
                    .iter()
                    .map(|t| valid_json(*t, None, omit_none))
                    .collect();
                items.prop_map(Value::Array).boxed()
            }
            TypeDefKind::Enum(e) => {
                // Spelled the way the bridge spells cases.
                let names: Vec<Value> = e
                    .cases
                    .iter()
                    .map(|c| converter.json_from_val(&ty, &Val::Enum(c.name.clone())))
                    .collect();
                prop::sample::select(names).boxed()
            }
            TypeDefKind::Flags(flags) => {
                let names: Vec<String> = flags.flags.iter().map(|f| f.name.clone()).collect();
                prop::sample::subsequence(names.clone(), 0..=names.len())
                    .prop_map(move |chosen| converter.json_from_val(&ty, &Val::Flags(chosen)))
                    .boxed()
            }
            TypeDefKind::Variant(variant) => {
                let cases: Vec<BoxedStrategy<Value>> = variant
                    .cases
                    .iter()
                    .map(|case| {
                        let name = wit_mcp::json_name(&case.name);
                        match case.ty {
                            None => Just(Value::String(name)).boxed(),
                            Some(payload) => valid_json(payload, None, omit_none)
                                .prop_map(move |v| json!({ name.clone(): v }))
                                .boxed(),
                        }
                    })
                    .collect();
                prop::strategy::Union::new(cases).boxed()
            }
            TypeDefKind::Result(result) => {
                let branch = |key: &'static str, ty: Option<Type>| match ty {
                    Some(ty) => valid_json(ty, None, omit_none)
                        .prop_map(move |v| json!({ key: v }))
                        .boxed(),
                    None => Just(json!({ key: null })).boxed(),
                };
                prop_oneof![branch("ok", result.ok), branch("err", result.err)].boxed()
            }
            TypeDefKind::Record(record) => {
                let fields = record
                    .fields
                    .iter()
                    .map(|f| (f.name.clone(), f.ty, None))
                    .collect();
                valid_members(fields, omit_none)
                    .prop_map(Value::Object)
                    .boxed()
            }
            other => panic!(
                "the fixture has no {} types; extend valid_json",
                other.as_str()
            ),
        },
        other => panic!("unexpected type {other:?}"),
    }
}

/// A tool's index and valid arguments for it; with `omit_none`, as its input schema has them.
fn valid_call(omit_none: bool) -> impl Strategy<Value = (usize, Map<String, Value>)> {
    (0..tools().functions.len()).prop_flat_map(move |index| {
        let params = tools().functions[index]
            .params()
            .map(|(name, ty, range)| (name.to_string(), *ty, range))
            .collect();
        (Just(index), valid_members(params, omit_none))
    })
}

/// A function's index and the JSON of a valid success value of it (a function with a success
/// value only).
fn success_value() -> impl Strategy<Value = (usize, Value)> {
    let with_value: Vec<usize> = (0..tools().functions.len())
        .filter(|i| tools().functions[*i].outcome.ok.is_some())
        .collect();
    prop::sample::select(with_value).prop_flat_map(|index| {
        let ok = tools().functions[index].outcome.ok.unwrap();
        (Just(index), valid_json(ok, None, false))
    })
}

/// A success or error type of one of the functions, and a valid JSON value of it.
fn result_value() -> impl Strategy<Value = (Type, Value)> {
    let types: Vec<Type> = tools()
        .functions
        .iter()
        .flat_map(|f| [f.outcome.ok, f.outcome.err])
        .flatten()
        .collect();
    prop::sample::select(types).prop_flat_map(|ty| (Just(ty), valid_json(ty, None, false)))
}

/// The first segment of an error path (`symbols[2].x` → `symbols`).
fn head(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or(path)
}

#[test]
fn the_fixture_serves_every_function() {
    let names: Vec<&str> = tools()
        .functions
        .iter()
        .map(|f| f.tool_name.as_str())
        .collect();
    assert_eq!(names, ["list_things", "put_outer", "ping", "stamp"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000)
    ))]

    #[test]
    fn valid_arguments_convert_and_round_trip((index, arguments) in valid_call(false)) {
        let function = &tools().functions[index];
        let converter = tools().converter();
        let vals = tools()
            .arguments(index, &arguments)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}", function.tool_name)))?;
        for ((name, ty, range), val) in function.params().zip(&vals) {
            let back = converter.json_from_val(ty, val);
            let again = converter.val_from_json(ty, &back, name, range);
            prop_assert_eq!(again.as_ref(), Ok(val), "{} {}", name, back);
        }
    }

    #[test]
    fn valid_arguments_satisfy_the_input_schema((index, arguments) in valid_call(true)) {
        let function = &tools().functions[index];
        prop_assert!(tools().arguments(index, &arguments).is_ok());
        let schema = Value::Object(function.input_schema.clone());
        if let Err(error) = jsonschema::draft202012::validate(&schema, &Value::Object(arguments.clone())) {
            return Err(TestCaseError::fail(format!("{}: {error}", function.tool_name)));
        }
    }

    #[test]
    fn success_values_satisfy_the_output_schema((index, json) in success_value()) {
        let function = &tools().functions[index];
        let ok = function.outcome.ok.unwrap();
        let converter = tools().converter();
        let val = converter
            .val_from_json(&ok, &json, "result", None)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected = converter.json_from_val(&ok, &val);
        let value = if function.outcome.is_result {
            Val::Result(Ok(Some(Box::new(val))))
        } else {
            val
        };
        let served = tools().result_to_json(index, Some(&value));
        prop_assert_eq!(served.as_ref(), Ok(&expected));
        if let Some(schema) = &function.output_schema {
            let schema = Value::Object(schema.clone());
            if let Err(error) = jsonschema::draft202012::validate(&schema, &expected) {
                return Err(TestCaseError::fail(format!("{}: {error}", function.tool_name)));
            }
        }
    }

    #[test]
    fn result_values_round_trip_wit_json_wit((ty, json) in result_value()) {
        let converter = tools().converter();
        let val = converter
            .val_from_json(&ty, &json, "result", None)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = converter.json_from_val(&ty, &val);
        let again = converter.val_from_json(&ty, &back, "result", None);
        prop_assert_eq!(again.as_ref(), Ok(&val));
        prop_assert_eq!(converter.json_from_val(&ty, &val), back);
    }

    #[test]
    fn any_arguments_convert_or_name_the_argument(
        (index, mut arguments) in valid_call(false),
        key in prop_oneof!["[a-z_-]{0,12}".boxed(), ".{0,6}".boxed()],
        replace_existing in any::<prop::sample::Index>(),
        value in any_json(),
        use_existing in any::<bool>(),
    ) {
        let function = &tools().functions[index];
        let key = match (use_existing, arguments.keys().nth(replace_existing.index(arguments.len().max(1)))) {
            (true, Some(existing)) => existing.clone(),
            _ => key,
        };
        arguments.insert(key.clone(), value);
        match tools().arguments(index, &arguments) {
            Ok(vals) => prop_assert_eq!(vals.len(), function.function.params.len()),
            Err(error) => {
                prop_assert!(
                    arguments.contains_key(&error.path)
                        || function.params().any(|(name, _, _)| wit_mcp::json_name(name) == head(&error.path)),
                    "{} does not name an argument", error.path
                );
                prop_assert!(!error.expected.is_empty());
                let quoted = format!("`{}`", error.path);
                prop_assert!(error.to_string().contains(&quoted), "{}", error);
            }
        }
    }

    #[test]
    fn any_json_against_any_parameter_type_never_panics(
        index in 0..tools().functions.len(),
        value in any_json(),
    ) {
        let function = &tools().functions[index];
        let converter = tools().converter();
        for (name, ty, range) in function.params() {
            if let Err(error) = converter.val_from_json(ty, &value, name, range) {
                prop_assert_eq!(head(&error.path), name);
            }
        }
        let object = json!({ "arguments": value });
        let _ = tools().arguments(index, object.as_object().unwrap());
    }
}
