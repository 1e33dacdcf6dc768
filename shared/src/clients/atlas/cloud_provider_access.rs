//! `cloudProviderAccess` for Azure service principals (`GET` Project Read Only, `POST` Project
//! Owner): the role that lets Atlas sign in to a customer's tenant as its own Azure app. Twin of
//! `tests/src/atlas/cloud_provider_access.rs`.

use super::AtlasClient;
use crate::atlas::GroupId;
use crate::http::HttpError;
use crate::{AppId, ObjectId, TenantId};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// `CloudProviderAccessAzureServicePrincipal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureServicePrincipalRole {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(default)]
    pub atlas_azure_app_id: Option<String>,
    #[serde(default)]
    pub service_principal_id: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub created_date: Option<String>,
}

impl AzureServicePrincipalRole {
    /// Whether the role is for `sp` in `tenant`.
    pub fn is_for(&self, tenant: &TenantId, sp: &ObjectId) -> bool {
        self.tenant_id
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(&tenant.to_string()))
            && self
                .service_principal_id
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(&sp.to_string()))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Roles {
    #[serde(default)]
    azure_service_principals: Vec<AzureServicePrincipalRole>,
}

/// The `CloudProviderAccessAzureServicePrincipalRequest` that registers `sp` (the service principal
/// of Atlas's app `atlas_app` in `tenant`).
pub fn azure_request_body(
    tenant: &TenantId,
    sp: &ObjectId,
    atlas_app: &AppId,
) -> serde_json::Value {
    json!({
        "providerName": "AZURE",
        "atlasAzureAppId": atlas_app,
        "servicePrincipalId": sp,
        "tenantId": tenant,
    })
}

impl AtlasClient {
    /// The project's Azure service principal roles.
    pub async fn azure_service_principals(
        &self,
        group: &GroupId,
    ) -> Result<Vec<AzureServicePrincipalRole>, HttpError> {
        let roles: Option<Roles> = self
            .get(&format!("groups/{group}/cloudProviderAccess"))
            .await?;
        Ok(roles
            .map(|r| r.azure_service_principals)
            .unwrap_or_default())
    }

    /// Registers `sp` (the service principal of Atlas's app `atlas_app` in `tenant`).
    pub async fn create_azure_service_principal(
        &self,
        group: &GroupId,
        tenant: &TenantId,
        sp: &ObjectId,
        atlas_app: &AppId,
    ) -> Result<AzureServicePrincipalRole, HttpError> {
        self.post(
            &format!("groups/{group}/cloudProviderAccess"),
            &azure_request_body(tenant, sp, atlas_app),
        )
        .await
    }
}
