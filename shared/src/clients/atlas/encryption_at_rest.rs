//! `GET` / `PATCH /api/atlas/v2/groups/{groupId}/encryptionAtRest` (`getGroupEncryptionAtRest`,
//! Project Read Only; `updateGroupEncryptionAtRest`, Project Owner). Twin of
//! `tests/src/atlas/encryption_at_rest.rs`.

use super::AtlasClient;
use crate::atlas::{EncryptionAtRestPatch, EncryptionAtRestView, GroupId, disable_body};
use crate::http::HttpError;

fn path(group: &GroupId) -> String {
    format!("groups/{group}/encryptionAtRest")
}

impl AtlasClient {
    /// The project's encryption-at-rest configuration (Atlas checks `valid` on every read).
    pub async fn encryption_at_rest(
        &self,
        group: &GroupId,
    ) -> Result<EncryptionAtRestView, HttpError> {
        Ok(self.get(&path(group)).await?.unwrap_or_default())
    }

    /// PATCHes the configuration; Atlas checks it by reaching the key before it answers.
    pub async fn update_encryption_at_rest(
        &self,
        group: &GroupId,
        body: &EncryptionAtRestPatch,
    ) -> Result<EncryptionAtRestView, HttpError> {
        self.patch(&path(group), body).await
    }

    /// Turns Azure Key Vault encryption at rest off (`{"azureKeyVault":{"enabled":false}}`).
    pub async fn disable_encryption_at_rest(
        &self,
        group: &GroupId,
    ) -> Result<EncryptionAtRestView, HttpError> {
        self.patch(&path(group), &disable_body()).await
    }
}
