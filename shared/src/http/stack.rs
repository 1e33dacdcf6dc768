//! [`HttpStack`]: built once per process from the cloud profile, the sign-in method and the retry
//! settings; hands out one pipeline per API audience and tenant (ARM, Graph, Key Vault) plus the
//! Atlas client, all over the same transport, retry policy and sleeper.

use super::auth::{AuthMethod, AuthSource, Credentials};
use super::call::ServiceClient;
use super::claims::TokenClaims;
use super::error::{AuthContext, HttpError, Service};
use super::pacing::{Pacer, PacingPolicy, PacingSettings};
use super::retry::{RetryPolicy, RetrySettings, ScaledSleeper, Sleeper};
use super::transport;
use crate::clients::arm::ArmClient;
use crate::clients::atlas::{AtlasAuth, AtlasClient};
use crate::clients::graph::GraphClient;
use crate::clients::keyvault::KeyVaultClient;
use crate::{Cloud, InputError, TenantId};
use async_trait::async_trait;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::http::policies::Policy;
use azure_core::http::policies::PolicyResult;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    ClientOptions, Context, HttpClient, LoggingOptions, Pipeline, Request, RetryOptions, Transport,
};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// An API audience a token can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    Arm,
    Graph,
    KeyVault,
    ManagedHsm,
}

impl Audience {
    /// The `.default` scope of this audience in `cloud`.
    pub fn scope(self, cloud: &Cloud) -> String {
        Cloud::scope_for(match self {
            Audience::Arm => &cloud.resource_manager_audience,
            Audience::Graph => &cloud.graph_audience,
            Audience::KeyVault => &cloud.key_vault_audience,
            Audience::ManagedHsm => &cloud.managed_hsm_audience,
        })
    }
}

type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Builds an [`HttpStack`]; everything but the cloud has a default.
pub struct HttpStackBuilder {
    cloud: Cloud,
    auth: AuthMethod,
    settings: RetrySettings,
    pacing: PacingSettings,
    sleeper: Option<Arc<dyn Sleeper>>,
    http_client: Option<Arc<dyn HttpClient>>,
    credential: Option<(String, Arc<dyn TokenCredential>)>,
    env: Option<EnvLookup>,
}

impl HttpStackBuilder {
    /// The sign-in method (default `auto`).
    pub fn auth(mut self, auth: AuthMethod) -> Self {
        self.auth = auth;
        self
    }

    /// Retry and polling settings (default [`RetrySettings::default`]).
    pub fn retry(mut self, settings: RetrySettings) -> Self {
        self.settings = settings;
        self
    }

    /// What pacing assumes about ARM's buckets (default: Azure's refill rates).
    pub fn pacing(mut self, settings: PacingSettings) -> Self {
        self.pacing = settings;
        self
    }

    /// Replaces the default [`ScaledSleeper`] (its clock is also what pacing measures by).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// Replaces the `reqwest` client built from the cloud profile (an in-process responder).
    pub fn http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Uses `credential` for every tenant instead of resolving `--auth`.
    pub fn credential(
        mut self,
        name: impl Into<String>,
        credential: Arc<dyn TokenCredential>,
    ) -> Self {
        self.credential = Some((name.into(), credential));
        self
    }

    /// Reads the sign-in variables through `lookup` instead of the process environment.
    pub fn env(mut self, lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.env = Some(Arc::new(lookup));
        self
    }

