//! Signing in: which `azure_identity` credential to use (`--auth`, `XTCMK_AUTH`) and one cached
//! credential per tenant, because the provider's and the customer's tenants differ.
//!
//! Secrets are read only from the environment, never from a flag (flags land in shell history):
//! - client secret: `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, `AZURE_TENANT_ID`;
//! - workload identity: `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`;
//! - managed identity: `IDENTITY_ENDPOINT` (+ `IDENTITY_HEADER`, App Service style) or the VM's
//!   IMDS; `AZURE_CLIENT_ID` selects a user-assigned identity;
//! - Azure CLI: whatever `az login` left behind (`az account get-access-token --tenant …`).
//!
//! All credential HTTP (token endpoints, managed identity endpoint) goes through the shared
//! transport, the retry policy and the cloud's login host (a custom authority host for custom
//! clouds, via `ClientOptions.cloud`).

use super::claims::TokenClaims;
use super::error::{AuthContext, CallInfo, HttpError, Service};
use crate::{Cloud, InputError, Secret, TenantId};
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{ClientOptions, Context, Request};
use azure_core::time::OffsetDateTime;
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use url::Url;

/// How to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuthMethod {
    /// Client secret, workload identity or managed identity when their environment variables
    /// are set (in that order), else the Azure CLI.
    #[default]
    Auto,
    /// The Azure CLI's signed-in account (`az login`).
    Cli,
    /// A service principal's secret from AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID.
    ClientSecret,
    /// A federated token file (AZURE_FEDERATED_TOKEN_FILE), e.g. Kubernetes or CI OIDC.
    WorkloadIdentity,
    /// The managed identity of the Azure compute this runs on.
    ManagedIdentity,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Auto => "auto",
            AuthMethod::Cli => "cli",
            AuthMethod::ClientSecret => "client-secret",
            AuthMethod::WorkloadIdentity => "workload-identity",
            AuthMethod::ManagedIdentity => "managed-identity",
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `--auth` flag. Secrets are never flags; they come from the environment.
#[derive(Debug, Clone, clap::Args)]
pub struct AuthArgs {
    /// How to sign in: auto, cli, client-secret, workload-identity or managed-identity. Secrets are
    /// read from the environment only (AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE, ...).
    #[arg(long = "auth", env = "XTCMK_AUTH", value_enum, default_value_t = AuthMethod::Auto, global = true)]
    pub auth: AuthMethod,
}

/// A resolved way to get tokens, with the values it needs.
#[derive(Clone, Debug)]
pub enum AuthSource {
    AzureCli,
    ClientSecret {
        client_id: String,
        secret: Secret,
        home_tenant: TenantId,
    },
    WorkloadIdentity {
        client_id: String,
        home_tenant: TenantId,
        token_file: PathBuf,
    },
    ManagedIdentity {
        client_id: Option<String>,
    },
    /// A credential supplied by the embedding program (e.g. an in-process test harness).
    Custom {
        name: String,
        credential: Arc<dyn TokenCredential>,
    },
}

fn missing(method: AuthMethod, names: &[&str]) -> InputError {
    InputError::new("--auth", method.as_str(), format!("{} not set in the environment", names.join(", ")))
        .with_fix(match method {
            AuthMethod::ClientSecret => {
                "export AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_TENANT_ID (never pass a secret as a flag), or use --auth cli after `az login`"
            }
            AuthMethod::WorkloadIdentity => {
                "export AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE (set by the workload identity webhook or your CI's OIDC step), or use --auth cli"
            }
            _ => "set the variables, or use --auth cli after `az login`",
        })
}

