//! A small reader over a JSON object that produces field-named errors and rejects
//! unknown keys, so that a typo in a feed is reported instead of silently dropped.

use serde_json::{Map, Value};
use std::fmt;

/// Why one ingested item was refused: the field (dotted path) and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.field, self.reason)
        }
    }
}

impl std::error::Error for FieldError {}

/// Shortens a value for an error message, so a huge string never floods a report.
pub fn shown(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        format!("'{s}'")
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("'{cut}…'")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON object being read field by field.
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Obj<'a> {
    /// Reads `value` as an object; `path` names it in errors ("" for the item itself).
    pub fn new(value: &'a Value, path: &str) -> Result<Self, FieldError> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                prefix: path.to_string(),
            }),
            other => Err(FieldError::new(
                path,
                format!("expected an object, got {}", type_name(other)),
            )),
        }
    }

    /// The dotted path of a key, for error messages.
    pub fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    pub fn err(&self, key: &str, reason: impl Into<String>) -> FieldError {
        FieldError::new(self.path(key), reason)
    }

    /// Refuses keys outside `allowed`, listing the allowed ones.
    pub fn deny_unknown(&self, allowed: &[&str]) -> Result<(), FieldError> {
        for key in self.map.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(self.err(
                    key,
                    format!("unknown field; allowed: {}", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// The raw value, treating JSON `null` as absent.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => {
                Err(self.err(key, format!("expected a string, got {}", type_name(other))))
            }
        }
    }

    pub fn req_str(&self, key: &str) -> Result<&'a str, FieldError> {
        self.opt_str(key)?
            .ok_or_else(|| self.err(key, "missing (required)"))
    }

    /// An optional free-text field: trimmed, empty means absent, bounded in length.
    pub fn opt_text(&self, key: &str, max_chars: usize) -> Result<Option<String>, FieldError> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => {
                let t = s.trim();
                if t.is_empty() {
                    Ok(None)
                } else if t.chars().count() > max_chars {
                    Err(self.err(key, format!("longer than {max_chars} characters")))
                } else if let Some(c) = t.chars().find(|c| is_forbidden_char(*c)) {
                    Err(self.err(
                        key,
                        format!(
                            "contains the control character U+{:04X}; send plain text",
                            u32::from(c)
                        ),
                    ))
                } else {
                    Ok(Some(t.to_string()))
                }
            }
        }
    }

    /// A required free-text field: trimmed, non-empty, bounded in length.
    pub fn req_text(&self, key: &str, max_chars: usize) -> Result<String, FieldError> {
        self.opt_text(key, max_chars)?
            .ok_or_else(|| self.err(key, "missing or empty (required)"))
    }

    /// A required string parsed by `parse`, whose error becomes the reason.
    pub fn req_parse<T>(
        &self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, FieldError> {
        let s = self.req_str(key)?;
        parse(s).map_err(|reason| self.err(key, reason))
    }

    /// An optional string parsed by `parse`.
    pub fn opt_parse<T>(
        &self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, FieldError> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => parse(s).map(Some).map_err(|reason| self.err(key, reason)),
        }
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.err(key, "not a finite number")),
            Some(other) => {
                Err(self.err(key, format!("expected a number, got {}", type_name(other))))
            }
        }
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.err(
                key,
                format!("expected true or false, got {}", type_name(other)),
            )),
        }
    }

    pub fn opt_u32(&self, key: &str) -> Result<Option<u32>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .map(Some)
                .ok_or_else(|| self.err(key, format!("expected a whole number ≥ 0, got {n}"))),
            Some(other) => Err(self.err(
                key,
                format!("expected a whole number, got {}", type_name(other)),
            )),
        }
    }

    /// An optional nested object.
    pub fn opt_obj(&self, key: &str) -> Result<Option<Obj<'a>>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => Obj::new(v, &self.path(key)).map(Some),
        }
    }

    /// An optional array; absent reads as empty.
    pub fn arr(&self, key: &str) -> Result<&'a [Value], FieldError> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a.as_slice()),
            Some(other) => {
                Err(self.err(key, format!("expected an array, got {}", type_name(other))))
            }
        }
    }

    /// An optional array of strings, each parsed by `parse`.
    pub fn str_list<T>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, FieldError> {
        let mut out = Vec::new();
        for (i, v) in self.arr(key)?.iter().enumerate() {
            let field = format!("{}[{i}]", self.path(key));
            let s = v.as_str().ok_or_else(|| {
                FieldError::new(&field, format!("expected a string, got {}", type_name(v)))
            })?;
            out.push(parse(s).map_err(|r| FieldError::new(&field, r))?);
        }
        Ok(out)
    }
}

/// Parses one of a fixed set of snake_case names, or says which ones are allowed.
pub fn one_of<T: Copy>(s: &str, table: &[(&str, T)]) -> Result<T, String> {
    table
        .iter()
        .find(|(name, _)| *name == s)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            format!("unknown value {}; allowed: {}", shown(s), names.join(", "))
        })
}

/// Characters a name or text may not carry: control characters but tab and line
/// breaks (NUL, ESC, DEL, C1) and the bidi overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069) that make a text read differently from what it says.
pub fn is_forbidden_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_named_with_the_allowed_list() {
        let v = json!({"id": "x", "trackingnumber": "1"});
        let o = Obj::new(&v, "").unwrap();
        let e = o.deny_unknown(&["id", "tracking_number"]).unwrap_err();
        assert_eq!(e.field, "trackingnumber");
        assert!(e.reason.contains("tracking_number"));
    }

    #[test]
    fn nested_paths_are_dotted() {
        let v = json!({"address": {"postcode": 33100}});
        let o = Obj::new(&v, "").unwrap();
        let a = o.opt_obj("address").unwrap().unwrap();
        let e = a.req_str("postcode").unwrap_err();
        assert_eq!(
            e.to_string(),
            "address.postcode: expected a string, got a number"
        );
    }

    #[test]
    fn null_reads_as_absent() {
        let v = json!({"note": null});
        let o = Obj::new(&v, "").unwrap();
        assert_eq!(o.opt_text("note", 10).unwrap(), None);
    }

    #[test]
    fn one_of_lists_the_allowed_names() {
        let e = one_of("lost", &[("a", 1), ("b", 2)]).unwrap_err();
        assert_eq!(e, "unknown value 'lost'; allowed: a, b");
    }
}
