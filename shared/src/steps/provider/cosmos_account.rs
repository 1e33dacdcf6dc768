//! The Cosmos DB account on the customer's key: read at its id; absent → created with the UAMI, the
//! versionless key URI and the cross-tenant default identity in one PUT (long-running); present →
//! brought to those settings one change at a time, each read back: the UAMI among its identities,
//! then `defaultIdentity`, then `keyVaultKeyUri`.
//!
//! Cosmos DB's rules this follows (how-to-setup-customer-managed-keys-existing-accounts,
//! troubleshoot-cmk): customer-managed keys can be turned on for an existing account (the data is
//! encrypted in the background, asynchronously) and never turned off again; an account on a
//! cross-tenant key stays with that key's tenant ("The tenant for the new Key Vault … does not match
//! the one in the old Key Vault"); while its key is revoked only `identity` and `defaultIdentity`
//! may change; `identity` and `defaultIdentity` changed in one request keep the old default identity
//! silently (hashicorp/terraform-provider-azurerm#21780), hence one request each.

use crate::clients::arm::cosmos::{AccountUpdate, DatabaseAccount};
use crate::context::Ctx;
use crate::cosmos::{CosmosCmkAccount, REVOKED_NO_UPDATE, pinned_tenant_refusal};
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::ReporterExt;
use crate::steps::provider::links::{Chain, key_tenant_of};
use crate::{Refusal, ResourceId, TenantId};

/// The account as the plan found it.
#[derive(Debug, Clone)]
pub enum AccountFound {
    Absent,
    Existing(Box<DatabaseAccount>),
}

/// A change of key on an account that has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    pub from: String,
    /// The tenant of both keys (a change across tenants is refused in the plan).
    pub tenant: Option<TenantId>,
}

/// Every decision about the account.
#[derive(Debug, Clone)]
pub struct AccountPlan {
    pub id: ResourceId,
    pub desired: CosmosCmkAccount,
    pub found: AccountFound,
    /// Existing accounts only: whether each setting is kept or changed.
    pub identity: Action,
    pub default_identity: Action,
    pub key: Action,
    pub key_change: Option<KeyChange>,
}

/// What the plan knows about the keys' tenants.
#[derive(Debug, Clone, Copy)]
pub struct Tenants {
    /// The provider's own tenant (where the account is).
    pub provider: TenantId,
    /// The new key's tenant (the handoff's).
    pub key: TenantId,
}

/// Key URIs compared as Cosmos DB stores them: versionless, host case-insensitive.
fn same_key(current: &str, desired: &CosmosCmkAccount) -> bool {
    current
        .trim_end_matches('/')
        .eq_ignore_ascii_case(&desired.key.to_string())
}

/// Default identities compared as ARM compares resource ids (case-insensitively).
fn same_default_identity(current: &str, desired: &CosmosCmkAccount) -> bool {
    current.eq_ignore_ascii_case(&desired.default_identity())
}

