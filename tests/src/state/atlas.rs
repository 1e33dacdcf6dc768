//! MongoDB Atlas: organizations' projects, programmatic API keys and service accounts, and per
//! project the encryption-at-rest configuration, its private endpoints, the Azure service
//! principals registered through `cloudProviderAccess`, and the project's events. API keys are
//! kept only as the Digest `HA1` (MD5 of `public:realm:private`, RFC 7616), service-account
//! secrets and the Azure client secret Atlas is given only as SHA-256 hashes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The realm Atlas names in its Digest challenges.
pub const DIGEST_REALM: &str = "MMS Public API";

/// Project roles (Atlas's role names): the owner may change encryption at rest, read-only may read.
pub const GROUP_OWNER: &str = "GROUP_OWNER";
pub const GROUP_READ_ONLY: &str = "GROUP_READ_ONLY";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AtlasState {
    #[serde(default)]
    pub projects: Vec<AtlasProject>,
    #[serde(default)]
    pub api_keys: Vec<AtlasApiKey>,
    #[serde(default)]
    pub service_accounts: Vec<AtlasServiceAccount>,
    /// Ids handed out so far (each new id is derived from this count, so runs are repeatable).
    #[serde(default)]
    pub issued_ids: u64,
}

/// An Atlas project ("group"), id = 24 hex digits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AtlasProject {
    pub id: String,
    pub name: String,
    pub org_id: String,
    pub created: i64,
    /// The largest cluster tier in the project (`M10` and up can use encryption at rest).
    #[serde(default = "default_tier")]
    pub cluster_tier: String,
    /// The stored `encryptionAtRest` document without `valid` (computed on every read) and without
    /// the write-only secret.
    #[serde(default)]
    pub encryption_at_rest: Value,
    /// SHA-256 of the Azure client secret Atlas was given (secret mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_secret_sha256: Option<String>,
    #[serde(default)]
    pub private_endpoints: Vec<EarPrivateEndpoint>,
    #[serde(default)]
    pub azure_service_principals: Vec<AzureServicePrincipalRole>,
    #[serde(default)]
    pub events: Vec<AtlasEvent>,
    /// Why the last check of the Azure key failed (for tests and the admin endpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_key_failure: Option<String>,
}

fn default_tier() -> String {
    "M10".into()
}

/// An encryption-at-rest private endpoint of a project (Azure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EarPrivateEndpoint {
    pub id: String,
    pub region_name: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The private endpoint connection it requested on the customer's vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_name: Option<String>,
    /// The ARM id of that connection (below the vault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
}

/// A `cloudProviderAccess` role for an Azure service principal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureServicePrincipalRole {
    pub id: String,
    pub atlas_azure_app_id: String,
    pub service_principal_id: String,
    pub tenant_id: String,
    pub created: i64,
    pub last_updated: i64,
}

/// One event of a project's activity feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AtlasEvent {
    pub id: String,
    pub event_type_name: String,
    pub created: i64,
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

/// The id a project named `name` gets (24 hex digits derived from the name).
pub fn project_id_for(name: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("atlas-project/{name}").as_bytes(),
    )
    .simple()
    .to_string()[..24]
        .to_string()
}

impl AtlasState {
    /// Adds a project owned by `org_id`; returns its id (derived from the name, 24 hex digits).
    pub fn add_project(&mut self, name: &str, org_id: &str) -> String {
        let id = project_id_for(name);
        self.add_project_with_id(&id, name, org_id, "M10");
        id
    }

    /// Adds a project with a given id and cluster tier.
    pub fn add_project_with_id(&mut self, id: &str, name: &str, org_id: &str, tier: &str) {
        self.projects.push(AtlasProject {
            id: id.into(),
            name: name.into(),
            org_id: org_id.into(),
            created: crate::tokens::now(),
            cluster_tier: tier.into(),
            encryption_at_rest: serde_json::json!({
                "azureKeyVault": { "enabled": false },
            }),
            azure_secret_sha256: None,
            private_endpoints: Vec::new(),
            azure_service_principals: Vec::new(),
            events: Vec::new(),
            last_key_failure: None,
        });
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

    /// A new 24-hex-digit id (role, private endpoint, event), derived from a counter.
    pub fn next_id(&mut self, kind: &str) -> String {
        self.issued_ids += 1;
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("atlas-{kind}/{}", self.issued_ids).as_bytes(),
        )
        .simple()
        .to_string()[..24]
            .to_string()
    }
}

impl AtlasProject {
    /// Whether the cluster tier can use encryption at rest (M10 and up; not M0/M2/M5 or Flex).
    pub fn tier_supports_encryption(&self) -> bool {
        let tier = self.cluster_tier.to_ascii_uppercase();
        !matches!(tier.as_str(), "M0" | "M2" | "M5" | "FLEX")
    }

    /// The endpoints that count as existing (every state until Atlas has deleted them).
    pub fn endpoints_present(&self) -> bool {
        !self.private_endpoints.is_empty()
    }
}

fn roles_on(projects: &[&str], roles: &[&str]) -> BTreeMap<String, Vec<String>> {
    projects
        .iter()
        .map(|p| (p.to_string(), roles.iter().map(|r| r.to_string()).collect()))
        .collect()
}
