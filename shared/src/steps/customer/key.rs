//! The key: adopt an RSA key whose operations fit the target, or create one (RSA, 3072 bits by
//! default). On an RBAC vault where the signed-in principal has no data-plane role yet (a new
//! vault: Owner holds no dataActions), it is granted Key Vault Crypto Officer on the vault first,
//! and the RBAC propagation delay (403 `ForbiddenByRbac` for a while) is ridden out.

use super::grant::{PrincipalKind, assign_role, assignment_name};
use super::wait::retrying;
use super::{Ctx, OnboardSpec};
use crate::clients::arm_authorization::builtin;
use crate::clients::arm_vaults::{AccessPermissions, AccessPolicyEntry, Vault};
use crate::documents::EncryptionTarget;
use crate::http::HttpError;
use crate::output::{Outcome, StepReport};
use crate::{KeyUri, ObjectId, Refusal, VersionedKeyUri};
use azure_security_keyvault_keys::models::{Key, KeyOperation, KeyType};
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
}

impl KeyFacts {
    fn from_key(key: &Key) -> Self {
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
        }
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
    pub fn versioned(&self, ctx: &Ctx) -> anyhow::Result<VersionedKeyUri> {
        Ok(KeyUri::parse(ctx.stack.cloud(), "kid", &self.kid)?.versioned()?)
    }
}

/// The key operations a target needs (DESIGN.md §3: Cosmos wraps, Atlas encrypts).
pub fn needed_ops(target: EncryptionTarget) -> [&'static str; 2] {
    match target {
        EncryptionTarget::Cosmos => ["wrapKey", "unwrapKey"],
        EncryptionTarget::Atlas => ["encrypt", "decrypt"],
    }
}

fn operations(target: EncryptionTarget) -> Vec<KeyOperation> {
    match target {
        EncryptionTarget::Cosmos => vec![KeyOperation::WrapKey, KeyOperation::UnwrapKey],
        EncryptionTarget::Atlas => vec![KeyOperation::Encrypt, KeyOperation::Decrypt],
    }
}

/// The vault's data-plane URL (its `vaultUri`, else the cloud's form).
pub fn vault_url(ctx: &Ctx, vault: &Vault) -> Url {
    vault
        .properties
        .vault_uri
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .unwrap_or_else(|| ctx.stack.cloud().vault_url(&vault.name))
}

