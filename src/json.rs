//! Lenient, panic-free reading of the backend's JSON bodies.
//!
//! The backend's models allow nulls and missing optional keys and mix integers with floats
//! (contract §3). [`Fields`] reads an object's fields with that leniency and reports a real
//! shape error (a wrong type, a missing required key) as a [`ShapeError`] that names the field's
//! path, e.g. `data.progress.steps_completed: expected a number, got "x"`.

use serde_json::{Map, Value};

/// A body that does not have the expected shape; the text names the field and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShapeError(pub String);

/// Parses `body` as JSON.
pub fn parse_body(body: &[u8]) -> Result<Value, ShapeError> {
    serde_json::from_slice(body).map_err(|error| ShapeError(format!("invalid JSON ({error})")))
}

/// The fields of one JSON object, with the object's path for error messages.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

/// `value` as compact JSON text, as its `Display` writes it. (`Display` also carries the pretty
/// printer of `{:#}`, which this keeps out of the component.)
pub fn text(value: &Value) -> String {
    // Cannot fail: a `Value`'s keys are strings, and writing to memory has no I/O errors.
    serde_json::to_string(value).unwrap_or_default()
}

/// A JSON object of `fields`: what `json!({…})` builds, without a serializer run per value.
pub fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    let mut map = Map::new();
    for (key, value) in fields {
        map.insert(key.to_owned(), value);
    }
    Value::Object(map)
}

/// A short description of a JSON value for error messages.
fn describe(value: &Value) -> String {
    let text = match value {
        Value::Object(_) => return "an object".to_owned(),
        Value::Array(_) => return "an array".to_owned(),
        other => text(other),
    };
    crate::error::one_line(&text, 40)
}

impl<'a> Fields<'a> {
    /// The fields of `value`, which must be an object; `path` names it (`""` for the body).
    pub fn of(value: &'a Value, path: &'a str) -> Result<Self, ShapeError> {
        match value {
            Value::Object(map) => Ok(Fields { map, path }),
            other => Err(ShapeError(format!(
                "{}: expected an object, got {}",
                if path.is_empty() { "body" } else { path },
                describe(other)
            ))),
        }
    }

    /// `path.key`, for messages.
    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn wrong(&self, key: &str, expected: &str, got: &Value) -> ShapeError {
        ShapeError(format!(
            "{}: expected {expected}, got {}",
            self.at(key),
            describe(got)
        ))
    }

