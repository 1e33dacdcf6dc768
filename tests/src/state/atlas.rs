//! MongoDB Atlas: organizations' projects, programmatic API keys and service accounts. API keys
//! are kept only as the Digest `HA1` (MD5 of `public:realm:private`, RFC 7616), service-account
//! secrets only as SHA-256 hashes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The realm Atlas names in its Digest challenges.
pub const DIGEST_REALM: &str = "MMS Public API";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AtlasState {
    #[serde(default)]
    pub projects: Vec<AtlasProject>,
    #[serde(default)]
    pub api_keys: Vec<AtlasApiKey>,
    #[serde(default)]
    pub service_accounts: Vec<AtlasServiceAccount>,
}

/// An Atlas project ("group"), id = 24 hex digits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AtlasProject {
    pub id: String,
    pub name: String,
    pub org_id: String,
    pub created: i64,
    /// The `encryptionAtRest` document (GET answers it; PATCH routes update it).
    #[serde(default)]
    pub encryption_at_rest: Value,
}

/// A programmatic API key with its roles per project id (`GROUP_OWNER`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AtlasApiKey {
    pub public_key: String,
    /// Hex MD5 of `public_key:realm:private_key`.
    pub digest_ha1: String,
    #[serde(default)]
    pub project_roles: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AtlasServiceAccount {
    pub client_id: String,
    pub secret_sha256: String,
    #[serde(default)]
    pub project_roles: BTreeMap<String, Vec<String>>,
}

/// Hex MD5 of a string (Digest's hash).
pub fn md5_hex(text: &str) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(text.as_bytes()))
}

impl AtlasState {
    /// Adds a project owned by `org_id`; returns its id (derived from the name, 24 hex digits).
    pub fn add_project(&mut self, name: &str, org_id: &str) -> String {
        let id = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("atlas-project/{name}").as_bytes(),
        )
        .simple()
        .to_string()[..24]
            .to_string();
        self.projects.push(AtlasProject {
            id: id.clone(),
            name: name.into(),
            org_id: org_id.into(),
            created: crate::tokens::now(),
            encryption_at_rest: serde_json::json!({
                "azureKeyVault": { "enabled": false },
            }),
        });
        id
    }

    /// Adds an API key with `roles` on each of `projects`.
    pub fn add_api_key(
        &mut self,
        public_key: &str,
        private_key: &str,
        projects: &[&str],
        roles: &[&str],
    ) {
        self.api_keys.push(AtlasApiKey {
            public_key: public_key.into(),
            digest_ha1: md5_hex(&format!("{public_key}:{DIGEST_REALM}:{private_key}")),
            project_roles: roles_on(projects, roles),
        });
    }

    /// Adds a service account with `roles` on each of `projects`.
    pub fn add_service_account(
        &mut self,
        client_id: &str,
        secret: &str,
        projects: &[&str],
        roles: &[&str],
    ) {
        self.service_accounts.push(AtlasServiceAccount {
            client_id: client_id.into(),
            secret_sha256: super::secret_hash(secret),
            project_roles: roles_on(projects, roles),
        });
    }

    pub fn project(&self, id: &str) -> Option<&AtlasProject> {
        self.projects.iter().find(|p| p.id == id)
    }

    pub fn project_mut(&mut self, id: &str) -> Option<&mut AtlasProject> {
        self.projects.iter_mut().find(|p| p.id == id)
    }

    /// The roles a principal (API key public key or service account client id) holds on a project.
    pub fn roles(&self, principal: &str, project: &str) -> Vec<String> {
        let from_keys = self
            .api_keys
            .iter()
            .filter(|k| k.public_key == principal)
            .flat_map(|k| k.project_roles.get(project).cloned().unwrap_or_default());
        let from_accounts = self
            .service_accounts
            .iter()
            .filter(|a| a.client_id == principal)
            .flat_map(|a| a.project_roles.get(project).cloned().unwrap_or_default());
        from_keys.chain(from_accounts).collect()
    }
}

fn roles_on(projects: &[&str], roles: &[&str]) -> BTreeMap<String, Vec<String>> {
    projects
        .iter()
        .map(|p| (p.to_string(), roles.iter().map(|r| r.to_string()).collect()))
        .collect()
}
