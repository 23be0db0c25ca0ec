//! JSON ↔ component values, driven by the component's WIT types.
//!
//! Names map kebab-case ↔ snake_case (`operation-id` ↔ `"operation_id"`, `dry-run` ↔
//! `"dry_run"`; inputs also accept the kebab-case spelling), except that an enum case or flag
//! whose docs say ``JSON: `1h`.`` is `"1h"` and nothing else. `option<T>` is `null`/absent ↔
//! none. The alias named `json` is JSON text: an input takes any JSON value and passes its
//! serialization, an output is parsed and embedded as real JSON. Variants are `"case"` or
//! `{"case": payload}`, results `{"ok": v}` / `{"err": e}`, tuples and flags arrays.

use std::fmt;

use serde_json::{Map, Value};
use wasmtime::component::Val;
use wit_parser::{Docs, Resolve, Type, TypeDefKind};

use crate::interface::Error;
use crate::wit_docs::{CaseDocs, IntRange};

/// The JSON name of a WIT name: kebab-case → snake_case.
pub fn json_name(wit_name: &str) -> String {
    wit_name.replace('-', "_")
}

/// The JSON name of an enum case or flag: the name its docs give (``JSON: `1h`.``), else its
/// WIT name in snake_case.
pub fn case_json_name(wit_name: &str, docs: &Docs) -> String {
    CaseDocs::of(docs)
        .json_name
        .unwrap_or_else(|| json_name(wit_name))
}

/// The spellings an argument may use for an enum case or flag: exactly the JSON name its docs
/// give, else its snake_case and kebab-case names.
fn case_spellings(wit_name: &str, docs: &Docs) -> Vec<String> {
    match CaseDocs::of(docs).json_name {
        Some(name) => vec![name],
        None if wit_name.contains('-') => vec![json_name(wit_name), wit_name.to_string()],
        None => vec![wit_name.to_string()],
    }
}

/// The WIT name of the case among `cases` (name, docs) that `given` spells.
fn case_named<'c>(
    mut cases: impl Iterator<Item = (&'c String, &'c Docs)>,
    given: &str,
) -> Option<&'c String> {
    cases
        .find(|(name, docs)| case_spellings(name, docs).iter().any(|s| s == given))
        .map(|(name, _)| name)
}

/// Checks that no two enum cases or flags of a type in `resolve` share a spelling in JSON, so
/// that every JSON name means one case.
pub(crate) fn check_case_names(resolve: &Resolve) -> Result<(), Error> {
    for (_, def) in resolve.types.iter() {
        let cases: Vec<(&String, &Docs)> = match &def.kind {
            TypeDefKind::Enum(e) => e.cases.iter().map(|c| (&c.name, &c.docs)).collect(),
            TypeDefKind::Flags(f) => f.flags.iter().map(|f| (&f.name, &f.docs)).collect(),
            _ => continue,
        };
        let mut seen: Vec<(String, &String)> = Vec::new();
        for (name, docs) in cases {
            for spelling in case_spellings(name, docs) {
                if let Some((_, other)) = seen.iter().find(|(s, _)| *s == spelling) {
                    return Err(Error::DuplicateCaseName {
                        type_name: def.name.as_deref().unwrap_or("an anonymous type").into(),
                        first: other.to_string(),
                        second: name.clone(),
                        json_name: spelling,
                    });
                }
                seen.push((spelling, name));
            }
        }
    }
    Ok(())
}

/// Whether `ty` is the alias named `json` (JSON text carried as a string).
pub fn is_json_alias(resolve: &Resolve, ty: &Type) -> bool {
    match ty {
        Type::Id(id) => {
            let def = &resolve.types[*id];
            def.name.as_deref() == Some("json")
                && matches!(def.kind, TypeDefKind::Type(Type::String))
        }
        _ => false,
    }
}

/// The inclusive range of an integer type, or `None` for a non-integer.
fn integer_range(ty: &Type) -> Option<(i128, i128)> {
    Some(match ty {
        Type::U8 => (0, u8::MAX.into()),
        Type::U16 => (0, u16::MAX.into()),
        Type::U32 => (0, u32::MAX.into()),
        Type::U64 => (0, u64::MAX.into()),
        Type::S8 => (i8::MIN.into(), i8::MAX.into()),
        Type::S16 => (i16::MIN.into(), i16::MAX.into()),
        Type::S32 => (i32::MIN.into(), i32::MAX.into()),
        Type::S64 => (i64::MIN.into(), i64::MAX.into()),
        _ => return None,
    })
}

