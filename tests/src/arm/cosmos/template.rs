//! Template deployments of `Microsoft.DocumentDB/databaseAccounts`: the deployments route hands a
//! template here; its parameters are checked (ARM's `InvalidTemplate`), each account resource is
//! evaluated and written through the same handler as a direct PUT, and the outputs are evaluated.
//! The expressions are those `templates/cosmos-cross-tenant-cmk.json` uses — `parameters()`,
//! `resourceGroup()`, `concat()`, `resourceId()` and `reference(…).member` — and no others
//! (ARM template functions reference, learn.microsoft.com/azure/azure-resource-manager/templates).

use super::KIND;
use super::accounts::{self, Mode};
use super::operations;
use crate::reply::{Body, Reply};
use crate::routes::Call;
use crate::state::State;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Why an expression could not be evaluated.
type Eval<T> = Result<T, String>;

struct Scope<'a> {
    state: &'a State,
    parameters: &'a BTreeMap<String, Value>,
    sub: String,
    rg: String,
    rg_location: String,
}

impl Scope<'_> {
    fn resource_group_id(&self) -> String {
        format!("/subscriptions/{}/resourceGroups/{}", self.sub, self.rg)
    }
}

/// A parser over one expression (`[…]` without the brackets).
struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn skip_spaces(&mut self) {
        while self.text.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_spaces();
        if self.text.get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Eval<String> {
        self.skip_spaces();
        let start = self.at;
        while self
            .text
            .get(self.at)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.at += 1;
        }
        if start == self.at {
            return Err(format!("a name was expected at position {start}"));
        }
        Ok(String::from_utf8_lossy(&self.text[start..self.at]).into_owned())
    }

    fn string(&mut self) -> Eval<String> {
        let mut out = Vec::new();
        loop {
            match self.text.get(self.at) {
                None => return Err("a string literal is not closed".into()),
                Some(b'\'') if self.text.get(self.at + 1) == Some(&b'\'') => {
                    out.push(b'\'');
                    self.at += 2;
                }
                Some(b'\'') => {
                    self.at += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(c) => {
                    out.push(*c);
                    self.at += 1;
                }
            }
        }
    }

    fn expression(&mut self, scope: &Scope) -> Eval<Value> {
        if self.eat(b'\'') {
            return self.string().map(Value::String);
        }
        let name = self.ident()?;
        if !self.eat(b'(') {
            return Err(format!("'(' was expected after '{name}'"));
        }
        let mut args = Vec::new();
        if !self.eat(b')') {
            loop {
                args.push(self.expression(scope)?);
                if self.eat(b')') {
                    break;
                }
                if !self.eat(b',') {
                    return Err("',' or ')' was expected".into());
                }
            }
        }
        let mut value = call_function(scope, &name, &args)?;
        while self.eat(b'.') {
            let member = self.ident()?;
            value = value
                .get(&member)
                .cloned()
                .ok_or_else(|| format!("the property '{member}' does not exist"))?;
        }
        Ok(value)
    }
}

fn string_arg<'v>(args: &'v [Value], i: usize, function: &str) -> Eval<&'v str> {
    args.get(i).and_then(Value::as_str).ok_or_else(|| {
        format!(
            "the function '{function}' takes a string as argument {}",
            i + 1
        )
    })
}

fn call_function(scope: &Scope, name: &str, args: &[Value]) -> Eval<Value> {
    match name.to_ascii_lowercase().as_str() {
        "parameters" => {
            let p = string_arg(args, 0, name)?;
            scope
                .parameters
                .get(p)
                .cloned()
                .ok_or_else(|| format!("The template parameter '{p}' is not found."))
        }
        "resourcegroup" => Ok(json!({
            "id": scope.resource_group_id(),
            "name": scope.rg,
            "location": scope.rg_location,
        })),
        "concat" => args
            .iter()
            .map(|a| {
                a.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "concat takes strings here".to_string())
            })
            .collect::<Eval<Vec<String>>>()
            .map(|parts| Value::String(parts.concat())),
        "resourceid" => {
            let kind = string_arg(args, 0, name)?;
            let resource = string_arg(args, 1, name)?;
            Ok(json!(format!(
                "{}/providers/{kind}/{resource}",
                scope.resource_group_id()
            )))
        }
        "reference" => {
            let id = string_arg(args, 0, name)?;
            let api = args
                .get(1)
                .and_then(Value::as_str)
                .unwrap_or(super::STATUS_SINCE);
            let body = scope
                .state
                .resource(id)
                .map(|r| r.body.clone())
                .ok_or_else(|| format!("The Resource '{id}' was not found."))?;
            Ok(accounts::view(scope.state, &body, api)["properties"].clone())
        }
        other => Err(format!(
            "The template function '{other}' is not valid. Please see https://aka.ms/arm-template-expressions for usage details."
        )),
    }
}

/// Evaluates a template string: `[…]` is an expression, `[[…` a literal `[…`.
fn evaluate_string(scope: &Scope, text: &str) -> Eval<Value> {
    if let Some(literal) = text.strip_prefix("[[") {
        return Ok(Value::String(format!("[{literal}")));
    }
    let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
        return Ok(Value::String(text.to_string()));
    };
    let mut parser = Parser {
        text: inner.as_bytes(),
        at: 0,
    };
    let value = parser.expression(scope)?;
    parser.skip_spaces();
    if parser.at != parser.text.len() {
        return Err(format!("unexpected text after position {}", parser.at));
    }
    Ok(value)
}

