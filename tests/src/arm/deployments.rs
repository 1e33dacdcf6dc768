//! Template deployments at resource-group scope, a long-running PUT
//! (resources-deployments/2026-09-01): `PUT` answers 201 with `Azure-AsyncOperation`, the
//! operation goes Accepted → InProgress → Succeeded over successive polls. Templates are
//! validated for their shape (400 `InvalidTemplate`, "Deployment template validation failed:
//! '…'", azure-quickstart-templates#760 and Azure-Samples/multimodal-rag-code-execution#29),
//! then stored; only their Cosmos DB accounts are deployed (see `cosmos::template`). Every route
//! is authorized first: `Microsoft.Resources/deployments/write|read` at the deployment's id.

use super::models::Deployment;
use super::operations::{self, DEFAULT_STEPS};
use super::{authorize, error, path_scope, resource_group_not_found};
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::{ArmResource, kinds};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const KIND: &str = "Microsoft.Resources/deployments";
const PATTERN: &str =
    "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments/{name}";

pub fn routes() -> Vec<Route> {
    vec![
        Route::put(PATTERN, put),
        Route::get(PATTERN, get),
        Route::get(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments/{name}/operationStatuses/{op}",
            poll,
        ),
    ]
}

/// deploymentName: 1–64 characters matching `^[-\w\._\(\)]+$` (deployments 2026-09-01).
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.()".contains(c))
}

const READ: &str = "Microsoft.Resources/deployments/read";
const WRITE: &str = "Microsoft.Resources/deployments/write";

/// The deployment's id: the path up to `/operationStatuses`.
fn deployment_scope(call: &Call) -> String {
    let path = path_scope(call);
    match path.to_ascii_lowercase().find("/operationstatuses/") {
        Some(i) => path[..i].to_string(),
        None => path,
    }
}

fn poll(call: &Call) -> Reply {
    if let Err(r) = authorize(call, &deployment_scope(call), READ) {
        return r;
    }
    operations::poll(call)
}

fn invalid_template(detail: &str) -> Reply {
    error(
        400,
        "InvalidTemplate",
        &format!("Deployment template validation failed: '{detail}'."),
    )
}

/// The shape ARM checks before it deploys: a JSON object with `$schema`, `contentVersion` and
/// `resources` (an array, or an object of symbolic names for languageVersion 2.0), and every
/// resource with a non-empty `type`, `apiVersion` and `name` (ARM template syntax,
/// learn.microsoft.com/azure/azure-resource-manager/templates/syntax).
fn validate_template(template: &Value) -> Result<(), Reply> {
    let Some(object) = template.as_object() else {
        return Err(invalid_template(
            "The template must be a JSON object. Please see https://aka.ms/arm-syntax for usage details.",
        ));
    };
    for required in ["$schema", "contentVersion", "resources"] {
        if !object.contains_key(required) {
            return Err(invalid_template(&format!(
                "Required property '{required}' not found in JSON. Path 'properties.template'."
            )));
        }
    }
    if !object["contentVersion"].is_string() {
        return Err(invalid_template(
            "The template property 'contentVersion' must be a string like '1.0.0.0'. Path 'properties.template.contentVersion'.",
        ));
    }
    let resources: Vec<(String, &Value)> = match &object["resources"] {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("[{i}]"), r))
            .collect(),
        Value::Object(map) => map.iter().map(|(k, r)| (format!(".{k}"), r)).collect(),
        _ => {
            return Err(invalid_template(
                "The template property 'resources' must be an array (or, with languageVersion 2.0, an object). Path 'properties.template.resources'.",
            ));
        }
    };
    for (at, resource) in resources {
        let text = |k: &str| resource.get(k).and_then(Value::as_str).unwrap_or_default();
        for required in ["type", "apiVersion"] {
            if text(required).trim().is_empty() {
                return Err(invalid_template(&format!(
                    "Required property '{required}' not found in JSON. Path 'properties.template.resources{at}'."
                )));
            }
        }
        if text("name").trim().is_empty() {
            return Err(invalid_template(&format!(
                "The template resource '' of type '{}' at path 'properties.template.resources{at}' is not valid. The name property cannot be null or empty. Please see https://aka.ms/arm-syntax-resources for usage details.",
                text("type")
            )));
        }
    }
    Ok(())
}

fn template_hash(template: Option<&Value>) -> String {
    let text = template.map(Value::to_string).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes).to_string()
}

fn now_rfc3339() -> String {
    crate::auth::utc(crate::tokens::now())
}

