//! ARM request bodies, decoded strictly. The deployment models follow
//! `resources-deployments/2026-09-01/deployments.partial-excerpt.json` (checked by the
//! conformance test); the resource group body follows ARM's `ResourceGroup` (not in the saved specs).

use crate::contract::{ModelInfo, SpecEnum, SpecModel, SpecRef, enum_info, struct_info};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const DEPLOYMENTS: &str = "resources-deployments/2026-09-01/deployments.partial-excerpt.json";

const fn deployments(definition: &'static str) -> SpecRef {
    SpecRef {
        file: DEPLOYMENTS,
        definition,
    }
}

/// Every ARM model with a spec definition.
pub fn registry() -> Vec<ModelInfo> {
    vec![
        struct_info::<Deployment>(),
        struct_info::<DeploymentProperties>(),
        struct_info::<TemplateLink>(),
        struct_info::<ParametersLink>(),
        struct_info::<DebugSetting>(),
        struct_info::<OnErrorDeployment>(),
        struct_info::<ExpressionEvaluationOptions>(),
        struct_info::<DeploymentIdentity>(),
        enum_info::<DeploymentMode>(),
        enum_info::<ValidationLevel>(),
        enum_info::<OnErrorDeploymentType>(),
        enum_info::<ExpressionEvaluationOptionsScopeType>(),
        enum_info::<DeploymentIdentityType>(),
    ]
}

/// `PUT .../resourcegroups/{rg}`: `location` required; `id`, `name`, `type` are read-only and ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceGroupCreate {
    pub location: String,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub managed_by: Option<String>,
    #[serde(default)]
    pub properties: Option<Value>,
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub name: Option<Value>,
    #[serde(default, rename = "type")]
    pub kind: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deployment {
    #[serde(default)]
    pub location: Option<String>,
    pub properties: DeploymentProperties,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub identity: Option<DeploymentIdentity>,
}

impl SpecModel for Deployment {
    const SPEC: SpecRef = deployments("Deployment");
    fn example() -> Value {
        json!({ "properties": { "mode": "Incremental", "template": {} } })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentProperties {
    #[serde(default)]
    pub template: Option<Value>,
    #[serde(default)]
    pub template_link: Option<TemplateLink>,
    #[serde(default)]
    pub parameters: Option<Value>,
    #[serde(default)]
    pub external_inputs: Option<Value>,
    #[serde(default)]
    pub external_input_definitions: Option<Value>,
    #[serde(default)]
    pub parameters_link: Option<ParametersLink>,
    #[serde(default)]
    pub extension_configs: Option<Value>,
    pub mode: DeploymentMode,
    #[serde(default)]
    pub debug_setting: Option<DebugSetting>,
    #[serde(default)]
    pub on_error_deployment: Option<OnErrorDeployment>,
    #[serde(default)]
    pub expression_evaluation_options: Option<ExpressionEvaluationOptions>,
    #[serde(default)]
    pub validation_level: Option<ValidationLevel>,
}

impl SpecModel for DeploymentProperties {
    const SPEC: SpecRef = deployments("DeploymentProperties");
    fn example() -> Value {
        json!({ "mode": "Complete" })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum DeploymentMode {
    Incremental,
    Complete,
}

impl SpecEnum for DeploymentMode {
    const SPEC: SpecRef = deployments("DeploymentMode");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum ValidationLevel {
    Template,
    Provider,
    ProviderNoRbac,
}

impl SpecEnum for ValidationLevel {
    const SPEC: SpecRef = deployments("ValidationLevel");
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateLink {
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub relative_path: Option<String>,
    #[serde(default)]
    pub content_version: Option<String>,
    #[serde(default)]
    pub query_string: Option<String>,
}

impl SpecModel for TemplateLink {
    const SPEC: SpecRef = deployments("TemplateLink");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParametersLink {
    pub uri: String,
    #[serde(default)]
    pub content_version: Option<String>,
}

impl SpecModel for ParametersLink {
    const SPEC: SpecRef = deployments("ParametersLink");
    fn example() -> Value {
        json!({ "uri": "https://example.invalid/parameters.json" })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DebugSetting {
    #[serde(default)]
    pub detail_level: Option<String>,
}

impl SpecModel for DebugSetting {
    const SPEC: SpecRef = deployments("DebugSetting");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OnErrorDeployment {
    #[serde(default, rename = "type")]
    pub kind: Option<OnErrorDeploymentType>,
    #[serde(default)]
    pub deployment_name: Option<String>,
}

impl SpecModel for OnErrorDeployment {
    const SPEC: SpecRef = deployments("OnErrorDeployment");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum OnErrorDeploymentType {
    LastSuccessful,
    SpecificDeployment,
}

impl SpecEnum for OnErrorDeploymentType {
    const SPEC: SpecRef = deployments("OnErrorDeploymentType");
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpressionEvaluationOptions {
    #[serde(default)]
    pub scope: Option<ExpressionEvaluationOptionsScopeType>,
}

impl SpecModel for ExpressionEvaluationOptions {
    const SPEC: SpecRef = deployments("ExpressionEvaluationOptions");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ExpressionEvaluationOptionsScopeType {
    NotSpecified,
    Outer,
    Inner,
}

impl SpecEnum for ExpressionEvaluationOptionsScopeType {
    const SPEC: SpecRef = deployments("ExpressionEvaluationOptionsScopeType");
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentIdentity {
    #[serde(rename = "type")]
    pub kind: DeploymentIdentityType,
    #[serde(default)]
    pub user_assigned_identities: Option<BTreeMap<String, Value>>,
}

impl SpecModel for DeploymentIdentity {
    const SPEC: SpecRef = deployments("DeploymentIdentity");
    fn example() -> Value {
        json!({ "type": "None" })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum DeploymentIdentityType {
    None,
    UserAssigned,
}

impl SpecEnum for DeploymentIdentityType {
    const SPEC: SpecRef = deployments("DeploymentIdentityType");
}
