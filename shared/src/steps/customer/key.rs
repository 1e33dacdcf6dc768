//! The key: adopt an RSA key whose operations fit the target, or create one (RSA, 3072 bits by
//! default) through Resource Manager's create-if-not-exist, which never adds a second version.
//! The key is read through the data plane (the plan's read, the final check), so on an RBAC vault
//! where the signed-in principal has no data-plane role yet (a new vault: Owner holds no
//! dataActions), it is granted Key Vault Crypto Officer on the vault first, and the RBAC
//! propagation delay (403 `ForbiddenByRbac` for a while) is ridden out.

use super::grant::{Principal, assign_role, assignment_name};
use crate::clients::arm::keys::ArmKey;
use crate::clients::arm::role_definitions::builtin;
use crate::clients::arm::vaults::{AccessPermissions, AccessPolicyEntry, Vault};
use crate::context::{Ctx, PROPAGATION_ATTEMPTS};
use crate::documents::EncryptionTarget;
use crate::http::HttpError;
use crate::ops::onboard::OnboardSpec;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::ReporterExt;
use crate::{Cloud, KeyUri, ObjectId, Refusal, VersionedKeyUri};
use azure_security_keyvault_keys::models::{Key, KeyType};
use url::Url;

/// What this tool reads of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFacts {
    /// The key identifier with its current version.
    pub kid: String,
    /// `RSA`, `RSA-HSM`, `EC`, ...
    pub kty: String,
    pub ops: Vec<String>,
    pub enabled: bool,
    pub size_bits: Option<usize>,
    /// When this version was created (Unix seconds), if the vault says.
    pub created: Option<i64>,
}

impl KeyFacts {
    pub fn from_key(key: &Key) -> Self {
        let jwk = key.key.as_ref();
        let kty = jwk
            .and_then(|k| k.kty.as_ref())
            .map(|t| match t {
                KeyType::Rsa => "RSA".to_string(),
                KeyType::RsaHsm => "RSA-HSM".to_string(),
                KeyType::Ec => "EC".to_string(),
                KeyType::EcHsm => "EC-HSM".to_string(),
                KeyType::Oct => "oct".to_string(),
                KeyType::OctHsm => "oct-HSM".to_string(),
                KeyType::UnknownValue(v) => v.clone(),
            })
            .unwrap_or_default();
        Self {
            kid: jwk.and_then(|k| k.kid.clone()).unwrap_or_default(),
            kty,
            ops: jwk.and_then(|k| k.key_ops.clone()).unwrap_or_default(),
            enabled: key
                .attributes
                .as_ref()
                .and_then(|a| a.enabled)
                .unwrap_or(true),
            size_bits: jwk.and_then(|k| k.n.as_ref()).map(|n| n.len() * 8),
            created: key
                .attributes
                .as_ref()
                .and_then(|a| a.created)
                .map(|t| t.unix_timestamp()),
        }
    }

    /// The facts of a key as Resource Manager returns it; `kid` in the data plane's form (the
    /// vault's URL, as [`read_key`] gives it), since ARM may spell the host with `:443`.
    pub fn from_arm(ctx: &Ctx, vault: &Vault, key: &ArmKey) -> anyhow::Result<Self> {
        let version = key.version().ok_or_else(|| {
            anyhow::anyhow!(
                "Resource Manager returned key {} without keyUriWithVersion",
                key.name
            )
        })?;
        let base = vault_url(ctx, vault);
        let props = &key.properties;
        Ok(Self {
            kid: format!(
                "{}/keys/{}/{version}",
                base.as_str().trim_end_matches('/'),
                key.name
            ),
            kty: props.kty.clone().unwrap_or_default(),
            ops: props.key_ops.clone(),
            enabled: props
                .attributes
                .as_ref()
                .and_then(|a| a.enabled)
                .unwrap_or(true),
            size_bits: props.key_size.map(|s| s as usize),
            created: props.attributes.as_ref().and_then(|a| a.created),
        })
    }

    pub fn is_rsa(&self) -> bool {
        self.kty.eq_ignore_ascii_case("RSA") || self.kty.eq_ignore_ascii_case("RSA-HSM")
    }

    pub fn has_ops(&self, wanted: &[&str]) -> bool {
        wanted
            .iter()
            .all(|w| self.ops.iter().any(|o| o.eq_ignore_ascii_case(w)))
    }

    /// The key identifier as a typed, versioned URI.
    pub fn versioned(&self, cloud: &Cloud) -> anyhow::Result<VersionedKeyUri> {
        Ok(KeyUri::parse(cloud, "kid", &self.kid)?.versioned()?)
    }
}

/// The key operations a target needs (DESIGN.md §3: Cosmos wraps, Atlas encrypts).
pub fn needed_ops(target: EncryptionTarget) -> [&'static str; 2] {
    match target {
        EncryptionTarget::Cosmos => ["wrapKey", "unwrapKey"],
        EncryptionTarget::Atlas => ["encrypt", "decrypt"],
    }
}

