//! The Key Vault keys data plane through `azure_security_keyvault_keys`' `KeyClient`, built over
//! the shared transport and retry policy so its challenge-based authentication (the vault's
//! 401 `WWW-Authenticate` names the resource to get a token for) is the SDK's own.
//!
//! Key facts (specs/keyvault-data/2025-07-01): create is `POST /keys/{name}/create` with
//! snake_case bodies (`kty`, `key_size`, `key_ops`); a missing key answers 404 `KeyNotFound`.

use crate::http::error::{AuthContext, CallInfo};
use crate::http::{HttpError, Service};
use crate::report::{CallObserver, SharedReporter};
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientMethodOptions, ClientOptions, Context};
use azure_security_keyvault_keys::{KeyClient, KeyClientOptions};
use std::fmt;
use std::sync::Arc;
use url::Url;

pub mod keys;

/// One vault's keys, as one principal.
#[derive(Clone)]
pub struct KeyVaultClient {
    vault_url: Url,
    keys: Arc<KeyClient>,
    auth: AuthContext,
    /// Where retry waits are reported, if anywhere.
    observer: Option<SharedReporter>,
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
            observer: None,
        })
    }

    /// This client reporting its waits to `reporter`.
    pub fn observed(&self, reporter: SharedReporter) -> Self {
        let mut client = self.clone();
        client.observer = Some(reporter);
        client
    }

    /// Method options whose context carries the observer.
    pub(crate) fn method_options(&self) -> ClientMethodOptions<'static> {
        ClientMethodOptions {
            context: match &self.observer {
                Some(r) => Context::new().with_value(CallObserver(r.clone())),
                None => Context::new(),
            },
        }
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
}
