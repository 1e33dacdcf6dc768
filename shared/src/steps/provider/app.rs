//! The multi-tenant app: found by `--app-id` or by its unique name, created by upsert on the
//! unique name (never by display name alone), checked for `signInAudience: AzureADMultipleOrgs`
//! and the consent redirect URI.

use crate::clients::Upserted;
use crate::clients::graph::applications::{ApplicationInfo, WebInfo};
use crate::context::Ctx;
use crate::ops::setup::SetupSpec;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::ReporterExt;
use crate::{InputError, Refusal};
use serde_json::json;

/// The sign-in audience a customer's tenant can install the app with (any Entra ID tenant).
pub const MULTI_TENANT: &str = "AzureADMultipleOrgs";

/// How often, at most, a just-written app is read again while replicas catch up.
const VISIBILITY_READS: u32 = 8;

/// What an existing app lacks.
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

    fn describe(&self) -> String {
        let mut what = Vec::new();
        if self.multi_tenant {
            what.push(format!("signInAudience → {MULTI_TENANT}"));
        }
        if let Some(uri) = &self.redirect_uri {
            what.push(format!("redirect URI {uri} registered"));
        }
        what.join("; ")
    }
}

/// The app as found, and what it needs.
#[derive(Debug, Clone)]
pub struct AppPlan {
    pub found: Option<ApplicationInfo>,
    pub changes: AppChanges,
}

/// Reads the app and decides what it needs; refuses a single-tenant app unless `--fix`.
pub async fn plan(ctx: &Ctx, spec: &SetupSpec) -> anyhow::Result<AppPlan> {
    let found = match &spec.app_id {
        Some(app_id) => Some(ctx.graph.application_by_app_id(app_id).await?.ok_or_else(|| {
            InputError::new(
                "--app-id",
                app_id.to_string(),
                format!("no app registration with this client id in tenant {}", spec.tenant),
            )
            .with_fix("pass the app (client) id of an app registered in the provider tenant, or omit --app-id to create one")
        })?),
        None => {
            ctx.graph
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

impl AppPlan {
    /// Adopted when named by `--app-id`, kept when found under the tool's own unique name.
    fn found_action(spec: &SetupSpec) -> Action {
        if spec.app_id.is_some() {
            Action::Adopt
        } else {
            Action::Keep
        }
    }

    pub fn step(&self, spec: &SetupSpec) -> PlannedStep {
        match &self.found {
            None => PlannedStep::new(StepKind::App, Action::Create, &spec.app_name)
                .detail(format!("uniqueName {}, {MULTI_TENANT}", spec.unique_name())),
            Some(app) if self.changes.any() => {
                PlannedStep::new(StepKind::App, Action::Update, resource(app))
                    .detail(self.changes.describe())
            }
            Some(app) => PlannedStep::new(StepKind::App, Self::found_action(spec), resource(app)),
        }
    }

    /// The app's redirect URIs once the plan is carried out.
    pub fn redirect_registered(&self, spec: &SetupSpec) -> bool {
        match (&spec.consent_redirect_uri, &self.found) {
            (Some(uri), Some(app)) => {
                self.changes.redirect_uri.is_some()
                    || app.redirect_uris().iter().any(|r| r == uri.as_str())
            }
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

/// Creates, updates or adopts the app.
pub async fn apply(
    ctx: &Ctx,
    spec: &SetupSpec,
    plan: &AppPlan,
) -> anyhow::Result<(ApplicationInfo, StepReport)> {
    let planned = plan.step(spec);
    let Some(found) = &plan.found else {
        ctx.reporter.started(StepKind::App, &planned.resource);
        return create(ctx, spec).await;
    };
    if !plan.changes.any() {
        return Ok((
            found.clone(),
            StepReport::new(StepKind::App, planned.action.done(), resource(found)),
        ));
    }
    ctx.reporter.started(StepKind::App, resource(found));
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
        updated.web = Some(WebInfo {
            redirect_uris: uris,
        });
    }
    ctx.graph.update_application(&found.id, &body).await?;
    let report = StepReport::new(StepKind::App, Outcome::Updated, resource(&updated))
        .detail(plan.changes.describe());
    Ok((updated, report))
}

/// Upserts the app by its unique name: 201 created it; 204 means a replica had not shown it to
/// the first read, so it is read again (bounded) and adopted — never created twice.
async fn create(ctx: &Ctx, spec: &SetupSpec) -> anyhow::Result<(ApplicationInfo, StepReport)> {
    let unique = spec.unique_name();
    let mut body = json!({
        "displayName": spec.app_name,
        "signInAudience": MULTI_TENANT,
    });
    if let Some(uri) = &spec.consent_redirect_uri {
        body["web"] = json!({ "redirectUris": [uri.as_str()] });
    }
    match ctx.graph.upsert_application(&unique, &body).await? {
        Upserted::Created(app) => {
            let report = StepReport::new(StepKind::App, Outcome::Created, resource(&app))
                .detail(format!("uniqueName {unique}"));
            Ok((app, report))
        }
        Upserted::Updated => {
            let app = read_after_write(ctx, &unique).await?;
            let report = StepReport::new(StepKind::App, Outcome::Unchanged, resource(&app))
                .detail(format!(
                    "uniqueName {unique} existed; directory replication had hidden it from the first read"
                ));
            Ok((app, report))
        }
    }
}

/// Reads the app by unique name until a replica shows it (Entra is eventually consistent).
async fn read_after_write(ctx: &Ctx, unique: &str) -> anyhow::Result<ApplicationInfo> {
    let found = ctx
        .retrying(
            &format!("the app {unique} to replicate"),
            VISIBILITY_READS,
            |e| e.status() == Some(404),
            || async {
                match ctx.graph.application_by_unique_name(unique).await? {
                    Some(app) => Ok(app),
                    None => Err(crate::http::ServiceError::new(
                        crate::http::Service::Graph,
                        "GET",
                        &crate::clients::graph::applications::application_by_unique_name(unique),
                        404,
                        Some("Request_ResourceNotFound".into()),
                        "the app is not visible yet".into(),
                        None,
                    )
                    .into()),
                }
            },
        )
        .await;
    match found {
        Ok(app) => Ok(app),
        Err(e) if e.status() == Some(404) => Err(Refusal::new(format!(
            "the app with uniqueName {unique} exists but no directory replica has shown it after {VISIBILITY_READS} reads"
        ))
        .hint("wait a minute and run setup again; it will find the app and make no duplicate")
        .into()),
        Err(e) => Err(e.into()),
    }
}
