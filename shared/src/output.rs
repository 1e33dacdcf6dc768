//! The data a command produces, in one vocabulary for both binaries: the steps of a plan and of a
//! run ([`PlannedStep`], [`StepReport`], [`Outcome`]), the checks of `status` ([`Check`]), and
//! the JSON document every mutating command prints ([`CommandReport`]). Nothing here prints.

use serde::Serialize;
use serde_json::{Map, Value};

/// `--output text|json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// Which resource (or file) a step is about. One create-or-adopt step per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// The provider's multi-tenant app registration.
    App,
    /// The provider's user-assigned managed identity.
    Identity,
    /// The federated credential on the app that trusts the identity.
    Credential,
    /// The invitation file for customers.
    Invitation,
    /// The provider app's service principal in the customer's tenant.
    ServicePrincipal,
    /// The customer's Key Vault.
    Vault,
    /// The signed-in customer's own key access on the vault (to read or create the key).
    KeyAccess,
    /// The customer-managed key.
    Key,
    /// The least-privilege custom role Atlas is granted (one per subscription).
    AtlasRole,
    /// The provider's grant on the key.
    Grant,
    /// The handoff file for the provider.
    Handoff,
    /// The ARM template file (`cosmos template`).
    Template,
    /// The ARM parameters file (`cosmos template`).
    Parameters,
    /// A client secret of the provider's app that Atlas signs in with.
    AtlasSecret,
    /// A file holding a new client secret (mode 0600).
    SecretFile,
    /// Atlas's `cloudProviderAccess` role for its own app's service principal.
    AtlasAccess,
    /// The Atlas project's encryption-at-rest configuration.
    AtlasEncryption,
    /// An Atlas encryption-at-rest private endpoint (one per region).
    AtlasEndpoint,
    /// A private endpoint connection on the customer's vault.
    EndpointConnection,
    /// The Cosmos DB account (`cosmos deploy`).
    CosmosAccount,
    /// The provider's UAMI among the account's identities (enabling CMK on an existing account).
    AccountIdentity,
    /// The account's `defaultIdentity` (`UserAssignedIdentity=…&FederatedClientId=…`).
    DefaultIdentity,
    /// The account's `keyVaultKeyUri`: turning customer-managed keys on, or changing the key.
    AccountKey,
}

impl StepKind {
    /// The step's name in text output.
    pub fn label(self) -> &'static str {
        match self {
            StepKind::App => "app",
            StepKind::Identity => "identity",
            StepKind::Credential => "credential",
            StepKind::Invitation => "invitation",
            StepKind::ServicePrincipal => "service principal",
            StepKind::Vault => "vault",
            StepKind::KeyAccess => "your key access",
            StepKind::Key => "key",
            StepKind::AtlasRole => "atlas role",
            StepKind::Grant => "grant",
            StepKind::Handoff => "handoff",
            StepKind::Template => "template",
            StepKind::Parameters => "parameters",
            StepKind::AtlasSecret => "atlas secret",
            StepKind::SecretFile => "secret file",
            StepKind::AtlasAccess => "atlas access",
            StepKind::AtlasEncryption => "atlas encryption",
            StepKind::AtlasEndpoint => "atlas endpoint",
            StepKind::EndpointConnection => "endpoint connection",
            StepKind::CosmosAccount => "cosmos account",
            StepKind::AccountIdentity => "account identity",
            StepKind::DefaultIdentity => "default identity",
            StepKind::AccountKey => "account key",
        }
    }

    /// A local file rather than a resource in a tenant (not counted as a cloud write).
    pub fn is_local_file(self) -> bool {
        matches!(
            self,
            StepKind::Invitation
                | StepKind::Handoff
                | StepKind::Template
                | StepKind::Parameters
                | StepKind::SecretFile
        )
    }
}

impl std::fmt::Display for StepKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// What a plan decided for a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Absent: create it.
    Create,
    /// Present but lacking something: change it.
    Update,
    /// Present as this command would leave it (a re-run): nothing to do.
    Keep,
    /// Present, not made under this tool's own name (named by the user, or found under another
    /// name), and used as it is.
    Adopt,
    /// Present and to be removed (`revoke`).
    Remove,
}

impl Action {
    /// The outcome a dry run reports for this action.
    pub fn predicted(self) -> Outcome {
        match self {
            Action::Create => Outcome::WouldCreate,
            Action::Update => Outcome::WouldUpdate,
            Action::Keep => Outcome::Unchanged,
            Action::Adopt => Outcome::Adopted,
            Action::Remove => Outcome::WouldRemove,
        }
    }

