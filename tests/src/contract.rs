//! Contract checks. Request bodies are decoded strictly (every model has
//! `deny_unknown_fields`) into models written after `../shared/specs`; a body that does not fit
//! is answered in the service's own error shape. Models implement [`SpecModel`] / [`SpecEnum`]
//! naming their spec definition, and [`all_models`] lists them for the conformance test, which
//! compares field names, required fields and enum values with the spec files.

use crate::reply::Reply;
use crate::routes::Call;
use serde::de::{self, DeserializeOwned, Visitor};
use serde_json::Value;
use std::fmt;

/// Whose error shape a refused body is answered in.
#[derive(Debug, Clone, Copy)]
pub enum Dialect {
    Arm,
    /// Graph, naming the entity type (`microsoft.graph.application`).
    Graph(&'static str),
    KeyVault,
    /// Atlas Admin API v2 (`ApiError` with Atlas's codes).
    Atlas,
}

/// What is wrong with a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Empty,
    /// Not JSON at all.
    Syntax(String),
    UnknownField(String),
    MissingField(String),
    /// A value of the wrong type or outside an enum.
    InvalidValue(String),
}

/// A refused body: the problem, where (`properties.mode`) and serde's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    pub problem: Problem,
    pub path: String,
    pub detail: String,
    pub line: usize,
    pub column: usize,
}

fn between_backticks(s: &str) -> String {
    s.split('`').nth(1).unwrap_or_default().to_string()
}

/// Decodes `body` strictly, locating the first problem.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError {
            problem: Problem::Empty,
            path: String::new(),
            detail: "the request body is empty".into(),
            line: 0,
            column: 0,
        });
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let (line, column) = (inner.line(), inner.column());
        let full = inner.to_string();
        let detail = full
            .rsplit_once(" at line ")
            .map(|(d, _)| d.to_string())
            .unwrap_or(full);
        let problem = if inner.is_syntax() || inner.is_eof() {
            Problem::Syntax(detail.clone())
        } else if detail.starts_with("unknown field") {
            Problem::UnknownField(between_backticks(&detail))
        } else if detail.starts_with("missing field") {
            Problem::MissingField(between_backticks(&detail))
        } else {
            Problem::InvalidValue(detail.clone())
        };
        let path = if path == "." { String::new() } else { path };
        BodyError {
            problem,
            path,
            detail,
            line,
            column,
        }
    })
}

/// Joins a JSON path and a member name.
fn member(path: &str, name: &str) -> String {
    match (path.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (false, true) => path.to_string(),
        (false, false) if path.ends_with(name) => path.to_string(),
        (false, false) => format!("{path}.{name}"),
    }
}

/// Decodes the call's body strictly, or answers in `dialect`'s error shape.
pub fn decode<T: DeserializeOwned>(call: &Call, dialect: Dialect) -> Result<T, Reply> {
    parse(&call.body).map_err(|e| refuse(call, dialect, &e))
}

/// The service's answer to a refused body.
pub fn refuse(call: &Call, dialect: Dialect, e: &BodyError) -> Reply {
    let at = format!("line {}, position {}", e.line, e.column);
    match dialect {
        Dialect::Arm => {
            // ARM answers unreadable request content with 400 InvalidRequestContent (ARM RPC guidelines).
            let (code, message) = match &e.problem {
                Problem::Empty => ("InvalidRequestContent", "The request content was invalid and could not be deserialized: the request body is empty.".to_string()),
                Problem::UnknownField(f) => ("InvalidRequestContent", format!("The request content was invalid and could not be deserialized: 'Could not find member '{f}'. Path '{}', {at}.'.", member(&e.path, f))),
                Problem::MissingField(f) => ("MissingRequiredProperty", format!("The request content was invalid: required property '{f}' not found in JSON. Path '{}', {at}.", member(&e.path, f))),
                Problem::InvalidValue(d) => ("InvalidRequestContent", format!("The request content was invalid and could not be deserialized: 'Error converting value at path '{}': {d}. {at}.'.", e.path)),
                Problem::Syntax(d) => ("InvalidRequestContent", format!("The request content was invalid and could not be deserialized: '{d}, {at}.'.")),
            };
            crate::arm::error(400, code, &message)
        }
        Dialect::Graph(entity) => {
            let message = match &e.problem {
                Problem::Empty => "Empty Payload. JSON content expected.".to_string(),
                Problem::UnknownField(f) => format!(
                    "Property '{f}' does not exist as a declared property or extension property of '{entity}'."
                ),
                Problem::MissingField(f) => format!(
                    "A value is required for property '{}' of resource '{entity}'.",
                    member(&e.path, f)
                ),
                Problem::InvalidValue(d) => format!(
                    "Invalid value specified for property '{}' of resource '{entity}': {d}.",
                    e.path
                ),
                Problem::Syntax(d) => format!("Unable to read JSON request payload: {d} ({at})."),
            };
            crate::graph::error(call, 400, "Request_BadRequest", &message)
        }
        Dialect::KeyVault => {
            let message = match &e.problem {
                Problem::UnknownField(f) => format!(
                    "Property '{}' is not a member of the request body ({}).",
                    member(&e.path, f),
                    e.detail
                ),
                Problem::MissingField(f) => {
                    format!("Property '{}' is required.", member(&e.path, f))
                }
                _ => format!("The request body is invalid: {} ({at}).", e.detail),
            };
            crate::keyvault::error(400, "BadParameter", &message)
        }
        // Atlas Administration API Error Codes (mongodb.com/docs/atlas/reference/api-errors).
        Dialect::Atlas => {
            let (code, detail) = match &e.problem {
                Problem::Empty | Problem::Syntax(_) => {
                    ("MALFORMED_JSON", "Received JSON is malformed.".to_string())
                }
                Problem::UnknownField(f) => (
                    "INVALID_ATTRIBUTE",
                    format!("Invalid attribute {f} specified."),
                ),
                Problem::MissingField(f) => (
                    "MISSING_ATTRIBUTE",
                    format!("The required attribute {f} was not specified."),
                ),
                Problem::InvalidValue(_) => (
                    "INVALID_JSON_ATTRIBUTE",
                    format!(
                        "Received JSON for the {} attribute does not match expected format.",
                        e.path.rsplit('.').next().unwrap_or(&e.path)
                    ),
                ),
            };
            crate::atlas::error(400, code, &detail)
        }
    }
}