/// The bounds of an integer type narrowed by a documented range.
pub fn narrowed_range(ty: &Type, range: Option<IntRange>) -> Option<(i128, i128)> {
    let (min, max) = integer_range(ty)?;
    let range = range.unwrap_or_default();
    Some((
        range.min.map_or(min, |m| m.max(min)),
        range.max.map_or(max, |m| m.min(max)),
    ))
}

/// An argument that does not fit its type, with the path to it (`symbols[1]`, `config.mode`).
/// It displays as one sentence an agent can act on (see the variants of [`ArgumentProblem`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentError {
    /// Where the bad value is, starting with the argument's JSON name.
    pub path: String,
    /// What is expected there, e.g. `an integer from 1 to 1000`; for a name nothing accepts,
    /// the names that are accepted (`the accepted names are "a" and "b"`).
    pub expected: String,
    /// What is wrong.
    pub problem: ArgumentProblem,
}

/// What is wrong with an argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgumentProblem {
    /// A required value is absent (or `null`):
    /// ``Argument `path` is required: expected. Fix it and call again.``
    Missing,
    /// The value does not fit its type; it holds the value as compact JSON, cut after 80
    /// characters: ``Argument `path` must be expected; got value. Fix it and call again.``
    Invalid(String),
    /// No parameter or field has this name; it holds the value given for it:
    /// ``Unknown argument `path`: the accepted names are "a" and "b".``
    Unknown(String),
}

impl fmt::Display for ArgumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (path, expected) = (&self.path, &self.expected);
        match &self.problem {
            ArgumentProblem::Missing => write!(
                f,
                "Argument `{path}` is required: {expected}. Fix it and call again."
            ),
            ArgumentProblem::Invalid(got) => write!(
                f,
                "Argument `{path}` must be {expected}; got {got}. Fix it and call again."
            ),
            ArgumentProblem::Unknown(_) => write!(f, "Unknown argument `{path}`: {expected}."),
        }
    }
}

impl std::error::Error for ArgumentError {}

/// Converts between JSON and the values of one component's types.
#[derive(Clone, Copy)]
pub struct Converter<'a> {
    resolve: &'a Resolve,
}

impl<'a> Converter<'a> {
    /// A converter for the types in `resolve`.
    pub fn new(resolve: &'a Resolve) -> Self {
        Self { resolve }
    }

    /// Describes what JSON a value of `ty` must be, for error messages.
    pub fn describe(&self, ty: &Type, range: Option<IntRange>) -> String {
        if let Some((min, max)) = narrowed_range(ty, range) {
            return format!("an integer from {min} to {max}");
        }
        match ty {
            Type::Bool => "true or false".into(),
            Type::F32 | Type::F64 => "a number".into(),
            Type::Char => "a string of one character".into(),
            Type::String => "a string".into(),
            Type::Id(_) if is_json_alias(self.resolve, ty) => "any JSON value".into(),
            Type::Id(id) => match &self.resolve.types[*id].kind {
                TypeDefKind::Type(inner) => self.describe(inner, range),
                TypeDefKind::Record(r) => format!(
                    "an object with {}",
                    quoted_list(r.fields.iter().map(|f| json_name(&f.name)), "fields", "and")
                ),
                TypeDefKind::Enum(e) => format!(
                    "one of {}",
                    quoted_list(
                        e.cases.iter().map(|c| case_json_name(&c.name, &c.docs)),
                        "",
                        "or"
                    )
                ),
                TypeDefKind::Variant(v) => format!(
                    "one of the cases {} (`\"case\"` or `{{\"case\": value}}`)",
                    quoted_list(v.cases.iter().map(|c| json_name(&c.name)), "", "or")
                ),
                TypeDefKind::Flags(f) => format!(
                    "an array of distinct flags from {}",
                    quoted_list(
                        f.flags.iter().map(|f| case_json_name(&f.name, &f.docs)),
                        "",
                        "and"
                    )
                ),
                TypeDefKind::Option(inner) => {
                    format!("{} or null", self.describe(inner, range))
                }
                TypeDefKind::List(inner) => {
                    format!(
                        "an array of items that are each {}",
                        self.describe(inner, range)
                    )
                }
                TypeDefKind::FixedLengthList(inner, n) => {
                    format!(
                        "an array of {n} items that are each {}",
                        self.describe(inner, range)
                    )
                }
                TypeDefKind::Tuple(t) => format!("an array of {} items", t.types.len()),
                TypeDefKind::Result(_) => "an object `{\"ok\": ...}` or `{\"err\": ...}`".into(),
                other => format!("a {}", other.as_str()),
            },
            _ => "a value this host cannot convert".into(),
        }
    }

