//! `doctor`: every link of the chain from the provider's Cosmos DB account to the customer's key,
//! one check each (✓ / ✗ / ?), with the fix for each broken one. It runs the same checks as
//! `cosmos deploy` before it sends anything ([`crate::steps::provider::links`]), the account's
//! settings and status when one is named, and — when a token for the managed identity can be had
//! here — the real exchange: the identity's token, the app's token in the customer's tenant, then
//! get, wrapKey and unwrapKey on the key. A broken link is a [`BrokenLink`] (exit 3).

use crate::context::Ctx;
use crate::diagnostics::BrokenLink;
use crate::documents::Handoff;
use crate::output::Check;
use crate::steps::provider::links::{self, Chain};
use crate::{AppId, Cloud, InputError, ResourceId, VersionlessKeyUri};
use serde_json::Value;
use std::path::Path;

/// What to check.
#[derive(Debug, Clone)]
pub struct DoctorSpec {
    pub handoff: Handoff,
    /// Why the handoff's key URI could not be used as it is (the checks used the corrected one).
    pub key_problem: Option<InputError>,
    pub identity: ResourceId,
    pub app_id: AppId,
    /// The account to check, if any.
    pub account: Option<ResourceId>,
    /// Run the real exchange (a token for the identity can be had here).
    pub exchange: bool,
}

/// The checklist.
#[derive(Debug, Clone)]
pub struct DoctorReport {
    pub checks: Vec<Check>,
}

impl DoctorReport {
    pub fn failed(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| c.failed()).collect()
    }

    /// `Err` when a link is broken (exit code 3).
    pub fn health(&self) -> Result<(), BrokenLink> {
        let failed = self.failed();
        if failed.is_empty() {
            return Ok(());
        }
        Err(BrokenLink {
            failed: failed.len(),
            total: self.checks.len(),
            hint: Some(format!(
                "fix the ✗ link{} ({}), then run doctor again",
                if failed.len() > 1 { "s" } else { "" },
                failed
                    .iter()
                    .map(|c| c.item.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        })
    }
}

/// Reads a handoff for doctor: a `keyUri` Cosmos DB would refuse (a version, another cloud's
/// suffix) is reported, not fatal — the other links are checked with the corrected URI
/// (`https://{vaultName}.{this cloud's suffix}/keys/{key}`).
pub fn read_handoff(
    flag: &str,
    path: &Path,
    cloud: &Cloud,
) -> Result<(Handoff, Option<InputError>), InputError> {
    let text = crate::files::read_text(flag, path)?.ok_or_else(|| {
        InputError::new(
            flag,
            path.display().to_string(),
            "the handoff file does not exist",
        )
        .with_fix("pass the handoff file the customer sent (written by `xtcmk-customer onboard`)")
    })?;
    let source = path.display().to_string();
    let err = match Handoff::parse(&text, &source, cloud) {
        Ok(h) => return Ok((h, None)),
        Err(e) if e.field.ends_with("keyUri") => e,
        Err(e) => return Err(e),
    };
    let repaired = (|| {
        let mut v: Value = serde_json::from_str(&text).ok()?;
        let vault = v.get("vaultName")?.as_str()?.to_string();
        let raw = v.get("keyUri")?.as_str()?.to_string();
        let segments: Vec<&str> = raw
            .split("/keys/")
            .nth(1)?
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let name = *segments.first()?;
        if let Some(version) = segments.get(1)
            && v.get("keyVersion").and_then(Value::as_str).is_none()
        {
            v["keyVersion"] = Value::String((*version).to_string());
        }
        let url = cloud.vault_url(&vault);
        let fixed = format!("{url}keys/{name}");
        v["keyUri"] = Value::String(fixed);
        Handoff::parse(&v.to_string(), &source, cloud).ok()
    })();
    match repaired {
        Some(h) => Ok((h, Some(err))),
        None => Err(err),
    }
}

/// The key URI the checks use.
fn key(handoff: &Handoff) -> VersionlessKeyUri {
    handoff.key.versionless()
}

/// Checks every link.
pub async fn run(ctx: &Ctx, spec: &DoctorSpec) -> anyhow::Result<DoctorReport> {
    let chain = Chain {
        provider_tenant: ctx.tenant,
        customer_tenant: spec.handoff.customer_tenant_id,
        key: key(&spec.handoff),
        app_id: spec.app_id,
        identity: spec.identity.clone(),
    };
    let seen = links::provider_side(ctx, &chain, spec.key_problem.as_ref()).await?;
    let vault_tenant = seen.vault_tenant;
    let mut checks = seen.checks.clone();
    if let Some(account) = &spec.account {
        checks.extend(links::account(ctx, account, &chain, vault_tenant).await?);
    }
    let checks = if spec.exchange {
        links::merge(checks, links::exchange(ctx, &chain, &seen).await?)
    } else {
        let mut checks = checks;
        checks.extend(links::exchange_unchecked(
            "it needs a token for the identity, which this host's managed-identity endpoint would give",
        ));
        checks
    };
    Ok(DoctorReport { checks })
}
