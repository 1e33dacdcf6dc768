//! The chain from a Cosmos DB account to its customer-managed key, run with the simulator's own
//! pieces: the account's user-assigned identity gets a token as the managed-identity endpoint
//! issues it; with `&FederatedClientId=` that token is exchanged for the app's token in the key's
//! tenant through the token endpoint's app/service-principal lookup and federated-credential
//! matching; the vault's firewall must let trusted services through; the Key Vault data plane's
//! authorization decides get / wrapKey / unwrapKey; the current key version must be usable for
//! both; the vault must keep soft delete and purge protection on. Cosmos DB's own documents for
//! each link: how-to-setup-cross-tenant-customer-managed-keys, how-to-setup-customer-managed-keys,
//! troubleshoot-cmk and cmk-troubleshooting-guide (MicrosoftDocs/azure-databases-docs).

use super::rules::{self, DefaultIdentity};
use crate::keyvault::KeyPermission;
use crate::keyvault::crypto::{KeyProblem, usable_version};
use crate::keyvault::network;
use crate::login::{assertion, issue, token};
use crate::reply::{Body, Reply};
use crate::shared::Shared;
use crate::state::cosmos::Link;
use crate::state::{ArmResource, State};
use crate::tokens::Claims;
use serde_json::{Value, json};
use xtcmk::{AppId, TenantId};

/// What the chain needs of an account.
#[derive(Debug, Clone)]
pub struct Account<'a> {
    pub key_uri: &'a str,
    /// `None` means Cosmos DB's default, `FirstPartyIdentity`.
    pub default_identity: Option<&'a str>,
    /// The ids of the account's user-assigned identities.
    pub user_assigned: &'a [String],
}

/// The chain held: the key's vault tenant and whether the account reached it across tenants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub vault_tenant: TenantId,
    pub cross_tenant: bool,
}

/// The link that failed, and what the service behind it said.
#[derive(Debug, Clone, PartialEq)]
pub struct Broken {
    pub link: Link,
    pub detail: String,
    /// The vault's answer as Key Vault would send it (kept for the firewall's 403).
    pub key_vault_error: Option<Value>,
}

fn broken(link: Link, detail: impl Into<String>) -> Broken {
    Broken {
        link,
        detail: detail.into(),
        key_vault_error: None,
    }
}