/// Where a model's contract is written: a file under `../shared/specs` and a definition in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecRef {
    pub file: &'static str,
    pub definition: &'static str,
}

/// A request model written after a spec definition.
pub trait SpecModel: DeserializeOwned {
    const SPEC: SpecRef;
    /// A valid body holding exactly the required members.
    fn example() -> Value;
}

/// An enum written after a spec definition.
pub trait SpecEnum: DeserializeOwned {
    const SPEC: SpecRef;
}

/// What the conformance test compares.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    pub rust_name: &'static str,
    pub spec: SpecRef,
    pub shape: Shape,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    Struct {
        fields: Vec<&'static str>,
        required: Vec<String>,
    },
    Enum {
        variants: Vec<&'static str>,
    },
}

/// Every model the simulator decodes request bodies into.
pub fn all_models() -> Vec<ModelInfo> {
    let mut models = crate::arm::models::registry();
    models.extend(crate::keyvault::models::registry());
    models.extend(crate::arm::user_assigned_identities::registry());
    models.extend(crate::arm::vaults::registry());
    models.extend(crate::arm::role_assignments::registry());
    models.extend(crate::arm::cosmos::models::registry());
    models
}

/// The field names of a struct model and the members it cannot do without.
pub fn struct_info<T: SpecModel>() -> ModelInfo {
    let fields = recorded_names::<T>();
    let example = T::example();
    let required = match &example {
        Value::Object(map) => map
            .keys()
            .filter(|k| {
                let mut without = map.clone();
                without.remove(*k);
                matches!(
                    parse::<T>(Value::Object(without).to_string().as_bytes()),
                    Err(BodyError { problem: Problem::MissingField(f), .. }) if &f == *k
                )
            })
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    ModelInfo {
        rust_name: std::any::type_name::<T>(),
        spec: T::SPEC,
        shape: Shape::Struct { fields, required },
    }
}

pub fn enum_info<T: SpecEnum>() -> ModelInfo {
    ModelInfo {
        rust_name: std::any::type_name::<T>(),
        spec: T::SPEC,
        shape: Shape::Enum {
            variants: recorded_names::<T>(),
        },
    }
}

/// An enum the simulator keeps as a list of accepted strings (compared case-insensitively when
/// a request is checked, as the service does), checked against the spec's enum values.
pub fn list_info(rust_name: &'static str, spec: SpecRef, values: &[&'static str]) -> ModelInfo {
    ModelInfo {
        rust_name,
        spec,
        shape: Shape::Enum {
            variants: values.to_vec(),
        },
    }
}

/// The member names a model decodes (its serde field or variant names), for conformance tests of
/// contracts the registry does not load (Atlas's OpenAPI 3 YAML).
pub fn member_names<T: DeserializeOwned>() -> Vec<&'static str> {
    recorded_names::<T>()
}

/// The names serde's derive passes for a struct's fields or an enum's variants.
pub fn recorded_names<T: DeserializeOwned>() -> Vec<&'static str> {
    let mut names = None;
    let _ = T::deserialize(Recorder(&mut names));
    names.unwrap_or_default().to_vec()
}

struct Recorder<'a>(&'a mut Option<&'static [&'static str]>);

#[derive(Debug)]
struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("names recorded")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for Recorder<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = Some(fields);
        Err(Stop)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = Some(variants);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        properties: Inner,
        #[serde(default)]
        tags: Option<Value>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        mode: Mode,
        debug_setting: Option<Value>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    enum Mode {
        Incremental,
        Complete,
    }

    #[test]
    fn locates_problems() {
        let e = parse::<Outer>(br#"{"properties":{"mode":"Incremental","bogus":1}}"#).unwrap_err();
        assert_eq!(e.problem, Problem::UnknownField("bogus".into()));
        assert_eq!(member(&e.path, "bogus"), "properties.bogus");
        let e = parse::<Outer>(br#"{"properties":{}}"#).unwrap_err();
        assert_eq!(e.problem, Problem::MissingField("mode".into()));
        assert_eq!(member(&e.path, "mode"), "properties.mode");
        let e = parse::<Outer>(br#"{"properties":{"mode":"Partial"}}"#).unwrap_err();
        assert!(
            matches!(e.problem, Problem::InvalidValue(ref d) if d.contains("Partial")),
            "{e:?}"
        );
        assert_eq!(e.path, "properties.mode");
        assert_eq!(parse::<Outer>(b" ").unwrap_err().problem, Problem::Empty);
        assert!(matches!(
            parse::<Outer>(b"{").unwrap_err().problem,
            Problem::Syntax(_)
        ));
    }

    #[test]
    fn records_field_and_variant_names() {
        assert_eq!(recorded_names::<Inner>(), vec!["mode", "debugSetting"]);
        assert_eq!(recorded_names::<Mode>(), vec!["Incremental", "Complete"]);
    }
}
