//! The Key Vault keys data plane through `azure_security_keyvault_keys`' `KeyClient`, built over
//! the shared transport and retry policy so its challenge-based authentication (the vault's
//! 401 `WWW-Authenticate` names the resource to get a token for) is the SDK's own.
//!
//! Key facts (specs/keyvault-data/2025-07-01): create is `POST /keys/{name}/create` with
//! snake_case bodies (`kty`, `key_size`, `key_ops`); a missing key answers 404 `KeyNotFound`.

use crate::http::error::{AuthContext, CallInfo};
use crate::http::{HttpError, Service};
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, RequestContent};
use azure_security_keyvault_keys::models::{
    CreateKeyParameters, Key, KeyClientGetKeyOptions, KeyOperation, KeyType,
};
use azure_security_keyvault_keys::{KeyClient, KeyClientOptions};
use std::fmt;
use std::sync::Arc;
use url::Url;

/// One vault's keys, as one principal.
#[derive(Clone)]
pub struct KeyVaultClient {
    vault_url: Url,
    keys: Arc<KeyClient>,
    auth: AuthContext,
}

impl fmt::Debug for KeyVaultClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyVaultClient")
            .field("vault_url", &self.vault_url.as_str())
            .finish_non_exhaustive()
    }
}

impl KeyVaultClient {
    pub(crate) fn new(
        vault_url: &Url,
        credential: Arc<dyn TokenCredential>,
        client_options: ClientOptions,
        auth: AuthContext,
    ) -> Result<Self, HttpError> {
        let info = CallInfo {
            service: Service::KeyVault,
            method: "GET",
            url: vault_url,
            auth: Some(&auth),
        };
        let options = KeyClientOptions {
            client_options,
            ..Default::default()
        };
        let keys = KeyClient::new(vault_url.as_str(), credential, Some(options))
            .map_err(|e| HttpError::from_core(e, &info))?;
        Ok(Self {
            vault_url: vault_url.clone(),
            keys: Arc::new(keys),
            auth,
        })
    }

    pub fn vault_url(&self) -> &Url {
        &self.vault_url
    }

    /// The SDK client, for key operations without a helper here.
    pub fn keys(&self) -> &KeyClient {
        &self.keys
    }

    /// Turns an SDK error of `method path` on this vault into ours.
    pub fn map_error(&self, method: &str, path: &str, err: azure_core::Error) -> HttpError {
        let url = self
            .vault_url
            .join(path.trim_start_matches('/'))
            .unwrap_or_else(|_| self.vault_url.clone());
        HttpError::from_core(
            err,
            &CallInfo {
                service: Service::KeyVault,
                method,
                url: &url,
                auth: Some(&self.auth),
            },
        )
    }

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
            ..Default::default()
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
            .create_key(name, content, None)
            .await
            .map_err(|e| self.map_error("POST", &path, e))?;
        response
            .into_model()
            .map_err(|e| self.map_error("POST", &path, e))
    }
}