    /// Converts a JSON value to a value of `ty`. `range` narrows an integer's bounds.
    pub fn val_from_json(
        &self,
        ty: &Type,
        json: &Value,
        path: &str,
        range: Option<IntRange>,
    ) -> Result<Val, ArgumentError> {
        let mismatch = || ArgumentError {
            path: path.to_string(),
            expected: self.describe(ty, range),
            problem: ArgumentProblem::Invalid(compact(json)),
        };
        if let Some((min, max)) = narrowed_range(ty, range) {
            let n = integer_of(json)
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(mismatch)?;
            // In range of the type, so each conversion below succeeds.
            return Ok(match ty {
                Type::U8 => Val::U8(n as u8),
                Type::U16 => Val::U16(n as u16),
                Type::U32 => Val::U32(n as u32),
                Type::U64 => Val::U64(n as u64),
                Type::S8 => Val::S8(n as i8),
                Type::S16 => Val::S16(n as i16),
                Type::S32 => Val::S32(n as i32),
                _ => Val::S64(n as i64),
            });
        }
        match ty {
            Type::Bool => json.as_bool().map(Val::Bool).ok_or_else(mismatch),
            Type::F32 => json
                .as_f64()
                .map(|f| Val::Float32(f as f32))
                .ok_or_else(mismatch),
            Type::F64 => json.as_f64().map(Val::Float64).ok_or_else(mismatch),
            Type::Char => {
                let text = json.as_str().ok_or_else(mismatch)?;
                let mut chars = text.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Ok(Val::Char(c)),
                    _ => Err(mismatch()),
                }
            }
            Type::String => json
                .as_str()
                .map(|s| Val::String(s.to_string()))
                .ok_or_else(mismatch),
            Type::Id(_) if is_json_alias(self.resolve, ty) => Ok(Val::String(json_text(json))),
            Type::Id(id) => self.defined_val_from_json(
                &self.resolve.types[*id].kind,
                json,
                path,
                range,
                mismatch,
            ),
            _ => Err(mismatch()),
        }
    }

    fn defined_val_from_json(
        &self,
        kind: &TypeDefKind,
        json: &Value,
        path: &str,
        range: Option<IntRange>,
        mismatch: impl Fn() -> ArgumentError,
    ) -> Result<Val, ArgumentError> {
        match kind {
            TypeDefKind::Type(inner) => self.val_from_json(inner, json, path, range),
            TypeDefKind::Option(inner) => match json {
                Value::Null => Ok(Val::Option(None)),
                _ => Ok(Val::Option(Some(Box::new(
                    self.val_from_json(inner, json, path, range)?,
                )))),
            },
            TypeDefKind::List(inner) => {
                let items = json.as_array().ok_or_else(&mismatch)?;
                Ok(Val::List(self.vals_from_json(inner, items, path, range)?))
            }
            TypeDefKind::FixedLengthList(inner, n) => {
                let items = json
                    .as_array()
                    .filter(|a| a.len() == *n as usize)
                    .ok_or_else(&mismatch)?;
                Ok(Val::FixedLengthList(
                    self.vals_from_json(inner, items, path, range)?,
                ))
            }
            TypeDefKind::Tuple(tuple) => {
                let items = json
                    .as_array()
                    .filter(|a| a.len() == tuple.types.len())
                    .ok_or_else(&mismatch)?;
                let vals = tuple
                    .types
                    .iter()
                    .zip(items)
                    .enumerate()
                    .map(|(i, (ty, item))| {
                        self.val_from_json(ty, item, &format!("{path}[{i}]"), None)
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Val::Tuple(vals))
            }
            TypeDefKind::Record(record) => {
                let object = json.as_object().ok_or_else(&mismatch)?;
                let fields = record
                    .fields
                    .iter()
                    .map(|field| (field.name.as_str(), &field.ty, None));
                let vals = self.fields_from_json(fields, object, path)?;
                Ok(Val::Record(
                    record
                        .fields
                        .iter()
                        .map(|f| f.name.clone())
                        .zip(vals)
                        .collect(),
                ))
            }
            TypeDefKind::Enum(e) => {
                let name = json.as_str().ok_or_else(&mismatch)?;
                case_named(e.cases.iter().map(|c| (&c.name, &c.docs)), name)
                    .map(|case| Val::Enum(case.clone()))
                    .ok_or_else(mismatch)
            }
            TypeDefKind::Flags(flags) => {
                let items = json.as_array().ok_or_else(&mismatch)?;
                let names = items
                    .iter()
                    .map(|item| {
                        let name = item.as_str()?;
                        case_named(flags.flags.iter().map(|f| (&f.name, &f.docs)), name).cloned()
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(&mismatch)?;
                Ok(Val::Flags(names))
            }
            TypeDefKind::Variant(variant) => {
                let (name, payload) = match json {
                    Value::String(name) => (name.as_str(), None),
                    Value::Object(object) if object.len() == 1 => {
                        let (name, payload) = object.iter().next().expect("one entry");
                        (name.as_str(), Some(payload))
                    }
                    _ => return Err(mismatch()),
                };
                let case = variant
                    .cases
                    .iter()
                    .find(|case| matches_name(&case.name, name))
                    .ok_or_else(&mismatch)?;
                let payload = match (&case.ty, payload) {
                    (None, None) => None,
                    (Some(ty), Some(payload)) => Some(Box::new(self.val_from_json(
                        ty,
                        payload,
                        &format!("{path}.{name}"),
                        None,
                    )?)),
                    _ => return Err(mismatch()),
                };
                Ok(Val::Variant(case.name.clone(), payload))
            }
            TypeDefKind::Result(result) => {
                let object = json
                    .as_object()
                    .filter(|o| o.len() == 1)
                    .ok_or_else(&mismatch)?;
                let (key, payload) = object.iter().next().expect("one entry");
                let branch = match key.as_str() {
                    "ok" => &result.ok,
                    "err" => &result.err,
                    _ => return Err(mismatch()),
                };
                let val = match branch {
                    Some(ty) => Some(Box::new(self.val_from_json(
                        ty,
                        payload,
                        &format!("{path}.{key}"),
                        None,
                    )?)),
                    None if payload.is_null() => None,
                    None => return Err(mismatch()),
                };
                Ok(Val::Result(if key == "ok" { Ok(val) } else { Err(val) }))
            }
            _ => Err(mismatch()),
        }
    }

    fn vals_from_json(
        &self,
        ty: &Type,
        items: &[Value],
        path: &str,
        range: Option<IntRange>,
    ) -> Result<Vec<Val>, ArgumentError> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.val_from_json(ty, item, &format!("{path}[{i}]"), range))
            .collect()
    }

    /// Converts the members of a JSON object to values of named fields (a record's fields or a
    /// function's parameters). Absent or `null` optional fields become none; a missing required
    /// field or a member that names no field is an error. `prefix` is the object's own path.
    pub fn fields_from_json<'t>(
        &self,
        fields: impl Iterator<Item = (&'t str, &'t Type, Option<IntRange>)> + Clone,
        object: &Map<String, Value>,
        prefix: &str,
    ) -> Result<Vec<Val>, ArgumentError> {
        let join = |name: &str| {
            if prefix.is_empty() {
                json_name(name)
            } else {
                format!("{prefix}.{}", json_name(name))
            }
        };
        if let Some(unknown) = object
            .keys()
            .find(|key| !fields.clone().any(|(name, _, _)| matches_name(name, key)))
        {
            let known: Vec<_> = fields.clone().map(|(name, _, _)| json_name(name)).collect();
            return Err(ArgumentError {
                path: if prefix.is_empty() {
                    unknown.clone()
                } else {
                    format!("{prefix}.{unknown}")
                },
                expected: if known.is_empty() {
                    "nothing is accepted here".to_string()
                } else {
                    format!(
                        "the accepted names are {}",
                        quoted_list(known.into_iter(), "", "and")
                    )
                },
                problem: ArgumentProblem::Unknown(compact(&object[unknown])),
            });
        }
        fields
            .map(|(name, ty, range)| {
                let given = object
                    .get(&json_name(name))
                    .or_else(|| object.get(name))
                    .filter(|value| !value.is_null());
                match given {
                    Some(value) => self.val_from_json(ty, value, &join(name), range),
                    None if self.is_option(ty) => Ok(Val::Option(None)),
                    None => Err(ArgumentError {
                        path: join(name),
                        expected: self.describe(ty, range),
                        problem: ArgumentProblem::Missing,
                    }),
                }
            })
            .collect()
    }

    /// Whether `ty` is an `option<T>` (possibly behind aliases).
    pub fn is_option(&self, ty: &Type) -> bool {
        match ty {
            Type::Id(id) => match &self.resolve.types[*id].kind {
                TypeDefKind::Option(_) => true,
                TypeDefKind::Type(inner) => self.is_option(inner),
                _ => false,
            },
            _ => false,
        }
    }

    /// Converts a component value of `ty` to JSON.
    pub fn json_from_val(&self, ty: &Type, val: &Val) -> Value {
        if is_json_alias(self.resolve, ty) {
            if let Val::String(text) = val {
                return serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()));
            }
        }
        if let Type::Id(id) = ty {
            if let TypeDefKind::Type(inner) = &self.resolve.types[*id].kind {
                return self.json_from_val(inner, val);
            }
        }
        let inner_types = self.inner_types(ty);
        match val {
            Val::Bool(b) => Value::Bool(*b),
            Val::S8(n) => (*n).into(),
            Val::U8(n) => (*n).into(),
            Val::S16(n) => (*n).into(),
            Val::U16(n) => (*n).into(),
            Val::S32(n) => (*n).into(),
            Val::U32(n) => (*n).into(),
            Val::S64(n) => (*n).into(),
            Val::U64(n) => (*n).into(),
            Val::Float32(f) => float_json(f64::from(*f)),
            Val::Float64(f) => float_json(*f),
            Val::Char(c) => Value::String(c.to_string()),
            Val::String(s) => Value::String(s.clone()),
            Val::List(items) | Val::FixedLengthList(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.json_from_val(&inner_types.element(0), item))
                    .collect(),
            ),
            Val::Tuple(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.json_from_val(&inner_types.element(i), item))
                    .collect(),
            ),
            Val::Record(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, value)| {
                        (
                            json_name(name),
                            self.json_from_val(&inner_types.named(name), value),
                        )
                    })
                    .collect(),
            ),
            Val::Enum(name) => Value::String(inner_types.case_json_name(name)),
            Val::Flags(names) => Value::Array(
                names
                    .iter()
                    .map(|n| Value::String(inner_types.case_json_name(n)))
                    .collect(),
            ),
            Val::Option(None) => Value::Null,
            Val::Option(Some(inner)) => self.json_from_val(&inner_types.element(0), inner),
            Val::Variant(name, None) => Value::String(json_name(name)),
            Val::Variant(name, Some(payload)) => {
                let mut object = Map::new();
                object.insert(
                    json_name(name),
                    self.json_from_val(&inner_types.named(name), payload),
                );
                Value::Object(object)
            }
            Val::Result(result) => {
                let (key, payload, ty) = match result {
                    Ok(payload) => ("ok", payload, inner_types.named("ok")),
                    Err(payload) => ("err", payload, inner_types.named("err")),
                };
                let mut object = Map::new();
                object.insert(
                    key.to_string(),
                    payload
                        .as_ref()
                        .map_or(Value::Null, |p| self.json_from_val(&ty, p)),
                );
                Value::Object(object)
            }
            Val::Map(entries) => Value::Array(
                entries
                    .iter()
                    .map(|(k, v)| {
                        Value::Array(vec![
                            self.json_from_val(&inner_types.element(0), k),
                            self.json_from_val(&inner_types.element(1), v),
                        ])
                    })
                    .collect(),
            ),
            Val::Resource(_) | Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_) => {
                Value::Null
            }
        }
    }

    fn inner_types(&self, ty: &Type) -> InnerTypes<'a> {
        match ty {
            Type::Id(id) => InnerTypes(Some(&self.resolve.types[*id].kind)),
            _ => InnerTypes(None),
        }
    }
}