impl AuthSource {
    /// Resolves `method` against an environment (`lookup` returns a variable's value).
    pub fn resolve(
        method: AuthMethod,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, InputError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let tenant = |method: AuthMethod| -> Result<TenantId, InputError> {
            let value =
                get("AZURE_TENANT_ID").ok_or_else(|| missing(method, &["AZURE_TENANT_ID"]))?;
            TenantId::parse_field("AZURE_TENANT_ID", &value)
        };
        match method {
            AuthMethod::Auto => {
                if ["AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"]
                    .iter()
                    .all(|n| get(n).is_some())
                {
                    Self::resolve(AuthMethod::ClientSecret, lookup)
                } else if get("AZURE_FEDERATED_TOKEN_FILE").is_some() {
                    Self::resolve(AuthMethod::WorkloadIdentity, lookup)
                } else if get("IDENTITY_ENDPOINT").is_some() {
                    Self::resolve(AuthMethod::ManagedIdentity, lookup)
                } else {
                    Ok(AuthSource::AzureCli)
                }
            }
            AuthMethod::Cli => Ok(AuthSource::AzureCli),
            AuthMethod::ClientSecret => {
                let absent: Vec<&str> =
                    ["AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"]
                        .into_iter()
                        .filter(|n| get(n).is_none())
                        .collect();
                if !absent.is_empty() {
                    return Err(missing(method, &absent));
                }
                Ok(AuthSource::ClientSecret {
                    client_id: get("AZURE_CLIENT_ID").unwrap_or_default(),
                    secret: Secret::new(lookup("AZURE_CLIENT_SECRET").unwrap_or_default()),
                    home_tenant: tenant(method)?,
                })
            }
            AuthMethod::WorkloadIdentity => {
                let absent: Vec<&str> = [
                    "AZURE_CLIENT_ID",
                    "AZURE_TENANT_ID",
                    "AZURE_FEDERATED_TOKEN_FILE",
                ]
                .into_iter()
                .filter(|n| get(n).is_none())
                .collect();
                if !absent.is_empty() {
                    return Err(missing(method, &absent));
                }
                Ok(AuthSource::WorkloadIdentity {
                    client_id: get("AZURE_CLIENT_ID").unwrap_or_default(),
                    home_tenant: tenant(method)?,
                    token_file: PathBuf::from(
                        get("AZURE_FEDERATED_TOKEN_FILE").unwrap_or_default(),
                    ),
                })
            }
            AuthMethod::ManagedIdentity => Ok(AuthSource::ManagedIdentity {
                client_id: get("AZURE_CLIENT_ID"),
            }),
        }
    }

    /// The credential's name, for messages.
    pub fn label(&self) -> &str {
        match self {
            AuthSource::AzureCli => "Azure CLI",
            AuthSource::ClientSecret { .. } => "client secret",
            AuthSource::WorkloadIdentity { .. } => "workload identity",
            AuthSource::ManagedIdentity { .. } => "managed identity",
            AuthSource::Custom { name, .. } => name,
        }
    }

    /// The tenant a token request goes to when none is named.
    pub fn home_tenant(&self) -> Option<TenantId> {
        match self {
            AuthSource::ClientSecret { home_tenant, .. }
            | AuthSource::WorkloadIdentity { home_tenant, .. } => Some(*home_tenant),
            _ => None,
        }
    }

    fn hint(&self, tenant: Option<&str>) -> String {
        let tenant_flag = tenant.map(|t| format!(" --tenant {t}")).unwrap_or_default();
        match self {
            AuthSource::AzureCli => format!(
                "sign in with `az login{tenant_flag}` (the Azure CLI must be on PATH), or choose another --auth (client-secret, workload-identity, managed-identity)"
            ),
            AuthSource::ClientSecret { .. } => {
                "check AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_TENANT_ID, and that the app has a service principal in the tenant asked for".into()
            }
            AuthSource::WorkloadIdentity { .. } => {
                "check that AZURE_FEDERATED_TOKEN_FILE is readable and current, and that the app trusts its issuer and subject (federated credential)".into()
            }
            AuthSource::ManagedIdentity { .. } => {
                "managed identity works only on Azure compute with an identity assigned; elsewhere use --auth cli or client-secret".into()
            }
            AuthSource::Custom { .. } => "check the credential supplied to the tool".into(),
        }
    }

