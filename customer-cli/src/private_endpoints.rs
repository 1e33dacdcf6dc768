//! `xtcmk-customer private-endpoints`: lists the private endpoint connections on your vault (who
//! requested each, its state) and approves or rejects them when asked: one by name
//! (`--approve NAME`, the command the provider sends), or every pending one MongoDB Atlas requested
//! for the provider's Atlas project (`--approve-atlas` with the Atlas invitation), never others.

use std::path::PathBuf;
use std::sync::Arc;
use xtcmk::cli::{GlobalArgs, Printer, UsageError};
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::key_uri::check_vault_name;
use xtcmk::ops::private_endpoints::{self, Choice, Spec};
use xtcmk::report::{Event, Reporter};
use xtcmk::resource_id::check_resource_group_name;
use xtcmk::{Ctx, Handoff, Invitation, ResourceId, SubscriptionId};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The vault's name (with --subscription and --resource-group), or use --handoff.
    #[arg(long, value_name = "NAME", requires_all = ["subscription", "resource_group"], conflicts_with = "handoff")]
    pub vault: Option<String>,

    #[arg(long, value_name = "GUID")]
    pub subscription: Option<String>,

    #[arg(long, value_name = "NAME")]
    pub resource_group: Option<String>,

    /// The handoff `xtcmk-customer onboard` wrote (names the vault).
    #[arg(long, value_name = "FILE")]
    pub handoff: Option<PathBuf>,

    /// Approve every pending connection MongoDB Atlas requested for the provider's Atlas project
    /// (named in the Atlas invitation, --invitation).
    #[arg(long, requires = "invitation", conflicts_with_all = ["approve", "reject"])]
    pub approve_atlas: bool,

    /// The Atlas invitation the provider sent (for --approve-atlas).
    #[arg(long, value_name = "FILE")]
    pub invitation: Option<PathBuf>,

    /// Approve the connection of this name.
    #[arg(long, value_name = "NAME", conflicts_with = "reject")]
    pub approve: Option<String>,

    /// Reject the connection of this name.
    #[arg(long, value_name = "NAME")]
    pub reject: Option<String>,

    /// Show what would be answered; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub auth: AuthArgs,
}

fn vault(
    args: &Args,
    global: &GlobalArgs,
) -> anyhow::Result<(ResourceId, Option<xtcmk::TenantId>)> {
    let cloud = global.cloud()?;
    if let Some(path) = &args.handoff {
        let h = Handoff::read_from_file("--handoff", path, &cloud)?;
        return Ok((h.vault_id(), Some(h.customer_tenant_id)));
    }
    match (&args.vault, &args.subscription, &args.resource_group) {
        (Some(v), Some(s), Some(rg)) => {
            check_vault_name("--vault", v, v)?;
            check_resource_group_name("--resource-group", rg)?;
            let sub = SubscriptionId::parse_field("--subscription", s)?;
            Ok((ResourceId::vault(sub, rg, v), None))
        }
        _ => Err(UsageError::new("name the vault")
            .hint("pass --vault NAME --subscription GUID --resource-group NAME, or --handoff FILE")
            .into()),
    }
}

pub async fn run(args: Args, global: &GlobalArgs, printer: Arc<Printer>) -> anyhow::Result<()> {
    let (vault_id, tenant) = vault(&args, global)?;
    let choice = if args.approve_atlas {
        let path = args
            .invitation
            .as_ref()
            .expect("clap requires --invitation");
        let inv = Invitation::read_from_file("--invitation", path, &global.cloud()?)?;
        match inv.atlas {
            Some(a) => Choice::ApproveAtlas(a.group_id),
            None => {
                return Err(xtcmk::InputError::new(
                    "--invitation",
                    path.display().to_string(),
                    "this invitation is for Cosmos DB; it names no Atlas project",
                )
                .with_fix("pass the invitation `xtcmk-provider atlas invite` wrote, or approve one connection with --approve NAME")
                .into());
            }
        }
    } else if let Some(name) = &args.approve {
        Choice::Approve(name.clone())
    } else if let Some(name) = &args.reject {
        Choice::Reject(name.clone())
    } else {
        Choice::List
    };
    let stack = HttpStack::from_env(global.cloud()?, args.auth.auth)?;
    let ctx = Ctx::connect(stack, tenant, printer.clone()).await?;
    printer.context(Some(ctx.tenant.to_string()), args.dry_run);
    let spec = Spec {
        vault: vault_id.clone(),
        choice,
    };
    let plan = private_endpoints::plan(&ctx, &spec).await?;
    let steps = plan.steps();
    let writes = steps.iter().filter(|s| s.action.writes()).count();
    let rows = if writes == 0 || args.dry_run {
        for step in &steps {
            printer.report(Event::StepFinished(step.predicted()));
        }
        plan.rows()
    } else {
        for step in &steps {
            printer.status(format!("  - {}", step.sentence()));
        }
        printer.confirm("Proceed?", args.yes).await?;
        private_endpoints::apply(&ctx, plan).await?.1
    };
    printer.json(
        &printer
            .report_document()
            .field("vault", vault_id.to_string())
            .field("connections", &rows),
    );
    printer.text(format!(
        "private endpoint connections of vault {}:",
        vault_id.name()
    ));
    if rows.is_empty() {
        printer.text("  (none)");
    }
    for r in &rows {
        printer.text(format!("  {:<9} {}", r.status, r.name));
        printer.text(format!("            requested by {}", r.requested_by));
        if !r.request_message.is_empty() {
            printer.text(format!("            message: {}", r.request_message));
        }
    }
    if args.dry_run {
        printer.text(format!(
            "Dry run: nothing was changed; {writes} connection(s) would be answered."
        ));
    }
    Ok(())
}
