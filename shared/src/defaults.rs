//! What a flag means when it is left out, as the Azure CLI decides it: the subscription is the
//! signed-in account's default (`az account show`), or the only one the principal can see.

use crate::context::Ctx;
use crate::http::AuthSource;
use crate::{InputError, SubscriptionId};

/// The subscription to use when `--subscription` is not given, and how it was chosen.
pub async fn subscription(ctx: &Ctx) -> anyhow::Result<(SubscriptionId, String)> {
    if matches!(ctx.stack.credentials().source(), AuthSource::AzureCli)
        && let Some((id, tenant)) = az_account_show().await
        && tenant.eq_ignore_ascii_case(&ctx.tenant.to_string())
        && let Ok(id) = SubscriptionId::parse_field("az account show", &id)
    {
        return Ok((
            id,
            "the Azure CLI's default subscription (`az account show`)".to_string(),
        ));
    }
    let mut visible = ctx.arm.subscriptions().await?;
    match visible.len() {
        1 => {
            let only = visible.remove(0);
            Ok((
                only.subscription_id,
                "the only subscription the signed-in principal can see".to_string(),
            ))
        }
        0 => Err(InputError::new(
            "--subscription",
            "",
            format!("not given, and the signed-in principal can see no subscription in tenant {}", ctx.tenant),
        )
        .with_fix("pass --subscription, and ask for a role (e.g. Reader) on it")
        .into()),
        n => Err(InputError::new(
            "--subscription",
            "",
            format!(
                "not given, and the signed-in principal can see {n} subscriptions: {}",
                visible
                    .iter()
                    .map(|s| match &s.display_name {
                        Some(name) => format!("{} ({name})", s.subscription_id),
                        None => s.subscription_id.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_fix("pass --subscription with one of them, or set the default with `az account set --subscription <id>`")
        .into()),
    }
}

/// `(subscription id, tenant id)` of `az account show`, when the Azure CLI answers.
async fn az_account_show() -> Option<(String, String)> {
    let out = tokio::process::Command::new("az")
        .args(["account", "show", "--output", "json"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some((
        v.get("id")?.as_str()?.to_string(),
        v.get("tenantId")?.as_str()?.to_string(),
    ))
}
