//! `atlas secret create | list | remove`: the client secrets of the provider's app that Atlas signs
//! in with (Graph `addPassword` / `removePassword`). Atlas client secrets live at most two years
//! (Atlas's Azure Key Vault page); `list` warns about those that expire within 60 days.
//!
//! A new secret's text goes only where it is used: into a file created with mode 0600, or to the
//! binary, which hands it to the next command's stdin and never to a terminal. If the file cannot
//! be written, the new secret is removed again, so no secret exists that nobody holds.

use crate::atlas::{GroupId, MAX_SECRET_DAYS, SECRET_WARNING_DAYS};
use crate::clients::graph::passwords::{NewPassword, PasswordCredentialInfo};
use crate::context::Ctx;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::{Event, ReporterExt};
use crate::{AppId, InputError, Refusal, Secret};
use serde::Serialize;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use uuid::Uuid;

/// Parses `--expires-in`: `<n>d`, `<n>w`, `<n>m` (30 days) or `<n>y` (365 days), at most two
/// years (730 days).
pub fn parse_expires_in(field: &str, value: &str) -> Result<i64, InputError> {
    let v = value.trim().to_ascii_lowercase();
    let (number, unit) = v.split_at(v.len().saturating_sub(1));
    let days_per = match unit {
        "d" => 1,
        "w" => 7,
        "m" => 30,
        "y" => 365,
        _ => 0,
    };
    let n: i64 = number.parse().unwrap_or(0);
    if days_per == 0 || n <= 0 {
        return Err(
            InputError::new(field, value, "not a duration like 90d, 26w, 6m or 1y")
                .with_fix("pass a number followed by d, w, m or y, at most 2y"),
        );
    }
    let days = n * days_per;
    if days > MAX_SECRET_DAYS {
        return Err(InputError::new(
            field,
            value,
            format!("{days} days: Atlas takes client secrets that live at most two years"),
        )
        .with_fix("pass at most 2y (730d)"));
    }
    Ok(days)
}

/// Where a new secret's text goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretDestination {
    /// A new file, mode 0600.
    File(PathBuf),
    /// Back to the binary, which writes it to a pipe (never to a terminal).
    Pipe,
}

#[derive(Debug, Clone)]
pub struct CreateSpec {
    pub app_id: AppId,
    /// Names the secret after the project it is for (`xtcmk-atlas-<group>`).
    pub group: Option<GroupId>,
    pub expires_in_days: i64,
    pub destination: SecretDestination,
}

