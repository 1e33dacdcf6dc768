//! `xtcmk-provider atlas …`: MongoDB Atlas encryption at rest with the customer's Azure key, both
//! ways in — the provider's multi-tenant app with a client secret, or Atlas's own Azure app
//! through a `cloudProviderAccess` role (no secret: nothing to rotate, nothing to leak).
//!
//! One module per command, each `plan` (reads only) → `apply`, or one read-only `run`:
//! [`invite`], [`secret`], [`register_access`], [`enable`], [`private_endpoint`], [`rotate`],
//! [`status`], [`disable`]. Every operation reaches Atlas through an [`AtlasCtx`]; those that touch
//! the provider app's secrets also take the provider tenant's [`Ctx`](crate::Ctx).

pub mod disable;
pub mod enable;
pub mod invite;
pub mod private_endpoint;
pub mod register_access;
pub mod rotate;
pub mod secret;
pub mod status;

use crate::atlas::{AccessMode, GroupId};
use crate::clients::atlas::{AtlasAuth, AtlasClient};
use crate::context::propagation_delay;
use crate::documents::shell_quote;
use crate::http::{HttpError, HttpStack, Sleeper};
use crate::report::{Event, SharedReporter, Wait};
use crate::{Cloud, Refusal};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// What every Atlas operation uses: the Admin API client and the run's reporter.
#[derive(Clone)]
pub struct AtlasCtx {
    pub atlas: AtlasClient,
    pub cloud: Cloud,
    pub reporter: SharedReporter,
}

impl std::fmt::Debug for AtlasCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtlasCtx")
            .field("cloud", &self.cloud.name)
            .finish_non_exhaustive()
    }
}

impl AtlasCtx {
    pub fn new(
        stack: &HttpStack,
        auth: AtlasAuth,
        reporter: SharedReporter,
    ) -> Result<Self, HttpError> {
        Ok(Self {
            atlas: stack.atlas(auth)?.observed(reporter.clone()),
            cloud: stack.cloud().clone(),
            reporter,
        })
    }

    /// The same client, reporting to `reporter` (one customer of a batch).
    pub fn with_reporter(&self, reporter: SharedReporter) -> Self {
        Self {
            atlas: self.atlas.observed(reporter.clone()),
            cloud: self.cloud.clone(),
            reporter,
        }
    }

    pub fn sleeper(&self) -> Arc<dyn Sleeper> {
        self.atlas.service_client().sleeper().clone()
    }

    /// Calls `f` until it succeeds, fails with an error `retry` does not accept, or `attempts` are
    /// used up, waiting 2, 4, 8, 16, 30… seconds between tries and reporting each wait.
    pub async fn retrying<T, F, Fut>(
        &self,
        what: &str,
        attempts: u32,
        retry: impl Fn(&HttpError) -> bool,
        mut f: F,
    ) -> Result<T, HttpError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, HttpError>>,
    {
        let bound: Duration = (1..attempts).map(propagation_delay).sum();
        let mut elapsed = Duration::ZERO;
        let mut n = 0;
        loop {
            match f().await {
                Err(e) if retry(&e) && n + 1 < attempts => {
                    n += 1;
                    let delay = propagation_delay(n);
                    self.reporter.report(Event::Waiting(Wait {
                        what: what.to_string(),
                        attempt: n + 1,
                        attempts,
                        delay,
                        elapsed,
                        bound,
                    }));
                    self.sleeper().sleep(delay).await;
                    elapsed += delay;
                }
                other => return other,
            }
        }
    }
}

/// The display name of the client secrets this tool creates for one Atlas project: it lets
/// `rotate-secret` remove exactly the secret that project used, and never another project's.
pub fn secret_name(group: &GroupId) -> String {
    format!("xtcmk-atlas-{group}")
}

/// ` --cloud X` when the tools run against a cloud other than the public one.
pub fn cloud_flag(cloud_arg: &str) -> String {
    match cloud_arg.trim().to_ascii_lowercase().as_str() {
        "" | "public" | "azurecloud" | "azure" => String::new(),
        _ => format!(" --cloud {}", shell_quote(cloud_arg.trim())),
    }
}

