//! Key operations on one vault (specs/keyvault-data/2025-07-01): read a key (404 `KeyNotFound`
//! reads as `None`) and create an RSA key (`POST /keys/{name}/create`, snake_case bodies).

use super::KeyVaultClient;
use crate::http::HttpError;
use azure_core::http::RequestContent;
use azure_security_keyvault_keys::models::{
    CreateKeyParameters, Key, KeyClientCreateKeyOptions, KeyClientGetKeyOptions, KeyOperation,
    KeyType,
};

impl KeyVaultClient {
    /// The current version of key `name`; `None` when the vault has no such key.
    pub async fn get_key(&self, name: &str) -> Result<Option<Key>, HttpError> {
        self.get_key_version(name, None).await
    }

    /// A given version of key `name` (`None` = current); `None` when absent.
    pub async fn get_key_version(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<Option<Key>, HttpError> {
        let path = match version {
            Some(v) => format!("/keys/{name}/{v}"),
            None => format!("/keys/{name}"),
        };
        let options = KeyClientGetKeyOptions {
            key_version: version.map(str::to_owned),
            method_options: self.method_options(),
        };
        match self.keys.get_key(name, Some(options)).await {
            Ok(response) => response
                .into_model()
                .map(Some)
                .map_err(|e| self.map_error("GET", &path, e)),
            Err(e) => match self.map_error("GET", &path, e) {
                err if err.status() == Some(404) => Ok(None),
                err => Err(err),
            },
        }
    }

    /// Creates (or adds a new version of) an RSA key of `size` bits allowing `operations`.
    pub async fn create_rsa_key(
        &self,
        name: &str,
        size: u32,
        operations: &[KeyOperation],
    ) -> Result<Key, HttpError> {
        let path = format!("/keys/{name}/create");
        let parameters = CreateKeyParameters {
            kty: Some(KeyType::Rsa),
            key_size: Some(i32::try_from(size).unwrap_or(i32::MAX)),
            key_ops: Some(operations.to_vec()),
            ..Default::default()
        };
        let content: RequestContent<CreateKeyParameters> = parameters
            .try_into()
            .map_err(|e| self.map_error("POST", &path, e))?;
        let response = self
            .keys
            .create_key(
                name,
                content,
                Some(KeyClientCreateKeyOptions {
                    method_options: self.method_options(),
                }),
            )
            .await
            .map_err(|e| self.map_error("POST", &path, e))?;
        response
            .into_model()
            .map_err(|e| self.map_error("POST", &path, e))
    }
}