/// Decides what to do with the account. The tenant of the key an existing account uses is asked
/// of that key's vault only when the key changes.
pub async fn plan(
    ctx: &Ctx,
    id: ResourceId,
    desired: &CosmosCmkAccount,
    tenants: Tenants,
    chain: &Chain,
    vault_tenant: Option<TenantId>,
) -> anyhow::Result<AccountPlan> {
    let found = match ctx.arm.cosmos_account(&id).await? {
        // An account another run (or an interrupted one) is still creating or updating is
        // waited for, so the decision is made on its settled settings.
        Some(account) => {
            ctx.while_pending(
                Some(account),
                |a| {
                    a.as_ref()
                        .and_then(|a| a.properties.provisioning_state.as_deref())
                        .filter(|s| {
                            !["Succeeded", "Failed", "Canceled"]
                                .iter()
                                .any(|t| t.eq_ignore_ascii_case(s))
                        })
                        .map(|s| format!("account {} to finish ({s})", desired.name))
                },
                || async { Ok(ctx.arm.cosmos_account(&id).await?) },
            )
            .await?
        }
        None => None,
    };
    let Some(current) = found else {
        if ctx
            .arm
            .cosmos_account_name_taken(desired.name.as_str())
            .await?
        {
            return Err(Refusal::new(format!(
                "the Cosmos DB account name {} is taken elsewhere: names are global (they become {}.documents.azure.com)",
                desired.name, desired.name
            ))
            .hint("choose another --account name")
            .into());
        }
        return Ok(AccountPlan {
            id,
            desired: desired.clone(),
            found: AccountFound::Absent,
            identity: Action::Create,
            default_identity: Action::Create,
            key: Action::Create,
            key_change: None,
        });
    };
    let identity = if current.has_identity(&desired.identity) {
        Action::Keep
    } else {
        Action::Update
    };
    let default_identity = if same_default_identity(current.default_identity(), desired) {
        Action::Keep
    } else {
        Action::Update
    };
    let (key, key_change) = match current.key_uri() {
        Some(k) if same_key(k, desired) => (Action::Keep, None),
        Some(k) => {
            // An account on a cross-tenant key (or on a key of another tenant than its own) is
            // pinned to that tenant (troubleshoot-cmk 1.7).
            let from_tenant = key_tenant_of(ctx, k, chain, vault_tenant).await?;
            let cross = crate::cosmos::federated_client_id(current.default_identity()).is_some()
                || from_tenant.is_some_and(|t| t != tenants.provider);
            if let Some(old) = from_tenant.filter(|t| cross && *t != tenants.key) {
                return Err(Refusal::new(format!(
                    "account {} uses key {k} of tenant {old}; the handoff's key {} is in tenant {}, and Cosmos DB keeps a cross-tenant account with its first key's tenant: \"{}\"",
                    desired.name,
                    desired.key,
                    tenants.key,
                    pinned_tenant_refusal(&tenants.key, &old)
                ))
                .hint(format!(
                    "deploy a new account for this customer's key (another --account), or ask for a key in tenant {old}"
                ))
                .into());
            }
            (
                Action::Update,
                Some(KeyChange {
                    from: k.to_string(),
                    tenant: from_tenant,
                }),
            )
        }
        None => (Action::Update, None),
    };
    // While the key is revoked, Cosmos DB takes identity changes only (troubleshoot-cmk 1.5).
    if key == Action::Update
        && current.has_cmk()
        && let Some(status) = current.key_status().filter(|s| !s.is_confirmed())
    {
        return Err(Refusal::new(format!(
            "account {} cannot change its key while its key status is revoked ({}): \"{REVOKED_NO_UPDATE}\"",
            desired.name,
            status.words()
        ))
        .hint(status.fix().unwrap_or("restore access to the current key first, then deploy again").to_string())
        .into());
    }
    Ok(AccountPlan {
        id,
        desired: desired.clone(),
        found: AccountFound::Existing(Box::new(current)),
        identity,
        default_identity,
        key,
        key_change,
    })
}

impl AccountPlan {
    pub fn existing(&self) -> Option<&DatabaseAccount> {
        match &self.found {
            AccountFound::Existing(a) => Some(a),
            AccountFound::Absent => None,
        }
    }

    /// The steps: one create for a new account; for an existing one the account, then its
    /// identity, default identity and key.
    pub fn steps(&self) -> Vec<PlannedStep> {
        let d = &self.desired;
        let Some(current) = self.existing() else {
            return vec![
                PlannedStep::new(StepKind::CosmosAccount, Action::Create, self.id.to_string())
                    .detail(format!(
                        "in {}, with identity {} and the customer's key",
                        d.location,
                        d.identity.name()
                    )),
            ];
        };
        let mut steps = vec![PlannedStep::new(
            StepKind::CosmosAccount,
            Action::Keep,
            self.id.to_string(),
        )];
        let identity = PlannedStep::new(
            StepKind::AccountIdentity,
            self.identity,
            d.identity.to_string(),
        );
        steps.push(match self.identity {
            Action::Update => {
                identity.detail("added to the account's user-assigned identities; the others stay")
            }
            _ => identity,
        });
        let default_identity = PlannedStep::new(
            StepKind::DefaultIdentity,
            self.default_identity,
            d.default_identity(),
        );
        steps.push(match self.default_identity {
            Action::Update => default_identity.detail(format!(
                "was {}; sent in a request of its own, since identity and defaultIdentity together keep the old one",
                current.default_identity()
            )),
            _ => default_identity,
        });
        let key = PlannedStep::new(StepKind::AccountKey, self.key, d.key.to_string());
        steps.push(match (self.key, &self.key_change) {
            (Action::Update, None) => key.detail(
                "turn customer-managed keys on: this cannot be turned off again; Cosmos DB encrypts the existing data in the background, asynchronously",
            ),
            (Action::Update, Some(change)) => key.detail(format!(
                "change of key from {}{}: Cosmos DB re-wraps the account's data encryption key with the new key; the old key must stay usable until the change is done",
                change.from,
                change
                    .tenant
                    .map(|t| format!(" (same tenant {t})"))
                    .unwrap_or_default()
            )),
            _ => key,
        });
        steps
    }