/// How Atlas's answers about the Azure settings are explained: the code, what it means for this
/// toolkit's setup, and what fixes it.
pub fn explain(err: HttpError, mode: Option<AccessMode>) -> anyhow::Error {
    let Some(code) = err.code().map(str::to_string) else {
        return err.into();
    };
    let customer_status =
        "ask the customer to run `xtcmk-customer status --handoff <their handoff file>`";
    let (message, hint) = match code.as_str() {
        "INVALID_AZURE_CREDENTIALS" => match mode {
            Some(AccessMode::Role) => (
                "Atlas could not sign in to the customer's tenant as its own Azure app".to_string(),
                format!(
                    "the customer must install MongoDB Atlas's app in their tenant (`xtcmk-customer onboard` with the Atlas invitation) and the cloudProviderAccess role must name that service principal (`xtcmk-provider atlas register-access`); {customer_status}"
                ),
            ),
            _ => (
                "Atlas could not sign in to the customer's tenant with the app and its client secret".to_string(),
                format!(
                    "the secret may be wrong, expired or too new to have replicated (`xtcmk-provider atlas secret list --app-id <app id>`), or the app has no service principal in the customer's tenant; {customer_status}"
                ),
            ),
        },
        "AZURE_KEY_VAULT_KEY_NOT_FOUND" => (
            "Atlas signed in but could not read or use the key".to_string(),
            format!(
                "the grant (get, encrypt, decrypt) may be missing or revoked, the key absent, or the vault's firewall may keep Atlas out (Atlas is not a trusted Azure service: use private endpoints); {customer_status}"
            ),
        ),
        "INVALID_AZURE_API_REQUEST" => (
            "Atlas found no vault by the subscription, resource group and vault name it was given".to_string(),
            "check subscriptionId, resourceGroup and vaultName in the customer's handoff".to_string(),
        ),
        "AZURE_KEY_VAULT_KEY_IDENTIFIER_INVALID_FORMAT" => (
            "Atlas refused the key identifier: it takes the full versioned identifier".to_string(),
            "use the customer's handoff (keyUri + keyVersion)".to_string(),
        ),
        "AZURE_KEY_VAULT_KEY_NOT_ENABLED" | "AZURE_KEY_VAULT_KEY_EXPIRED"
        | "AZURE_KEY_VAULT_KEY_EXPIRING" | "AZURE_KEY_VAULT_KEY_NOT_ACTIVE" => (
            "Atlas cannot use this key version".to_string(),
            format!("the customer must enable the key or create a new version, then send a new handoff; {customer_status}"),
        ),
        "ENCRYPTION_AT_REST_SETTINGS_INVALID" => (
            "Atlas cannot reach the current key, and refuses to change the key until it can".to_string(),
            format!("restore Atlas's access to the current key first; {customer_status}"),
        ),
        "INSUFFICIENT_INSTANCE_SIZE" => (
            "the project's clusters are below M10: encryption at rest with your own key needs a dedicated tier".to_string(),
            "scale the project's clusters to M10 or larger".to_string(),
        ),
        "USER_UNAUTHORIZED" | "USER_CANNOT_ACCESS_GROUP" => (
            "the Atlas credential may not do this in the project".to_string(),
            "use an API key or service account with the Project Owner role on the project".to_string(),
        ),
        _ => return err.into(),
    };
    Refusal::new(message).hint(hint).because(err).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ServiceError;
    use crate::http::error::Service;

    #[test]
    fn atlas_codes_are_explained_with_a_fix() {
        let err: HttpError = ServiceError::new(
            Service::Atlas,
            "PATCH",
            "/api/atlas/v2/groups/g/encryptionAtRest",
            400,
            Some("INVALID_AZURE_CREDENTIALS".into()),
            "Invalid Azure credentials.".into(),
            None,
        )
        .into();
        let e = explain(err, Some(AccessMode::Role));
        assert!(e.to_string().contains("its own Azure app"), "{e}");
        let hints = crate::diagnostics::hints(&e);
        assert!(
            hints.iter().any(|h| h.contains("register-access")),
            "{hints:?}"
        );
        assert_eq!(
            crate::diagnostics::classify(&e).code,
            "INVALID_AZURE_CREDENTIALS"
        );
        assert_eq!(cloud_flag("public"), "");
        assert_eq!(cloud_flag("/tmp/a b.json"), " --cloud '/tmp/a b.json'");
    }
}
