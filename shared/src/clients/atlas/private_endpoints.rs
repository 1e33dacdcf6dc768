//! Encryption-at-rest private endpoints for Azure
//! (`/api/atlas/v2/groups/{groupId}/encryptionAtRest/AZURE/privateEndpoints[/{endpointId}]`,
//! Project Owner): list, get, create (202) and request deletion (204). Twin of
//! `tests/src/atlas/private_endpoints.rs`.

use super::AtlasClient;
use crate::atlas::{AtlasRegion, EndpointId, GroupId};
use crate::http::HttpError;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// `AzureKeyVaultEARPrivateEndpoint.status`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EndpointStatus {
    Initiating,
    PendingAcceptance,
    Active,
    Failed,
    PendingRecreation,
    Deleting,
    /// A state newer than this build knows.
    #[serde(untagged)]
    Other(String),
}

impl EndpointStatus {
    pub fn as_str(&self) -> &str {
        match self {
            EndpointStatus::Initiating => "INITIATING",
            EndpointStatus::PendingAcceptance => "PENDING_ACCEPTANCE",
            EndpointStatus::Active => "ACTIVE",
            EndpointStatus::Failed => "FAILED",
            EndpointStatus::PendingRecreation => "PENDING_RECREATION",
            EndpointStatus::Deleting => "DELETING",
            EndpointStatus::Other(s) => s,
        }
    }

    /// A state in which Atlas waits for nobody but itself.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            EndpointStatus::Initiating
                | EndpointStatus::PendingRecreation
                | EndpointStatus::Deleting
        )
    }
}

impl std::fmt::Display for EndpointStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An endpoint as Atlas answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EarPrivateEndpoint {
    pub id: String,
    #[serde(default)]
    pub region_name: String,
    pub status: EndpointStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The connection it requested on the customer's vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_endpoint_connection_name: Option<String>,
}

fn path(group: &GroupId) -> String {
    format!("groups/{group}/encryptionAtRest/AZURE/privateEndpoints")
}

impl AtlasClient {
    pub async fn private_endpoints(
        &self,
        group: &GroupId,
    ) -> Result<Vec<EarPrivateEndpoint>, HttpError> {
        self.list(&path(group)).await
    }

    /// One endpoint; `None` once it is gone.
    pub async fn private_endpoint(
        &self,
        group: &GroupId,
        id: &EndpointId,
    ) -> Result<Option<EarPrivateEndpoint>, HttpError> {
        self.get(&format!("{}/{id}", path(group))).await
    }

    /// Asks Atlas for an endpoint in `region` (202: it starts `INITIATING`).
    pub async fn create_private_endpoint(
        &self,
        group: &GroupId,
        region: AtlasRegion,
    ) -> Result<EarPrivateEndpoint, HttpError> {
        self.post(&path(group), &json!({ "regionName": region.atlas_name() }))
            .await
    }

    /// Requests the deletion (204; the endpoint goes `DELETING`). `false` if it was gone.
    pub async fn request_private_endpoint_deletion(
        &self,
        group: &GroupId,
        id: &EndpointId,
    ) -> Result<bool, HttpError> {
        self.delete(&format!("{}/{id}", path(group))).await
    }
}
