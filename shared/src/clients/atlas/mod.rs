//! MongoDB Atlas Admin API v2 (`{atlasEndpoint}/api/atlas/v2/`), on the same pipeline machinery
//! as Azure, with Atlas's own authentication:
//! - API keys: HTTP Digest (RFC 7616) with the public key as user and the private key as
//!   password, answered per request from the server's `WWW-Authenticate: Digest` challenge;
//! - service accounts: OAuth 2.0 client credentials at `POST /api/oauth/token` (HTTP Basic with
//!   the client id and secret), the access token then sent as a bearer token.
//!
//! Every request and body uses the versioned media type `application/vnd.atlas.2023-01-01+json`
//! (specs/mongodb-atlas, encryptionAtRest operations). Keys and secrets come from the environment
//! (`MONGODB_ATLAS_PUBLIC_API_KEY`/`MONGODB_ATLAS_PRIVATE_API_KEY`, or
//! `MONGODB_ATLAS_CLIENT_ID`/`MONGODB_ATLAS_CLIENT_SECRET`, the names the Atlas CLI uses) or from
//! a JSON file ([`AtlasAuth::from_file`]); never from flags. A 401 names the credential tried.
//!
//! The operations are laid out as their simulator twins in `tests/src/atlas/`:
//! [`encryption_at_rest`], [`private_endpoints`], [`cloud_provider_access`], [`events`].

pub mod cloud_provider_access;
pub mod encryption_at_rest;
pub mod events;
pub mod private_endpoints;

use crate::http::error::AuthContext;
use crate::http::{ApiRequest, ApiResponse, HttpError, HttpStack, Service, ServiceClient};
use crate::{InputError, Secret};
use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{Body, Context, Method, Pipeline, PipelineSendOptions, Request};
use azure_core::time::OffsetDateTime;
use base64::Engine;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex};
use url::Url;

/// The Admin API v2 media type this toolkit speaks.
pub const MEDIA_TYPE: &str = "application/vnd.atlas.2023-01-01+json";

/// How to authenticate to Atlas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AtlasAuth {
    /// A programmatic API key (HTTP Digest).
    ApiKey {
        public_key: String,
        private_key: Secret,
    },
    /// A service account (OAuth 2.0 client credentials).
    ServiceAccount {
        client_id: String,
        client_secret: Secret,
    },
}

impl AtlasAuth {
    /// Reads the credentials from the process environment.
    pub fn from_env() -> Result<Self, InputError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// Service account variables win over API key variables; a half-set pair is refused.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, InputError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let pair = |a: &str, b: &str| -> Result<Option<(String, String)>, InputError> {
            match (get(a), get(b)) {
                (Some(x), Some(y)) => Ok(Some((x.trim().to_string(), y))),
                (None, None) => Ok(None),
                (Some(_), None) => {
                    Err(InputError::new(b, "", format!("{a} is set but {b} is not"))
                        .with_fix(format!("export both {a} and {b}")))
                }
                (None, Some(_)) => {
                    Err(InputError::new(a, "", format!("{b} is set but {a} is not"))
                        .with_fix(format!("export both {a} and {b}")))
                }
            }
        };
        if let Some((client_id, secret)) =
            pair("MONGODB_ATLAS_CLIENT_ID", "MONGODB_ATLAS_CLIENT_SECRET")?
        {
            return Ok(AtlasAuth::ServiceAccount {
                client_id,
                client_secret: Secret::new(secret),
            });
        }
        if let Some((public_key, private_key)) = pair(
            "MONGODB_ATLAS_PUBLIC_API_KEY",
            "MONGODB_ATLAS_PRIVATE_API_KEY",
        )? {
            return Ok(AtlasAuth::ApiKey {
                public_key,
                private_key: Secret::new(private_key),
            });
        }
        Err(InputError::new("MONGODB_ATLAS_PUBLIC_API_KEY", "", "no Atlas credentials in the environment").with_fix(
            "export MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY (an API key with Project Owner), or MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET (a service account), or pass --atlas-credentials FILE; never pass them as flags",
        ))
    }

    /// Reads the credentials from a JSON file: `{"publicApiKey", "privateApiKey"}` or
    /// `{"clientId", "clientSecret"}`. `field` names the flag that gave the path.
    pub fn from_file(field: &str, path: &std::path::Path) -> Result<Self, InputError> {
        let shown = path.display().to_string();
        let fix = "write {\"publicApiKey\": …, \"privateApiKey\": …} or {\"clientId\": …, \"clientSecret\": …} to the file (mode 0600)";
        let text = crate::files::read_text(field, path)?.ok_or_else(|| {
            InputError::new(field, &shown, "the file does not exist").with_fix(fix)
        })?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            // The error names the position only: the file holds secrets.
            InputError::new(
                field,
                &shown,
                format!("not valid JSON (line {}, column {})", e.line(), e.column()),
            )
            .with_fix(fix)
        })?;
        let get = |name: &str| {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let known = ["publicApiKey", "privateApiKey", "clientId", "clientSecret"];
        if let Some(unknown) = value
            .as_object()
            .and_then(|o| o.keys().find(|k| !known.contains(&k.as_str())))
        {
            return Err(InputError::new(
                field,
                &shown,
                format!(
                    "unknown member `{unknown}` (the file has {})",
                    known.join(", ")
                ),
            )
            .with_fix(fix));
        }
        match (
            get("publicApiKey"),
            get("privateApiKey"),
            get("clientId"),
            get("clientSecret"),
        ) {
            (Some(public_key), Some(private_key), None, None) => Ok(AtlasAuth::ApiKey {
                public_key,
                private_key: Secret::new(private_key),
            }),
            (None, None, Some(client_id), Some(client_secret)) => Ok(AtlasAuth::ServiceAccount {
                client_id,
                client_secret: Secret::new(client_secret),
            }),
            _ => Err(InputError::new(
                field,
                &shown,
                "it must hold exactly one pair: publicApiKey and privateApiKey, or clientId and clientSecret",
            )
            .with_fix(fix)),
        }
    }

    /// Which credential this is, for messages (never the secret part).
    pub fn describe(&self) -> String {
        match self {
            AtlasAuth::ApiKey { public_key, .. } => format!("the Atlas API key `{public_key}`"),
            AtlasAuth::ServiceAccount { client_id, .. } => {
                format!("the Atlas service account `{client_id}`")
            }
        }
    }
}

