//! Untrusted JSON into dojang's types, with errors that are safe to show and to log.
//!
//! serde_json's own messages quote what was sent: `invalid type: integer `9001011234567`,
//! expected a string`. What was sent may be a resident registration number (주민등록번호), a
//! password or a PIN typed as a JSON number, so those messages must not reach an answer or a
//! log. A [`JsonError`] keeps only what our types say — the field's path and what it should have
//! been — and says it in Korean and in English.
#![forbid(unsafe_code)]

mod expected;
mod path;

use std::fmt;

use serde::de::DeserializeOwned;

pub use expected::Expected;

/// Reads a request body.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(JsonError::from_path_error)?;
    de.end().map_err(|e| JsonError::from_serde(None, &e))?;
    Ok(value)
}

/// Reads a file or other text (the operator's enrolment files).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    from_slice(text.as_bytes())
}

/// Reads a value already parsed as JSON (a flow step's input) into its type.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, JsonError> {
    serde_path_to_error::deserialize(value).map_err(JsonError::from_path_error)
}

/// Why some JSON could not be read, without anything of what was sent but field names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Where: `hash[0]`, `credential.id`; `None` for the whole body.
    field: Option<String>,
    problem: Problem,
}

/// What was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not JSON: serde_json's reason (a fixed phrase, never the input) and where.
    Syntax { reason: String, line: usize, column: usize },
    /// The JSON stops before its end.
    Truncated,
    /// A field the type needs is absent.
    Missing,
    /// A field the type does not take.
    Unknown { expected: Option<Expected> },
    /// The same field twice.
    Duplicate,
    /// A value of the wrong JSON type (a number where a string belongs).
    WrongType { expected: Expected },
    /// The right JSON type, a value the type does not take (an unknown variant).
    WrongValue { expected: Expected },
    /// An array of the wrong length.
    WrongLength { expected: Expected },
    /// Something else the type refused.
    Other,
}