/// The vault's data-plane URL (its `vaultUri`, else the cloud's form).
pub fn vault_url(ctx: &Ctx, vault: &Vault) -> Url {
    vault
        .properties
        .vault_uri
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .unwrap_or_else(|| ctx.cloud().vault_url(&vault.name))
}

/// The key's current version; `None` when absent.
pub async fn read_key(ctx: &Ctx, vault: &Vault, name: &str) -> Result<Option<KeyFacts>, HttpError> {
    let client = ctx.key_vault(&vault_url(ctx, vault))?;
    Ok(client.get_key(name).await?.as_ref().map(KeyFacts::from_key))
}

/// An existing key must be enabled RSA with the target's operations.
pub fn check_key(spec: &OnboardSpec, key: &KeyFacts) -> Result<(), Refusal> {
    let name = &spec.key;
    if !key.is_rsa() {
        return Err(Refusal::new(format!(
            "key {name} is {}, but customer-managed keys for Cosmos DB and Atlas must be RSA",
            key.kty
        ))
        .hint(format!(
            "pass another --key name to create an RSA {} key (a key's type cannot change)",
            spec.key_size
        )));
    }
    let ops = needed_ops(spec.target);
    if !key.has_ops(&ops) {
        return Err(Refusal::new(format!(
            "key {name} does not allow {} (its operations: {}), which {} needs",
            ops.join(" and "),
            if key.ops.is_empty() { "none".to_string() } else { key.ops.join(", ") },
            spec.target.as_str()
        ))
        .hint(format!(
            "allow them with `az keyvault key set-attributes --vault-name {} --name {name} --ops {} {}`, or pass another --key name",
            spec.vault,
            key.ops.join(" "),
            ops.join(" ")
        )));
    }
    if !key.enabled {
        return Err(Refusal::new(format!("key {name} is disabled")).hint(format!(
            "enable it with `az keyvault key set-attributes --vault-name {} --name {name} --enabled true`",
            spec.vault
        )));
    }
    Ok(())
}

fn forbidden(e: &HttpError) -> bool {
    e.status() == Some(403)
}

/// The key as the plan found it.
#[derive(Debug, Clone)]
pub enum KeyFound {
    Existing(KeyFacts),
    Absent,
    /// The vault does not exist yet, or the signed-in principal may not read its keys yet.
    NotReadable,
}

/// The signed-in principal's own key access the run grants first, so the key can be read (the
/// plan's read, the check before the handoff): a new RBAC vault gives no one key access, not even
/// its Owner (Key Vault RBAC guide). Creating the key needs none: it goes through Resource Manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAccess {
    /// Key Vault Crypto Officer on the vault (RBAC vaults).
    CryptoOfficer,
    /// An access policy with keys get (access-policy vaults).
    AccessPolicy,
}

const SELF_ROLE_DETAIL: &str = "Key Vault Crypto Officer on the vault";
const SELF_POLICY_DETAIL: &str = "access policy keys get";

impl KeyAccess {
    pub fn for_vault(rbac: bool) -> Self {
        if rbac {
            KeyAccess::CryptoOfficer
        } else {
            KeyAccess::AccessPolicy
        }
    }

    fn resource(self, spec: &OnboardSpec, me: &ObjectId) -> String {
        match self {
            KeyAccess::CryptoOfficer => {
                let scope = spec.vault_id();
                let name = assignment_name(&scope, builtin::KEY_VAULT_CRYPTO_OFFICER, me);
                scope
                    .extension(
                        "Microsoft.Authorization",
                        "roleAssignments",
                        &name.to_string(),
                    )
                    .to_string()
            }
            KeyAccess::AccessPolicy => format!("{}/accessPolicies/{me}", spec.vault),
        }
    }

    fn detail(self) -> &'static str {
        match self {
            KeyAccess::CryptoOfficer => SELF_ROLE_DETAIL,
            KeyAccess::AccessPolicy => SELF_POLICY_DETAIL,
        }
    }

    /// The plan's step: who gets what, and why.
    pub fn step(
        self,
        spec: &OnboardSpec,
        me: &ObjectId,
        who: &str,
        new_vault: bool,
    ) -> PlannedStep {
        let why = if new_vault {
            "a new RBAC vault gives no one key access, not even its Owner, so this run can read the key it creates and check it"
        } else {
            "no key access there yet, so this run can read the key and check it"
        };
        PlannedStep::new(StepKind::KeyAccess, Action::Create, self.resource(spec, me))
            .detail(format!("{} for {who}: {why}", self.detail()))
    }

    /// Grants it.
    pub async fn apply(
        self,
        ctx: &Ctx,
        spec: &OnboardSpec,
        me: &Principal,
    ) -> anyhow::Result<StepReport> {
        let resource = self.resource(spec, &me.id);
        ctx.reporter.started(StepKind::KeyAccess, &resource);
        match self {
            KeyAccess::AccessPolicy => {
                let entry = AccessPolicyEntry {
                    tenant_id: ctx.tenant.to_string(),
                    object_id: me.id.to_string(),
                    permissions: AccessPermissions {
                        keys: vec!["get".into()],
                    },
                };
                ctx.arm
                    .update_access_policy(&spec.vault_id(), "add", &[entry])
                    .await?;
                Ok(
                    StepReport::new(StepKind::KeyAccess, Outcome::Created, resource)
                        .detail(SELF_POLICY_DETAIL),
                )
            }
            KeyAccess::CryptoOfficer => {
                let (outcome, id) = assign_role(
                    ctx,
                    &spec.vault_id(),
                    builtin::KEY_VAULT_CRYPTO_OFFICER,
                    &me.id,
                    me.kind,
                    spec.subscription,
                )
                .await?;
                Ok(
                    StepReport::new(StepKind::KeyAccess, outcome, id.to_string())
                        .detail(SELF_ROLE_DETAIL),
                )
            }
        }
    }
}