/// The project role an Admin API v2 call needs (the spec's `x-rolesRequirements`): reading the
/// encryption-at-rest settings, the events and the cloud provider access roles takes Project Read
/// Only; everything else used here (changes, and the private endpoints even to read) Project Owner.
pub fn required_role(method: &str, path: &str) -> &'static str {
    let read = method.eq_ignore_ascii_case("GET");
    let read_only_resource = path.ends_with("/encryptionAtRest")
        || path.ends_with("/events")
        || path.contains("/cloudProviderAccess");
    if read && read_only_resource {
        "Project Read Only"
    } else {
        "Project Owner"
    }
}

/// Answers Atlas's Digest challenges (RFC 7616), reusing the last challenge with an increasing
/// nonce count and answering a fresh one (e.g. `stale=true`) once per request.
pub struct DigestAuthPolicy {
    username: String,
    password: Secret,
    challenge: Mutex<Option<digest_auth::WwwAuthenticateHeader>>,
}

impl fmt::Debug for DigestAuthPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestAuthPolicy")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl DigestAuthPolicy {
    pub fn new(username: String, password: Secret) -> Self {
        Self {
            username,
            password,
            challenge: Mutex::new(None),
        }
    }

    /// The `Authorization` value for `request` under the cached challenge, if there is one.
    fn authorization(&self, request: &Request) -> Option<String> {
        let mut guard = self.challenge.lock().unwrap_or_else(|p| p.into_inner());
        let challenge = guard.as_mut()?;
        let url = request.url();
        let uri = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let body: Option<Cow<'_, [u8]>> = match request.body() {
            Body::Bytes(b) if !b.is_empty() => Some(Cow::Owned(b.to_vec())),
            _ => None,
        };
        let method = digest_auth::HttpMethod(Cow::Owned(request.method().to_string()));
        let context = digest_auth::AuthContext::new_with_method(
            self.username.as_str(),
            self.password.expose(),
            uri,
            body,
            method,
        );
        challenge
            .respond(&context)
            .ok()
            .map(|h| h.to_header_string())
    }
}

