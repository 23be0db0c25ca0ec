//! Request validation with FastAPI/pydantic's 422 error items: JSON bodies and query strings.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::choice::expected_values;
use crate::errors::ApiError;
use crate::time_format::parse_datetime;

/// One pydantic validation error item: `{type, loc, msg, input, ctx?}`.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    /// Pydantic error type, e.g. `missing`, `string_type`, `value_error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where: `["body", "symbol"]`, `["query", "limit"]`, `["body", 12]`.
    pub loc: Vec<Value>,
    /// Human-readable message.
    pub msg: String,
    /// The offending input.
    pub input: Value,
    /// Error-specific context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl FieldError {
    fn new(kind: &'static str, loc: Vec<Value>, msg: impl Into<String>, input: Value) -> Self {
        Self {
            kind,
            loc,
            msg: msg.into(),
            input,
            ctx: None,
        }
    }

    fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }

    /// A custom validator's failure (`ValueError` in a pydantic validator).
    pub fn value_error(loc: Vec<Value>, message: &str, input: Value) -> Self {
        Self::new("value_error", loc, format!("Value error, {message}"), input)
            .with_ctx(json!({ "error": {} }))
    }

    /// A value outside an enum or literal's choices.
    pub fn not_a_choice(
        kind: &'static str,
        loc: Vec<Value>,
        choices: &[&str],
        input: Value,
    ) -> Self {
        let expected = expected_values(choices.iter().copied());
        Self::new(kind, loc, format!("Input should be {expected}"), input)
            .with_ctx(json!({ "expected": expected }))
    }
}

/// `["body", name]`.
pub fn body_loc(name: &str) -> Vec<Value> {
    vec![json!("body"), json!(name)]
}

/// Parses a request body as JSON, or answers pydantic's `json_invalid` / `missing` errors.
/// An empty body is `Ok(None)`: the caller decides whether a body is required.
pub fn parse_json_body(bytes: &[u8]) -> Result<Option<Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes).map(Some).map_err(|error| {
        let position = if error.is_eof() {
            String::from_utf8_lossy(bytes).chars().count()
        } else {
            char_position(bytes, error.line(), error.column())
        };
        ApiError::Validation(vec![FieldError::new(
            "json_invalid",
            vec![json!("body"), json!(position)],
            "JSON decode error",
            json!({}),
        )
        .with_ctx(json!({ "error": python_json_message(&error) }))])
    })
}

/// The character offset of serde_json's 1-based line/column, as Python's `JSONDecodeError.pos`.
fn char_position(bytes: &[u8], line: usize, column: usize) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let before: usize = text
        .split('\n')
        .take(line.saturating_sub(1))
        .map(|l| l.chars().count() + 1)
        .sum();
    before + column.saturating_sub(1)
}

/// Python's `json` module wording for the usual syntax errors.
fn python_json_message(error: &serde_json::Error) -> &'static str {
    let text = error.to_string();
    if text.starts_with("key must be a string") {
        "Expecting property name enclosed in double quotes"
    } else if text.starts_with("expected `:`") {
        "Expecting ':' delimiter"
    } else if text.starts_with("expected `,`") {
        "Expecting ',' delimiter"
    } else if text.starts_with("trailing characters") {
        "Extra data"
    } else if text.starts_with("control character") || text.starts_with("invalid escape") {
        "Invalid control character or escape"
    } else {
        "Expecting value"
    }
}

/// Pydantic's lax boolean from a string: `true/false/1/0/yes/no/on/off/t/f/y/n`, any case.
pub fn parse_bool_text(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

fn bool_error(loc: Vec<Value>, input: Value) -> FieldError {
    FieldError::new(
        "bool_parsing",
        loc,
        "Input should be a valid boolean, unable to interpret input",
        input,
    )
}

/// Reads the fields of a JSON object body the way a pydantic model would, collecting every
/// error before answering. Unknown fields are ignored (FastAPI's default).
pub struct BodyFields<'a> {
    body: &'a Value,
    object: &'a Map<String, Value>,
    prefix: Vec<Value>,
    errors: Vec<FieldError>,
}

impl<'a> BodyFields<'a> {
    /// Starts reading `body` (absent → `missing`, not an object → `model_attributes_type`).
    pub fn of(body: Option<&'a Value>) -> Result<Self, ApiError> {
        let Some(body) = body else {
            return Err(ApiError::Validation(vec![FieldError::new(
                "missing",
                vec![json!("body")],
                "Field required",
                Value::Null,
            )]));
        };
        match body.as_object() {
            Some(object) => Ok(Self {
                body,
                object,
                prefix: vec![json!("body")],
                errors: Vec::new(),
            }),
            None => Err(ApiError::Validation(vec![FieldError::new(
                "model_attributes_type",
                vec![json!("body")],
                "Input should be a valid dictionary or object to extract fields from",
                body.clone(),
            )])),
        }
    }

