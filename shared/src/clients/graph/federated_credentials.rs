//! Federated identity credentials of an application (Graph): they live at
//! `/applications/{id}/federatedIdentityCredentials`, at most 20 per app
//! (learn.microsoft.com/graph/api/application-list-federatedidentitycredentials,
//! application-post-federatedidentitycredentials, federatedidentitycredential-upsert).

use super::{GraphClient, GraphQuery, Upserted, alternate_key};
use crate::ObjectId;
use crate::fic::{FederatedIdentityCredential, GraphFederatedIdentityCredential};
use crate::http::HttpError;

/// `/applications/{id}/federatedIdentityCredentials`.
pub fn credentials_path(app: &ObjectId) -> String {
    format!("/applications/{app}/federatedIdentityCredentials")
}

impl GraphClient {
    /// The app's federated identity credentials.
    pub async fn federated_credentials(
        &self,
        app: &ObjectId,
    ) -> Result<Vec<GraphFederatedIdentityCredential>, HttpError> {
        self.list(&credentials_path(app), &GraphQuery::default())
            .await
    }

    /// Creates the credential by upsert on its name
    /// (`PATCH …/federatedIdentityCredentials(name='…')`, federatedidentitycredential-upsert):
    /// unlike a POST it is idempotent, so a retry after a lost answer cannot fail or duplicate.
    /// `Updated` means a credential of that name existed and now holds these values.
    pub async fn upsert_federated_credential(
        &self,
        app: &ObjectId,
        credential: &FederatedIdentityCredential,
    ) -> Result<Upserted<GraphFederatedIdentityCredential>, HttpError> {
        let path = format!(
            "{}{}",
            credentials_path(app),
            alternate_key("", "name", credential.name.as_str()).trim_start_matches('/')
        );
        self.upsert(&path, credential).await
    }
}
