//! `xtcmk-provider identities`: the app's federated credentials (`n/20 used`), the managed
//! identity each one trusts (resolved in the subscriptions the signed-in principal can read),
//! and the broken ones: near misses that Entra accepted but token exchange would refuse
//! (AADSTS700211 wrong issuer, e.g. a trailing slash; AADSTS700213 wrong subject) and subjects
//! that match no managed identity.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use xtcmk::cli::GlobalArgs;
use xtcmk::clients::arm_identities::UserAssignedIdentity;
use xtcmk::fic::{FicExpectation, FicMatch};
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::steps::provider::Session;
use xtcmk::steps::provider::credential::MAX_PER_APP;
use xtcmk::{AppId, InputError, ObjectId, SubscriptionId, TenantId};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The app (client) id.
    #[arg(long, value_name = "GUID")]
    pub app_id: String,

    /// The provider's tenant (default: the signed-in principal's).
    #[arg(long, value_name = "GUID")]
    pub tenant: Option<String>,

    /// Subscriptions to look for the managed identities in (default: every one you can read).
    #[arg(long = "subscription", value_name = "GUID")]
    pub subscriptions: Vec<String>,

    #[command(flatten)]
    pub auth: AuthArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Status {
    /// Trusts a managed identity the provider can see, with the right issuer and audience.
    Ok,
    /// Token exchange would fail.
    Broken,
    /// Not a managed identity of an Entra tenant (e.g. a CI workload).
    Other,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    name: String,
    issuer: String,
    subject: Option<String>,
    audiences: Vec<String>,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<String>,
    problems: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    tenant: TenantId,
    app_id: AppId,
    app_display_name: Option<String>,
    used: usize,
    limit: usize,
    credentials: Vec<Row>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionInfo {
    subscription_id: SubscriptionId,
}

async fn identities(
    session: &Session,
    given: &[SubscriptionId],
) -> anyhow::Result<BTreeMap<ObjectId, UserAssignedIdentity>> {
    let subscriptions = if given.is_empty() {
        session
            .arm
            .list::<SubscriptionInfo>("/subscriptions", "2022-12-01")
            .await?
            .into_iter()
            .map(|s| s.subscription_id)
            .collect()
    } else {
        given.to_vec()
    };
    let mut by_principal = BTreeMap::new();
    for sub in &subscriptions {
        for identity in session.arm.list_user_assigned_identities(sub).await? {
            by_principal.insert(identity.properties.principal_id, identity);
        }
    }
    Ok(by_principal)
}

pub async fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let app_id = AppId::parse_field("--app-id", &args.app_id)?;
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()?;
    let subscriptions = args
        .subscriptions
        .iter()
        .map(|s| SubscriptionId::parse_field("--subscription", s))
        .collect::<Result<Vec<_>, _>>()?;
    let cloud = global.cloud()?;
    let stack = Arc::new(HttpStack::from_env(cloud.clone(), args.auth.auth)?);
    let claims = stack
        .signed_in(tenant.as_ref(), xtcmk::http::Audience::Graph)
        .await?;
    let tenant = match (tenant, claims.tenant_id()) {
        (Some(t), _) => t,
        (None, Some(t)) => t,
        (None, None) => {
            return Err(InputError::new("--tenant", "", "the token names no tenant")
                .with_fix("pass --tenant with the provider tenant id")
                .into());
        }
    };
    if tenant.to_string()
        != claims
            .tenant_id()
            .map(|t| t.to_string())
            .unwrap_or_default()
    {
        let spec_tenant_refusal = xtcmk::Refusal::new(format!(
            "signed in to tenant {}, but --tenant is {tenant}",
            claims
                .tenant_id()
                .map(|t| t.to_string())
                .unwrap_or_else(|| "(none)".into())
        ))
        .hint(format!(
            "sign in to the provider tenant: az login --tenant {tenant}"
        ));
        return Err(spec_tenant_refusal.into());
    }
    let session = Session::new(stack, &tenant)?;
    let app = session
        .graph
        .application_by_app_id(&app_id)
        .await?
        .ok_or_else(|| {
            InputError::new(
                "--app-id",
                app_id.to_string(),
                format!("no app registration with this client id in tenant {tenant}"),
            )
            .with_fix("pass the client id of an app registered in the provider tenant")
        })?;
    let credentials = session.graph.federated_credentials(&app.id).await?;
    let known = identities(&session, &subscriptions).await?;

    let rows: Vec<Row> = credentials
        .iter()
        .map(|c| {
            let subject_id = c
                .subject
                .as_deref()
                .and_then(|s| s.trim().parse::<ObjectId>().ok());
            let (status, identity, problems) = match subject_id {
                None => (Status::Other, None, Vec::new()),
                Some(principal) => {
                    let expectation = FicExpectation::new(&cloud, &tenant, &principal);
                    let mut problems = match expectation.classify_credential(c) {
                        FicMatch::NearMiss(reasons) => reasons,
                        _ => Vec::new(),
                    };
                    let identity = known.get(&principal).map(|i| i.id.clone());
                    if identity.is_none() {
                        problems.push(format!(
                            "subject {principal} matches no managed identity in the subscriptions searched"
                        ));
                    }
                    let status = if problems.is_empty() {
                        Status::Ok
                    } else {
                        Status::Broken
                    };
                    (status, identity, problems)
                }
            };
            Row {
                name: c.name.clone(),
                issuer: c.issuer.clone(),
                subject: c.subject.clone(),
                audiences: c.audiences.clone(),
                status,
                identity,
                problems,
            }
        })
        .collect();

    let report = Report {
        tenant,
        app_id,
        app_display_name: app.display_name.clone(),
        used: rows.len(),
        limit: MAX_PER_APP,
        credentials: rows,
    };
    printer.json(&report);
    printer.text(format!(
        "{} (app id {}): {}/{MAX_PER_APP} federated credentials used",
        app.display_name.as_deref().unwrap_or("(no name)"),
        app_id,
        report.used
    ));
    for row in &report.credentials {
        let status = match row.status {
            Status::Ok => "ok",
            Status::Broken => "BROKEN",
            Status::Other => "other",
        };
        printer.text(format!(
            "  {status:<7} {}  subject {}",
            row.name,
            row.subject.as_deref().unwrap_or("(none)")
        ));
        printer.text(format!(
            "          issuer {}  audiences [{}]",
            row.issuer,
            row.audiences.join(", ")
        ));
        match (&row.identity, row.status) {
            (Some(id), Status::Ok) => printer.text(format!("          trusts {id}")),
            (Some(id), _) => printer.text(format!("          meant for {id}")),
            (None, Status::Other) => printer.text("          not a managed identity of this cloud"),
            _ => {}
        }
        for p in &row.problems {
            printer.text(format!("          problem: {p}"));
        }
    }
    let broken = report
        .credentials
        .iter()
        .filter(|r| r.status == Status::Broken)
        .count();
    if broken > 0 {
        printer.status(format!(
            "{broken} credential(s) would fail token exchange: re-run `xtcmk-provider setup` with --fix and the same --credential-name, or delete them (az ad app federated-credential delete)"
        ));
    }
    Ok(())
}
