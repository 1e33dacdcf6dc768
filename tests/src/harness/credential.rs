//! Signing in without the `az` shim, for tests that drive the library's operations in-process:
//! a `TokenCredential` that issues the simulator's own user tokens for whatever resource a
//! pipeline asks for (ARM, Graph, a vault after its challenge).

use crate::login::issue;
use crate::server::Shared;
use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use std::sync::Arc;

/// A user of a tenant, signed in.
#[derive(Clone)]
pub struct SimUserCredential {
    pub(crate) shared: Arc<Shared>,
    pub(crate) tenant: String,
    pub(crate) upn: String,
}

impl std::fmt::Debug for SimUserCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimUserCredential")
            .field("upn", &self.upn)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenCredential for SimUserCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let resource = scopes
            .first()
            .and_then(|s| issue::resource_of_scope(s))
            .unwrap_or_default()
            .to_string();
        let state = self.shared.state();
        let tenant = state.tenant_by_ref(&self.tenant).ok_or_else(|| {
            azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                format!("the simulator has no tenant `{}`", self.tenant),
            )
        })?;
        let user = tenant
            .users
            .iter()
            .find(|u| u.user_principal_name.eq_ignore_ascii_case(&self.upn))
            .ok_or_else(|| {
                azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    format!("`{}` is not a member of `{}`", self.upn, self.tenant),
                )
            })?;
        let issued = issue::user_token(
            &self.shared,
            tenant,
            user,
            &resource,
            crate::roles::AZURE_CLI_APP_ID,
        );
        let expires = azure_core::time::OffsetDateTime::from_unix_timestamp(issued.expires_on)
            .unwrap_or_else(|_| azure_core::time::OffsetDateTime::now_utc());
        Ok(AccessToken::new(issued.token, expires))
    }
}
