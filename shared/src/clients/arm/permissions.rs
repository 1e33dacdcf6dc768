//! The caller's effective permissions (`Microsoft.Authorization/permissions`, api-version
//! 2022-04-01) and RBAC action matching.

use super::ArmClient;
use super::role_definitions::AUTHORIZATION_API_VERSION;
use crate::ResourceId;
use crate::http::HttpError;
use serde::{Deserialize, Serialize};

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

impl ArmClient {
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