    /// The outcome a run reports once the action is carried out.
    pub fn done(self) -> Outcome {
        self.predicted().realized()
    }

    /// Whether carrying it out writes.
    pub fn writes(self) -> bool {
        matches!(self, Action::Create | Action::Update | Action::Remove)
    }
}

/// What a step did (or, in a dry run, would do). One vocabulary for both binaries:
/// `created | updated | adopted | unchanged | removed`, and in a dry run
/// `would-create | would-update | would-remove`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Created,
    Updated,
    /// An existing resource not made under this tool's own name, used as it is.
    Adopted,
    /// Already as the command would leave it.
    Unchanged,
    Removed,
    WouldCreate,
    WouldUpdate,
    WouldRemove,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Adopted => "adopted",
            Outcome::Unchanged => "unchanged",
            Outcome::Removed => "removed",
            Outcome::WouldCreate => "would-create",
            Outcome::WouldUpdate => "would-update",
            Outcome::WouldRemove => "would-remove",
        }
    }

    /// Whether the step wrote something.
    pub fn is_write(&self) -> bool {
        matches!(self, Outcome::Created | Outcome::Updated | Outcome::Removed)
    }

    /// Whether a dry run predicts a write.
    pub fn is_predicted_write(&self) -> bool {
        matches!(
            self,
            Outcome::WouldCreate | Outcome::WouldUpdate | Outcome::WouldRemove
        )
    }

    /// The outcome a prediction becomes when carried out (`would-create` → `created`).
    pub fn realized(self) -> Outcome {
        match self {
            Outcome::WouldCreate => Outcome::Created,
            Outcome::WouldUpdate => Outcome::Updated,
            Outcome::WouldRemove => Outcome::Removed,
            other => other,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a plan: what will happen to which resource, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    pub step: StepKind,
    pub action: Action,
    /// The resource (id, name or URI; never a secret).
    pub resource: String,
    /// What the action involves or why, in words.
    pub detail: Option<String>,
}

impl PlannedStep {
    pub fn new(step: StepKind, action: Action, resource: impl Into<String>) -> Self {
        Self {
            step,
            action,
            resource: resource.into(),
            detail: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The step as a dry run reports it.
    pub fn predicted(&self) -> StepReport {
        StepReport {
            step: self.step,
            outcome: self.action.predicted(),
            resource: self.resource.clone(),
            detail: self.detail.clone(),
        }
    }

    /// `create vault kv-cmk: soft delete, purge protection`, for the plan shown before confirming.
    pub fn sentence(&self) -> String {
        let verb = match self.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Keep => "keep",
            Action::Adopt => "adopt",
            Action::Remove => "remove",
        };
        let mut s = format!("{}: {verb} {}", self.step.label(), self.resource);
        if let Some(d) = &self.detail {
            s.push_str(&format!(" ({d})"));
        }
        s
    }
}

/// One step's line in a command's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepReport {
    pub step: StepKind,
    pub outcome: Outcome,
    /// The resource the step is about (id, name or URI; never a secret).
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl StepReport {
    pub fn new(step: StepKind, outcome: Outcome, resource: impl Into<String>) -> Self {
        Self {
            step,
            outcome,
            resource: resource.into(),
            detail: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// `  app                created       <resource>  (detail)`
    pub fn line(&self) -> String {
        let mut s = format!(
            "  {:<18} {:<13} {}",
            self.step.label(),
            self.outcome.as_str(),
            self.resource
        );
        if let Some(d) = &self.detail {
            s.push_str(&format!("  ({d})"));
        }
        s
    }
}

/// Cloud writes among `steps` (local files are not counted).
pub fn cloud_writes(steps: &[StepReport]) -> usize {
    steps
        .iter()
        .filter(|s| s.outcome.is_write() && !s.step.is_local_file())
        .count()
}

/// The result of one check of `status` (or of the check at the end of `onboard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    Ok,
    /// The link is broken.
    Fail,
    /// The signed-in principal may not read what the check needs.
    Unknown,
}

/// One checked item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub item: String,
    pub state: CheckState,
    pub detail: String,
    /// What repairs a failed link (or would let an unknown one be checked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn new(item: &str, ok: bool, detail: impl Into<String>) -> Self {
        Self {
            item: item.into(),
            state: if ok { CheckState::Ok } else { CheckState::Fail },
            detail: detail.into(),
            fix: None,
        }
    }

    pub fn pass(item: &str, detail: impl Into<String>) -> Self {
        Self::new(item, true, detail)
    }

    pub fn fail(item: &str, detail: impl Into<String>) -> Self {
        Self::new(item, false, detail)
    }

    pub fn unknown(item: &str, detail: impl Into<String>) -> Self {
        Self {
            item: item.into(),
            state: CheckState::Unknown,
            detail: detail.into(),
            fix: None,
        }
    }

    /// What repairs the link.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// `  ✓ key URI            …` (and `      fix: …` under a ✗ or ?), as `doctor` prints it.
    pub fn mark_line(&self) -> String {
        let mark = match self.state {
            CheckState::Ok => "✓",
            CheckState::Fail => "✗",
            CheckState::Unknown => "?",
        };
        let mut s = format!("  {mark} {:<20} {}", self.item, self.detail);
        if let Some(fix) = self.fix.as_ref().filter(|_| !self.ok()) {
            s.push_str(&format!("\n      fix: {fix}"));
        }
        s
    }

    pub fn ok(&self) -> bool {
        self.state == CheckState::Ok
    }

    pub fn failed(&self) -> bool {
        self.state == CheckState::Fail
    }

    /// `  ok      key          …` / `  FAIL    grant        …` / `  unknown key …`.
    pub fn line(&self) -> String {
        let state = match self.state {
            CheckState::Ok => "ok",
            CheckState::Fail => "FAIL",
            CheckState::Unknown => "unknown",
        };
        format!("  {state:<7} {:<18} {}", self.item, self.detail)
    }
}

/// The JSON document of every mutating command (`--output json`), success or failure:
/// `command`, `tenant`, `dryRun`, `steps`, `writes`, `warnings`, then the command's own fields;
/// a failure adds `error {code, message, hints}` and lists the steps done before it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandReport {
    pub command: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    pub dry_run: bool,
    pub steps: Vec<StepReport>,
    /// Changes made in a tenant (files written are steps, not writes).
    pub writes: usize,
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl CommandReport {
    pub fn new(command: &str, tenant: Option<String>, dry_run: bool) -> Self {
        Self {
            command: command.into(),
            tenant,
            dry_run,
            steps: Vec::new(),
            writes: 0,
            warnings: Vec::new(),
            error: None,
            fields: Map::new(),
        }
    }

    /// Sets the steps and counts their cloud writes.
    pub fn steps(mut self, steps: Vec<StepReport>) -> Self {
        self.writes = cloud_writes(&steps);
        self.steps = steps;
        self
    }

    pub fn warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings = warnings;
        self
    }

    /// Adds a command-specific field (skipped when `value` serialises to null).
    pub fn field(mut self, name: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        if !value.is_null() {
            self.fields.insert(name.into(), value);
        }
        self
    }
}