    pub fn build(self) -> Result<HttpStack, InputError> {
        let http_client: Arc<dyn HttpClient> = match self.http_client {
            Some(c) => c,
            None => Arc::new(transport::build_client(&self.cloud)?),
        };
        let transport = Transport::new(http_client);
        let recorder = Arc::new(ScaledSleeper::new(self.settings.time_scale));
        let sleeper: Arc<dyn Sleeper> = self.sleeper.unwrap_or_else(|| recorder.clone());
        let source = match self.credential {
            Some((name, credential)) => AuthSource::Custom { name, credential },
            None => {
                let env = self
                    .env
                    .unwrap_or_else(|| Arc::new(|name: &str| std::env::var(name).ok()));
                AuthSource::resolve(self.auth, &*env)?
            }
        };
        let settings = Arc::new(self.settings);
        let pacing = PacingSettings {
            max_hold: self.pacing.max_hold.min(settings.max_delay),
            ..self.pacing
        };
        let pacer = Arc::new(Pacer::new(pacing, sleeper.clone()));
        let mut stack = Inner {
            cloud: self.cloud,
            settings,
            pacer,
            sleeper,
            recorder,
            transport,
            credentials: None,
            clients: Mutex::new(HashMap::new()),
            vaults: Mutex::new(HashMap::new()),
        };
        let login_options = stack.client_options(Service::Login, None);
        stack.credentials = Some(Credentials::new(source, stack.cloud.clone(), login_options));
        Ok(HttpStack {
            inner: Arc::new(stack),
        })
    }
}

/// Puts `xtcmk/<version>` first in the `User-Agent` the SDK's policy set (its application id
/// cannot hold a `/`).
#[derive(Debug)]
struct UserAgentPrefix;

#[async_trait]
impl Policy for UserAgentPrefix {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        let name = azure_core::http::headers::USER_AGENT;
        let value = match request.headers().get_optional_str(&name) {
            Some(sdk) if !sdk.starts_with(transport::USER_AGENT) => {
                format!("{} {sdk}", transport::USER_AGENT)
            }
            Some(sdk) => sdk.to_string(),
            None => transport::USER_AGENT.to_string(),
        };
        request.insert_header(name, value);
        next[0].send(ctx, request, &next[1..]).await
    }
}

struct Inner {
    cloud: Cloud,
    settings: Arc<RetrySettings>,
    /// Paces ARM subscriptions and Graph tenants across every pipeline of this stack.
    pacer: Arc<Pacer>,
    sleeper: Arc<dyn Sleeper>,
    recorder: Arc<ScaledSleeper>,
    transport: Transport,
    credentials: Option<Credentials>,
    /// One pipeline per (service, base URL, tenant, audience), so its token cache is shared.
    clients: Mutex<HashMap<ClientKey, ServiceClient>>,
    vaults: Mutex<HashMap<(String, Option<TenantId>), KeyVaultClient>>,
}

type ClientKey = (Service, String, Option<TenantId>, Audience);

impl Inner {
    fn cloud_configuration(&self) -> CloudConfiguration {
        let mut custom = CustomConfiguration::default();
        custom.authority_host = self
            .cloud
            .login_endpoint
            .as_str()
            .trim_end_matches('/')
            .to_string();
        custom.into()
    }

    /// `tenant`: whose Graph this pipeline reaches (Graph is paced per tenant).
    fn client_options(&self, service: Service, tenant: Option<String>) -> ClientOptions {
        let retry: Arc<dyn Policy> = Arc::new(RetryPolicy::new(
            service,
            (*self.settings).clone(),
            self.sleeper.clone(),
        ));
        // After the retry policy, so every attempt is paced (and a retry waits out a 429's hold).
        let pacing: Arc<dyn Policy> =
            Arc::new(PacingPolicy::new(self.pacer.clone(), service, tenant));
        let mut per_call: Vec<Arc<dyn Policy>> = vec![retry, pacing, Arc::new(UserAgentPrefix)];
        if service == Service::Login {
            per_call.insert(0, Arc::new(super::auth::TokenErrorPolicy));
        }
        ClientOptions {
            per_call_policies: per_call,
            retry: RetryOptions::none(),
            transport: Some(self.transport.clone()),
            logging: LoggingOptions {
                additional_allowed_header_names: [
                    "azure-asyncoperation",
                    "location",
                    "retry-after-ms",
                    "x-ms-retry-after-ms",
                    "x-ms-correlation-request-id",
                    "client-request-id",
                    "x-ms-ratelimit-remaining-subscription-writes",
                    "x-ms-ratelimit-remaining-subscription-reads",
                    "x-ms-ratelimit-remaining-subscription-deletes",
                    "consistencylevel",
                    "prefer",
                ]
                .into_iter()
                .map(Into::into)
                .collect(),
                additional_allowed_query_params: ["$filter", "$select", "$top", "$count"]
                    .into_iter()
                    .map(Into::into)
                    .collect(),
            },
            cloud: Some(Arc::new(self.cloud_configuration())),
            ..Default::default()
        }
    }
}

