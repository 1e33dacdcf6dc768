//! Azure RBAC (`Microsoft.Authorization`, api-version 2022-04-01, specs/authorization):
//! role assignments, role definitions (built-in and custom) and the caller's permissions.

use super::arm::ArmClient;
use crate::http::HttpError;
use crate::{ObjectId, ResourceId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const AUTHORIZATION_API_VERSION: &str = "2022-04-01";

/// Built-in role definition ids (DESIGN.md §3; specs/authorization/builtin-roles).
pub mod builtin {
    pub const KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER: &str =
        "e147488a-f6f5-4113-8e2d-b22465e65bf6";
    pub const KEY_VAULT_CRYPTO_OFFICER: &str = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";
    pub const KEY_VAULT_CRYPTO_USER: &str = "12338af0-0e69-4776-bea7-57ae8d297424";
    pub const KEY_VAULT_ADMINISTRATOR: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
    pub const KEY_VAULT_READER: &str = "21090545-7ca7-4776-b22c-e363652d74d2";
}

/// `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}`.
pub fn role_definition_id(subscription: &str, guid: &str) -> String {
    format!(
        "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    )
}

/// The GUID at the end of a role definition id.
pub fn role_definition_guid(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub not_actions: Vec<String>,
    #[serde(default)]
    pub data_actions: Vec<String>,
    #[serde(default)]
    pub not_data_actions: Vec<String>,
}

/// Case-insensitive match of an RBAC action pattern (`*` matches any run of characters).
pub fn action_matches(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match p {
            [] => a.is_empty(),
            [b'*', rest @ ..] => (0..=a.len()).any(|i| go(rest, &a[i..])),
            [c, rest @ ..] => a
                .first()
                .is_some_and(|d| d.eq_ignore_ascii_case(c) && go(rest, &a[1..])),
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

/// Whether any permission allows control-plane `action` (Actions minus NotActions).
pub fn allows_action(permissions: &[Permission], action: &str) -> bool {
    permissions.iter().any(|p| {
        p.actions.iter().any(|a| action_matches(a, action))
            && !p.not_actions.iter().any(|a| action_matches(a, action))
    })
}

/// Whether any permission allows data-plane `action` (DataActions minus NotDataActions).
pub fn allows_data_action(permissions: &[Permission], action: &str) -> bool {
    permissions.iter().any(|p| {
        p.data_actions.iter().any(|a| action_matches(a, action))
            && !p.not_data_actions.iter().any(|a| action_matches(a, action))
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinition {
    pub id: String,
    pub name: String,
    pub properties: RoleDefinitionProperties,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinitionProperties {
    #[serde(default)]
    pub role_name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub permissions: Vec<Permission>,
    #[serde(default)]
    pub assignable_scopes: Vec<String>,
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

    /// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`.
    pub async fn role_definition(
        &self,
        scope: &ResourceId,
        guid: &str,
    ) -> Result<Option<RoleDefinition>, HttpError> {
        self.get(
            &format!("{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
            AUTHORIZATION_API_VERSION,
        )
        .await
    }

    /// `PUT {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}` (a custom role).
    pub async fn put_role_definition(
        &self,
        scope: &ResourceId,
        guid: &str,
        body: &Value,
    ) -> Result<RoleDefinition, HttpError> {
        self.put(
            &format!("{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
            AUTHORIZATION_API_VERSION,
            body,
        )
        .await
    }

    /// The caller's effective permissions on a resource group or a resource below one
    /// (`Permissions_ListForResourceGroup` / `Permissions_ListForResource`).
    pub async fn permissions(&self, scope: &ResourceId) -> Result<Vec<Permission>, HttpError> {
        self.list(
            &format!("{scope}/providers/Microsoft.Authorization/permissions"),
            AUTHORIZATION_API_VERSION,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_match_wildcards_minus_not_actions() {
        let owner = Permission {
            actions: vec!["*".into()],
            not_actions: vec![],
            data_actions: vec![],
            not_data_actions: vec![],
        };
        let contributor = Permission {
            actions: vec!["*".into()],
            not_actions: vec!["Microsoft.Authorization/*/Write".into()],
            data_actions: vec![],
            not_data_actions: vec![],
        };
        let write = "Microsoft.Authorization/roleAssignments/write";
        assert!(allows_action(std::slice::from_ref(&owner), write));
        assert!(!allows_action(std::slice::from_ref(&contributor), write));
        assert!(allows_action(
            &[contributor],
            "Microsoft.KeyVault/vaults/write"
        ));
        assert!(!allows_data_action(
            &[owner],
            "Microsoft.KeyVault/vaults/keys/read"
        ));
    }
}