#[async_trait]
impl Policy for DigestAuthPolicy {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        if request.url().scheme() != "https" {
            return Err(azure_core::Error::with_message(
                ErrorKind::Other,
                "Atlas API keys are only sent over https",
            ));
        }
        if let Some(value) = self.authorization(request) {
            request.insert_header("authorization", value);
        }
        let response = next[0].send(ctx, request, &next[1..]).await?;
        if u16::from(response.status()) != 401 {
            return Ok(response);
        }
        let Some(header) = response
            .headers()
            .get_optional_str(&"www-authenticate".into())
            .map(str::to_owned)
        else {
            return Ok(response);
        };
        if !header
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("digest")
        {
            return Ok(response);
        }
        let Ok(parsed) = digest_auth::parse(&header) else {
            return Ok(response);
        };
        *self.challenge.lock().unwrap_or_else(|p| p.into_inner()) = Some(parsed);
        let Some(value) = self.authorization(request) else {
            return Ok(response);
        };
        drop(response);
        request.body_mut().reset().await?;
        request.insert_header("authorization", value);
        next[0].send(ctx, request, &next[1..]).await
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// OAuth 2.0 client credentials for an Atlas service account, cached until a minute before expiry.
pub struct AtlasServiceAccountCredential {
    client_id: String,
    client_secret: Secret,
    token_url: Url,
    pipeline: Pipeline,
    /// Held across a fetch, so concurrent callers (a batch) wait for one token, not fetch many.
    cached: tokio::sync::Mutex<Option<AccessToken>>,
}

impl fmt::Debug for AtlasServiceAccountCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtlasServiceAccountCredential")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl AtlasServiceAccountCredential {
    fn new(stack: &HttpStack, client_id: String, client_secret: Secret, token_url: Url) -> Self {
        let pipeline = Pipeline::new(
            Some("xtcmk"),
            Some(env!("CARGO_PKG_VERSION")),
            stack.client_options(Service::Atlas),
            Vec::new(),
            Vec::new(),
            None,
        );
        Self {
            client_id,
            client_secret,
            token_url,
            pipeline,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    async fn fetch(&self) -> azure_core::Result<AccessToken> {
        if self.token_url.scheme() != "https" {
            return Err(azure_core::Error::with_message(
                ErrorKind::Credential,
                "Atlas service account secrets are only sent over https",
            ));
        }
        let mut request = Request::new(self.token_url.clone(), Method::Post);
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.client_id,
            self.client_secret.expose()
        ));
        request.insert_header("authorization", format!("Basic {basic}"));
        request.insert_header("accept", "application/json");
        request.insert_header("content-type", "application/x-www-form-urlencoded");
        request.set_body("grant_type=client_credentials");
        let options = PipelineSendOptions {
            skip_checks: true,
            ..Default::default()
        };
        let response = self
            .pipeline
            .send(&Context::new(), &mut request, Some(options))
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(azure_core::Error::with_message(
                ErrorKind::HttpResponse {
                    status,
                    error_code: None,
                    raw_response: Some(Box::new(response)),
                },
                "the Atlas token endpoint refused the service account",
            ));
        }
        let parsed: TokenResponse = serde_json::from_slice(response.body())?;
        let expires_on = OffsetDateTime::now_utc()
            + azure_core::time::Duration::seconds(parsed.expires_in.unwrap_or(3600));
        Ok(AccessToken::new(parsed.access_token, expires_on))
    }
}

#[async_trait]
impl TokenCredential for AtlasServiceAccountCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let fresh_until = OffsetDateTime::now_utc() + azure_core::time::Duration::seconds(60);
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| t.expires_on > fresh_until) {
            return Ok(token.clone());
        }
        let token = self.fetch().await.map_err(|e| {
            azure_core::Error::with_error(
                ErrorKind::Credential,
                e,
                "cannot get an Atlas service account token",
            )
        })?;
        *cached = Some(token.clone());
        Ok(token)
    }
}

#[derive(serde::Deserialize)]
struct Link {
    #[serde(default)]
    rel: String,
    #[serde(default)]
    href: String,
}

#[derive(serde::Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    results: Vec<T>,
    #[serde(default)]
    links: Vec<Link>,
}

/// The Atlas Admin API v2.
#[derive(Clone, Debug)]
pub struct AtlasClient {
    client: ServiceClient,
    /// The credential in use, for the hint of a 401 (`the Atlas API key `…``).
    credential: String,
}