    fn token_url(&self, cloud: &Cloud, tenant: Option<&TenantId>) -> Option<Url> {
        match self {
            AuthSource::ClientSecret { home_tenant, .. }
            | AuthSource::WorkloadIdentity { home_tenant, .. } => {
                let t = tenant.unwrap_or(home_tenant);
                cloud
                    .login_endpoint
                    .join(&format!("{t}/oauth2/v2.0/token"))
                    .ok()
            }
            _ => None,
        }
    }
}

/// Keeps token-endpoint error answers whole: any non-2xx answer becomes an `HttpResponse` error
/// carrying the raw response, which the error mapping reads as Entra's `error_description` and
/// `AADSTS` code. Needed because `azure_identity` 1.0 parses `error_description` as a borrowed
/// string and fails on the escaped line breaks every real Entra description contains
/// (`…\r\nTrace ID: …`), losing status, code and trace id. Sits before the retry policy, so
/// throttling is still retried first.
#[derive(Debug)]
pub(crate) struct TokenErrorPolicy;

#[async_trait::async_trait]
impl Policy for TokenErrorPolicy {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        let response = next[0].send(ctx, request, &next[1..]).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let raw = response.try_into_raw_response().await?;
        let code = super::error::ParsedBody::parse(raw.body()).code;
        Err(azure_core::Error::with_message(
            ErrorKind::HttpResponse {
                status,
                error_code: code,
                raw_response: Some(Box::new(raw)),
            },
            format!("the token endpoint answered {}", u16::from(status)),
        ))
    }
}

/// Caches tokens per scope until five minutes before they expire. The Azure CLI credential
/// has no cache of its own and would run `az` for every new pipeline and claims check.
#[derive(Debug)]
struct CachedCredential {
    inner: Arc<dyn TokenCredential>,
    tokens: tokio::sync::Mutex<HashMap<Vec<String>, AccessToken>>,
}

impl CachedCredential {
    fn new(inner: Arc<dyn TokenCredential>) -> Self {
        Self {
            inner,
            tokens: tokio::sync::Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait::async_trait]
impl TokenCredential for CachedCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let key: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        // Held across the fetch so concurrent callers wait for one `az` run.
        let mut tokens = self.tokens.lock().await;
        let fresh_until = OffsetDateTime::now_utc() + azure_core::time::Duration::minutes(5);
        if let Some(token) = tokens.get(&key).filter(|t| t.expires_on > fresh_until) {
            return Ok(token.clone());
        }
        let token = self.inner.get_token(scopes, options).await?;
        tokens.insert(key, token.clone());
        Ok(token)
    }
}

