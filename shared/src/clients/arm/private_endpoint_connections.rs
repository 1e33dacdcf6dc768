//! A vault's private endpoint connections (`…/vaults/{vault}/privateEndpointConnections[/{name}]`,
//! Key Vault management api-version 2026-02-01; `PrivateEndpointConnectionItem`): list, and
//! answer one (Approved or Rejected). Twin of `tests/src/arm/private_endpoint_connections.rs`.

use super::ArmClient;
use super::vaults::KEYVAULT_API_VERSION;
use crate::ResourceId;
use crate::http::HttpError;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointConnection {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub etag: Option<String>,
    pub properties: ConnectionProperties,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionProperties {
    #[serde(default)]
    pub private_endpoint: Option<PrivateEndpointRef>,
    #[serde(default)]
    pub private_link_service_connection_state: Option<ConnectionState>,
    #[serde(default)]
    pub provisioning_state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateEndpointRef {
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionState {
    #[serde(default)]
    pub status: Option<String>,
    /// The requester's message (or the owner's reason once answered).
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub actions_required: Option<String>,
}

impl PrivateEndpointConnection {
    /// `Pending`, `Approved`, `Rejected`, `Disconnected`.
    pub fn status(&self) -> &str {
        self.properties
            .private_link_service_connection_state
            .as_ref()
            .and_then(|s| s.status.as_deref())
            .unwrap_or("Pending")
    }

    pub fn message(&self) -> &str {
        self.properties
            .private_link_service_connection_state
            .as_ref()
            .and_then(|s| s.description.as_deref())
            .unwrap_or_default()
    }

    /// The ARM id of the requester's private endpoint.
    pub fn private_endpoint_id(&self) -> &str {
        self.properties
            .private_endpoint
            .as_ref()
            .and_then(|p| p.id.as_deref())
            .unwrap_or_default()
    }
}

fn connections_path(vault: &ResourceId) -> String {
    format!("{vault}/privateEndpointConnections")
}

impl ArmClient {
    pub async fn private_endpoint_connections(
        &self,
        vault: &ResourceId,
    ) -> Result<Vec<PrivateEndpointConnection>, HttpError> {
        self.list(&connections_path(vault), KEYVAULT_API_VERSION)
            .await
    }

    /// Approves or rejects the connection `name` (`status`: `Approved` or `Rejected`).
    pub async fn answer_private_endpoint_connection(
        &self,
        vault: &ResourceId,
        name: &str,
        status: &str,
        description: &str,
    ) -> Result<PrivateEndpointConnection, HttpError> {
        self.put(
            &format!("{}/{name}", connections_path(vault)),
            KEYVAULT_API_VERSION,
            &json!({ "properties": { "privateLinkServiceConnectionState": {
                "status": status,
                "description": description,
            } } }),
        )
        .await
    }
}
