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

/// What a vault says about itself to a caller without a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultProbe {
    /// The vault's challenge names the tenant it takes tokens from.
    Tenant(crate::TenantId),
    /// No vault answers at this host (its name does not resolve, or it is deleted); why, in words.
    Missing(String),
}

/// The tenant of the vault at `vault_url`, from the challenge Key Vault answers a request without a
/// token with: 401 and `WWW-Authenticate: Bearer authorization="https://<login host>/<tenant id>",
/// resource="https://vault.azure.net"` (Key Vault authentication, "authentication flow"). Lets the
/// provider learn a customer vault's tenant without any right on it.
pub async fn vault_tenant(
    stack: &crate::http::HttpStack,
    vault_url: &Url,
) -> Result<VaultProbe, HttpError> {
    let client = stack.service_client(Service::KeyVault, vault_url.clone(), Vec::new(), None);
    // Any data-plane path answers the challenge; listing keys needs the api-version.
    let request = client
        .request(azure_core::http::Method::Get, "keys")?
        .query("api-version", keys::DATA_PLANE_API_VERSION);
    let response = match client.send(request).await {
        Ok(r) => r,
        Err(HttpError::Transport(t)) => {
            return Ok(VaultProbe::Missing(format!(
                "{} does not answer ({})",
                t.host, t.cause
            )));
        }
        Err(e) => return Err(e),
    };
    match response.status {
        401 => {
            let header = response.header("www-authenticate").unwrap_or_default();
            challenge_tenant(header)
                .map(VaultProbe::Tenant)
                .ok_or_else(|| response.error().into())
        }
        404 => Ok(VaultProbe::Missing(response.error().message)),
        _ => Err(response.into_result().err().unwrap_or_else(|| {
            crate::http::RequestError {
                service: Service::KeyVault,
                method: "GET".into(),
                path: vault_url.path().to_string(),
                message: "the vault answered a request without a token".into(),
                hint: None,
            }
            .into()
        })),
    }
}

/// The tenant id at the end of a challenge's `authorization` (or `authorization_uri`) URL.
pub fn challenge_tenant(header: &str) -> Option<crate::TenantId> {
    ["authorization=\"", "authorization_uri=\""]
        .iter()
        .find_map(|key| {
            let start = header.find(key)? + key.len();
            let rest = &header[start..];
            let url = &rest[..rest.find('"')?];
            url.trim_end_matches('/').rsplit('/').next()?.parse().ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_name_the_tenant() {
        let t = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        assert_eq!(
            challenge_tenant(&format!(
                "Bearer authorization=\"https://login.microsoftonline.com/{t}\", resource=\"https://vault.azure.net\""
            ))
            .unwrap()
            .to_string(),
            t
        );
        assert_eq!(
            challenge_tenant(&format!(
                "Bearer authorization_uri=\"https://login.windows.net/{t}/\""
            ))
            .unwrap()
            .to_string(),
            t
        );
        assert!(challenge_tenant("Bearer realm=\"x\"").is_none());
    }
}