/// The plan's step for the key.
pub fn step(spec: &OnboardSpec, found: &KeyFound) -> PlannedStep {
    let label = format!("{}/keys/{}", spec.vault, spec.key);
    match found {
        KeyFound::Existing(k) => PlannedStep::new(StepKind::Key, Action::Keep, k.kid.clone()),
        KeyFound::Absent => PlannedStep::new(StepKind::Key, Action::Create, label).detail(format!(
            "RSA {}, {}",
            spec.key_size,
            needed_ops(spec.target).join("/")
        )),
        KeyFound::NotReadable => {
            PlannedStep::new(StepKind::Key, Action::Create, label).detail(format!(
                "RSA {}, {}, unless it exists (the plan cannot read the vault's keys yet)",
                spec.key_size,
                needed_ops(spec.target).join("/")
            ))
        }
    }
}

/// The key once the run needs it: read (after the key access the run granted, riding out RBAC
/// propagation), checked, or created through Resource Manager. `granted` says whether the run granted key access
/// already; if it did not and the vault refuses, access is granted now (reported in `extra`).
pub async fn apply(
    ctx: &Ctx,
    spec: &OnboardSpec,
    found: &KeyFound,
    vault: &Vault,
    me: &Principal,
    granted: bool,
    extra: &mut Vec<StepReport>,
) -> anyhow::Result<(KeyFacts, StepReport)> {
    if let KeyFound::Existing(facts) = found {
        let report = StepReport::new(StepKind::Key, Outcome::Unchanged, facts.kid.clone());
        return Ok((facts.clone(), report));
    }
    let existing = if matches!(found, KeyFound::Absent) {
        None
    } else {
        match read_key(ctx, vault, &spec.key).await {
            Ok(found) => found,
            Err(e) if forbidden(&e) => {
                if !granted {
                    extra.push(
                        KeyAccess::for_vault(vault.rbac())
                            .apply(ctx, spec, me)
                            .await?,
                    );
                }
                ctx.retrying(
                    "your key access to reach the vault",
                    PROPAGATION_ATTEMPTS,
                    forbidden,
                    || read_key(ctx, vault, &spec.key),
                )
                .await?
            }
            Err(e) => return Err(e.into()),
        }
    };
    if let Some(facts) = existing {
        check_key(spec, &facts)?;
        let report = StepReport::new(StepKind::Key, Outcome::Unchanged, facts.kid.clone());
        return Ok((facts, report));
    }
    // A key another run made since the plan read is adopted without a write; a key it makes
    // between this read and the create below is returned by the create as it is (no second
    // version), and reported as created, as nothing tells the two apart.
    let before = read_key(ctx, vault, &spec.key).await;
    if let Ok(Some(facts)) = before {
        check_key(spec, &facts)?;
        let report = StepReport::new(StepKind::Key, Outcome::Adopted, facts.kid.clone())
            .detail("created by another run while this one was running; this run adds no version");
        return Ok((facts, report));
    }
    ctx.reporter
        .started(StepKind::Key, format!("{}/keys/{}", spec.vault, spec.key));
    let created = ctx
        .arm
        .create_key_if_not_exist(
            &spec.vault_id(),
            &spec.key,
            spec.key_size,
            &needed_ops(spec.target),
        )
        .await?;
    let facts = KeyFacts::from_arm(ctx, vault, &created)?;
    check_key(spec, &facts)?;
    // The check before the handoff reads the key through the data plane: a key access still
    // propagating is waited for here, where the wait says what it is for.
    if matches!(&before, Err(e) if forbidden(e)) {
        ctx.retrying(
            "your key access to reach the vault",
            PROPAGATION_ATTEMPTS,
            forbidden,
            || read_key(ctx, vault, &spec.key),
        )
        .await?;
    }
    let report =
        StepReport::new(StepKind::Key, Outcome::Created, facts.kid.clone()).detail(format!(
            "RSA {}, {}",
            spec.key_size,
            needed_ops(spec.target).join("/")
        ));
    Ok((facts, report))
}
