//! Key operations on one vault (specs/keyvault-data/2025-07-01): read a key (404 `KeyNotFound`
//! reads as `None`), create an RSA key (`POST /keys/{name}/create`, snake_case bodies), and wrap and
//! unwrap bytes with a key's current version (`POST /keys/{name}/wrapkey` / `unwrapkey`, `alg` and
//! base64url `value`), as Cosmos DB does with a customer-managed key.

use super::KeyVaultClient;

/// The Key Vault data-plane api-version (specs/keyvault-data), as the SDK sends it.
pub const DATA_PLANE_API_VERSION: &str = "2025-07-01";
use crate::http::HttpError;
use azure_core::http::RequestContent;
use azure_security_keyvault_keys::models::{
    CreateKeyParameters, EncryptionAlgorithm, Key, KeyClientCreateKeyOptions,
    KeyClientGetKeyOptions, KeyClientUnwrapKeyOptions, KeyClientWrapKeyOptions, KeyOperation,
    KeyOperationParameters, KeyType,
};

/// The result of a wrap: the wrapped bytes and the key version that wrapped them (its `kid`).
#[derive(Clone, PartialEq, Eq)]
pub struct Wrapped {
    pub kid: String,
    pub value: Vec<u8>,
}

impl std::fmt::Debug for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wrapped")
            .field("kid", &self.kid)
            .field("len", &self.value.len())
            .finish()
    }
}

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

    /// Wraps `plain` with version `version` of key `name` (RSA-OAEP-256).
    pub async fn wrap_key(
        &self,
        name: &str,
        version: &str,
        plain: &[u8],
    ) -> Result<Wrapped, HttpError> {
        let path = format!("/keys/{name}/{version}/wrapkey");
        let parameters = KeyOperationParameters {
            algorithm: Some(EncryptionAlgorithm::RsaOaep256),
            value: Some(plain.to_vec()),
            ..Default::default()
        };
        let content: RequestContent<KeyOperationParameters> = parameters
            .try_into()
            .map_err(|e| self.map_error("POST", &path, e))?;
        let result = self
            .keys
            .wrap_key(
                name,
                content,
                Some(KeyClientWrapKeyOptions {
                    key_version: Some(version.to_string()),
                    method_options: self.method_options(),
                }),
            )
            .await
            .map_err(|e| self.map_error("POST", &path, e))?
            .into_model()
            .map_err(|e| self.map_error("POST", &path, e))?;
        Ok(Wrapped {
            kid: result.kid.unwrap_or_default(),
            value: result.result.unwrap_or_default(),
        })
    }

    /// Unwraps `wrapped` with the key version that wrapped it (RSA-OAEP-256).
    pub async fn unwrap_key(&self, name: &str, wrapped: &Wrapped) -> Result<Vec<u8>, HttpError> {
        let version = wrapped
            .kid
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|v| !v.is_empty() && *v != name)
            .unwrap_or_default()
            .to_string();
        let path = format!("/keys/{name}/{version}/unwrapkey");
        let parameters = KeyOperationParameters {
            algorithm: Some(EncryptionAlgorithm::RsaOaep256),
            value: Some(wrapped.value.clone()),
            ..Default::default()
        };
        let content: RequestContent<KeyOperationParameters> = parameters
            .try_into()
            .map_err(|e| self.map_error("POST", &path, e))?;
        let result = self
            .keys
            .unwrap_key(
                name,
                &version,
                content,
                Some(KeyClientUnwrapKeyOptions {
                    method_options: self.method_options(),
                }),
            )
            .await
            .map_err(|e| self.map_error("POST", &path, e))?
            .into_model()
            .map_err(|e| self.map_error("POST", &path, e))?;
        Ok(result.result.unwrap_or_default())
    }
}
