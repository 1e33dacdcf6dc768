//! User-assigned managed identities (ARM).
//!
//! `Microsoft.ManagedIdentity/userAssignedIdentities` 2026-05-31: PUT is synchronous (200/201);
//! `properties.principalId` (the object id a federated credential's subject names) and
//! `properties.clientId` are read-only and assigned by Azure (specs/managedidentity/2026-05-31).

use super::ArmClient;
use crate::http::HttpError;
use crate::{AppId, ObjectId, ResourceId, TenantId};
use serde::{Deserialize, Serialize};

/// Newest stable ManagedIdentity API version in `specs/`.
pub const MANAGED_IDENTITY_API_VERSION: &str = "2026-05-31";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityProperties {
    pub tenant_id: TenantId,
    pub principal_id: ObjectId,
    pub client_id: AppId,
}

/// A user-assigned identity as ARM returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAssignedIdentity {
    pub id: String,
    pub name: String,
    pub location: String,
    pub properties: IdentityProperties,
}

impl ArmClient {
    /// The identity at `id`; `None` when it does not exist (a missing resource group is an error).
    pub async fn user_assigned_identity(
        &self,
        id: &ResourceId,
    ) -> Result<Option<UserAssignedIdentity>, HttpError> {
        self.get(&id.to_string(), MANAGED_IDENTITY_API_VERSION)
            .await
    }

    /// Creates (or updates) the identity at `id` in `location`.
    pub async fn put_user_assigned_identity(
        &self,
        id: &ResourceId,
        location: &str,
    ) -> Result<UserAssignedIdentity, HttpError> {
        self.put(
            &id.to_string(),
            MANAGED_IDENTITY_API_VERSION,
            &serde_json::json!({ "location": location }),
        )
        .await
    }

    /// Every user-assigned identity of `subscription` the caller can read
    /// (`UserAssignedIdentities_ListBySubscription`).
    pub async fn list_user_assigned_identities(
        &self,
        subscription: &crate::SubscriptionId,
    ) -> Result<Vec<UserAssignedIdentity>, HttpError> {
        let path = format!(
            "/subscriptions/{subscription}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
        );
        self.list(&path, MANAGED_IDENTITY_API_VERSION).await
    }
}