/// The process's HTTP stack. Cheap to clone.
#[derive(Clone)]
pub struct HttpStack {
    inner: Arc<Inner>,
}

impl fmt::Debug for HttpStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpStack")
            .field("cloud", &self.inner.cloud.name)
            .finish_non_exhaustive()
    }
}

impl HttpStack {
    pub fn builder(cloud: Cloud) -> HttpStackBuilder {
        HttpStackBuilder {
            cloud,
            auth: AuthMethod::Auto,
            settings: RetrySettings::default(),
            pacing: PacingSettings::default(),
            sleeper: None,
            http_client: None,
            credential: None,
            env: None,
        }
    }

    /// The stack a binary uses: the real transport, credentials from the environment.
    pub fn new(
        cloud: Cloud,
        auth: AuthMethod,
        settings: RetrySettings,
    ) -> Result<Self, InputError> {
        Self::builder(cloud).auth(auth).retry(settings).build()
    }

    /// Like [`HttpStack::new`] with the retry settings read from the environment.
    pub fn from_env(cloud: Cloud, auth: AuthMethod) -> Result<Self, InputError> {
        Self::new(cloud, auth, RetrySettings::from_env()?)
    }

    pub fn cloud(&self) -> &Cloud {
        &self.inner.cloud
    }

    pub fn settings(&self) -> &RetrySettings {
        &self.inner.settings
    }

    pub fn credentials(&self) -> &Credentials {
        self.inner
            .credentials
            .as_ref()
            .expect("credentials are set by the builder")
    }

    /// Every wait requested so far (retries and polling), unscaled, when the default sleeper is
    /// in use; with `XTCMK_RETRY_TIME_SCALE=0` these are the waits that were not slept.
    pub fn requested_waits(&self) -> Vec<Duration> {
        self.inner.recorder.requested()
    }

    /// Client options for a pipeline of `service`: shared transport, our retry policy (and
    /// `RetryOptions::none()`), the cloud's authority host, `xtcmk/<version>` user agent.
    pub fn client_options(&self, service: Service) -> ClientOptions {
        self.inner.client_options(service, None)
    }

    /// The pacer every pipeline of this stack shares (see [`super::pacing`]).
    pub fn pacer(&self) -> &Arc<Pacer> {
        &self.inner.pacer
    }

    /// A pipeline of `service` at `base` with `per_try` policies (authentication) after the retry.
    pub(crate) fn service_client(
        &self,
        service: Service,
        base: Url,
        per_try: Vec<Arc<dyn Policy>>,
        auth: Option<AuthContext>,
    ) -> ServiceClient {
        let tenant = auth.as_ref().and_then(|a| a.tenant.clone());
        let pipeline = Pipeline::new(
            Some("xtcmk"),
            Some(env!("CARGO_PKG_VERSION")),
            self.inner.client_options(service, tenant),
            Vec::new(),
            per_try,
            None,
        );
        ServiceClient::new(
            service,
            base,
            pipeline,
            self.inner.settings.clone(),
            self.inner.sleeper.clone(),
            auth,
        )
    }

