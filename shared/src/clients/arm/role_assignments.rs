//! Azure RBAC role assignments (`Microsoft.Authorization/roleAssignments`, api-version
//! 2022-04-01, specs/authorization): read, create, delete, list for a principal.

use super::ArmClient;
use super::role_definitions::role_definition_guid;
use crate::http::HttpError;
use crate::{ObjectId, ResourceId};
use serde::Deserialize;
use serde_json::{Value, json};

pub use super::role_definitions::AUTHORIZATION_API_VERSION;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    pub id: String,
    pub name: String,
    pub properties: RoleAssignmentProperties,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentProperties {
    pub role_definition_id: String,
    pub principal_id: String,
    #[serde(default)]
    pub principal_type: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl RoleAssignment {
    /// Whether this assignment gives `principal` the role with GUID `role` (any id form).
    pub fn grants(&self, principal: &ObjectId, role: &str) -> bool {
        self.properties
            .principal_id
            .eq_ignore_ascii_case(&principal.to_string())
            && role_definition_guid(&self.properties.role_definition_id).eq_ignore_ascii_case(role)
    }
}

/// The body of `RoleAssignments_Create` (`RoleAssignmentCreateParameters`).
pub fn role_assignment_body(role_definition_id: &str, principal: &ObjectId) -> Value {
    // principalType ServicePrincipal: the default is User, and a new SP is not yet replicated
    // (PrincipalNotFound); https://aka.ms/docs-principaltype.
    json!({
        "properties": {
            "roleDefinitionId": role_definition_id,
            "principalId": principal.to_string(),
            "principalType": "ServicePrincipal",
        }
    })
}

impl ArmClient {
    /// `GET {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`.
    pub async fn role_assignment(
        &self,
        scope: &ResourceId,
        name: &str,
    ) -> Result<Option<RoleAssignment>, HttpError> {
        self.get(
            &format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
            AUTHORIZATION_API_VERSION,
        )
        .await
    }

    /// `GET {id}` of a role assignment by its full id.
    pub async fn role_assignment_by_id(
        &self,
        id: &str,
    ) -> Result<Option<RoleAssignment>, HttpError> {
        self.get(id, AUTHORIZATION_API_VERSION).await
    }

    /// `PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`.
    pub async fn put_role_assignment(
        &self,
        scope: &ResourceId,
        name: &str,
        body: &Value,
    ) -> Result<RoleAssignment, HttpError> {
        self.put(
            &format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
            AUTHORIZATION_API_VERSION,
            body,
        )
        .await
    }

    /// `DELETE {id}`; `false` when it was already gone.
    pub async fn delete_role_assignment(&self, id: &str) -> Result<bool, HttpError> {
        self.delete(id, AUTHORIZATION_API_VERSION).await
    }

    /// Role assignments at and above `scope` for `principal` (`$filter=assignedTo('{id}')`).
    pub async fn role_assignments_for(
        &self,
        scope: &ResourceId,
        principal: &ObjectId,
    ) -> Result<Vec<RoleAssignment>, HttpError> {
        let filter = format!("assignedTo('{principal}')");
        let mut path =
            format!("{scope}/providers/Microsoft.Authorization/roleAssignments?$filter=");
        path.push_str(&url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>());
        self.list(&path, AUTHORIZATION_API_VERSION).await
    }
}