/// An Entra or Key Vault answer as a line: its `error_description` or `error.message`.
fn said(reply: &Reply) -> String {
    match &reply.body {
        Body::Json(v) => v
            .get("error_description")
            .or_else(|| v.pointer("/error/message"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

/// The AADSTS code of an Entra error answer.
fn aadsts(reply: &Reply) -> u32 {
    match &reply.body {
        Body::Json(v) => v["error_codes"][0].as_u64().unwrap_or(0) as u32,
        _ => 0,
    }
}

/// The vault the key URI's host names, or why no vault answers there: a soft-deleted vault is
/// "not found" (4017); a name no vault holds would not resolve in DNS (4009).
pub fn vault<'s>(state: &'s State, name: &str) -> Result<&'s ArmResource, Broken> {
    match state.vault(name) {
        Some(v) => Ok(v),
        None if state.deleted_vaults.by_name(name).is_some() => Err(broken(
            Link::VaultNotFound,
            format!("the vault {name} is soft-deleted"),
        )),
        None => Err(broken(
            Link::VaultDnsUnresolved,
            format!("no vault named {name}: its host name does not resolve"),
        )),
    }
}

/// The tenant a vault's data plane accepts tokens from.
pub fn vault_tenant(vault: &ArmResource) -> Option<TenantId> {
    vault
        .body
        .pointer("/properties/tenantId")?
        .as_str()?
        .parse()
        .ok()
}

/// How Key Vault names Cosmos DB in a network refusal: the caller is ignored before its token is
/// read (troubleshoot-cmk 1.1).
const IGNORED_CALLER: &str = "name=Unknown/unknown;appid=00000000-0000-0000-0000-000000000000;oid=00000000-0000-0000-0000-000000000000";

/// Key Vault's network rules with Cosmos DB as a trusted service: it passes a firewall only while
/// `bypass` is `AzureServices` (how-to-setup-customer-managed-keys: "allow trusted Microsoft
/// services to bypass its firewall"), and never a vault with public access disabled: Key Vault
/// must allow "all networks" or "specific virtual networks and IP addresses" (troubleshoot-cmk,
/// "Cosmos DB account is in revoke state"), private-endpoint-only vaults do not work (DESIGN.md).
fn firewall(vault: &ArmResource) -> Result<(), Broken> {
    let origin = network::Origin::TrustedService("Microsoft.DocumentDB");
    let public_disabled = vault.body["properties"]["publicNetworkAccess"]
        .as_str()
        .is_some_and(|p| p.eq_ignore_ascii_case("disabled"));
    let blocked = if public_disabled {
        network::Blocked::Connection
    } else {
        match network::allows(&vault.body, &origin) {
            Ok(()) => return Ok(()),
            Err(blocked) => blocked,
        }
    };
    let error = match network::refusal(vault, blocked, &origin, IGNORED_CALLER).body {
        Body::Json(v) => v,
        _ => unreachable!("Key Vault's refusals are JSON"),
    };
    let detail = error["error"]["message"]
        .as_str()
        .and_then(|m| m.lines().next())
        .unwrap_or_default()
        .to_string();
    Err(Broken {
        link: Link::VaultFirewall,
        detail,
        key_vault_error: Some(error),
    })
}

/// The token Key Vault sees from the account's default identity.
fn identity_token(
    shared: &Shared,
    state: &State,
    account: &Account,
    vault_tenant: TenantId,
) -> Result<Claims, Broken> {
    let parsed =
        rules::parse_default_identity(account.default_identity.unwrap_or("FirstPartyIdentity"));
    let (identity, federated) = match parsed {
        Some(DefaultIdentity::UserAssigned {
            identity,
            federated,
        }) => (identity, federated),
        Some(_) => {
            return Err(broken(
                Link::DefaultIdentityNotSimulated,
                "the simulator plays user-assigned default identities only",
            ));
        }
        None => {
            return Err(broken(
                Link::DefaultIdentityUndefined,
                "the default identity has no accepted format",
            ));
        }
    };
    if !account
        .user_assigned
        .iter()
        .any(|u| u.eq_ignore_ascii_case(&identity))
    {
        return Err(broken(
            Link::DefaultIdentityUndefined,
            format!("{identity} is not a user-assigned identity of the account"),
        ));
    }
    let gone = || {
        broken(
            Link::ManagedIdentityNotFound,
            format!("the user-assigned identity {identity} does not exist"),
        )
    };
    let uami = state
        .resource(&identity)
        .filter(|r| {
            r.kind
                .eq_ignore_ascii_case("Microsoft.ManagedIdentity/userAssignedIdentities")
        })
        .ok_or_else(gone)?;
    let client_id: AppId = uami
        .body
        .pointer("/properties/clientId")
        .and_then(Value::as_str)
        .and_then(|c| c.parse().ok())
        .ok_or_else(gone)?;
    let (mi_tenant, mi_sp) = state.managed_identity(&client_id).ok_or_else(gone)?;
    let Some(app_id) = federated else {
        // Same-tenant form: the identity's own token for Key Vault, from its own tenant.
        let issued = issue::app_token(shared, mi_tenant, mi_sp, &shared.cloud.key_vault_audience);
        return claims_of(shared, &issued.token);
    };
    // The managed-identity endpoint's token for the token-exchange audience is the assertion.
    let assertion = issue::app_token(shared, mi_tenant, mi_sp, &shared.cloud.fic_audience).token;
    let Some(key_tenant) = state.tenant(&vault_tenant) else {
        return Err(broken(
            Link::ServicePrincipalMissing,
            format!("the vault's tenant {vault_tenant} is unknown"),
        ));
    };
    let (app, sp) =
        token::app_in_tenant(state, key_tenant, &app_id.to_string()).map_err(|reply| {
            let link = if state.application(&app_id).is_none() {
                Link::ApplicationNotFound
            } else {
                Link::ServicePrincipalMissing
            };
            broken(link, said(&reply))
        })?;
    assertion::check(shared, app, &assertion).map_err(|reply| {
        broken(
            Link::FederatedCredentialRefused {
                aadsts: aadsts(&reply),
            },
            said(&reply),
        )
    })?;
    let issued = issue::app_token(shared, key_tenant, sp, &shared.cloud.key_vault_audience);
    claims_of(shared, &issued.token)
}

fn claims_of(shared: &Shared, token: &str) -> Result<Claims, Broken> {
    shared.signer.verify(token).map_err(|problem| {
        broken(
            Link::ManagedIdentityNotFound,
            format!("the simulator refused its own token: {problem:?}"),
        )
    })
}

/// Runs the chain for `account` against the state as it is now.
pub fn run(shared: &Shared, state: &State, account: &Account) -> Result<Reached, Broken> {
    let key = rules::parse_key_uri(&shared.cloud, account.key_uri).map_err(|_| {
        broken(
            Link::KeyUriFormat,
            format!("{} is not a Key Vault key URI", account.key_uri),
        )
    })?;
    let vault = vault(state, &key.vault)?;
    let Some(vault_tenant) = vault_tenant(vault) else {
        return Err(broken(Link::VaultNotFound, "the vault has no tenant"));
    };
    // Key Vault applies its network rules before it looks at the caller (troubleshoot-cmk 1.1:
    // "caller was ignored").
    firewall(vault)?;
    let claims = identity_token(shared, state, account, vault_tenant)?;
    let federated = account
        .default_identity
        .and_then(rules::parse_default_identity)
        .and_then(|d| d.federated())
        .is_some();
    // The vault accepts tokens of its own tenant only (Key Vault AKV10032 "Invalid issuer").
    if claims.tid.as_deref() != Some(vault_tenant.to_string().as_str()) {
        return Err(broken(
            Link::TokenTenantMismatch,
            format!(
                "AKV10032: Invalid issuer. Expected one of {}, found {}.",
                shared.issuer(&vault_tenant),
                claims.iss
            ),
        ));
    }
    // Cosmos DB needs Get, Wrap Key and Unwrap Key (how-to-setup-customer-managed-keys).
    for (permission, name) in [
        (KeyPermission::Get, "get"),
        (KeyPermission::WrapKey, "wrapKey"),
        (KeyPermission::UnwrapKey, "unwrapKey"),
    ] {
        crate::keyvault::authorize_principal(
            shared,
            state,
            &claims,
            vault,
            Some(&key.key),
            false,
            permission,
        )
        .map_err(|reply| {
            broken(
                Link::NotAuthorized {
                    permission: name.into(),
                },
                said(&reply),
            )
        })?;
    }
    let store = vault.name.to_ascii_lowercase();
    for op in ["wrapKey", "unwrapKey"] {
        let (_, version) = usable_version(state, &store, &key.key, "", op).map_err(|problem| {
            let link = match problem {
                KeyProblem::NotFound => Link::KeyNotFound,
                KeyProblem::Disabled => Link::KeyDisabled,
                KeyProblem::NotRsa { .. } | KeyProblem::OperationNotAllowed { .. } => {
                    Link::WrapUnwrapFailed
                }
            };
            broken(link, said(&problem.reply(&key.key, op)))
        })?;
        // An expired or not yet valid key cannot be used (cmk-troubleshooting-guide: "disabled or expired").
        let now = crate::tokens::now();
        if version.exp.is_some_and(|exp| exp <= now) || version.nbf.is_some_and(|nbf| nbf > now) {
            return Err(broken(
                Link::KeyDisabled,
                format!("the key {} is expired or not yet valid", key.key),
            ));
        }
    }
    // Customer-managed keys need soft delete and purge protection on the vault
    // (how-to-setup-customer-managed-keys, "Configure your Azure Key Vault instance").
    let props = &vault.body["properties"];
    if props["enableSoftDelete"] == json!(false) || props["enablePurgeProtection"] != json!(true) {
        return Err(broken(
            Link::PurgeProtectionOff,
            format!(
                "the vault {} does not have soft delete and purge protection on",
                vault.name
            ),
        ));
    }
    Ok(Reached {
        vault_tenant,
        cross_tenant: federated,
    })
}
