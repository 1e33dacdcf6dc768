//! Acting as the provider's app in the customer's tenant the way Cosmos DB does: the managed
//! identity's token (from the managed-identity endpoint, audience `api://AzureADTokenExchange` or the
//! sovereign cloud's) is the client assertion of the app's client-credentials request to the
//! customer tenant's token endpoint (Entra workload identity federation: "Configure an app to trust a
//! managed identity"; the FIC's issuer, subject and audience must match that token exactly).
//!
//! `doctor` and `cosmos deploy` use it to run the real exchange, one step at a time, so a failure
//! names its link: the identity's token, then the app's token in the customer's tenant, then Key
//! Vault. Tokens are never shown or logged; only their claims are read.

use super::claims::TokenClaims;
use super::error::{AuthContext, CallInfo, HttpError, Service};
use super::stack::{Audience, HttpStack};
use crate::clients::KeyVaultClient;
use crate::{AppId, Cloud, TenantId};
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::http::ClientMethodOptions;
use azure_identity::{
    ClientAssertion, ClientAssertionCredential, ClientAssertionCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
};
use std::fmt;
use std::sync::Arc;
use url::Url;

/// Whether the environment offers a managed-identity endpoint (App Service / Container Apps /
/// Functions style `IDENTITY_ENDPOINT`; on VMs the IMDS endpoint is always at a fixed address).
pub fn identity_endpoint_set(lookup: &dyn Fn(&str) -> Option<String>) -> bool {
    lookup("IDENTITY_ENDPOINT").is_some_and(|v| !v.trim().is_empty())
}

/// The user-assigned identity `client_id` as this host's managed-identity endpoint issues its tokens.
pub struct IdentityTokens {
    credential: Arc<dyn TokenCredential>,
    client_id: AppId,
    cloud: Cloud,
    /// Where the tokens come from, for messages.
    endpoint: Url,
}

impl fmt::Debug for IdentityTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityTokens")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// What went wrong getting a token, and from where.
fn token_error(err: azure_core::Error, url: &Url, auth: &AuthContext) -> HttpError {
    HttpError::from_core(
        err,
        &CallInfo {
            service: Service::Login,
            method: "POST",
            url,
            auth: Some(auth),
        },
    )
}

