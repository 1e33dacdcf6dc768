//! Microsoft Graph v1.0 (`{graphEndpoint}/v1.0/`): applications, service principals, federated
//! identity credentials.
//!
//! Graph rules used here (specs/msgraph and Graph docs):
//! - alternate keys address an object without knowing its id: `/applications(appId='…')`,
//!   `/applications(uniqueName='…')`, `/servicePrincipals(appId='…')`; OData string literals
//!   double their single quotes;
//! - upsert: PATCH to an alternate-key URL with `Prefer: create-if-missing` creates (201 with the
//!   object) or updates (204);
//! - advanced queries (`$count`, `endsWith`, `ne`, ...) need `ConsistencyLevel: eventual` and
//!   `$count=true`;
//! - collections page with `@odata.nextLink`.

pub mod applications;
pub mod federated_credentials;
pub mod passwords;
pub mod service_principals;

use crate::http::{ApiRequest, ApiResponse, HttpError, ServiceClient};
use azure_core::http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

/// `/{entity_set}({property}='{value}')`, with the value quoted as an OData string literal.
pub fn alternate_key(entity_set: &str, property: &str, value: &str) -> String {
    format!("/{entity_set}({property}='{}')", value.replace('\'', "''"))
}

/// Query options of a collection GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphQuery {
    /// `$filter`, e.g. `appId eq '…'`.
    pub filter: Option<String>,
    /// `$select` properties.
    pub select: Vec<String>,
    /// `$top` page size.
    pub top: Option<u32>,
    /// An advanced query: adds `$count=true` and `ConsistencyLevel: eventual`.
    pub advanced: bool,
}

impl GraphQuery {
    pub fn filter(filter: impl Into<String>) -> Self {
        Self {
            filter: Some(filter.into()),
            ..Self::default()
        }
    }

    pub fn select(mut self, properties: &[&str]) -> Self {
        self.select = properties.iter().map(|p| p.to_string()).collect();
        self
    }

    pub fn advanced(mut self) -> Self {
        self.advanced = true;
        self
    }

    fn apply(&self, mut request: ApiRequest) -> ApiRequest {
        if let Some(f) = &self.filter {
            request = request.query("$filter", f);
        }
        if !self.select.is_empty() {
            request = request.query("$select", &self.select.join(","));
        }
        if let Some(top) = self.top {
            request = request.query("$top", &top.to_string());
        }
        if self.advanced {
            request = request
                .query("$count", "true")
                .header("ConsistencyLevel", "eventual");
        }
        request
    }
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upserted<T> {
    /// 201: the object did not exist and was created.
    Created(T),
    /// 204: the object existed and was updated.
    Updated,
}

#[derive(serde::Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(default, rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// Graph as one principal in one tenant.
#[derive(Clone, Debug)]
pub struct GraphClient {
    client: ServiceClient,
}

impl GraphClient {
    pub fn new(client: ServiceClient) -> Self {
        Self { client }
    }

    /// This client reporting its waits (retries, long-running operations) to `reporter`.
    pub fn observed(&self, reporter: crate::report::SharedReporter) -> Self {
        Self::new(self.client.observed(reporter))
    }

    pub fn service_client(&self) -> &ServiceClient {
        &self.client
    }

    /// `{graph}/v1.0/{path}`.
    pub fn url(&self, path: &str) -> Result<Url, HttpError> {
        self.client.url(path)
    }

    /// A request to `path`, to add headers such as `Prefer` before [`GraphClient::send`].
    pub fn request(&self, method: Method, path: &str) -> Result<ApiRequest, HttpError> {
        self.client.request(method, path)
    }

    /// Sends a prepared request; any status is returned.
    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse, HttpError> {
        self.client.send(request).await
    }

    /// GET an object; `None` on 404.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>, HttpError> {
        let response = self.client.send(self.request(Method::Get, path)?).await?;
        if response.status == 404 {
            return Ok(None);
        }
        response.into_result()?.json().map(Some)
    }

    /// GET a collection with `query`, following `@odata.nextLink`.
    pub async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &GraphQuery,
    ) -> Result<Vec<T>, HttpError> {
        let mut items = Vec::new();
        let mut request = query.apply(self.request(Method::Get, path)?);
        for _ in 0..1000 {
            let page: Page<T> = self.client.call(request.clone()).await?.json()?;
            items.extend(page.value);
            match page.next_link {
                Some(next) if !next.is_empty() => {
                    // nextLink carries the query; keep the headers (ConsistencyLevel).
                    request.url = self.client.url(&next)?;
                }
                _ => return Ok(items),
            }
        }
        Ok(items)
    }

    /// `GET {path}/$count` with `$filter` (an advanced query): the number of matching objects.
    pub async fn count(&self, path: &str, filter: Option<&str>) -> Result<u64, HttpError> {
        let mut request = self
            .request(
                Method::Get,
                &format!("{}/$count", path.trim_end_matches('/')),
            )?
            .header("ConsistencyLevel", "eventual")
            .header("accept", "text/plain");
        if let Some(f) = filter {
            request = request.query("$filter", f);
        }
        let response = self.client.call(request).await?;
        let text = String::from_utf8_lossy(response.body()).trim().to_string();
        text.parse::<u64>().or_else(|_| response.json::<u64>())
    }

    /// POST (create) and return the created object.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, HttpError> {
        self.client
            .call(self.request(Method::Post, path)?.json(body))
            .await?
            .json()
    }

    /// PATCH (update) an object; Graph answers 204.
    pub async fn patch<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(), HttpError> {
        self.client
            .call(self.request(Method::Patch, path)?.json(body))
            .await
            .map(|_| ())
    }

    /// PATCH with `Prefer: create-if-missing` to an alternate-key URL: creates or updates.
    pub async fn upsert<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Upserted<T>, HttpError> {
        let request = self
            .request(Method::Patch, path)?
            .header("Prefer", "create-if-missing")
            .json(body);
        let response = self.client.call(request).await?;
        if response.status == 201 {
            response.json().map(Upserted::Created)
        } else {
            Ok(Upserted::Updated)
        }
    }

    /// DELETE an object; `false` when it did not exist.
    pub async fn delete(&self, path: &str) -> Result<bool, HttpError> {
        let response = self
            .client
            .send(self.request(Method::Delete, path)?)
            .await?;
        if response.status == 404 {
            return Ok(false);
        }
        response.into_result().map(|_| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_keys_quote_odata_strings() {
        assert_eq!(
            alternate_key("applications", "appId", "1b2c"),
            "/applications(appId='1b2c')"
        );
        assert_eq!(
            alternate_key("applications", "uniqueName", "o'brien-app"),
            "/applications(uniqueName='o''brien-app')"
        );
    }
}
