//! Resource groups (`Microsoft.Resources/resourceGroups`).

use super::ArmClient;
use crate::ResourceId;
use crate::http::HttpError;
use serde::Deserialize;

/// Resource groups API version.
pub const RESOURCES_API_VERSION: &str = "2021-04-01";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupInfo {
    pub name: String,
    pub location: String,
}

impl ArmClient {
    /// The resource group at `id`; `None` when it does not exist.
    pub async fn resource_group(
        &self,
        id: &ResourceId,
    ) -> Result<Option<ResourceGroupInfo>, HttpError> {
        match self.get(&id.to_string(), RESOURCES_API_VERSION).await {
            Err(e) if e.is(404, "ResourceGroupNotFound") => Ok(None),
            other => other,
        }
    }
}