impl AtlasClient {
    pub(crate) fn new(stack: &HttpStack, auth: AtlasAuth) -> Result<Self, HttpError> {
        let credential = auth.describe();
        let endpoint = &stack.cloud().atlas_endpoint;
        let base = endpoint
            .join("api/atlas/v2/")
            .expect("a relative path joins");
        let token_url = endpoint
            .join("api/oauth/token")
            .expect("a relative path joins");
        let (policy, context): (Arc<dyn Policy>, AuthContext) = match auth {
            AtlasAuth::ApiKey {
                public_key,
                private_key,
            } => {
                let context = AuthContext {
                    token_service: Service::Atlas,
                    credential: "Atlas API key".into(),
                    tenant: None,
                    token_url: None,
                    hint: Some(
                        "check MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY"
                            .into(),
                    ),
                };
                (
                    Arc::new(DigestAuthPolicy::new(public_key, private_key)),
                    context,
                )
            }
            AtlasAuth::ServiceAccount {
                client_id,
                client_secret,
            } => {
                let label = format!("Atlas service account `{client_id}`");
                let credential = Arc::new(AtlasServiceAccountCredential::new(
                    stack,
                    client_id,
                    client_secret,
                    token_url.clone(),
                ));
                let context = AuthContext {
                    token_service: Service::Atlas,
                    credential: label,
                    tenant: None,
                    token_url: Some(token_url),
                    hint: Some("check MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET and that the service account is not expired".into()),
                };
                (
                    Arc::new(BearerTokenAuthorizationPolicy::new(credential, ["atlas"])),
                    context,
                )
            }
        };
        Ok(Self {
            client: stack.service_client(Service::Atlas, base, vec![policy], Some(context)),
            credential,
        })
    }

    /// This client reporting its waits (retries) to `reporter`.
    pub fn observed(&self, reporter: crate::report::SharedReporter) -> Self {
        Self {
            client: self.client.observed(reporter),
            credential: self.credential.clone(),
        }
    }

    /// The answer as a result; a 401 names the credential that was tried.
    fn checked(&self, response: ApiResponse) -> Result<ApiResponse, HttpError> {
        if response.is_success() {
            return Ok(response);
        }
        let mut error = response.error();
        if response.status == 401 && error.code.as_deref() == Some("USER_UNAUTHORIZED") {
            // Signed in, but the role is short of the one the operation's x-rolesRequirements name.
            error.hint = Some(format!(
                "Atlas accepted {} but its role on the project is not enough: {} {} needs {}; grant it that role on the project (Atlas UI › Project › Access Manager)",
                self.credential,
                error.method,
                error.path,
                required_role(&error.method, &error.path)
            ));
        } else if response.status == 401 {
            error.hint = Some(format!(
                "Atlas refused {}: check it (MONGODB_ATLAS_PUBLIC_API_KEY/MONGODB_ATLAS_PRIVATE_API_KEY, MONGODB_ATLAS_CLIENT_ID/MONGODB_ATLAS_CLIENT_SECRET or the --atlas-credentials file), that it is not expired, that it holds a role on the project and that your address is on its API access list",
                self.credential
            ));
        }
        Err(error.into())
    }

    async fn call(&self, request: ApiRequest) -> Result<ApiResponse, HttpError> {
        let response = self.client.send(request).await?;
        self.checked(response)
    }

    pub fn service_client(&self) -> &ServiceClient {
        &self.client
    }

    /// A request to `path` (relative to `/api/atlas/v2/`) accepting the Atlas media type.
    pub fn request(&self, method: Method, path: &str) -> Result<ApiRequest, HttpError> {
        Ok(self
            .client
            .request(method, path)?
            .header("accept", MEDIA_TYPE))
    }

    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse, HttpError> {
        self.client.send(request).await
    }

    /// GET; `None` on 404 unless the project itself is missing (`GROUP_NOT_FOUND` stays an error).
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>, HttpError> {
        let response = self.client.send(self.request(Method::Get, path)?).await?;
        if response.status == 404 && response.error().code.as_deref() != Some("GROUP_NOT_FOUND") {
            return Ok(None);
        }
        self.checked(response)?.json().map(Some)
    }

    /// GET a paginated list (`results`, following the `next` link).
    pub async fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, HttpError> {
        let mut items = Vec::new();
        let mut request = self.request(Method::Get, path)?;
        for _ in 0..1000 {
            let page: Page<T> = self.call(request.clone()).await?.json()?;
            items.extend(page.results);
            match page
                .links
                .iter()
                .find(|l| l.rel == "next" && !l.href.is_empty())
            {
                Some(next) => request.url = self.client.url(&next.href)?,
                None => return Ok(items),
            }
        }
        Ok(items)
    }

    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, HttpError> {
        self.call(self.request(Method::Patch, path)?.json_as(MEDIA_TYPE, body))
            .await?
            .json()
    }

    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, HttpError> {
        self.call(self.request(Method::Post, path)?.json_as(MEDIA_TYPE, body))
            .await?
            .json()
    }