impl IdentityTokens {
    /// The identity with client id `client_id`, through the shared transport and retry policy.
    pub fn new(stack: &HttpStack, client_id: AppId) -> Result<Self, HttpError> {
        let options = stack.client_options(Service::Login);
        let credential = ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
            user_assigned_id: Some(UserAssignedId::ClientId(client_id.to_string())),
            client_options: options,
        }))
        .map_err(|e| token_error(e, &stack.cloud().login_endpoint, &Self::context(&client_id)))?;
        // azure_identity reads IDENTITY_ENDPOINT itself; without it, the VM's IMDS answers.
        let endpoint = std::env::var("IDENTITY_ENDPOINT")
            .ok()
            .and_then(|e| Url::parse(&e).ok())
            .unwrap_or_else(|| {
                Url::parse("http://169.254.169.254/metadata/identity/oauth2/token")
                    .expect("a valid URL")
            });
        Ok(Self {
            credential,
            client_id,
            cloud: stack.cloud().clone(),
            endpoint,
        })
    }

    fn context(client_id: &AppId) -> AuthContext {
        AuthContext {
            token_service: Service::Login,
            credential: format!("managed identity {client_id}"),
            tenant: None,
            token_url: None,
            hint: Some("the managed-identity endpoint issues tokens only for identities assigned to this host: run on the compute the identity is assigned to".into()),
        }
    }

    /// The identity's token for token exchange (audience `api://AzureADTokenExchange` of this
    /// cloud), as the assertion Entra will compare with the app's federated credentials; its claims.
    pub async fn exchange_token(&self) -> Result<(AccessToken, TokenClaims), HttpError> {
        let scope = Cloud::scope_for(&self.cloud.fic_audience);
        let token = self
            .credential
            .get_token(&[&scope], None)
            .await
            .map_err(|e| token_error(e, &self.endpoint, &Self::context(&self.client_id)))?;
        let claims = TokenClaims::decode(token.token.secret()).map_err(|e| {
            HttpError::from(super::error::AuthError {
                credential: format!("managed identity {}", self.client_id),
                tenant: None,
                message: e.to_string(),
                hint: None,
            })
        })?;
        Ok((token, claims))
    }

    /// The app `app_id` acting in `tenant` with this identity's tokens as its assertion.
    pub fn as_app(
        &self,
        stack: &HttpStack,
        tenant: TenantId,
        app_id: AppId,
    ) -> Result<FederatedApp, HttpError> {
        let assertion = IdentityAssertion {
            credential: self.credential.clone(),
            scope: Cloud::scope_for(&self.cloud.fic_audience),
        };
        let auth = AuthContext {
            token_service: Service::Login,
            credential: format!("app {app_id} through managed identity {}", self.client_id),
            tenant: Some(tenant.to_string()),
            token_url: stack
                .cloud()
                .login_endpoint
                .join(&format!("{tenant}/oauth2/v2.0/token"))
                .ok(),
            hint: None,
        };
        let credential = ClientAssertionCredential::new(
            tenant.to_string(),
            app_id.to_string(),
            assertion,
            Some(ClientAssertionCredentialOptions {
                client_options: stack.client_options(Service::Login),
            }),
        )
        .map_err(|e| {
            token_error(
                e,
                auth.token_url
                    .as_ref()
                    .unwrap_or(&stack.cloud().login_endpoint),
                &auth,
            )
        })?;
        Ok(FederatedApp {
            credential,
            auth,
            tenant,
        })
    }
}

/// The managed identity's token as a client assertion (fetched fresh for every exchange; the
/// identity credential caches it).
struct IdentityAssertion {
    credential: Arc<dyn TokenCredential>,
    scope: String,
}

impl fmt::Debug for IdentityAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityAssertion(***)")
    }
}

#[async_trait::async_trait]
impl ClientAssertion for IdentityAssertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        let token = self.credential.get_token(&[&self.scope], None).await?;
        Ok(token.token.secret().to_string())
    }
}

/// The provider's app signed in to the customer's tenant through the managed identity.
pub struct FederatedApp {
    credential: Arc<ClientAssertionCredential<IdentityAssertion>>,
    auth: AuthContext,
    tenant: TenantId,
}

impl fmt::Debug for FederatedApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FederatedApp")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl FederatedApp {
    /// Exchanges the identity's token for the app's Key Vault token in the customer's tenant; its
    /// claims. A refusal is Entra's answer (`AADSTS…` code) as a [`HttpError`].
    pub async fn key_vault_token(&self, stack: &HttpStack) -> Result<TokenClaims, HttpError> {
        let scope = Audience::KeyVault.scope(stack.cloud());
        let url = self
            .auth
            .token_url
            .clone()
            .unwrap_or_else(|| stack.cloud().login_endpoint.clone());
        let token = self
            .credential
            .get_token(&[&scope], Some(TokenRequestOptions::default()))
            .await
            .map_err(|e| token_error(e, &url, &self.auth))?;
        TokenClaims::decode(token.token.secret()).map_err(|e| {
            HttpError::from(super::error::AuthError {
                credential: self.auth.credential.clone(),
                tenant: self.auth.tenant.clone(),
                message: e.to_string(),
                hint: None,
            })
        })
    }

    /// The Key Vault data plane of `vault_url` as the app in the customer's tenant.
    pub fn key_vault(
        &self,
        stack: &HttpStack,
        vault_url: &Url,
    ) -> Result<KeyVaultClient, HttpError> {
        KeyVaultClient::new(
            vault_url,
            self.credential.clone(),
            stack.client_options(Service::KeyVault),
            self.auth.clone(),
        )
    }
}
