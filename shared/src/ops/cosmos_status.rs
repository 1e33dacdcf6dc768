//! `cosmos status`: an account's customer-managed-key settings and its `customerManagedKeyStatus`
//! in words, read-only. Anything but "confirmed" is a broken link (exit 3).

use crate::clients::arm::cosmos::DatabaseAccount;
use crate::context::Ctx;
use crate::cosmos::status::KeyStatus;
use crate::diagnostics::BrokenLink;
use crate::output::Check;
use crate::steps::provider::links;
use crate::{InputError, ResourceId};

/// What the account says.
#[derive(Debug, Clone)]
pub struct CosmosStatusReport {
    pub account: DatabaseAccount,
    pub status: Option<KeyStatus>,
    pub checks: Vec<Check>,
}

impl CosmosStatusReport {
    pub fn confirmed(&self) -> bool {
        self.status.as_ref().is_some_and(KeyStatus::is_confirmed) && self.account.has_cmk()
    }

    /// `Err` unless the status is confirmed (exit code 3).
    pub fn health(&self) -> Result<(), BrokenLink> {
        if self.confirmed() {
            return Ok(());
        }
        Err(BrokenLink {
            failed: self.checks.iter().filter(|c| c.failed()).count().max(1),
            total: self.checks.len(),
            hint: Some(
                self.status
                    .as_ref()
                    .and_then(KeyStatus::fix)
                    .map(|f| format!("{f}; `xtcmk-provider doctor` checks every link"))
                    .unwrap_or_else(|| {
                        "`xtcmk-provider doctor` checks every link of the chain".into()
                    }),
            ),
        })
    }
}

/// Reads the account at `id`.
pub async fn run(ctx: &Ctx, id: &ResourceId) -> anyhow::Result<CosmosStatusReport> {
    let Some(account) = ctx.arm.cosmos_account(id).await? else {
        return Err(InputError::new(
            "--account",
            id.name(),
            format!("no Cosmos DB account at {id}"),
        )
        .with_fix("check --subscription, --resource-group and --account")
        .into());
    };
    let mut checks = vec![
        match account.key_uri() {
            Some(k) => Check::pass(links::ACCOUNT_KEY, k.to_string()),
            None => Check::fail(links::ACCOUNT_KEY, "customer-managed keys are off")
                .with_fix("`xtcmk-provider cosmos deploy` turns them on"),
        },
        Check::pass(links::DEFAULT_IDENTITY, account.default_identity()),
    ];
    let identities: Vec<String> = account
        .identity
        .as_ref()
        .map(|i| i.user_assigned_identities.keys().cloned().collect())
        .unwrap_or_default();
    checks.push(Check::pass(
        links::ACCOUNT_IDENTITY,
        if identities.is_empty() {
            format!(
                "{} (no user-assigned identity)",
                account
                    .identity
                    .as_ref()
                    .map(|i| i.kind.as_str())
                    .unwrap_or("None")
            )
        } else {
            identities.join(", ")
        },
    ));
    checks.push(links::key_status(&account));
    Ok(CosmosStatusReport {
        status: account.key_status(),
        account,
        checks,
    })
}