    /// The whole body, as pydantic echoes it in model-level errors.
    pub fn body(&self) -> &'a Value {
        self.body
    }

    /// The location of field `name`.
    pub fn loc(&self, name: &str) -> Vec<Value> {
        let mut loc = self.prefix.clone();
        loc.push(json!(name));
        loc
    }

    /// Records an error found by a custom check.
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// True when no error has been recorded so far.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// The field's value, or `missing` (recorded) when absent.
    fn required(&mut self, name: &str) -> Option<&'a Value> {
        let value = self.object.get(name);
        if value.is_none() {
            let error = FieldError::new(
                "missing",
                self.loc(name),
                "Field required",
                self.body.clone(),
            );
            self.errors.push(error);
        }
        value
    }

    /// The field's value when present and not null.
    fn present(&self, name: &str) -> Option<&'a Value> {
        self.object.get(name).filter(|value| !value.is_null())
    }

    fn expect_string(&mut self, name: &str, value: &'a Value) -> Option<String> {
        match value.as_str() {
            Some(text) => Some(text.to_string()),
            None => {
                let error = FieldError::new(
                    "string_type",
                    self.loc(name),
                    "Input should be a valid string",
                    value.clone(),
                );
                self.errors.push(error);
                None
            }
        }
    }

    /// A required `str` field.
    pub fn required_string(&mut self, name: &str) -> Option<String> {
        let value = self.required(name)?;
        self.expect_string(name, value)
    }

    /// An optional `str | None` field.
    pub fn optional_string(&mut self, name: &str) -> Option<String> {
        let value = self.present(name)?;
        self.expect_string(name, value)
    }

    /// A required `list[str]` field.
    pub fn required_string_list(&mut self, name: &str) -> Option<Vec<String>> {
        let value = self.required(name)?;
        let Some(items) = value.as_array() else {
            let error = FieldError::new(
                "list_type",
                self.loc(name),
                "Input should be a valid list",
                value.clone(),
            );
            self.errors.push(error);
            return None;
        };
        let mut strings = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(text) => strings.push(text.to_string()),
                None => {
                    let mut loc = self.loc(name);
                    loc.push(json!(index));
                    self.errors.push(FieldError::new(
                        "string_type",
                        loc,
                        "Input should be a valid string",
                        item.clone(),
                    ));
                }
            }
        }
        (strings.len() == items.len()).then_some(strings)
    }

    /// A `bool` field with a default (pydantic lax: booleans, 0/1, and boolean-like strings).
    pub fn bool_or(&mut self, name: &str, default: bool) -> bool {
        let Some(value) = self.object.get(name) else {
            return default;
        };
        let parsed = match value {
            Value::Bool(flag) => Some(*flag),
            Value::Number(number) => match number.as_f64() {
                Some(0.0) => Some(false),
                Some(1.0) => Some(true),
                _ => None,
            },
            Value::String(text) => parse_bool_text(text),
            _ => {
                let error = FieldError::new(
                    "bool_type",
                    self.loc(name),
                    "Input should be a valid boolean",
                    value.clone(),
                );
                self.errors.push(error);
                return default;
            }
        };
        parsed.unwrap_or_else(|| {
            let error = bool_error(self.loc(name), value.clone());
            self.errors.push(error);
            default
        })
    }

    /// An optional `datetime | None` field (ISO strings, date-only allowed).
    pub fn optional_datetime(&mut self, name: &str) -> Option<DateTime<Utc>> {
        let value = self.present(name)?;
        let Some(text) = value.as_str() else {
            let error = FieldError::new(
                "datetime_type",
                self.loc(name),
                "Input should be a valid datetime",
                value.clone(),
            );
            self.errors.push(error);
            return None;
        };
        let parsed = parse_datetime(text);
        if parsed.is_none() {
            let error = FieldError::new(
                "datetime_from_date_parsing",
                self.loc(name),
                "Input should be a valid datetime or date, invalid format",
                value.clone(),
            );
            self.errors.push(error);
        }
        parsed
    }

    /// A literal field with a default: one of `choices` (parsed by `parse`), else `literal_error`.
    pub fn literal_or<T: Copy>(
        &mut self,
        name: &str,
        default: T,
        choices: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> T {
        let Some(value) = self.object.get(name) else {
            return default;
        };
        match value.as_str().and_then(parse) {
            Some(choice) => choice,
            None => {
                let error = FieldError::not_a_choice(
                    "literal_error",
                    self.loc(name),
                    choices,
                    value.clone(),
                );
                self.errors.push(error);
                default
            }
        }
    }

    /// Reads an optional nested model `name` (absent or null → `None`) with `read`.
    pub fn optional_model<T>(
        &mut self,
        name: &str,
        class_name: &str,
        read: impl FnOnce(&mut BodyFields<'a>) -> T,
    ) -> Option<T> {
        let value = self.present(name)?;
        let Some(object) = value.as_object() else {
            let error = FieldError::new(
                "model_type",
                self.loc(name),
                format!("Input should be a valid dictionary or instance of {class_name}"),
                value.clone(),
            )
            .with_ctx(json!({ "class_name": class_name }));
            self.errors.push(error);
            return None;
        };
        let mut nested = BodyFields {
            body: value,
            object,
            prefix: self.loc(name),
            errors: Vec::new(),
        };
        let result = read(&mut nested);
        self.errors.append(&mut nested.errors);
        Some(result)
    }

    /// `Ok` when every field was valid, else the 422 with every error found.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// Query-string parameters, read with FastAPI's validation (last occurrence of a name wins).
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

impl QueryParams {
    /// Parses a raw query string (`None` = no query).
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .into_owned()
            .collect();
        Self {
            pairs,
            errors: Vec::new(),
        }
    }

    /// The raw value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn loc(name: &str) -> Vec<Value> {
        vec![json!("query"), json!(name)]
    }

    /// An integer in `min..=max`, `default` when absent.
    pub fn int_in_range(&mut self, name: &str, default: i64, min: i64, max: i64) -> i64 {
        let Some(text) = self.get(name).map(str::to_string) else {
            return default;
        };
        let Ok(value) = text.trim().parse::<i64>() else {
            self.errors.push(FieldError::new(
                "int_parsing",
                Self::loc(name),
                "Input should be a valid integer, unable to parse string as an integer",
                json!(text),
            ));
            return default;
        };
        if value < min {
            self.errors.push(
                FieldError::new(
                    "greater_than_equal",
                    Self::loc(name),
                    format!("Input should be greater than or equal to {min}"),
                    json!(text),
                )
                .with_ctx(json!({ "ge": min })),
            );
        } else if value > max {
            self.errors.push(
                FieldError::new(
                    "less_than_equal",
                    Self::loc(name),
                    format!("Input should be less than or equal to {max}"),
                    json!(text),
                )
                .with_ctx(json!({ "le": max })),
            );
        }
        value.clamp(min, max)
    }

    /// A boolean, `default` when absent.
    pub fn bool_or(&mut self, name: &str, default: bool) -> bool {
        let Some(text) = self.get(name).map(str::to_string) else {
            return default;
        };
        parse_bool_text(&text).unwrap_or_else(|| {
            self.errors.push(bool_error(Self::loc(name), json!(text)));
            default
        })
    }

    /// An optional enum value: one of `choices` (parsed by `parse`), else an `enum` error.
    pub fn optional_choice<T>(
        &mut self,
        name: &str,
        choices: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let text = self.get(name)?.to_string();
        let parsed = parse(&text);
        if parsed.is_none() {
            self.errors.push(FieldError::not_a_choice(
                "enum",
                Self::loc(name),
                choices,
                json!(text),
            ));
        }
        parsed
    }

    /// `Ok` when every parameter was valid, else the 422 with every error found.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(error: ApiError) -> Vec<FieldError> {
        match error {
            ApiError::Validation(errors) => errors,
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn malformed_json_reports_python_position_and_message() {
        let errors = detail(parse_json_body(b"{\"symbol\": }").unwrap_err());
        assert_eq!(errors[0].kind, "json_invalid");
        assert_eq!(errors[0].loc, vec![json!("body"), json!(11)]);
        assert_eq!(errors[0].ctx, Some(json!({"error": "Expecting value"})));
        assert!(parse_json_body(b"  ").unwrap().is_none());
    }

    #[test]
    fn query_limits_match_fastapi() {
        let mut query = QueryParams::parse(Some("limit=0&active_only=maybe&limit=5"));
        assert_eq!(query.int_in_range("limit", 10, 1, 1000), 5);
        assert!(!query.bool_or("active_only", false));
        let errors = detail(query.finish().unwrap_err());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].kind, "bool_parsing");

        let mut query = QueryParams::parse(Some("limit=0"));
        query.int_in_range("limit", 10, 1, 1000);
        let errors = detail(query.finish().unwrap_err());
        assert_eq!(
            serde_json::to_value(&errors[0]).unwrap(),
            json!({
                "type": "greater_than_equal", "loc": ["query", "limit"],
                "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1}
            })
        );
    }

    #[test]
    fn body_fields_collect_every_error() {
        let body = json!({"symbols": ["AAPL", 3], "flag": "maybe"});
        let mut fields = BodyFields::of(Some(&body)).unwrap();
        assert!(fields.required_string_list("symbols").is_none());
        assert!(fields.required_string("strategy_name").is_none());
        fields.bool_or("flag", false);
        let kinds: Vec<&str> = detail(fields.finish().unwrap_err())
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["string_type", "missing", "bool_parsing"]);
    }
}