/// A failure in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorReport {
    /// A stable code: the service's (`PrincipalNotFound`, `AADSTS700016`, …) or the tool's
    /// (`InvalidInput`, `Usage`, `Refused`, `BrokenLink`, `Unreachable`, `Interrupted`, …).
    pub code: String,
    pub message: String,
    pub hints: Vec<String>,
    /// The flag or document field at fault, for input errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub exit_code: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictions_become_outcomes() {
        for (action, predicted, done) in [
            (Action::Create, Outcome::WouldCreate, Outcome::Created),
            (Action::Update, Outcome::WouldUpdate, Outcome::Updated),
            (Action::Keep, Outcome::Unchanged, Outcome::Unchanged),
            (Action::Adopt, Outcome::Adopted, Outcome::Adopted),
            (Action::Remove, Outcome::WouldRemove, Outcome::Removed),
        ] {
            assert_eq!(action.predicted(), predicted);
            assert_eq!(action.done(), done);
            assert_eq!(action.writes(), done.is_write());
        }
    }

    #[test]
    fn local_files_are_not_cloud_writes() {
        let steps = vec![
            StepReport::new(StepKind::Vault, Outcome::Created, "kv"),
            StepReport::new(StepKind::Handoff, Outcome::Created, "handoff.json"),
            StepReport::new(StepKind::Key, Outcome::Unchanged, "k"),
        ];
        assert_eq!(cloud_writes(&steps), 1);
        let json = serde_json::to_value(CommandReport::new("x", None, false).steps(steps)).unwrap();
        assert_eq!(json["steps"][1]["step"], "handoff");
        assert_eq!(json["writes"], 1);
    }
}
