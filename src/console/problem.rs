//! What the console tells staff when something cannot be done: a key into the console's
//! labels (`tr.problems` in `prompts/console/{de,en}.j2`) with an optional value (a
//! number, a status), so that no sentence lives in Rust and each is said in the staff
//! member's language.

use serde::Serialize;

/// A problem to tell staff: `key` names its sentence, `value` fills its `{value}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub key: &'static str,
    pub value: Option<String>,
}

impl Problem {
    pub const fn new(key: &'static str) -> Self {
        Self { key, value: None }
    }

    pub fn with(key: &'static str, value: impl ToString) -> Self {
        Self {
            key,
            value: Some(value.to_string()),
        }
    }
}

/// For logs and tests: the key (and value), never a sentence.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}: {v}", self.key),
            None => f.write_str(self.key),
        }
    }
}