impl JsonError {
    /// The field the problem is in, if not the whole body.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    fn from_path_error(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let at = path::render(e.path());
        Self::from_serde(at, e.inner())
    }

    fn from_serde(at: Option<String>, e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let problem = match e.classify() {
            Category::Eof => Problem::Truncated,
            Category::Syntax | Category::Io => {
                Problem::Syntax { reason: message_of(e), line: e.line(), column: e.column() }
            }
            Category::Data => {
                let (problem, name) = classify_data(&message_of(e));
                return Self { field: path::join(at, name), problem };
            }
        };
        Self { field: at, problem }
    }

    /// Whether the problem is in a field that could not be named: serde reads an internally
    /// tagged enum (`{"action": "answer", …}`) from a buffer, out of sight of the path.
    fn in_unnamed_field(&self) -> bool {
        let whole = |e: &Expected| {
            let t = e.as_str();
            t.starts_with("struct ") || t.starts_with("internally tagged enum") || t == "a map"
        };
        self.field.is_none()
            && matches!(&self.problem,
                Problem::WrongType { expected } | Problem::WrongValue { expected } | Problem::WrongLength { expected }
                    if !whole(expected))
    }

    /// What a Korean customer reads.
    pub fn message_ko(&self) -> String {
        let f = |s: &str| format!("'{s}' 항목");
        let field = self.field.as_deref().map(f);
        let whole =
            if self.in_unnamed_field() { "요청 내용의 한 항목" } else { "요청 내용" };
        let subject = field.unwrap_or_else(|| whole.into());
        match &self.problem {
            Problem::Syntax { line, column, .. } => {
                format!("요청 내용이 올바른 JSON 형식이 아닙니다({line}행 {column}열). 화면을 새로 고친 뒤 다시 시도해 주세요.")
            }
            Problem::Truncated => "요청 내용이 중간에 끊겼습니다. 다시 보내 주세요.".into(),
            Problem::Missing => format!("{subject}이 빠졌습니다. 입력한 뒤 다시 보내 주세요."),
            Problem::Unknown { .. } => {
                format!("{subject}은 이 요청에 쓰지 않는 항목입니다. 빼고 다시 보내 주세요.")
            }
            Problem::Duplicate => format!("{subject}이 두 번 들어 있습니다. 한 번만 보내 주세요."),
            Problem::WrongType { expected } | Problem::WrongValue { expected } => {
                format!("{subject}은 {}이어야 합니다.", expected.ko())
            }
            Problem::WrongLength { expected } => {
                format!("{subject}의 개수가 맞지 않습니다({}).", expected.ko())
            }
            Problem::Other => format!("{subject}의 형식이 올바르지 않습니다."),
        }
    }

    /// The same in English.
    pub fn message_en(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.field.as_deref().map(|s| format!("`{s}`"));
        let whole = if self.in_unnamed_field() { "a field of the body" } else { "the body" };
        let subject = field.unwrap_or_else(|| whole.into());
        match &self.problem {
            Problem::Syntax { reason, line, column } => write!(
                f,
                "the body is not valid JSON ({reason} at line {line}, column {column}): send one JSON object"
            ),
            Problem::Truncated => write!(f, "the JSON ends too soon: send the whole object"),
            Problem::Missing => write!(f, "{subject} is missing: add it"),
            Problem::Unknown { expected: Some(e) } => {
                write!(f, "{subject} is not a field of this request (expected {e}): leave it out")
            }
            Problem::Unknown { expected: None } => {
                write!(f, "{subject} is not a field of this request: leave it out")
            }
            Problem::Duplicate => write!(f, "{subject} appears twice: send it once"),
            Problem::WrongType { expected } | Problem::WrongValue { expected } => {
                write!(f, "{subject} must be {expected}")
            }
            Problem::WrongLength { expected } => {
                write!(f, "{subject} has the wrong number of items: expected {expected}")
            }
            Problem::Other => write!(f, "{subject} is not in the form this request takes"),
        }
    }
}

impl std::error::Error for JsonError {}

/// serde_json's message without its " at line L column C".
fn message_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let tail = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&tail).map(str::to_string).unwrap_or(text)
}

/// serde's data errors have fixed shapes (serde::de::Error's provided methods): the parts we
/// keep are the field names our types declare and the `expected` text our types give. The
/// value sent always comes before the last ", expected ", so nothing of it is kept.
fn classify_data(msg: &str) -> (Problem, Option<String>) {
    // "…, there are no fields/variants" has no expected part: a ", expected " in it is sent text.
    let none_expected =
        msg.ends_with("there are no fields") || msg.ends_with("there are no variants");
    let expected = || {
        let part = msg.rsplit_once(", expected ").map(|(_, e)| e).filter(|_| !none_expected);
        part.map(Expected::new)
    };
    let quoted = |rest: &str| rest.split('`').next().map(str::to_string);
    if let Some(rest) = msg.strip_prefix("missing field `") {
        (Problem::Missing, quoted(rest))
    } else if let Some(rest) = msg.strip_prefix("duplicate field `") {
        (Problem::Duplicate, quoted(rest))
    } else if msg.starts_with("unknown field `") {
        // serde_path_to_error has the sent key in the path already (kept only if a name).
        (Problem::Unknown { expected: expected() }, None)
    } else if msg.starts_with("invalid type: ") {
        (expected().map_or(Problem::Other, |expected| Problem::WrongType { expected }), None)
    } else if msg.starts_with("invalid value: ") || msg.starts_with("unknown variant `") {
        (expected().map_or(Problem::Other, |expected| Problem::WrongValue { expected }), None)
    } else if msg.starts_with("invalid length ") {
        (expected().map_or(Problem::Other, |expected| Problem::WrongLength { expected }), None)
    } else {
        (Problem::Other, None)
    }
}

#[cfg(test)]
mod tests;