    /// The field's value, `None` when missing or null.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|value| !value.is_null())
    }

    /// A required, non-null field.
    pub fn required(&self, key: &str) -> Result<&'a Value, ShapeError> {
        self.get(key)
            .ok_or_else(|| ShapeError(format!("{}: missing", self.at(key))))
    }

    /// A nested object, which must be present; `path` names it in messages.
    pub fn object(&self, key: &str, path: &'a str) -> Result<Fields<'a>, ShapeError> {
        Fields::of(self.required(key)?, path)
    }

    /// A nested object; missing or null reads as an empty object.
    pub fn object_or_empty(&self, key: &str, path: &'a str) -> Result<Fields<'a>, ShapeError> {
        static EMPTY: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
        match self.get(key) {
            Some(value) => Fields::of(value, path),
            None => Fields::of(EMPTY.get_or_init(|| Value::Object(Map::new())), path),
        }
    }

    /// A required string.
    pub fn string(&self, key: &str) -> Result<String, ShapeError> {
        let value = self.required(key)?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.wrong(key, "a string", value))
    }

    /// An optional string; missing or null is `None`.
    pub fn opt_string(&self, key: &str) -> Result<Option<String>, ShapeError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(self.wrong(key, "a string", other)),
        }
    }

    /// An optional non-negative whole number; floats are truncated (`5.0` → 5).
    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, ShapeError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        if let Some(whole) = value.as_u64() {
            return Ok(Some(whole));
        }
        match value.as_f64() {
            // `as` saturates: huge values become u64::MAX, never a panic.
            Some(float) if float.is_finite() && float >= 0.0 => Ok(Some(float as u64)),
            _ => Err(self.wrong(key, "a non-negative number", value)),
        }
    }

    /// A non-negative whole number; missing or null is 0.
    pub fn u64_or_zero(&self, key: &str) -> Result<u64, ShapeError> {
        Ok(self.opt_u64(key)?.unwrap_or(0))
    }

    /// An optional number, integer or float.
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, ShapeError> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => value
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a number", value)),
        }
    }

    /// A number; missing or null is 0.
    pub fn f64_or_zero(&self, key: &str) -> Result<f64, ShapeError> {
        Ok(self.opt_f64(key)?.unwrap_or(0.0))
    }

    /// An optional boolean; missing or null is `None`.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ShapeError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(other) => Err(self.wrong(key, "true or false", other)),
        }
    }

    /// A boolean; missing or null is `false`.
    pub fn bool_or_false(&self, key: &str) -> Result<bool, ShapeError> {
        Ok(self.opt_bool(key)?.unwrap_or(false))
    }

    /// An array; missing or null is empty.
    pub fn array(&self, key: &str) -> Result<&'a [Value], ShapeError> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.wrong(key, "an array", other)),
        }
    }

    /// An array of strings; missing or null is empty.
    pub fn strings(&self, key: &str) -> Result<Vec<String>, ShapeError> {
        self.array(key)?
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| self.wrong(key, "an array of strings", item))
            })
            .collect()
    }

    /// A free-form object as JSON text; missing or null is `{}`.
    pub fn object_text(&self, key: &str) -> Result<String, ShapeError> {
        Ok(self
            .opt_object_text(key)?
            .unwrap_or_else(|| "{}".to_owned()))
    }

    /// A free-form object as JSON text; missing or null is `None`.
    pub fn opt_object_text(&self, key: &str) -> Result<Option<String>, ShapeError> {
        match self.get(key) {
            None => Ok(None),
            Some(value @ Value::Object(_)) => Ok(Some(text(value))),
            Some(other) => Err(self.wrong(key, "an object", other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_lenient_numbers_and_nulls() {
        let value = json!({"a": 5, "b": 5.9, "c": null, "d": -1, "e": "x", "f": 1e300});
        let fields = Fields::of(&value, "data").unwrap();
        assert_eq!(fields.opt_u64("a"), Ok(Some(5)));
        assert_eq!(fields.opt_u64("b"), Ok(Some(5)));
        assert_eq!(fields.u64_or_zero("c"), Ok(0));
        assert_eq!(fields.u64_or_zero("missing"), Ok(0));
        assert_eq!(fields.opt_u64("f"), Ok(Some(u64::MAX)));
        assert_eq!(
            fields.opt_u64("d"),
            Err(ShapeError(
                "data.d: expected a non-negative number, got -1".into()
            ))
        );
        assert_eq!(
            fields.f64_or_zero("e"),
            Err(ShapeError("data.e: expected a number, got \"x\"".into()))
        );
        assert_eq!(fields.f64_or_zero("a"), Ok(5.0));
    }

    #[test]
    fn required_fields_name_their_path() {
        let value = json!({"inner": {"x": 1}});
        let fields = Fields::of(&value, "").unwrap();
        let inner = fields.object("inner", "inner").unwrap();
        assert_eq!(
            inner.string("x"),
            Err(ShapeError("inner.x: expected a string, got 1".into()))
        );
        assert_eq!(
            fields.string("nope"),
            Err(ShapeError("nope: missing".into()))
        );
        assert!(Fields::of(&json!([1]), "").is_err());
    }

    #[test]
    fn free_form_objects_become_json_text() {
        let value = json!({"ctx": {"a": [1, "b"]}, "none": null, "bad": 3});
        let fields = Fields::of(&value, "").unwrap();
        assert_eq!(fields.object_text("ctx").unwrap(), r#"{"a":[1,"b"]}"#);
        assert_eq!(fields.object_text("none").unwrap(), "{}");
        assert_eq!(fields.opt_object_text("none").unwrap(), None);
        assert!(fields.object_text("bad").is_err());
    }

    #[test]
    fn strings_arrays_and_booleans() {
        let value = json!({"s": ["a", "b"], "mixed": ["a", 1], "t": true, "n": null});
        let fields = Fields::of(&value, "").unwrap();
        assert_eq!(fields.strings("s").unwrap(), vec!["a", "b"]);
        assert_eq!(fields.strings("n").unwrap(), Vec::<String>::new());
        assert!(fields.strings("mixed").is_err());
        assert_eq!(fields.bool_or_false("t"), Ok(true));
        assert_eq!(fields.bool_or_false("n"), Ok(false));
        assert!(fields.bool_or_false("s").is_err());
    }

    #[test]
    fn invalid_json_is_a_shape_error() {
        assert!(parse_body(b"{\"a\":").is_err());
        assert!(parse_body(b"").is_err());
        assert!(parse_body(&[0xff, 0xfe]).is_err());
        assert_eq!(parse_body(b" {} ").unwrap(), json!({}));
    }
}
