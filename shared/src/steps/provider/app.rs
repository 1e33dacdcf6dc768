//! The multi-tenant app: found by `--app-id` or by its unique name, created by upsert on the
//! unique name (never by display name alone), checked for `signInAudience: AzureADMultipleOrgs`
//! and the consent redirect URI.

use super::{Session, SetupSpec};
use crate::clients::Upserted;
use crate::clients::graph_apps::ApplicationInfo;
use crate::output::{Outcome, StepReport};
use crate::{InputError, Refusal};
use serde_json::json;
use std::time::Duration;

/// The sign-in audience a customer's tenant can install the app with (any Entra ID tenant).
pub const MULTI_TENANT: &str = "AzureADMultipleOrgs";

/// How often, at most, a just-written app is read again while replicas catch up.
const VISIBILITY_READS: u32 = 8;

/// What the app needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppChanges {
    /// Switch `signInAudience` to multi-tenant (only with `--fix`).
    pub multi_tenant: bool,
    /// Register this redirect URI.
    pub redirect_uri: Option<String>,
}

impl AppChanges {
    pub fn any(&self) -> bool {
        self.multi_tenant || self.redirect_uri.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct AppPlan {
    pub found: Option<ApplicationInfo>,
    pub changes: AppChanges,
}

/// Reads the app and decides what it needs; refuses a single-tenant app unless `--fix`.
pub async fn plan(session: &Session, spec: &SetupSpec) -> anyhow::Result<AppPlan> {
    let found = match &spec.app_id {
        Some(app_id) => Some(
            session
                .graph
                .application_by_app_id(app_id)
                .await?
                .ok_or_else(|| {
                    InputError::new(
                        "--app-id",
                        app_id.to_string(),
                        format!("no app registration with this client id in tenant {}", spec.tenant),
                    )
                    .with_fix("pass the app (client) id of an app registered in the provider tenant, or omit --app-id to create one")
                })?,
        ),
        None => {
            session
                .graph
                .application_by_unique_name(&spec.unique_name())
                .await?
        }
    };
    let changes = match &found {
        Some(app) => changes_for(spec, app)?,
        None => AppChanges::default(),
    };
    Ok(AppPlan { found, changes })
}

/// What an existing app lacks; a single-tenant app is refused unless `--fix` is given.
pub fn changes_for(spec: &SetupSpec, app: &ApplicationInfo) -> Result<AppChanges, Refusal> {
    let audience = app.sign_in_audience.as_deref().unwrap_or("AzureADMyOrg");
    let multi_tenant = audience != MULTI_TENANT;
    if multi_tenant && !spec.fix {
        return Err(Refusal::new(format!(
            "the app {} ({}) has signInAudience `{audience}`: customers' tenants cannot install it, so cross-tenant keys cannot work",
            app.display_name.as_deref().unwrap_or("(no name)"),
            app.app_id
        ))
        .hint(format!(
            "re-run with --fix to switch it to {MULTI_TENANT}, or run: az ad app update --id {} --sign-in-audience {MULTI_TENANT}",
            app.app_id
        )));
    }
    let redirect_uri = spec
        .consent_redirect_uri
        .as_ref()
        .map(|u| u.as_str().to_string())
        .filter(|u| !app.redirect_uris().iter().any(|r| r == u));
    Ok(AppChanges {
        multi_tenant,
        redirect_uri,
    })
}

fn resource(app: &ApplicationInfo) -> String {
    format!(
        "{} (appId {})",
        app.display_name.as_deref().unwrap_or("(no name)"),
        app.app_id
    )
}

/// Creates, updates or adopts the app. Returns it (`None` only in a dry run that would create it).
pub async fn apply(
    session: &Session,
    spec: &SetupSpec,
    plan: &AppPlan,
) -> anyhow::Result<(Option<ApplicationInfo>, StepReport)> {
    let Some(found) = &plan.found else {
        return create(session, spec).await;
    };
    let adopted = if spec.app_id.is_some() {
        Outcome::Adopted
    } else {
        Outcome::Unchanged
    };
    if !plan.changes.any() {
        return Ok((
            Some(found.clone()),
            StepReport::new("app", adopted, resource(found)),
        ));
    }
    let mut what = Vec::new();
    if plan.changes.multi_tenant {
        what.push(format!("signInAudience → {MULTI_TENANT}"));
    }
    if let Some(uri) = &plan.changes.redirect_uri {
        what.push(format!("redirect URI {uri} registered"));
    }
    if spec.dry_run {
        return Ok((
            Some(found.clone()),
            StepReport::new("app", Outcome::WouldUpdate, resource(found)).detail(what.join("; ")),
        ));
    }
    let mut body = json!({});
    let mut updated = found.clone();
    if plan.changes.multi_tenant {
        body["signInAudience"] = json!(MULTI_TENANT);
        updated.sign_in_audience = Some(MULTI_TENANT.into());
    }
    if let Some(uri) = &plan.changes.redirect_uri {
        let mut uris = found.redirect_uris().to_vec();
        uris.push(uri.clone());
        body["web"] = json!({ "redirectUris": uris });
        updated.web = Some(crate::clients::graph_apps::WebInfo {
            redirect_uris: uris,
        });
    }
    session.graph.update_application(&found.id, &body).await?;
    Ok((
        Some(updated.clone()),
        StepReport::new("app", Outcome::Updated, resource(&updated)).detail(what.join("; ")),
    ))
}

/// Upserts the app by its unique name: 201 created it; 204 means a replica had not shown it to
/// the first read, so it is read again (bounded) and adopted — never created twice.
async fn create(
    session: &Session,
    spec: &SetupSpec,
) -> anyhow::Result<(Option<ApplicationInfo>, StepReport)> {
    let unique = spec.unique_name();
    if spec.dry_run {
        return Ok((
            None,
            StepReport::new("app", Outcome::WouldCreate, &spec.app_name)
                .detail(format!("uniqueName {unique}, {MULTI_TENANT}")),
        ));
    }
    let mut body = json!({
        "displayName": spec.app_name,
        "signInAudience": MULTI_TENANT,
    });
    if let Some(uri) = &spec.consent_redirect_uri {
        body["web"] = json!({ "redirectUris": [uri.as_str()] });
    }
    match session.graph.upsert_application(&unique, &body).await? {
        Upserted::Created(app) => {
            let report = StepReport::new("app", Outcome::Created, resource(&app))
                .detail(format!("uniqueName {unique}"));
            Ok((Some(app), report))
        }
        Upserted::Updated => {
            let app = read_after_write(session, &unique).await?;
            let report = StepReport::new("app", Outcome::Adopted, resource(&app)).detail(format!(
                "uniqueName {unique} existed; directory replication had hidden it from the first read"
            ));
            Ok((Some(app), report))
        }
    }
}

/// Reads the app by unique name until a replica shows it (Entra is eventually consistent).
async fn read_after_write(session: &Session, unique: &str) -> anyhow::Result<ApplicationInfo> {
    let sleeper = session.graph.service_client().sleeper().clone();
    let mut wait = Duration::from_secs(2);
    for _ in 0..VISIBILITY_READS {
        if let Some(app) = session.graph.application_by_unique_name(unique).await? {
            return Ok(app);
        }
        tracing::info!("app {unique} not visible yet; reading again in {wait:?}");
        sleeper.sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
    Err(Refusal::new(format!(
        "the app with uniqueName {unique} exists but no directory replica has shown it after {VISIBILITY_READS} reads"
    ))
    .hint("wait a minute and run setup again; it will find the app and make no duplicate")
    .into())
}