/// One cached credential per tenant (`None` = the source's own default tenant).
pub struct Credentials {
    source: AuthSource,
    cloud: Cloud,
    login_options: ClientOptions,
    cache: Mutex<HashMap<Option<TenantId>, Arc<dyn TokenCredential>>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("source", &self.source.label())
            .field("cloud", &self.cloud.name)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// `login_options` carries the shared transport, retry policy and the cloud's authority host.
    pub fn new(source: AuthSource, cloud: Cloud, login_options: ClientOptions) -> Self {
        Self {
            source,
            cloud,
            login_options,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn source(&self) -> &AuthSource {
        &self.source
    }

    /// What a failure of this credential should say about it.
    pub(crate) fn context(&self, tenant: Option<&TenantId>) -> AuthContext {
        let tenant_text = tenant
            .map(ToString::to_string)
            .or_else(|| self.source.home_tenant().map(|t| t.to_string()));
        AuthContext {
            token_service: Service::Login,
            credential: self.source.label().to_string(),
            hint: Some(self.source.hint(tenant_text.as_deref())),
            tenant: tenant_text,
            token_url: self.source.token_url(&self.cloud, tenant),
        }
    }

    /// The credential for `tenant`, created on first use and cached.
    pub fn for_tenant(
        &self,
        tenant: Option<&TenantId>,
    ) -> Result<Arc<dyn TokenCredential>, HttpError> {
        let key = match self.source {
            // A managed identity lives in one tenant; the tenant cannot be chosen.
            AuthSource::ManagedIdentity { .. } | AuthSource::Custom { .. } => None,
            _ => tenant.copied(),
        };
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(c) = cache.get(&key) {
            return Ok(c.clone());
        }
        let created = self.create(key.as_ref()).map_err(|e| {
            let ctx = self.context(key.as_ref());
            let url = ctx
                .token_url
                .clone()
                .unwrap_or_else(|| self.cloud.login_endpoint.clone());
            HttpError::from_core(
                e,
                &CallInfo {
                    service: Service::Login,
                    method: "POST",
                    url: &url,
                    auth: Some(&ctx),
                },
            )
        })?;
        cache.insert(key, created.clone());
        Ok(created)
    }

    fn create(&self, tenant: Option<&TenantId>) -> azure_core::Result<Arc<dyn TokenCredential>> {
        let options = self.login_options.clone();
        Ok(match &self.source {
            AuthSource::AzureCli => Arc::new(CachedCredential::new(AzureCliCredential::new(
                Some(AzureCliCredentialOptions {
                    tenant_id: tenant.map(ToString::to_string),
                    ..Default::default()
                }),
            )?)),
            AuthSource::ClientSecret {
                client_id,
                secret,
                home_tenant,
            } => ClientSecretCredential::new(
                &tenant.unwrap_or(home_tenant).to_string(),
                client_id.clone(),
                azure_core::credentials::Secret::new(secret.expose().to_string()),
                Some(ClientSecretCredentialOptions {
                    client_options: options,
                }),
            )?,
            AuthSource::WorkloadIdentity {
                client_id,
                home_tenant,
                token_file,
            } => WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: options,
                },
                client_id: Some(client_id.clone()),
                tenant_id: Some(tenant.unwrap_or(home_tenant).to_string()),
                token_file_path: Some(token_file.clone()),
            }))?,
            AuthSource::ManagedIdentity { client_id } => {
                ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                    user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                    client_options: options,
                }))?
            }
            AuthSource::Custom { credential, .. } => credential.clone(),
        })
    }

    /// The claims of the principal signed in for `tenant`, from a token for `scope`.
    pub async fn claims(
        &self,
        tenant: Option<&TenantId>,
        scope: &str,
    ) -> Result<TokenClaims, HttpError> {
        let credential = self.for_tenant(tenant)?;
        let ctx = self.context(tenant);
        let url = ctx
            .token_url
            .clone()
            .unwrap_or_else(|| self.cloud.login_endpoint.clone());
        let token = credential.get_token(&[scope], None).await.map_err(|e| {
            HttpError::from_core(
                e,
                &CallInfo {
                    service: Service::Login,
                    method: "POST",
                    url: &url,
                    auth: Some(&ctx),
                },
            )
        })?;
        TokenClaims::decode(token.token.secret()).map_err(|e| {
            super::error::AuthError {
                credential: ctx.credential.clone(),
                tenant: ctx.tenant.clone(),
                message: e.to_string(),
                hint: None,
            }
            .into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn auto_picks_by_environment() {
        let secret = [
            ("AZURE_CLIENT_ID", "app"),
            ("AZURE_CLIENT_SECRET", "s3cr3t-value"),
            ("AZURE_TENANT_ID", TENANT),
        ];
        let source = AuthSource::resolve(AuthMethod::Auto, &env(&secret)).unwrap();
        assert!(matches!(source, AuthSource::ClientSecret { .. }));
        assert!(!format!("{source:?}").contains("s3cr3t-value"));

        let wi = [
            ("AZURE_CLIENT_ID", "app"),
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
        ];
        assert!(matches!(
            AuthSource::resolve(AuthMethod::Auto, &env(&wi)).unwrap(),
            AuthSource::WorkloadIdentity { .. }
        ));

        let mi = [("IDENTITY_ENDPOINT", "http://localhost:42/msi/token")];
        assert!(matches!(
            AuthSource::resolve(AuthMethod::Auto, &env(&mi)).unwrap(),
            AuthSource::ManagedIdentity { client_id: None }
        ));

        assert!(matches!(
            AuthSource::resolve(AuthMethod::Auto, &env(&[])).unwrap(),
            AuthSource::AzureCli
        ));
        // A secret without its tenant is not enough for auto.
        let partial = [("AZURE_CLIENT_ID", "app"), ("AZURE_CLIENT_SECRET", "x")];
        assert!(matches!(
            AuthSource::resolve(AuthMethod::Auto, &env(&partial)).unwrap(),
            AuthSource::AzureCli
        ));
    }

    #[test]
    fn explicit_methods_name_missing_variables() {
        let err = AuthSource::resolve(
            AuthMethod::ClientSecret,
            &env(&[("AZURE_CLIENT_ID", "app")]),
        )
        .unwrap_err();
        assert_eq!(err.field, "--auth");
        assert!(
            err.problem.contains("AZURE_CLIENT_SECRET, AZURE_TENANT_ID"),
            "{}",
            err.problem
        );
        assert!(err.fix.unwrap().contains("never pass a secret as a flag"));
        let err = AuthSource::resolve(AuthMethod::WorkloadIdentity, &env(&[])).unwrap_err();
        assert!(err.problem.contains("AZURE_FEDERATED_TOKEN_FILE"));
        let bad_tenant = [
            ("AZURE_CLIENT_ID", "app"),
            ("AZURE_CLIENT_SECRET", "x"),
            ("AZURE_TENANT_ID", "contoso.com"),
        ];
        assert_eq!(
            AuthSource::resolve(AuthMethod::ClientSecret, &env(&bad_tenant))
                .unwrap_err()
                .field,
            "AZURE_TENANT_ID"
        );
        assert!(matches!(
            AuthSource::resolve(AuthMethod::Cli, &env(&bad_tenant)).unwrap(),
            AuthSource::AzureCli
        ));
    }

    #[derive(Debug, Default)]
    struct Counting {
        calls: std::sync::atomic::AtomicU32,
        lifetime_minutes: i64,
    }

    #[async_trait::async_trait]
    impl TokenCredential for Counting {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let expires = OffsetDateTime::now_utc()
                + azure_core::time::Duration::minutes(self.lifetime_minutes);
            Ok(AccessToken::new(format!("token-{n}"), expires))
        }
    }

    #[tokio::test]
    async fn cached_credential_reuses_fresh_tokens_only() {
        let inner = Arc::new(Counting {
            lifetime_minutes: 60,
            ..Default::default()
        });
        let cached = CachedCredential::new(inner.clone());
        let a = cached.get_token(&["scope-a"], None).await.unwrap();
        let b = cached.get_token(&["scope-a"], None).await.unwrap();
        assert_eq!(a.token.secret(), b.token.secret());
        cached.get_token(&["scope-b"], None).await.unwrap();
        assert_eq!(inner.calls.load(std::sync::atomic::Ordering::SeqCst), 2);

        let short = Arc::new(Counting {
            lifetime_minutes: 4,
            ..Default::default()
        });
        let cached = CachedCredential::new(short.clone());
        cached.get_token(&["scope-a"], None).await.unwrap();
        cached.get_token(&["scope-a"], None).await.unwrap();
        assert_eq!(
            short.calls.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "near expiry: refetched"
        );
    }

    #[test]
    fn auth_flag_parses() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            auth: AuthArgs,
        }
        let cli = Cli::try_parse_from(["x", "--auth", "workload-identity"]).unwrap();
        assert_eq!(cli.auth.auth, AuthMethod::WorkloadIdentity);
        assert!(Cli::try_parse_from(["x", "--auth", "password"]).is_err());
    }
}
