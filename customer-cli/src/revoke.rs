//! `xtcmk-customer revoke --handoff FILE`: removes exactly the grant onboarding made — the role
//! assignment named in the handoff, or the service principal's access policy — never the key,
//! the vault or the service principal. The provider's resources lose access to the data.

use serde::Serialize;
use std::path::PathBuf;
use xtcmk::Handoff;
use xtcmk::cli::GlobalArgs;
use xtcmk::clients::arm_vaults::{AccessPermissions, AccessPolicyEntry};
use xtcmk::documents::PermissionModel;
use xtcmk::http::AuthArgs;
use xtcmk::output::{Outcome, StepReport};
use xtcmk::steps::customer::session;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The handoff file `xtcmk-customer onboard` wrote.
    #[arg(long, value_name = "FILE")]
    pub handoff: PathBuf,

    /// Show what would be removed; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub auth: AuthArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    step: StepReport,
    consequence: String,
}

fn consequence(handoff: &Handoff) -> String {
    format!(
        "the provider's service principal {} can no longer use key {}: the provider's resources encrypted with it (Cosmos DB accounts, Atlas clusters) lose access to their data until access is granted again. The key and vault {} are kept.",
        handoff.service_principal_object_id,
        handoff.key.versionless(),
        handoff.vault_name
    )
}

pub async fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let cloud = global.cloud()?;
    let handoff = Handoff::read_from_file("--handoff", &args.handoff, &cloud)?;
    let ctx = session::connect(
        cloud,
        args.auth.auth,
        Some(handoff.customer_tenant_id),
        args.dry_run,
        printer,
    )
    .await?;
    let consequence = consequence(&handoff);
    let step = match handoff.permission_model {
        PermissionModel::Rbac => {
            let Some(id) = &handoff.role_assignment_id else {
                anyhow::bail!(xtcmk::Refusal::new(
                    "the handoff names no role assignment, so there is nothing this tool made to remove"
                )
                .hint("remove the grant in the portal (Access control (IAM) of the key or vault)"));
            };
            let label = id.to_string();
            match ctx.arm.role_assignment_by_id(&label).await? {
                None => {
                    StepReport::new("grant", Outcome::Unchanged, label).detail("already removed")
                }
                Some(ra)
                    if !ra
                        .properties
                        .principal_id
                        .eq_ignore_ascii_case(&handoff.service_principal_object_id.to_string()) =>
                {
                    anyhow::bail!(xtcmk::Refusal::new(format!(
                        "role assignment {label} is for principal {}, not the provider's service principal {}; not removing it",
                        ra.properties.principal_id, handoff.service_principal_object_id
                    ))
                    .hint("check that the handoff file is the one onboarding wrote"));
                }
                Some(_) if args.dry_run => StepReport::new("grant", Outcome::WouldRemove, label),
                Some(_) => {
                    printer.status(format!(
                        "Will remove role assignment {label}.\nConsequence: {consequence}"
                    ));
                    session::confirm("Remove the grant?", args.yes, "xtcmk-customer revoke")?;
                    ctx.arm.delete_role_assignment(&label).await?;
                    StepReport::new("grant", Outcome::Removed, label)
                }
            }
        }
        PermissionModel::AccessPolicy => {
            let vault_id = handoff.vault_id();
            let sp = handoff.service_principal_object_id.to_string();
            let label = format!("{}/accessPolicies/{sp}", handoff.vault_name);
            let Some(vault) = ctx.arm.vault(&vault_id).await? else {
                anyhow::bail!(
                    xtcmk::Refusal::new(format!("vault {vault_id} does not exist"))
                        .hint("check the handoff file; a deleted vault holds no grant")
                );
            };
            let entry = vault
                .properties
                .access_policies
                .iter()
                .find(|p| p.object_id.eq_ignore_ascii_case(&sp))
                .cloned();
            match entry {
                None => {
                    StepReport::new("grant", Outcome::Unchanged, label).detail("already removed")
                }
                Some(_) if args.dry_run => StepReport::new("grant", Outcome::WouldRemove, label),
                Some(e) => {
                    printer.status(format!("Will remove the access policy of {sp} on vault {}.\nConsequence: {consequence}", handoff.vault_name));
                    session::confirm("Remove the grant?", args.yes, "xtcmk-customer revoke")?;
                    let remove = AccessPolicyEntry {
                        tenant_id: e.tenant_id,
                        object_id: e.object_id,
                        permissions: AccessPermissions {
                            keys: e.permissions.keys,
                        },
                    };
                    ctx.arm
                        .update_access_policy(&vault_id, "remove", &[remove])
                        .await?;
                    StepReport::new("grant", Outcome::Removed, label)
                }
            }
        }
    };
    if printer.is_json() {
        printer.json(&Report { step, consequence });
    } else {
        printer.text(step.line());
        match step.outcome {
            Outcome::Removed => printer.text(format!("Revoked: {consequence}")),
            Outcome::WouldRemove => printer.text(format!(
                "Dry run: nothing was changed. Revoking would mean: {consequence}"
            )),
            _ => printer
                .text("Nothing to revoke: the grant is already gone. The key and vault are kept."),
        }
    }
    Ok(())
}