/// Evaluates every string of a value, object member names included.
fn evaluate(scope: &Scope, value: &Value) -> Eval<Value> {
    Ok(match value {
        Value::String(s) => evaluate_string(scope, s)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| evaluate(scope, v))
                .collect::<Eval<_>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match evaluate_string(scope, k)? {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, evaluate(scope, v)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

fn invalid_template(message: &str) -> Reply {
    crate::arm::error(
        400,
        "InvalidTemplate",
        &format!("Deployment template validation failed: '{message}'."),
    )
}

/// The template's parameter values: the deployment's, else the defaults; checked against the
/// declarations (ARM's parameter validation messages, "Resolve errors for invalid template").
fn parameter_values(
    scope_without: &Scope,
    declared: &Map<String, Value>,
    given: &Map<String, Value>,
) -> Result<BTreeMap<String, Value>, Reply> {
    if let Some(unknown) = given.keys().find(|k| !declared.contains_key(*k)) {
        return Err(invalid_template(&format!(
            "The template parameters '{unknown}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time. The only supported parameters for this template are '{}'. Please see https://aka.ms/arm-pass-parameter-values for usage details.",
            declared.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut values = BTreeMap::new();
    for (name, declaration) in declared {
        let value = match given.get(name).and_then(|g| g.get("value")) {
            Some(v) => v.clone(),
            None => match declaration.get("defaultValue") {
                Some(d) => evaluate(scope_without, d).map_err(|e| invalid_template(&e))?,
                None => {
                    return Err(invalid_template(&format!(
                        "The value for the template parameter '{name}' is not provided. Please see https://aka.ms/arm-create-parameter-file for usage details."
                    )));
                }
            },
        };
        if let Some(text) = value.as_str() {
            let length = text.chars().count() as u64;
            if let Some(min) = declaration["minLength"].as_u64()
                && length < min
            {
                return Err(invalid_template(&format!(
                    "The provided value for the template parameter '{name}' is not valid. Length of the value should be greater than or equal to '{min}'. Please see https://aka.ms/arm-template/#parameters for usage details."
                )));
            }
            if let Some(max) = declaration["maxLength"].as_u64()
                && length > max
            {
                return Err(invalid_template(&format!(
                    "The provided value for the template parameter '{name}' is not valid. Length of the value should be less than or equal to '{max}'. Please see https://aka.ms/arm-template/#parameters for usage details."
                )));
            }
        }
        values.insert(name.clone(), value);
    }
    Ok(values)
}

/// The `{code, message}` of a refused write, as a deployment's error detail.
fn detail(reply: &Reply) -> Value {
    match &reply.body {
        Body::Json(v) => match v.get("error") {
            Some(e) => json!({ "code": e["code"], "message": e["message"] }),
            None => json!({ "code": v["code"], "message": v["message"] }),
        },
        _ => json!({ "code": "Failed", "message": "" }),
    }
}

/// Deploys the template's Cosmos DB accounts and fills `properties.outputs` and
/// `properties.outputResources`. `Err` is a template the deployment PUT refuses; `Ok(Some(error))`
/// a deployment that fails (ARM's `DeploymentFailed` with the provider's error as detail).
pub fn apply(
    call: &Call,
    state: &mut State,
    template: Option<&Value>,
    parameters: Option<&Value>,
    properties: &mut Value,
) -> Result<Option<Value>, Reply> {
    let Some(template) = template else {
        return Ok(None);
    };
    let resources: Vec<Value> = template["resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter(|r| {
                    r["type"]
                        .as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case(KIND))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if resources.is_empty() {
        return Ok(None);
    }
    let (sub, rg, rg_location) = {
        let target = accounts::target(state, call, "")?;
        (target.sub.to_string(), target.rg, target.rg_location)
    };
    let empty = BTreeMap::new();
    let declared = template["parameters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let given = parameters
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let values = {
        let scope = Scope {
            state,
            parameters: &empty,
            sub: sub.clone(),
            rg: rg.clone(),
            rg_location: rg_location.clone(),
        };
        parameter_values(&scope, &declared, &given)?
    };
    let mut output_resources = Vec::new();
    for resource in resources {
        let evaluated = {
            let scope = Scope {
                state,
                parameters: &values,
                sub: sub.clone(),
                rg: rg.clone(),
                rg_location: rg_location.clone(),
            };
            evaluate(&scope, &resource).map_err(|e| invalid_template(&e))?
        };
        let name = evaluated["name"].as_str().unwrap_or_default().to_string();
        let api = evaluated["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        super::supported(&api, &rg_location)?;
        let mut body = Map::new();
        for member in ["location", "tags", "kind", "identity", "properties"] {
            if let Some(v) = evaluated.get(member) {
                body.insert(member.into(), v.clone());
            }
        }
        match accounts::write(call, state, &api, &name, &Value::Object(body), Mode::Put) {
            Ok(done) => {
                operations::finish(state, &done.operation);
                output_resources.push(json!({ "id": done.id }));
            }
            Err(reply) => {
                properties["outputResources"] = json!(output_resources);
                return Ok(Some(json!({
                    "code": "DeploymentFailed",
                    "message": "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
                    "details": [detail(&reply)],
                })));
            }
        }
    }
    let mut outputs = Map::new();
    if let Some(declared) = template["outputs"].as_object() {
        let scope = Scope {
            state,
            parameters: &values,
            sub,
            rg,
            rg_location,
        };
        for (name, output) in declared {
            let value = evaluate(&scope, &output["value"]).map_err(|e| invalid_template(&e))?;
            outputs.insert(
                name.clone(),
                json!({ "type": output["type"], "value": value }),
            );
        }
    }
    properties["outputs"] = Value::Object(outputs);
    properties["outputResources"] = json!(output_resources);
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_and_escapes() {
        let mut p = Parser {
            text: b"'it''s'",
            at: 1,
        };
        assert_eq!(p.string().unwrap(), "it's");
    }
}
