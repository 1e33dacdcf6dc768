//! `cosmos deploy` (phase 3): the provider's Cosmos DB account, encrypted with the customer's key.
//!
//! [`plan`] checks every link of the chain the provider can see before anything is sent (the same
//! checks `doctor` lists, [`crate::steps::provider::links`]) — and, when a token for the managed
//! identity is available, runs the real exchange as well — then reads the account and decides: a
//! new account (one PUT), an existing one without customer-managed keys (identity, default
//! identity, key: three PATCHes), the same settings (nothing), another key of the same tenant (a
//! key change), another tenant's key on a pinned account (refused with Cosmos DB's reason).
//! [`apply`] carries it out and reads the account back: its key, default identity and decoded
//! `customerManagedKeyStatus`. Cosmos DB's generic answers are explained with the links that could
//! cause them.

use crate::clients::arm::cosmos::DatabaseAccount;
use crate::context::Ctx;
use crate::cosmos::status::KeyStatus;
use crate::cosmos::{CosmosCmkAccount, KEY_VAULT_UNREACHABLE};
use crate::documents::Handoff;
use crate::http::HttpError;
use crate::output::{Check, CheckState, PlannedStep, StepReport};
use crate::report::{Event, ReporterExt};
use crate::steps::provider::cosmos_account::{self, AccountPlan, Tenants};
use crate::steps::provider::links::{self, Chain};
use crate::{Refusal, ResourceId, SubscriptionId};

/// What the provider asked for.
#[derive(Debug, Clone)]
pub struct DeploySpec {
    /// The customer's handoff (the key's tenant, the key, the app the grant is for).
    pub handoff: Handoff,
    /// The account as it should be: name, location, the UAMI, the app, the versionless key.
    pub account: CosmosCmkAccount,
    pub subscription: SubscriptionId,
    pub resource_group: String,
    /// A token for the identity is available here (a managed-identity endpoint): run the real
    /// exchange before sending anything, so a broken link is named before Cosmos DB's generic 503.
    pub exchange: bool,
}

impl DeploySpec {
    pub fn account_id(&self) -> ResourceId {
        self.account
            .account_id(self.subscription, &self.resource_group)
    }

    pub fn chain(&self, ctx: &Ctx) -> Chain {
        Chain {
            provider_tenant: ctx.tenant,
            customer_tenant: self.handoff.customer_tenant_id,
            key: self.account.key.clone(),
            app_id: self.account.app_id,
            identity: self.account.identity.clone(),
        }
    }
}

/// Every decision of a deploy run, made from reads only.
#[derive(Debug, Clone)]
pub struct DeployPlan {
    pub spec: DeploySpec,
    /// The links checked before anything is sent (none failed, or there is no plan).
    pub checks: Vec<Check>,
    pub account: AccountPlan,
    pub warnings: Vec<String>,
}

impl DeployPlan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        self.account.steps()
    }

    /// The links the provider could not check (they need the identity's token).
    pub fn unchecked(&self) -> Vec<&Check> {
        self.checks
            .iter()
            .filter(|c| c.state == CheckState::Unknown)
            .collect()
    }
}

/// What a deploy run did.
#[derive(Debug, Clone)]
pub struct DeployOutcome {
    pub steps: Vec<StepReport>,
    /// The account as read back at the end.
    pub account: DatabaseAccount,
    /// Its decoded `customerManagedKeyStatus`.
    pub status: Option<KeyStatus>,
}

/// The handoff for Cosmos DB, read for `cloud`.
pub fn cosmos_handoff(path: &std::path::Path, handoff: Handoff) -> anyhow::Result<Handoff> {
    if handoff.target != crate::EncryptionTarget::Cosmos {
        // Cosmos DB wraps and unwraps with the key; an Atlas grant (encrypt/decrypt) does not allow that.
        return Err(crate::InputError::new(
            "handoff.target",
            handoff.target.as_str(),
            format!(
                "the customer onboarded the key of {} for MongoDB Atlas, whose grant (get, encrypt, decrypt) does not let Cosmos DB wrap and unwrap with it",
                path.display()
            ),
        )
        .with_fix("ask the customer to run `xtcmk-customer onboard` with --target cosmos and send the new handoff")
        .into());
    }
    Ok(handoff)
}

/// `--app-id`, or the handoff's app; both must agree.
pub fn app_id(flag: Option<&str>, handoff: &Handoff) -> anyhow::Result<crate::AppId> {
    match flag {
        None => Ok(handoff.app_id),
        Some(v) => {
            let id = crate::AppId::parse_field("--app-id", v)?;
            if id != handoff.app_id {
                return Err(crate::diagnostics::UsageError::new(format!(
                    "--app-id {id} conflicts with the handoff's appId {}",
                    handoff.app_id
                ))
                .hint("the handoff names the app the customer granted; omit --app-id to use it, or ask the customer to onboard the other app")
                .into());
            }
            Ok(id)
        }
    }
}