    /// DELETE; `false` when it did not exist. For private endpoints Atlas answers 204 and only
    /// requests the deletion.
    pub async fn delete(&self, path: &str) -> Result<bool, HttpError> {
        let response = self
            .client
            .send(self.request(Method::Delete, path)?)
            .await?;
        if response.status == 404 {
            return Ok(false);
        }
        self.checked(response).map(|_| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn atlas_auth_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("atlas.json");
        std::fs::write(
            &path,
            r#"{"publicApiKey":"pub","privateApiKey":"priv-secret"}"#,
        )
        .unwrap();
        let auth = AtlasAuth::from_file("--atlas-credentials", &path).unwrap();
        assert!(matches!(&auth, AtlasAuth::ApiKey { public_key, .. } if public_key == "pub"));
        assert_eq!(auth.describe(), "the Atlas API key `pub`");
        std::fs::write(&path, r#"{"clientId":"mdb_sa","clientSecret":"sa-secret"}"#).unwrap();
        assert!(matches!(
            AtlasAuth::from_file("--atlas-credentials", &path).unwrap(),
            AtlasAuth::ServiceAccount { .. }
        ));
        for bad in [
            r#"{"publicApiKey":"pub"}"#,
            r#"{"publicApiKey":"pub","privateApiKey":"p","clientId":"c","clientSecret":"s"}"#,
            r#"{"publicKey":"pub","privateApiKey":"priv-secret"}"#,
            r#"{"publicApiKey":"pub","privateApiKey":"priv-secret""#,
        ] {
            std::fs::write(&path, bad).unwrap();
            let e = AtlasAuth::from_file("--atlas-credentials", &path).unwrap_err();
            assert_eq!(e.field, "--atlas-credentials");
            assert!(!e.to_string().contains("priv-secret"), "{e}");
        }
        let e = AtlasAuth::from_file("--atlas-credentials", &dir.path().join("none")).unwrap_err();
        assert!(e.problem.contains("does not exist"));
    }

    #[test]
    fn atlas_auth_from_environment() {
        let keys = [
            ("MONGODB_ATLAS_PUBLIC_API_KEY", "pub"),
            ("MONGODB_ATLAS_PRIVATE_API_KEY", "priv-secret"),
        ];
        let auth = AtlasAuth::from_lookup(&env(&keys)).unwrap();
        assert!(matches!(&auth, AtlasAuth::ApiKey { public_key, .. } if public_key == "pub"));
        assert!(!format!("{auth:?}").contains("priv-secret"));
        let sa = [
            ("MONGODB_ATLAS_CLIENT_ID", "mdb_sa_id"),
            ("MONGODB_ATLAS_CLIENT_SECRET", "sa-secret"),
            ("MONGODB_ATLAS_PUBLIC_API_KEY", "pub"),
            ("MONGODB_ATLAS_PRIVATE_API_KEY", "x"),
        ];
        assert!(matches!(
            AtlasAuth::from_lookup(&env(&sa)).unwrap(),
            AtlasAuth::ServiceAccount { .. }
        ));
        let half = [("MONGODB_ATLAS_PUBLIC_API_KEY", "pub")];
        assert_eq!(
            AtlasAuth::from_lookup(&env(&half)).unwrap_err().field,
            "MONGODB_ATLAS_PRIVATE_API_KEY"
        );
        assert!(
            AtlasAuth::from_lookup(&env(&[]))
                .unwrap_err()
                .fix
                .unwrap()
                .contains("never pass them as flags")
        );
    }

    #[test]
    fn the_role_named_in_a_refusal_is_the_specs() {
        let g = "/api/atlas/v2/groups/65f00000000000000000a001";
        assert_eq!(
            required_role("GET", &format!("{g}/encryptionAtRest")),
            "Project Read Only"
        );
        assert_eq!(
            required_role("PATCH", &format!("{g}/encryptionAtRest")),
            "Project Owner"
        );
        assert_eq!(
            required_role(
                "GET",
                &format!("{g}/encryptionAtRest/AZURE/privateEndpoints")
            ),
            "Project Owner"
        );
        assert_eq!(
            required_role("GET", &format!("{g}/cloudProviderAccess")),
            "Project Read Only"
        );
        assert_eq!(
            required_role("POST", &format!("{g}/cloudProviderAccess")),
            "Project Owner"
        );
        assert_eq!(
            required_role("GET", &format!("{g}/events")),
            "Project Read Only"
        );
    }
}