    /// Whether anything is written.
    pub fn writes(&self) -> bool {
        self.steps().iter().any(|s| s.action.writes())
    }
}

/// A change Cosmos DB accepted but that the account does not show when read back.
fn not_taken(what: &str, expected: &str, shown: &str) -> anyhow::Error {
    Refusal::new(format!(
        "Cosmos DB accepted the {what} change, but the account read back shows {shown} instead of {expected}"
    ))
    .hint("re-run the same command: it changes only what is still missing")
    .into()
}

/// Carries the plan out, reporting each step; returns the account as read back last.
pub async fn apply(
    ctx: &Ctx,
    plan: &AccountPlan,
    done: &mut (dyn FnMut(StepReport) + Send),
) -> anyhow::Result<DatabaseAccount> {
    let steps = plan.steps();
    let d = &plan.desired;
    let Some(current) = plan.existing() else {
        let step = &steps[0];
        ctx.reporter
            .started(StepKind::CosmosAccount, &step.resource);
        let created = ctx
            .arm
            .create_cosmos_account(&plan.id, &d.account_body())
            .await?;
        let mut report = StepReport::new(StepKind::CosmosAccount, Outcome::Created, &step.resource);
        report.detail = step.detail.clone();
        done(report);
        return Ok(created);
    };
    let mut account = current.clone();
    done(steps[0].predicted());

    // 1. The identity on the account.
    if plan.identity == Action::Update {
        ctx.reporter
            .started(StepKind::AccountIdentity, d.identity.to_string());
        account = ctx
            .arm
            .update_cosmos_account(
                &plan.id,
                &AccountUpdate::identity(account.identity_with(&d.identity)),
            )
            .await?;
        if !account.has_identity(&d.identity) {
            return Err(not_taken(
                "identity",
                &d.identity.to_string(),
                "identities without it",
            ));
        }
    }
    done(realized(&steps[1]));

    // 2. The default identity, in a request of its own.
    if plan.default_identity == Action::Update {
        ctx.reporter
            .started(StepKind::DefaultIdentity, d.default_identity());
        account = ctx
            .arm
            .update_cosmos_account(
                &plan.id,
                &AccountUpdate::default_identity(d.default_identity()),
            )
            .await?;
        if !same_default_identity(account.default_identity(), d) {
            return Err(not_taken(
                "defaultIdentity",
                &d.default_identity(),
                account.default_identity(),
            ));
        }
    }
    done(realized(&steps[2]));

    // 3. The key.
    if plan.key == Action::Update {
        ctx.reporter
            .started(StepKind::AccountKey, d.key.to_string());
        account = ctx
            .arm
            .update_cosmos_account(&plan.id, &AccountUpdate::key(&d.key))
            .await?;
        if !account.key_uri().is_some_and(|k| same_key(k, d)) {
            return Err(not_taken(
                "keyVaultKeyUri",
                &d.key.to_string(),
                account.key_uri().unwrap_or("no key"),
            ));
        }
    }
    done(realized(&steps[3]));
    Ok(account)
}

fn realized(step: &PlannedStep) -> StepReport {
    let mut r = step.predicted();
    r.outcome = step.action.done();
    r
}