    /// A bearer-token pipeline of `service` for `audience` in `tenant`.
    pub fn bearer_client(
        &self,
        service: Service,
        base: Url,
        tenant: Option<&TenantId>,
        audience: Audience,
    ) -> Result<ServiceClient, HttpError> {
        let key = (
            service,
            base.as_str().to_string(),
            tenant.copied(),
            audience,
        );
        if let Some(client) = lock(&self.inner.clients).get(&key) {
            return Ok(client.clone());
        }
        let credential = self.credentials().for_tenant(tenant)?;
        let scope = audience.scope(self.cloud());
        // Refuses plain-http URLs: tokens only travel over TLS.
        let bearer: Arc<dyn Policy> =
            Arc::new(BearerTokenAuthorizationPolicy::new(credential, [scope]));
        let client = self.service_client(
            service,
            base,
            vec![bearer],
            Some(self.credentials().context(tenant)),
        );
        lock(&self.inner.clients).insert(key, client.clone());
        Ok(client)
    }

    /// Azure Resource Manager as the principal signed in for `tenant`.
    pub fn arm(&self, tenant: Option<&TenantId>) -> Result<ArmClient, HttpError> {
        let base = self.cloud().resource_manager_endpoint.clone();
        Ok(ArmClient::new(self.bearer_client(
            Service::Arm,
            base,
            tenant,
            Audience::Arm,
        )?))
    }

    /// Microsoft Graph v1.0 as the principal signed in for `tenant`.
    pub fn graph(&self, tenant: Option<&TenantId>) -> Result<GraphClient, HttpError> {
        let base = self
            .cloud()
            .graph_endpoint
            .join("v1.0/")
            .expect("v1.0/ is a relative path");
        Ok(GraphClient::new(self.bearer_client(
            Service::Graph,
            base,
            tenant,
            Audience::Graph,
        )?))
    }

    /// The Key Vault data plane of the vault at `vault_url`, as the principal signed in for
    /// `tenant` (the vault's tenant), with the SDK's challenge-based authentication.
    pub fn key_vault(
        &self,
        tenant: Option<&TenantId>,
        vault_url: &Url,
    ) -> Result<KeyVaultClient, HttpError> {
        let key = (vault_url.as_str().to_string(), tenant.copied());
        if let Some(client) = lock(&self.inner.vaults).get(&key) {
            return Ok(client.clone());
        }
        let credential = self.credentials().for_tenant(tenant)?;
        let client = KeyVaultClient::new(
            vault_url,
            credential,
            self.client_options(Service::KeyVault),
            self.credentials().context(tenant),
        )?;
        lock(&self.inner.vaults).insert(key, client.clone());
        Ok(client)
    }

    /// The Atlas Admin API v2 with `auth`.
    pub fn atlas(&self, auth: AtlasAuth) -> Result<AtlasClient, HttpError> {
        AtlasClient::new(self, auth)
    }

    /// The claims of the principal signed in for `tenant`, from a token for `audience`.
    pub async fn signed_in(
        &self,
        tenant: Option<&TenantId>,
        audience: Audience,
    ) -> Result<TokenClaims, HttpError> {
        self.credentials()
            .claims(tenant, &audience.scope(self.cloud()))
            .await
    }
}

/// Locks a cache, recovering from a poisoned lock (a panic elsewhere cannot corrupt a map of
/// clients).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A credential that always returns the same token, for embedding programs that already hold one.
#[derive(Clone)]
pub struct StaticTokenCredential {
    token: crate::Secret,
    expires_in: Duration,
}

impl StaticTokenCredential {
    pub fn new(token: crate::Secret, expires_in: Duration) -> Self {
        Self { token, expires_in }
    }
}

impl fmt::Debug for StaticTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticTokenCredential(***)")
    }
}

#[async_trait]
impl TokenCredential for StaticTokenCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        let expires = azure_core::time::OffsetDateTime::now_utc() + self.expires_in;
        Ok(azure_core::credentials::AccessToken::new(
            self.token.expose().to_string(),
            expires,
        ))
    }
}