/// The links, checked before anything is sent; a broken one is a refusal naming it and its fix.
pub async fn preflight(
    ctx: &Ctx,
    spec: &DeploySpec,
) -> anyhow::Result<(Vec<Check>, Option<crate::TenantId>)> {
    let chain = spec.chain(ctx);
    let seen = links::provider_side(ctx, &chain, None).await?;
    let vault_tenant = seen.vault_tenant;
    let checks = if spec.exchange {
        let exchanged = links::exchange(ctx, &chain, &seen).await?;
        links::merge(seen.checks, exchanged)
    } else {
        let mut checks = seen.checks;
        checks.extend(links::exchange_unchecked(
            "no token for the identity here (no managed-identity endpoint)",
        ));
        checks
    };
    let failed = links::failures(&checks);
    if !failed.is_empty() {
        let what: Vec<String> = failed
            .iter()
            .map(|c| format!("{}: {}", c.item, c.detail))
            .collect();
        let fixes: Vec<String> = failed.iter().filter_map(|c| c.fix.clone()).collect();
        let mut refusal = Refusal::new(format!(
            "nothing was sent: the chain to the customer's key is broken at {}",
            what.join("; ")
        ));
        if !fixes.is_empty() {
            refusal = refusal.hint(fixes.join("; "));
        }
        return Err(refusal.into());
    }
    Ok((checks, vault_tenant))
}

/// Checks the links and reads the account; decides every step; refuses before any write.
pub async fn plan(ctx: &Ctx, spec: &DeploySpec) -> anyhow::Result<DeployPlan> {
    let (checks, vault_tenant) = preflight(ctx, spec).await?;
    let chain = spec.chain(ctx);
    let account = cosmos_account::plan(
        ctx,
        spec.account_id(),
        &spec.account,
        Tenants {
            provider: ctx.tenant,
            key: spec.handoff.customer_tenant_id,
        },
        &chain,
        vault_tenant,
    )
    .await?;
    let mut warnings = Vec::new();
    if let Some(existing) = account.existing()
        && let Some(location) = existing.location.as_deref()
        && !location
            .replace(' ', "")
            .eq_ignore_ascii_case(spec.account.location.as_str())
    {
        warnings.push(format!(
            "account {} is in {location}, not {}: an account cannot move, so it stays where it is",
            spec.account.name, spec.account.location
        ));
    }
    for w in &warnings {
        ctx.reporter.warn(w.clone());
    }
    let plan = DeployPlan {
        spec: spec.clone(),
        checks,
        account,
        warnings,
    };
    ctx.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

/// Cosmos DB's generic answers, explained with the links that can cause them.
fn explain(err: anyhow::Error, plan: &DeployPlan) -> anyhow::Error {
    let Some(http) = err.downcast_ref::<HttpError>().cloned() else {
        return err;
    };
    let Some(service) = http.service_error() else {
        return err;
    };
    let doctor = "`xtcmk-provider doctor` with the same --handoff and --identity, run where the identity is assigned (--as-identity), names the broken link";
    if service.status == 503 && service.message.contains(KEY_VAULT_UNREACHABLE) {
        let tenant = plan.spec.handoff.customer_tenant_id;
        let unchecked: Vec<String> = plan
            .unchecked()
            .iter()
            .map(|c| match c.item.as_str() {
                links::SERVICE_PRINCIPAL => {
                    format!("the app's service principal in tenant {tenant} (service principal)")
                }
                links::GRANT => "its grant on the key (grant)".to_string(),
                links::KEY => "the key itself, enabled and present (key)".to_string(),
                links::IDENTITY_TOKEN => "the identity's token (identity token)".to_string(),
                other => other.to_string(),
            })
            .collect();
        let causes = if unchecked.is_empty() {
            "every link checked before sending was intact, so the key's state changed since, or Azure has not propagated a recent change yet".to_string()
        } else {
            format!(
                "every link the provider can see is intact; Azure gives this same answer when one of these, which only the identity's token can check, is broken: {}",
                unchecked.join(", ")
            )
        };
        return Refusal::new(format!(
            "Cosmos DB could not use the customer's key (\"{KEY_VAULT_UNREACHABLE}\"): {causes}"
        ))
        .hint(doctor)
        .because(http)
        .into();
    }
    if service.status == 403
        && (service.message.contains("ForbiddenByFirewall")
            || service.message.contains("bypass")
            || service.message.contains("trusted service"))
    {
        return Refusal::new(format!(
            "the customer's vault {} refuses Cosmos DB at its firewall (links: vault)",
            plan.spec.account.key.vault_name()
        ))
        .hint("the customer allows trusted Microsoft services through the vault firewall (networkAcls.bypass AzureServices) or opens public access; Cosmos DB cannot use a vault reachable only through private endpoints")
        .because(http)
        .into();
    }
    err
}

/// Carries the plan out, reporting each step; reads the account back.
pub async fn apply(ctx: &Ctx, plan: DeployPlan) -> anyhow::Result<DeployOutcome> {
    let mut steps = Vec::new();
    let mut done = |report: StepReport| {
        ctx.reporter.finished(&report);
        steps.push(report);
    };
    let account = match cosmos_account::apply(ctx, &plan.account, &mut done).await {
        Ok(a) => a,
        Err(e) => return Err(explain(e, &plan)),
    };
    let status = account.key_status();
    Ok(DeployOutcome {
        steps,
        account,
        status,
    })
}
