//! Azure Resource Manager: JSON at resource-id paths with an `api-version`, typed with serde.
//!
//! A GET of a missing resource answers 404 `ResourceNotFound` and reads as `None`; a 404 that
//! says a *container* is missing (`ResourceGroupNotFound`, `SubscriptionNotFound`,
//! `ParentResourceNotFound`) stays an error, since the caller's scope is wrong, not the resource
//! absent. Long-running writes are followed with [`crate::http::lro`]. Bodies are read as the
//! caller's serde type: use `serde_json::Value` for untyped access and `serde::de::IgnoredAny`
//! to ignore a body (`()` only accepts an empty one).

pub mod cosmos;
pub mod keys;
pub mod permissions;
pub mod private_endpoint_connections;
pub mod resource_groups;
pub mod role_assignments;
pub mod role_definitions;
pub mod subscription_list;
pub mod user_assigned_identities;
pub mod vaults;

use crate::http::lro;
use crate::http::{ApiRequest, ApiResponse, HttpError, ServiceClient};
use azure_core::http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

/// 404 codes meaning the scope, not the resource, is missing.
const CONTAINER_MISSING: [&str; 4] = [
    "ResourceGroupNotFound",
    "SubscriptionNotFound",
    "ParentResourceNotFound",
    "InvalidSubscriptionId",
];

/// ARM as one principal in one tenant.
#[derive(Clone, Debug)]
pub struct ArmClient {
    client: ServiceClient,
}

#[derive(serde::Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(default, rename = "nextLink")]
    next_link: Option<String>,
}

fn absent(response: &ApiResponse) -> bool {
    response.status == 404 && {
        let error = response.error();
        !error
            .code
            .as_deref()
            .is_some_and(|c| CONTAINER_MISSING.iter().any(|m| m.eq_ignore_ascii_case(c)))
    }
}

impl ArmClient {
    pub fn new(client: ServiceClient) -> Self {
        Self { client }
    }

    /// This client reporting its waits (retries, long-running operations) to `reporter`.
    pub fn observed(&self, reporter: crate::report::SharedReporter) -> Self {
        Self::new(self.client.observed(reporter))
    }

    /// The underlying pipeline, for calls this client has no method for.
    pub fn service_client(&self) -> &ServiceClient {
        &self.client
    }

    /// `https://management…/{path}?api-version={api_version}`; `path` is a resource id or any
    /// ARM path (it may carry its own query).
    pub fn url(&self, path: &str, api_version: &str) -> Result<Url, HttpError> {
        let mut url = self.client.url(path)?;
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        Ok(url)
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        api_version: &str,
    ) -> Result<ApiRequest, HttpError> {
        Ok(ApiRequest::new(method, self.url(path, api_version)?))
    }

    /// GET a resource; `None` when it does not exist.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
    ) -> Result<Option<T>, HttpError> {
        let response = self
            .client
            .send(self.request(Method::Get, path, api_version)?)
            .await?;
        if absent(&response) {
            return Ok(None);
        }
        response.into_result()?.json().map(Some)
    }

    /// PUT a resource and return the answer's body, without following a long-running operation
    /// (for synchronous resource types: identities, role assignments, federated credentials).
    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, HttpError> {
        let request = self.request(Method::Put, path, api_version)?.json(body);
        self.client.call(request).await?.json()
    }

    /// PUT a resource and follow the long-running operation to the final resource.
    pub async fn put_lro<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, HttpError> {
        let request = self.request(Method::Put, path, api_version)?.json(body);
        let initial = self.client.send(request).await?;
        lro::follow(&self.client, initial).await?.json()
    }

    /// PATCH a resource, following a long-running operation if one is started.
    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, HttpError> {
        let request = self.request(Method::Patch, path, api_version)?.json(body);
        let initial = self.client.send(request).await?;
        lro::follow(&self.client, initial).await?.json()
    }

    /// POST an action, following a long-running operation if one is started.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, HttpError> {
        let request = self.request(Method::Post, path, api_version)?.json(body);
        let initial = self.client.send(request).await?;
        lro::follow(&self.client, initial).await?.json()
    }

    /// POST an action that only reads (`checkNameAvailability`): retried on transient failures
    /// like a GET, since repeating it changes nothing.
    pub async fn post_read<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, HttpError> {
        let request = self
            .request(Method::Post, path, api_version)?
            .json(body)
            .retry_safe();
        self.client.call(request).await?.json()
    }

    /// DELETE a resource, following a long-running operation. `false` when it was already absent
    /// (ARM answers a DELETE of a missing resource with 204, or 404 when its scope is gone).
    pub async fn delete(&self, path: &str, api_version: &str) -> Result<bool, HttpError> {
        let response = self
            .client
            .send(self.request(Method::Delete, path, api_version)?)
            .await?;
        match response.status {
            204 | 404 => Ok(false),
            200 => Ok(true),
            _ => lro::follow(&self.client, response).await.map(|_| true),
        }
    }

    /// GET a collection, following `nextLink` pages.
    pub async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
    ) -> Result<Vec<T>, HttpError> {
        let mut items = Vec::new();
        let mut url = self.url(path, api_version)?;
        for _ in 0..1000 {
            let page: Page<T> = self
                .client
                .call(ApiRequest::new(Method::Get, url))
                .await?
                .json()?;
            items.extend(page.value);
            match page.next_link {
                Some(next) if !next.is_empty() => url = self.client.url(&next)?,
                _ => return Ok(items),
            }
        }
        Ok(items)
    }
}