fn put(call: &Call) -> Reply {
    if let Err(r) = authorize(call, &path_scope(call), WRITE) {
        return r;
    }
    let request: Deployment = match decode(call, Dialect::Arm) {
        Ok(d) => d,
        Err(reply) => return reply,
    };
    let name = call.param("name").to_string();
    if !valid_name(&name) {
        return error(
            400,
            "InvalidDeploymentName",
            &format!(
                "The deployment name '{name}' is invalid. It must be 1-64 characters of letters, digits, '-', '_', '.', '(' and ')' (pattern ^[-\\w\\._\\(\\)]+$)."
            ),
        );
    }
    let p = &request.properties;
    // "Use either the templateLink property or the template property, but not both." (DeploymentProperties)
    if p.template.is_some() == p.template_link.is_some() {
        return error(
            400,
            "InvalidRequestContent",
            "The request content was invalid: exactly one of 'properties.template' and 'properties.templateLink' must be given.",
        );
    }
    // "Use either the parametersLink property or the parameters property, but not both."
    if p.parameters.is_some() && p.parameters_link.is_some() {
        return error(
            400,
            "InvalidRequestContent",
            "The request content was invalid: 'properties.parameters' and 'properties.parametersLink' cannot both be given.",
        );
    }
    if let Some(template) = &p.template
        && let Err(reply) = validate_template(template)
    {
        return reply;
    }
    let mut state = call.state();
    let (sub_id, rg_name) = match super::subscription(&state, call) {
        Ok((_, sub)) => {
            let Some(rg) = sub
                .resource_groups
                .iter()
                .find(|g| g.name.eq_ignore_ascii_case(call.param("rg")))
            else {
                return resource_group_not_found(call);
            };
            (sub.id, rg.name.clone())
        }
        Err(reply) => return reply,
    };
    let id = crate::state::resource_id(&sub_id, &rg_name, KIND, &name);
    if operations::running(&state, &id) {
        return error(
            409,
            "DeploymentActive",
            &format!(
                "Unable to edit or replace deployment '{name}': previous deployment is still active. Please see https://aka.ms/arm-deploy for usage details."
            ),
        );
    }
    let existed = state.resource(&id).is_some();
    let mut properties = json!({
        "templateHash": template_hash(p.template.as_ref()),
        "mode": p.mode,
        "provisioningState": DEFAULT_STEPS[0],
        "timestamp": now_rfc3339(),
        "duration": "PT0S",
        "correlationId": call
            .header("x-ms-correlation-request-id")
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        "providers": [],
        "dependencies": [],
        "outputs": {},
        "outputResources": [],
    });
    if let Some(level) = p.validation_level {
        properties["validationLevel"] = json!(level);
    }
    // The template's Cosmos DB accounts are deployed through their own handler.
    let failure = match super::cosmos::template::apply(
        call,
        &mut state,
        p.template.as_ref(),
        p.parameters.as_ref(),
        &mut properties,
    ) {
        Ok(failure) => failure,
        Err(reply) => return reply,
    };
    let mut body = json!({
        "id": id,
        "name": name,
        "type": KIND,
        "properties": properties,
    });
    if let Some(location) = &request.location {
        body["location"] = json!(location);
    }
    if let Some(tags) = &request.tags {
        body["tags"] = json!(tags);
    }
    state.put_resource(ArmResource {
        id: id.clone(),
        subscription: sub_id,
        resource_group: rg_name,
        kind: KIND.into(),
        name: name.clone(),
        body: body.clone(),
    });
    let op = match failure {
        None => operations::start(&mut state, &id, &DEFAULT_STEPS),
        Some(e) => {
            let op = operations::start(&mut state, &id, &["Accepted", "Running", "Failed"]);
            if let Some(o) = state.operations.get_mut(&op) {
                o.error = Some(e);
            }
            op
        }
    };
    drop(state);
    if !existed {
        call.sim.replication.created(kinds::DEPLOYMENT, &id);
    }
    Reply::json(if existed { 200 } else { 201 }, body)
        .header(
            "Azure-AsyncOperation",
            operations::status_url(call, &id, &op),
        )
        .header("Retry-After", call.sim.lro_retry_after().to_string())
}

fn get(call: &Call) -> Reply {
    if let Err(r) = authorize(call, &path_scope(call), READ) {
        return r;
    }
    let state = call.state();
    let sub_id = match super::subscription(&state, call) {
        Ok((_, sub)) => sub.id,
        Err(reply) => return reply,
    };
    let id = crate::state::resource_id(&sub_id, call.param("rg"), KIND, call.param("name"));
    let found = state
        .resource(&id)
        .filter(|_| call.sim.replication.visible(kinds::DEPLOYMENT, &id));
    match found {
        Some(resource) => Reply::ok(resource.body.clone()),
        None => error(
            404,
            "DeploymentNotFound",
            &format!("Deployment '{}' could not be found.", call.param("name")),
        ),
    }
}