/// The component types inside a defined type, looked up by position or name.
struct InnerTypes<'a>(Option<&'a TypeDefKind>);

impl InnerTypes<'_> {
    /// The type at `index`: a list's or option's element, a tuple's member, a map's key/value.
    fn element(&self, index: usize) -> Type {
        match self.0 {
            Some(
                TypeDefKind::List(t) | TypeDefKind::Option(t) | TypeDefKind::FixedLengthList(t, _),
            ) => *t,
            Some(TypeDefKind::Tuple(tuple)) => {
                tuple.types.get(index).copied().unwrap_or(Type::String)
            }
            Some(TypeDefKind::Map(k, v)) => {
                if index == 0 {
                    *k
                } else {
                    *v
                }
            }
            _ => Type::String,
        }
    }

    /// The JSON name of the enum case or flag `name`.
    fn case_json_name(&self, name: &str) -> String {
        let docs = match self.0 {
            Some(TypeDefKind::Enum(e)) => e.cases.iter().find(|c| c.name == name).map(|c| &c.docs),
            Some(TypeDefKind::Flags(f)) => f.flags.iter().find(|f| f.name == name).map(|f| &f.docs),
            _ => None,
        };
        docs.map_or_else(|| json_name(name), |docs| case_json_name(name, docs))
    }

    /// The type named `name`: a record field's, a variant case's, a result's `ok`/`err`.
    fn named(&self, name: &str) -> Type {
        let found = match self.0 {
            Some(TypeDefKind::Record(r)) => r.fields.iter().find(|f| f.name == name).map(|f| f.ty),
            Some(TypeDefKind::Variant(v)) => {
                v.cases.iter().find(|c| c.name == name).and_then(|c| c.ty)
            }
            Some(TypeDefKind::Result(r)) if name == "ok" => r.ok,
            Some(TypeDefKind::Result(r)) => r.err,
            _ => None,
        };
        // Only reached for payloads the component produced, so the type is always found; a plain
        // string is a harmless stand-in otherwise (values convert by their own shape).
        found.unwrap_or(Type::String)
    }
}

