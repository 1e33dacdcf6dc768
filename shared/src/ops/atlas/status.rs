//! `atlas status`: the project's encryption at rest, read-only — on or off, `valid` (Atlas checks
//! its access to the key on every read), the way in (secret or roleId), private networking and
//! each private endpoint's state, the expiry of the project's client secrets, and the days since
//! the configuration last changed against Atlas's 90-day key-rotation alert. `valid: false` is a
//! [`BrokenLink`] (exit 3), explained with the cause the provider can see.

use super::private_endpoint::{self, EndpointRow};
use super::{AtlasCtx, secret_name};
use crate::atlas::{AccessMode, GroupId, KEY_ROTATION_ALERT_DAYS, SECRET_WARNING_DAYS};
use crate::clients::atlas::events::{CONFIGURATION_UPDATED, VALIDATION_FAILED};
use crate::context::Ctx;
use crate::diagnostics::BrokenLink;
use crate::output::Check;
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretExpiry {
    pub key_id: String,
    pub expires: Option<String>,
    pub days_left: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AtlasStatus {
    pub group_id: GroupId,
    pub enabled: bool,
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<AccessMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_vault_name: Option<String>,
    pub require_private_networking: bool,
    pub endpoints: Vec<EndpointRow>,
    /// The project's secrets (secret mode), when the provider tenant could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<SecretExpiry>>,
    /// Days since Atlas last recorded a change of the configuration (its key identifier or secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_since_configuration_changed: Option<i64>,
    pub key_rotation_alert_days: i64,
    /// Why Atlas cannot use the key, as far as the provider can tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    pub checks: Vec<Check>,
}

impl AtlasStatus {
    /// `Err` when Atlas cannot use the key (exit code 3).
    pub fn health(&self) -> Result<(), BrokenLink> {
        let failed = self.checks.iter().filter(|c| c.failed()).count();
        if failed == 0 {
            return Ok(());
        }
        Err(BrokenLink {
            failed,
            total: self.checks.len(),
            hint: Some(match &self.cause {
                Some(c) => c.clone(),
                None => {
                    "ask the customer to run `xtcmk-customer status --handoff <their handoff file>`"
                        .into()
                }
            }),
        })
    }
}

fn days_since(created: Option<OffsetDateTime>) -> Option<i64> {
    created.map(|c| (OffsetDateTime::now_utc() - c).whole_days())
}

/// Reads everything; `ctx` (the provider tenant) adds the secrets' expiry in secret mode.
pub async fn run(
    atlas: &AtlasCtx,
    ctx: Option<&Ctx>,
    group: &GroupId,
    cloud_arg: &str,
) -> anyhow::Result<AtlasStatus> {
    let config = atlas.atlas.encryption_at_rest(group).await?.azure();
    // Listing private endpoints needs Project Owner even to read (the spec's x-rolesRequirements);
    // with Project Read Only the rest of the status is still worth showing.
    let (endpoints, endpoints_unreadable) = match atlas.atlas.private_endpoints(group).await {
        Ok(e) => (e, None),
        Err(e) if e.is(401, "USER_UNAUTHORIZED") => (Vec::new(), Some(e)),
        Err(e) => return Err(e.into()),
    };
    let rows: Vec<EndpointRow> = endpoints
        .iter()
        .map(|e| private_endpoint::row(e, &config, cloud_arg))
        .collect();
    let mode = config.mode();
    let mut checks = Vec::new();
    if !config.is_enabled() {
        checks.push(Check::new(
            "encryption at rest",
            false,
            format!("off: enable it with `xtcmk-provider atlas enable --handoff <file> --group-id {group}`"),
        ));
    } else {
        checks.push(Check::new(
            "encryption at rest",
            true,
            format!(
                "on, key {}",
                config.key_identifier.as_deref().unwrap_or_default()
            ),
        ));
    }

    // The project's secrets (secret mode), nearest expiry first.
    let mut secrets = None;
    let mut expired_secret = false;
    if let (Some(AccessMode::Secret), Some(app), Some(ctx)) = (mode, config.client(), ctx) {
        match ctx.graph.passwords(&app).await {
            Ok(Some(all)) => {
                let name = secret_name(group);
                let mine: Vec<_> = all
                    .iter()
                    .filter(|p| p.display_name.as_deref() == Some(name.as_str()))
                    .collect();
                let shown = if mine.is_empty() {
                    all.iter().collect()
                } else {
                    mine
                };
                let now = OffsetDateTime::now_utc();
                let mut rows: Vec<SecretExpiry> = shown
                    .iter()
                    .map(|p| SecretExpiry {
                        key_id: p.key_id.to_string(),
                        expires: p.end_date_time.clone(),
                        days_left: p.expires().map(|e| (e - now).whole_days()),
                    })
                    .collect();
                rows.sort_by_key(|r| r.days_left);
                expired_secret = !shown.is_empty()
                    && shown.iter().all(|p| p.expires().is_some_and(|e| e <= now));
                if let Some(next) = rows.iter().rfind(|r| r.days_left.is_some_and(|d| d >= 0)) {
                    let days = next.days_left.unwrap_or_default();
                    let ok = days >= SECRET_WARNING_DAYS;
                    checks.push(Check::new(
                        "client secret",
                        true,
                        format!(
                            "{} expires {} ({days} days){}",
                            next.key_id,
                            next.expires.as_deref().unwrap_or_default(),
                            if ok {
                                ""
                            } else {
                                ": rotate it soon (`xtcmk-provider atlas rotate-secret`)"
                            }
                        ),
                    ));
                    if !ok {
                        atlas.reporter.report(crate::report::Event::Warning(format!(
                            "the client secret expires in {days} days: xtcmk-provider atlas rotate-secret --group-id {group}"
                        )));
                    }
                } else if expired_secret {
                    checks.push(Check::new(
                        "client secret",
                        false,
                        "every secret of the app has expired",
                    ));
                }
                secrets = Some(rows);
            }
            Ok(None) => checks.push(Check::unknown(
                "client secret",
                format!("app {app} is not registered in tenant {}", ctx.tenant),
            )),
            Err(e) => checks.push(Check::unknown(
                "client secret",
                format!("the app's secrets cannot be read: {e}"),
            )),
        }
    } else if let (Some(AccessMode::Secret), None) = (mode, ctx) {
        checks.push(Check::unknown(
            "client secret",
            "its expiry is not known: the provider's tenant could not be read",
        ));
    }

    let valid = config.is_valid();
    let mut cause = None;
    if config.is_enabled() {
        let failed_at = if valid {
            None
        } else {
            atlas
                .atlas
                .latest_event(group, VALIDATION_FAILED)
                .await?
                .map(|e| e.created)
        };
        if !valid {
            cause = Some(if expired_secret {
                "the client secret Atlas signs in with has expired: rotate it (`xtcmk-provider atlas rotate-secret --group-id <group id>`) or enable again with a new secret".to_string()
            } else {
                let who = match mode {
                    Some(AccessMode::Role) => "MongoDB Atlas's app",
                    _ => "the provider's app",
                };
                format!(
                    "Atlas cannot reach the key as {who}: the customer may have revoked the grant (`xtcmk-customer revoke`), disabled or deleted the key, or closed the vault's network to Atlas; ask the customer to run `xtcmk-customer status --handoff <their handoff file>`"
                )
            });
        }
        checks.push(Check::new(
            "valid",
            valid,
            if valid {
                "Atlas encrypts and decrypts with the key".to_string()
            } else {
                format!(
                    "false{}: {}",
                    failed_at.map(|t| format!(" since {t}")).unwrap_or_default(),
                    cause.clone().unwrap_or_default()
                )
            },
        ));
        checks.push(Check::new(
            "way in",
            true,
            match mode {
                Some(AccessMode::Role) => format!(
                    "roleId {} (MongoDB Atlas's own app, no secret)",
                    config.role_id.as_deref().unwrap_or_default()
                ),
                _ => format!(
                    "clientID {} with a client secret, tenant {}",
                    config.client_id.as_deref().unwrap_or_default(),
                    config.tenant_id.as_deref().unwrap_or_default()
                ),
            },
        ));
    }
    if let Some(e) = &endpoints_unreadable {
        checks.push(Check::unknown(
            "private endpoints",
            match e {
                crate::http::HttpError::Service(se) if se.hint.is_some() => {
                    format!("not listed: {}", se.hint.as_deref().unwrap_or_default())
                }
                _ => format!("not listed: {e}"),
            },
        ));
    } else if config.private_networking() || !rows.is_empty() {
        let active = rows.iter().any(|r| r.status == "ACTIVE");
        checks.push(Check::new(
            "private networking",
            !config.private_networking() || active,
            format!(
                "required: {}, {} endpoint(s), {} active",
                config.private_networking(),
                rows.len(),
                rows.iter().filter(|r| r.status == "ACTIVE").count()
            ),
        ));
        for r in &rows {
            checks.push(Check::new(
                "private endpoint",
                r.status != "FAILED",
                format!("{} {} {}: {}", r.id, r.region, r.status, r.explanation),
            ));
        }
    }
    let days = if config.is_enabled() {
        days_since(
            atlas
                .atlas
                .latest_event(group, CONFIGURATION_UPDATED)
                .await?
                .and_then(|e| e.created_at()),
        )
    } else {
        None
    };
    if let Some(d) = days {
        let due = d >= KEY_ROTATION_ALERT_DAYS;
        checks.push(Check::new(
            "key rotation",
            true,
            format!(
                "configuration changed {d} day(s) ago; Atlas alerts {KEY_ROTATION_ALERT_DAYS} days after the key identifier changed{}",
                if due {
                    ": rotate the key (`xtcmk-provider atlas rotate-key`)"
                } else {
                    ""
                }
            ),
        ));
        if due {
            atlas.reporter.report(crate::report::Event::Warning(format!(
                "the key identifier has not changed for {d} days: Atlas's key-rotation alert is due (xtcmk-provider atlas rotate-key --group-id {group} --handoff <new handoff>)"
            )));
        }
    }
    Ok(AtlasStatus {
        group_id: group.clone(),
        enabled: config.is_enabled(),
        valid,
        mode,
        key_identifier: config.key_identifier.clone(),
        key_vault_name: config.key_vault_name.clone(),
        require_private_networking: config.private_networking(),
        endpoints: rows,
        secrets,
        days_since_configuration_changed: days,
        key_rotation_alert_days: KEY_ROTATION_ALERT_DAYS,
        cause,
        checks,
    })
}