/// The key's current version; `None` when absent.
pub async fn read_key(ctx: &Ctx, vault: &Vault, name: &str) -> Result<Option<KeyFacts>, HttpError> {
    let client = ctx
        .stack
        .key_vault(Some(&ctx.tenant), &vault_url(ctx, vault))?;
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

const SELF_ROLE_DETAIL: &str = "Key Vault Crypto Officer on the vault";
const SELF_POLICY_DETAIL: &str = "access policy keys get/create";

/// The step [`grant_self`] would take, for a dry run: the role assignment it would create on an
/// RBAC vault (its deterministic id), or the access policy on an access-policy vault.
fn self_grant_preview(spec: &OnboardSpec, me: &ObjectId, rbac: bool) -> StepReport {
    if rbac {
        let scope = spec.vault_id();
        let name = assignment_name(&scope, builtin::KEY_VAULT_CRYPTO_OFFICER, me).to_string();
        let id = scope.extension("Microsoft.Authorization", "roleAssignments", &name);
        StepReport::new("your key access", Outcome::WouldCreate, id.to_string())
            .detail(SELF_ROLE_DETAIL)
    } else {
        StepReport::new(
            "your key access",
            Outcome::WouldCreate,
            format!("{}/accessPolicies/{me}", spec.vault),
        )
        .detail(SELF_POLICY_DETAIL)
    }
}

/// Gives the signed-in principal key access: Key Vault Crypto Officer on an RBAC vault, an
/// access policy (keys get, create) on an access-policy vault.
async fn grant_self(
    ctx: &Ctx,
    spec: &OnboardSpec,
    vault: &Vault,
    me: &ObjectId,
    kind: PrincipalKind,
    reports: &mut Vec<StepReport>,
) -> anyhow::Result<()> {
    if !vault.rbac() {
        ctx.printer.status(format!(
            "  you have no key access on vault {}: adding an access policy (keys get, create) for you",
            spec.vault
        ));
        let entry = AccessPolicyEntry {
            tenant_id: ctx.tenant.to_string(),
            object_id: me.to_string(),
            permissions: AccessPermissions {
                keys: vec!["get".into(), "create".into()],
            },
        };
        ctx.arm
            .update_access_policy(&spec.vault_id(), "add", &[entry])
            .await?;
        ctx.report(
            reports,
            StepReport::new(
                "your key access",
                Outcome::Created,
                format!("{}/accessPolicies/{me}", spec.vault),
            )
            .detail(SELF_POLICY_DETAIL),
        );
        return Ok(());
    }
    ctx.printer.status(format!(
        "  you have no data-plane role on vault {}: granting you Key Vault Crypto Officer on it",
        spec.vault
    ));
    let (outcome, id) = assign_role(
        ctx,
        &spec.vault_id(),
        builtin::KEY_VAULT_CRYPTO_OFFICER,
        me,
        kind,
        spec.subscription,
    )
    .await?;
    ctx.report(
        reports,
        StepReport::new("your key access", outcome, id.to_string()).detail(SELF_ROLE_DETAIL),
    );
    Ok(())
}

/// Adopts or creates the key. `None` in a dry run that would create it. `grants_self_on_new_vault`:
/// the vault is about to be created (RBAC) and the signed-in principal inherits no key access, so
/// a dry run shows the Crypto Officer grant it will need.
pub async fn ensure(
    ctx: &Ctx,
    spec: &OnboardSpec,
    grants_self_on_new_vault: bool,
    vault: Option<&Vault>,
    me: &ObjectId,
    kind: PrincipalKind,
    reports: &mut Vec<StepReport>,
) -> anyhow::Result<Option<KeyFacts>> {
    let label = format!("{}/keys/{}", spec.vault, spec.key);
    let Some(vault) = vault else {
        if grants_self_on_new_vault {
            ctx.report(reports, self_grant_preview(spec, me, true));
        }
        ctx.report(
            reports,
            StepReport::new("key", Outcome::WouldCreate, label)
                .detail(format!("RSA {}", spec.key_size)),
        );
        return Ok(None);
    };
    let mut granted = false;
    let existing = match read_key(ctx, vault, &spec.key).await {
        Ok(found) => found,
        Err(e) if forbidden(&e) && ctx.dry_run => {
            ctx.report(reports, self_grant_preview(spec, me, vault.rbac()));
            ctx.report(
                reports,
                StepReport::new("key", Outcome::WouldCreate, label)
                    .detail(format!("RSA {}, if absent", spec.key_size)),
            );
            return Ok(None);
        }
        Err(e) if forbidden(&e) => {
            grant_self(ctx, spec, vault, me, kind, reports).await?;
            granted = true;
            retrying(ctx, "your new role to reach the vault", forbidden, || {
                read_key(ctx, vault, &spec.key)
            })
            .await?
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(facts) = existing {
        check_key(spec, &facts)?;
        ctx.report(
            reports,
            StepReport::new("key", Outcome::Adopted, facts.kid.clone()),
        );
        return Ok(Some(facts));
    }
    if ctx.dry_run {
        ctx.report(
            reports,
            StepReport::new("key", Outcome::WouldCreate, label)
                .detail(format!("RSA {}", spec.key_size)),
        );
        return Ok(None);
    }
    let client = ctx
        .stack
        .key_vault(Some(&ctx.tenant), &vault_url(ctx, vault))?;
    let ops = operations(spec.target);
    let create = || client.create_rsa_key(&spec.key, spec.key_size, &ops);
    let created = match create().await {
        Ok(k) => k,
        Err(e) if forbidden(&e) && !granted => {
            grant_self(ctx, spec, vault, me, kind, reports).await?;
            retrying(ctx, "your new role to reach the vault", forbidden, create).await?
        }
        Err(e) if forbidden(&e) => {
            retrying(ctx, "your new role to reach the vault", forbidden, create).await?
        }
        Err(e) => return Err(e.into()),
    };
    let facts = KeyFacts::from_key(&created);
    ctx.report(
        reports,
        StepReport::new("key", Outcome::Created, facts.kid.clone()).detail(format!(
            "RSA {}, {}",
            spec.key_size,
            needed_ops(spec.target).join("/")
        )),
    );
    Ok(Some(facts))
}