impl CreateSpec {
    pub fn display_name(&self) -> String {
        match &self.group {
            Some(g) => super::secret_name(g),
            None => "xtcmk-atlas".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CreatePlan {
    pub spec: CreateSpec,
    pub app_display_name: Option<String>,
    pub expires: OffsetDateTime,
}

impl CreatePlan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        let mut steps = vec![
            PlannedStep::new(
                StepKind::AtlasSecret,
                Action::Create,
                format!("{} ({})", self.spec.display_name(), self.spec.app_id),
            )
            .detail(format!("expires {}", day(self.expires))),
        ];
        if let SecretDestination::File(path) = &self.spec.destination {
            steps.push(
                PlannedStep::new(
                    StepKind::SecretFile,
                    Action::Create,
                    path.display().to_string(),
                )
                .detail("mode 0600"),
            );
        }
        steps
    }
}

/// A secret just made: its text is for the destination only. `Debug` redacts it.
#[derive(Debug, Clone)]
pub struct CreateOutcome {
    pub steps: Vec<StepReport>,
    pub key_id: Uuid,
    pub hint: Option<String>,
    pub expires: Option<String>,
    /// `Some` only for [`SecretDestination::Pipe`].
    pub secret: Option<Secret>,
}

fn day(t: OffsetDateTime) -> String {
    t.date().to_string()
}

fn missing_app(ctx: &Ctx, app_id: &AppId) -> InputError {
    InputError::new(
        "--app-id",
        app_id.to_string(),
        format!("no app registration with this client id in tenant {}", ctx.tenant),
    )
    .with_fix("pass the client id of the provider's app (the app Atlas signs in as), signed in to the provider's tenant")
}

/// The secrets of the app in the provider tenant (the caller's), or a refusal naming `--app-id`.
pub async fn provider_app(
    ctx: &Ctx,
    app_id: &AppId,
) -> anyhow::Result<Vec<PasswordCredentialInfo>> {
    Ok(ctx
        .graph
        .passwords(app_id)
        .await?
        .ok_or_else(|| missing_app(ctx, app_id))?)
}

/// Reads the app and checks the destination; writes nothing.
pub async fn plan_create(ctx: &Ctx, spec: &CreateSpec) -> anyhow::Result<CreatePlan> {
    let app = ctx
        .graph
        .application_by_app_id(&spec.app_id)
        .await?
        .ok_or_else(|| missing_app(ctx, &spec.app_id))?;
    if let SecretDestination::File(path) = &spec.destination {
        check_new_file(path)?;
    }
    let plan = CreatePlan {
        spec: spec.clone(),
        app_display_name: app.display_name,
        expires: OffsetDateTime::now_utc() + time::Duration::days(spec.expires_in_days),
    };
    ctx.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

/// A secret file must not exist yet: it is never overwritten (another secret may be in it).
pub fn check_new_file(path: &Path) -> Result<(), InputError> {
    if path.exists() {
        return Err(InputError::new(
            "--out",
            path.display().to_string(),
            "the file exists; a secret file is never overwritten",
        )
        .with_fix(
            "pass a new file name, or remove the old file once its secret is no longer used",
        ));
    }
    Ok(())
}

/// Writes `secret` to a new file readable by its owner only (mode 0600 from the start).
pub fn write_secret_file(path: &Path, secret: &Secret) -> Result<(), InputError> {
    use std::io::Write;
    let fail = |e: std::io::Error| {
        InputError::new(
            "--out",
            path.display().to_string(),
            format!("cannot write the secret file: {e}"),
        )
        .with_fix("pass a path in an existing folder you may write to")
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(secret.expose().as_bytes())
        .and_then(|_| file.write_all(b"\n"))
        .and_then(|_| file.sync_all())
        .map_err(|e| {
            let _ = std::fs::remove_file(path);
            fail(e)
        })
}

/// Adds a secret to `app` named `display_name` that lives `days` days.
pub async fn add(
    ctx: &Ctx,
    app: &AppId,
    display_name: &str,
    days: i64,
) -> anyhow::Result<NewPassword> {
    let end = OffsetDateTime::now_utc() + time::Duration::days(days);
    Ok(ctx.graph.add_password(app, display_name, end).await?)
}

/// Creates the secret and hands its text to the destination.
pub async fn apply_create(ctx: &Ctx, plan: CreatePlan) -> anyhow::Result<CreateOutcome> {
    let spec = &plan.spec;
    let mut steps = Vec::new();
    let planned = plan.steps();
    ctx.reporter
        .started(StepKind::AtlasSecret, &planned[0].resource);
    let new = add(
        ctx,
        &spec.app_id,
        &spec.display_name(),
        spec.expires_in_days,
    )
    .await?;
    let report = StepReport::new(
        StepKind::AtlasSecret,
        Outcome::Created,
        new.info.key_id.to_string(),
    )
    .detail(format!(
        "{} on app {}, hint {}…, expires {}",
        spec.display_name(),
        spec.app_id,
        new.info.hint.clone().unwrap_or_default(),
        new.info.end_date_time.clone().unwrap_or_default()
    ));
    ctx.reporter.finished(&report);
    steps.push(report);
    let secret = match &spec.destination {
        SecretDestination::File(path) => {
            ctx.reporter
                .started(StepKind::SecretFile, path.display().to_string());
            if let Err(e) = write_secret_file(path, &new.secret) {
                // Nobody would hold the secret: take it away again.
                ctx.graph
                    .remove_password(&spec.app_id, &new.info.key_id)
                    .await?;
                return Err(Refusal::new(
                    "the secret file could not be written, so the new secret was removed again",
                )
                .hint("re-run with --out naming a new file in a folder you may write to")
                .because(e)
                .into());
            }
            let report = StepReport::new(
                StepKind::SecretFile,
                Outcome::Created,
                path.display().to_string(),
            )
            .detail("mode 0600");
            ctx.reporter.finished(&report);
            steps.push(report);
            None
        }
        SecretDestination::Pipe => Some(new.secret.clone()),
    };
    Ok(CreateOutcome {
        steps,
        key_id: new.info.key_id,
        hint: new.info.hint,
        expires: new.info.end_date_time,
        secret,
    })
}

/// One secret of the app, as `list` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRow {
    pub key_id: Uuid,
    pub display_name: Option<String>,
    pub hint: Option<String>,
    pub expires: Option<String>,
    pub days_left: Option<i64>,
    /// `expired`, `expiring` (within 60 days) or `ok`.
    pub state: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretList {
    pub app_id: AppId,
    pub secrets: Vec<SecretRow>,
}

/// The row of one secret, judged at `now`.
pub fn row(p: &PasswordCredentialInfo, now: OffsetDateTime) -> SecretRow {
    let days_left = p.expires().map(|e| (e - now).whole_days());
    let state = match (p.expires(), days_left) {
        (Some(e), _) if e <= now => "expired",
        (_, Some(d)) if d < SECRET_WARNING_DAYS => "expiring",
        _ => "ok",
    };
    SecretRow {
        key_id: p.key_id,
        display_name: p.display_name.clone(),
        hint: p.hint.clone(),
        expires: p.end_date_time.clone(),
        days_left,
        state,
    }
}

/// Lists the app's secrets (never their text), warning about those that expire within 60 days.
pub async fn list(ctx: &Ctx, app_id: &AppId) -> anyhow::Result<SecretList> {
    let secrets = provider_app(ctx, app_id).await?;
    let now = OffsetDateTime::now_utc();
    let rows: Vec<SecretRow> = secrets.iter().map(|p| row(p, now)).collect();
    for r in &rows {
        match r.state {
            "expired" => ctx.reporter.warn(format!(
                "secret {} ({}) has expired: Atlas can no longer sign in with it",
                r.key_id,
                r.display_name.as_deref().unwrap_or("no name")
            )),
            "expiring" => ctx.reporter.warn(format!(
                "secret {} ({}) expires in {} days: rotate it (`xtcmk-provider atlas rotate-secret --group-id <group id>`)",
                r.key_id,
                r.display_name.as_deref().unwrap_or("no name"),
                r.days_left.unwrap_or_default()
            )),
            _ => {}
        }
    }
    Ok(SecretList {
        app_id: *app_id,
        secrets: rows,
    })
}

#[derive(Debug, Clone)]
pub struct RemovePlan {
    pub app_id: AppId,
    pub key_id: Uuid,
    pub found: Option<PasswordCredentialInfo>,
}

impl RemovePlan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        match &self.found {
            Some(p) => vec![
                PlannedStep::new(
                    StepKind::AtlasSecret,
                    Action::Remove,
                    self.key_id.to_string(),
                )
                .detail(format!(
                    "{}, hint {}…",
                    p.display_name.as_deref().unwrap_or("no name"),
                    p.hint.as_deref().unwrap_or_default()
                )),
            ],
            None => vec![
                PlannedStep::new(StepKind::AtlasSecret, Action::Keep, self.key_id.to_string())
                    .detail("no such secret on the app"),
            ],
        }
    }
}

pub async fn plan_remove(ctx: &Ctx, app_id: &AppId, key_id: Uuid) -> anyhow::Result<RemovePlan> {
    let secrets = provider_app(ctx, app_id).await?;
    let plan = RemovePlan {
        app_id: *app_id,
        key_id,
        found: secrets.into_iter().find(|p| p.key_id == key_id),
    };
    ctx.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

pub async fn apply_remove(ctx: &Ctx, plan: RemovePlan) -> anyhow::Result<Vec<StepReport>> {
    let step = plan.steps().remove(0);
    if step.action == Action::Remove {
        ctx.reporter.started(StepKind::AtlasSecret, &step.resource);
        ctx.graph
            .remove_password(&plan.app_id, &plan.key_id)
            .await?;
    }
    let report = StepReport {
        outcome: step.action.done(),
        ..step.predicted()
    };
    ctx.reporter.finished(&report);
    Ok(vec![report])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_at_most_two_years() {
        assert_eq!(parse_expires_in("--expires-in", "90d").unwrap(), 90);
        assert_eq!(parse_expires_in("--expires-in", "1y").unwrap(), 365);
        assert_eq!(parse_expires_in("--expires-in", "2y").unwrap(), 730);
        assert_eq!(parse_expires_in("--expires-in", "6m").unwrap(), 180);
        let e = parse_expires_in("--expires-in", "3y").unwrap_err();
        assert!(e.problem.contains("at most two years"), "{e}");
        assert!(parse_expires_in("--expires-in", "soon").is_err());
        assert!(parse_expires_in("--expires-in", "0d").is_err());
    }

    #[test]
    fn rows_warn_within_sixty_days() {
        let now = OffsetDateTime::now_utc();
        let at = |days: i64| PasswordCredentialInfo {
            key_id: Uuid::nil(),
            display_name: None,
            hint: Some("abc".into()),
            end_date_time: Some(
                (now + time::Duration::days(days))
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap(),
            ),
            start_date_time: None,
        };
        assert_eq!(row(&at(-1), now).state, "expired");
        assert_eq!(row(&at(30), now).state, "expiring");
        assert_eq!(row(&at(200), now).state, "ok");
    }

    #[test]
    fn secret_files_are_new_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.txt");
        write_secret_file(&path, &Secret::new("s3cr3t")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cr3t\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(check_new_file(&path).is_err());
        assert!(write_secret_file(&path, &Secret::new("other")).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cr3t\n");
    }
}
