//! `cloudProviderAccess` for Azure: `GET` / `POST /api/atlas/v2/groups/{groupId}/cloudProviderAccess`
//! and `GET …/cloudProviderAccess/{roleId}` (`listGroupCloudProviderAccess` and
//! `getGroupCloudProviderAccess`: Project Read Only; `createGroupCloudProviderAccess`: Project
//! Owner; `CloudProviderAccessAzureServicePrincipalRequest` / `CloudProviderAccessRoles` of
//! specs/mongodb-atlas).
//!
//! A role registers the service principal of Atlas's own Azure app in a customer's tenant
//! (`providerName: AZURE`, `tenantId`, `servicePrincipalId`); `atlasAzureAppId` "is optional and
//! will be derived" (Atlas's app, [`xtcmk::atlas::ATLAS_AZURE_APP_ID`]). The role's `_id` is what
//! `azureKeyVault.roleId` names. Whether that principal exists is found out when encryption at
//! rest uses the role.

use super::groups::project_for;
use super::{error, require_role};
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::atlas::{AzureServicePrincipalRole, GROUP_READ_ONLY};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/api/atlas/v2/groups/{group}/cloudProviderAccess", list),
        Route::post("/api/atlas/v2/groups/{group}/cloudProviderAccess", create),
        Route::get(
            "/api/atlas/v2/groups/{group}/cloudProviderAccess/{role}",
            get_one,
        ),
    ]
}

/// `CloudProviderAccessRoleRequest.providerName`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ProviderName {
    #[serde(rename = "AWS")]
    Aws,
    #[serde(rename = "AZURE")]
    Azure,
    #[serde(rename = "GCP")]
    Gcp,
}

/// `CloudProviderAccessAzureServicePrincipalRequest` (read-only members accepted and ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureServicePrincipalRequest {
    pub provider_name: ProviderName,
    #[serde(default)]
    pub atlas_azure_app_id: Option<String>,
    #[serde(default)]
    pub service_principal_id: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default, rename = "_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub created_date: Option<String>,
    #[serde(default)]
    pub last_updated_date: Option<String>,
    #[serde(default)]
    pub feature_usages: Option<Value>,
}

pub fn view(r: &AzureServicePrincipalRole) -> Value {
    json!({
        "_id": r.id,
        "providerName": "AZURE",
        "atlasAzureAppId": r.atlas_azure_app_id,
        "servicePrincipalId": r.service_principal_id,
        "tenantId": r.tenant_id,
        "createdDate": crate::auth::utc(r.created),
        "lastUpdatedDate": crate::auth::utc(r.last_updated),
        "featureUsages": [],
    })
}

fn list(call: &Call) -> Reply {
    let project = match project_for(call) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = require_role(call, &project.id, &[GROUP_READ_ONLY]) {
        return r;
    }
    Reply::ok(json!({
        "awsIamRoles": [],
        "azureServicePrincipals": project.azure_service_principals.iter().map(view).collect::<Vec<_>>(),
        "gcpServiceAccounts": [],
    }))
}

fn get_one(call: &Call) -> Reply {
    let project = match project_for(call) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = require_role(call, &project.id, &[GROUP_READ_ONLY]) {
        return r;
    }
    match project
        .azure_service_principals
        .iter()
        .find(|r| r.id == call.param("role"))
    {
        Some(r) => Reply::ok(view(r)),
        None => error(
            404,
            "RESOURCE_NOT_FOUND",
            &format!("Cannot find resource {}.", call.param("role")),
        ),
    }
}

fn create(call: &Call) -> Reply {
    let project = match project_for(call) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = require_role(call, &project.id, &[]) {
        return r;
    }
    let body: AzureServicePrincipalRequest = match decode(call, Dialect::Atlas) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let _ = (
        &body.id,
        &body.created_date,
        &body.last_updated_date,
        &body.feature_usages,
    );
    if body.provider_name != ProviderName::Azure {
        return error(
            400,
            "INVALID_PROVIDER",
            &format!(
                "No provider {:?} exists. (xtcmk-sim plays Azure service principals only.)",
                body.provider_name
            ),
        );
    }
    let mut guids = Vec::new();
    for (name, value) in [
        ("tenantId", &body.tenant_id),
        ("servicePrincipalId", &body.service_principal_id),
    ] {
        let Some(v) = value else {
            return error(
                400,
                "MISSING_ATTRIBUTE",
                &format!("The required attribute {name} was not specified."),
            );
        };
        if v.parse::<xtcmk::ObjectId>().is_err() {
            return error(
                400,
                "INVALID_JSON_ATTRIBUTE",
                &format!("Received JSON for the {name} attribute does not match expected format."),
            );
        }
        guids.push(v.to_ascii_lowercase());
    }
    let app = body
        .atlas_azure_app_id
        .clone()
        .unwrap_or_else(|| xtcmk::atlas::ATLAS_AZURE_APP_ID.to_string());
    let mut state = call.state();
    let id = state.atlas.next_id("role");
    let now = crate::tokens::now();
    let role = AzureServicePrincipalRole {
        id,
        atlas_azure_app_id: app,
        tenant_id: guids[0].clone(),
        service_principal_id: guids[1].clone(),
        created: now,
        last_updated: now,
    };
    let answer = view(&role);
    if let Some(p) = state.atlas.project_mut(&project.id) {
        p.azure_service_principals.push(role);
    }
    Reply::ok(answer)
}