fn matches_name(wit_name: &str, given: &str) -> bool {
    given == wit_name || given == json_name(wit_name)
}

/// JSON text for a `json` argument: a string that is itself a JSON object or array is taken as
/// that JSON text (agents often send JSON-encoded objects); any other value is serialized.
fn json_text(json: &Value) -> String {
    if let Value::String(text) = json {
        if let Ok(parsed @ (Value::Object(_) | Value::Array(_))) =
            serde_json::from_str::<Value>(text)
        {
            return parsed.to_string();
        }
    }
    json.to_string()
}

fn integer_of(json: &Value) -> Option<i128> {
    match json {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e19)
                    .map(|f| f as i128)
            }),
        _ => None,
    }
}

fn float_json(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Compact JSON of a value, cut to a readable length.
fn compact(json: &Value) -> String {
    let text = json.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

/// `"a", "b" or "c"`, optionally preceded by a noun (`fields "a" and "b"`).
fn quoted_list(items: impl Iterator<Item = String>, noun: &str, conjunction: &str) -> String {
    let quoted: Vec<String> = items.map(|item| format!("\"{item}\"")).collect();
    let joined = match quoted.as_slice() {
        [] => "nothing".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    };
    if noun.is_empty() {
        joined
    } else {
        format!("{noun} {joined}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const WIT: &str = r#"
        package t:t;
        interface i {
            type json = string;
            enum mode { dry-run, full }
            variant shape { dot, circle(u32) }
            flags perms { read, write-all }
            record inner { operation-id: string, note: option<string> }
            record outer { inner: inner, modes: list<mode>, extra: json, pair: tuple<u8, s8> }
            f: func(o: outer, s: shape, p: perms, r: result<u16, string>);
        }
    "#;

    fn resolve() -> Resolve {
        let mut resolve = Resolve::default();
        resolve.push_str("t.wit", WIT).unwrap();
        resolve
    }

    fn param(resolve: &Resolve, name: &str) -> Type {
        let (_, interface) = resolve.interfaces.iter().next().unwrap();
        interface.functions["f"]
            .params
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .ty
    }

    fn round_trip(resolve: &Resolve, name: &str, json: Value) -> Value {
        let converter = Converter::new(resolve);
        let ty = param(resolve, name);
        let val = converter.val_from_json(&ty, &json, name, None).unwrap();
        converter.json_from_val(&ty, &val)
    }

    #[test]
    fn records_enums_json_and_tuples_round_trip_in_snake_case() {
        let resolve = resolve();
        let outer = json!({
            "inner": { "operation_id": "op_1", "note": null },
            "modes": ["dry_run", "full"],
            "extra": { "a": [1, true] },
            "pair": [255, -128],
        });
        assert_eq!(round_trip(&resolve, "o", outer.clone()), outer);
    }

    #[test]
    fn kebab_case_names_are_accepted_too() {
        let resolve = resolve();
        let back = round_trip(
            &resolve,
            "o",
            json!({ "inner": { "operation-id": "x" }, "modes": ["dry-run"], "extra": 1, "pair": [0, 0] }),
        );
        assert_eq!(back["inner"], json!({ "operation_id": "x", "note": null }));
        assert_eq!(back["modes"], json!(["dry_run"]));
    }

    #[test]
    fn variants_flags_and_results_have_a_json_shape() {
        let resolve = resolve();
        assert_eq!(round_trip(&resolve, "s", json!("dot")), json!("dot"));
        assert_eq!(
            round_trip(&resolve, "s", json!({ "circle": 3 })),
            json!({ "circle": 3 })
        );
        assert_eq!(
            round_trip(&resolve, "p", json!(["write_all"])),
            json!(["write_all"])
        );
        assert_eq!(
            round_trip(&resolve, "r", json!({ "err": "no" })),
            json!({ "err": "no" })
        );
    }

    #[test]
    fn json_text_arguments_accept_any_value_and_json_encoded_objects() {
        let resolve = resolve();
        let converter = Converter::new(&resolve);
        let (_, interface) = resolve.interfaces.iter().next().unwrap();
        let json_ty = Type::Id(interface.types["json"]);
        let text = |value: Value| match converter
            .val_from_json(&json_ty, &value, "x", None)
            .unwrap()
        {
            Val::String(text) => text,
            other => panic!("{other:?}"),
        };
        assert_eq!(text(json!({ "a": 1 })), r#"{"a":1}"#);
        assert_eq!(text(json!("{\"a\": 1}")), r#"{"a":1}"#);
        assert_eq!(text(json!("plain")), r#""plain""#);
        assert_eq!(
            converter.json_from_val(&json_ty, &Val::String("not json".into())),
            json!("not json")
        );
    }

    #[test]
    fn errors_name_the_path_and_what_is_expected() {
        let resolve = resolve();
        let converter = Converter::new(&resolve);
        let ty = param(&resolve, "o");
        let bad =
            json!({ "inner": { "operation_id": 5 }, "modes": [], "extra": 1, "pair": [0, 0] });
        let error = converter.val_from_json(&ty, &bad, "o", None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Argument `o.inner.operation_id` must be a string; got 5. Fix it and call again."
        );
        let bad = json!({ "inner": { "operation_id": "x" }, "modes": ["fast"], "extra": 1, "pair": [0, 0] });
        let error = converter.val_from_json(&ty, &bad, "o", None).unwrap_err();
        assert_eq!(error.path, "o.modes[0]");
        assert_eq!(error.expected, r#"one of "dry_run" or "full""#);
        let bad =
            json!({ "inner": { "operation_id": "x" }, "modes": [], "extra": 1, "pair": [256, 0] });
        let error = converter.val_from_json(&ty, &bad, "o", None).unwrap_err();
        assert_eq!(error.path, "o.pair[0]");
        let missing = json!({ "modes": [], "extra": 1, "pair": [0, 0] });
        let error = converter
            .val_from_json(&ty, &missing, "o", None)
            .unwrap_err();
        assert_eq!(
            (error.path.as_str(), &error.problem),
            ("o.inner", &ArgumentProblem::Missing)
        );
        let unknown = json!({ "inner": { "operation_id": "x", "id": 1 } });
        let error = converter
            .val_from_json(&ty, &unknown, "o", None)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"Unknown argument `o.inner.id`: the accepted names are "operation_id" and "note"."#
        );
        assert_eq!(error.problem, ArgumentProblem::Unknown("1".into()));
    }

    const TIMEFRAME_WIT: &str = r#"
        package t:tf;
        interface i {
            enum timeframe {
                /// One-hour bars. JSON: `1h`.
                hour1,
                /// A whole session's bars.
                trading-session,
            }
            flags sides {
                /// JSON: `L`.
                long,
                short-side,
            }
            f: func(t: timeframe, s: sides);
        }
    "#;

    #[test]
    fn documented_json_names_are_the_only_spelling_of_their_cases() {
        let mut resolve = Resolve::default();
        resolve.push_str("tf.wit", TIMEFRAME_WIT).unwrap();
        let converter = Converter::new(&resolve);
        let t = param(&resolve, "t");
        let hour = converter
            .val_from_json(&t, &json!("1h"), "t", None)
            .unwrap();
        assert_eq!(hour, Val::Enum("hour1".into()));
        assert_eq!(converter.json_from_val(&t, &hour), json!("1h"));
        for spelling in ["trading_session", "trading-session"] {
            let val = converter.val_from_json(&t, &json!(spelling), "t", None);
            assert_eq!(val, Ok(Val::Enum("trading-session".into())), "{spelling}");
        }
        let error = converter
            .val_from_json(&t, &json!("hour1"), "t", None)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"Argument `t` must be one of "1h" or "trading_session"; got "hour1". Fix it and call again."#
        );
        let s = param(&resolve, "s");
        let flags = converter
            .val_from_json(&s, &json!(["L", "short_side"]), "s", None)
            .unwrap();
        assert_eq!(flags, Val::Flags(vec!["long".into(), "short-side".into()]));
        assert_eq!(
            converter.json_from_val(&s, &flags),
            json!(["L", "short_side"])
        );
        assert!(converter
            .val_from_json(&s, &json!(["long"]), "s", None)
            .is_err());
        assert!(check_case_names(&resolve).is_ok());
    }

    #[test]
    fn json_names_that_collide_are_refused() {
        let mut resolve = Resolve::default();
        resolve
            .push_str(
                "c.wit",
                "package t:c; interface i {
                    enum timeframe {
                        /// JSON: `1h`.
                        hour1,
                        /// Sixty minutes. JSON: `1h`.
                        minute60,
                    }
                }",
            )
            .unwrap();
        let error = check_case_names(&resolve).unwrap_err().to_string();
        assert!(
            error.contains("`hour1` and `minute60` of `timeframe`") && error.contains("\"1h\""),
            "{error}"
        );
        let mut resolve = Resolve::default();
        resolve
            .push_str(
                "k.wit",
                "package t:k; interface i { enum e { a-b, /// JSON: `a_b`.\n c } }",
            )
            .unwrap();
        assert!(
            check_case_names(&resolve).is_err(),
            "a documented name takes a derived one"
        );
    }

    #[test]
    fn documented_ranges_narrow_integers() {
        let resolve = resolve();
        let converter = Converter::new(&resolve);
        let range = Some(IntRange {
            min: Some(1),
            max: Some(1000),
        });
        assert!(converter
            .val_from_json(&Type::U32, &json!(1000), "limit", range)
            .is_ok());
        let error = converter
            .val_from_json(&Type::U32, &json!(0), "limit", range)
            .unwrap_err();
        assert_eq!(error.expected, "an integer from 1 to 1000");
        assert!(converter
            .val_from_json(&Type::U8, &json!(2.0), "n", None)
            .is_ok());
        assert!(converter
            .val_from_json(&Type::U8, &json!(2.5), "n", None)
            .is_err());
        assert!(converter
            .val_from_json(&Type::S8, &json!("1"), "n", None)
            .is_err());
    }
}
