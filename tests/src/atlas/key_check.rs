//! How Atlas checks an Azure Key Vault configuration: it reaches the key. It signs in to the key's
//! tenant — as the configured app with its client secret, or as its own Azure app through a
//! `cloudProviderAccess` role — then finds the vault named by subscription, resource group and
//! name, and gets, encrypts and decrypts with the configured key version through the vault's
//! network rules and its RBAC or access policies. Each link runs on the simulator's own pieces
//! (the token endpoint's app/service-principal lookup, Key Vault's authorization and key checks).
//!
//! Atlas's Azure Key Vault pages: get + encrypt + decrypt (access policy) or the `keys/read`,
//! `keys/encrypt/action`, `keys/decrypt/action` data actions (RBAC); "the Key Vault resource group
//! must match" the one named (the simulator finds the vault there without modelling the ARM read
//! Atlas makes); Atlas is not one of Azure's trusted services, so a vault that denies public
//! traffic is reachable only from Atlas's listed addresses or over an approved private endpoint.

use crate::graph::passwords::{SecretProblem, check_secret};
use crate::keyvault::KeyPermission;
use crate::keyvault::crypto::{KeyProblem, usable_version};
use crate::keyvault::network;
use crate::login::{issue, token};
use crate::shared::Shared;
use crate::state::atlas::AtlasProject;
use crate::state::{ArmResource, State};
use crate::tokens::Claims;
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr};
use xtcmk::Cloud;

/// How Atlas signs in to the key's tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Secret {
        client_id: String,
        tenant_id: String,
        secret_sha256: Option<String>,
    },
    Role {
        role_id: String,
    },
}

/// The settings of one Azure Key Vault configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub access: Access,
    pub subscription_id: String,
    pub resource_group_name: String,
    pub key_vault_name: String,
    pub key_identifier: String,
    pub require_private_networking: bool,
}

/// The link that failed, with Atlas's error code for it (Atlas Administration API Error Codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No token for the app in the key's tenant (wrong or expired secret, no service principal,
    /// a role naming another principal): `INVALID_AZURE_CREDENTIALS`.
    Credentials(String),
    /// The vault is not where the settings say (subscription, resource group, name):
    /// `INVALID_AZURE_API_REQUEST`.
    Vault(String),
    /// The key cannot be read or used with these credentials (absent, forbidden by RBAC or access
    /// policy, or by the vault's firewall): `AZURE_KEY_VAULT_KEY_NOT_FOUND`.
    Key(String),
    /// `AZURE_KEY_VAULT_KEY_NOT_ENABLED`.
    KeyDisabled,
    /// `AZURE_KEY_VAULT_KEY_EXPIRED`.
    KeyExpired,
    /// `AZURE_KEY_VAULT_KEY_EXPIRING`: expires within 48 hours.
    KeyExpiring,
    /// `AZURE_KEY_VAULT_KEY_NOT_ACTIVE`: before its `nbf`.
    KeyNotActive,
}

impl Failure {
    /// Atlas's `errorCode` and `detail`.
    pub fn code_and_detail(&self) -> (&'static str, &'static str) {
        match self {
            Failure::Credentials(_) => ("INVALID_AZURE_CREDENTIALS", "Invalid Azure credentials."),
            Failure::Vault(_) => (
                "INVALID_AZURE_API_REQUEST",
                "One or more provided Azure parameters were invalid.",
            ),
            Failure::Key(_) => (
                "AZURE_KEY_VAULT_KEY_NOT_FOUND",
                "No Azure Key Vault key found for the provided credentials.",
            ),
            Failure::KeyDisabled => ("AZURE_KEY_VAULT_KEY_NOT_ENABLED", "Key not enabled."),
            Failure::KeyExpired => ("AZURE_KEY_VAULT_KEY_EXPIRED", "The key has expired."),
            Failure::KeyExpiring => (
                "AZURE_KEY_VAULT_KEY_EXPIRING",
                "The key cannot be used because it will expire within the next 48 hours.",
            ),
            Failure::KeyNotActive => (
                "AZURE_KEY_VAULT_KEY_NOT_ACTIVE",
                "The key must not be used before its \"nbf\"",
            ),
        }
    }

    /// What went wrong, in the simulator's words (for tests and the admin endpoint).
    pub fn explain(&self) -> String {
        match self {
            Failure::Credentials(s) | Failure::Vault(s) | Failure::Key(s) => s.clone(),
            other => other.code_and_detail().1.to_string(),
        }
    }
}

/// A versioned key identifier `https://{vault}.{suffix}/keys/{name}/{version}` on this cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIdentifier {
    pub vault: String,
    pub key: String,
    pub version: String,
}

/// Parses a key identifier; `None` unless it is a full versioned Key Vault key identifier
/// ("the key identifier must be provided in the full Azure general format").
pub fn parse_key_identifier(cloud: &Cloud, uri: &str) -> Option<KeyIdentifier> {
    let url = url::Url::parse(uri).ok()?;
    if url.scheme() != "https" || url.query().is_some() || url.fragment().is_some() {
        return None;
    }
    if url.port().is_some() && url.port() != cloud.service_port {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let vault = host.strip_suffix(&format!(
        ".{}",
        cloud.key_vault_dns_suffix.to_ascii_lowercase()
    ))?;
    let segments: Vec<&str> = url.path().trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [keys, name, version]
            if keys.eq_ignore_ascii_case("keys")
                && !name.is_empty()
                && version.len() == 32
                && version.chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            Some(KeyIdentifier {
                vault: vault.to_string(),
                key: name.to_string(),
                version: version.to_string(),
            })
        }
        _ => None,
    }
}

/// The first line of a Key Vault or Entra answer.
fn said(reply: &crate::reply::Reply) -> String {
    match &reply.body {
        crate::reply::Body::Json(v) => v
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

/// Whether the project reaches the vault over an approved private endpoint.
fn private_link_up(state: &State, project: &AtlasProject) -> bool {
    project.private_endpoints.iter().any(|e| {
        e.status == "ACTIVE"
            && e.connection_id.as_deref().is_some_and(|c| {
                crate::arm::private_endpoint_connections::status(state, c).as_deref()
                    == Some("Approved")
            })
    })
}

/// The address Atlas's control plane calls Key Vault from: Atlas is not a trusted Azure service, so
/// a firewall must list its outbound control-plane addresses (MongoDB, "What inbound and outbound IP
/// addresses are required for encryption at rest using CMK": us-east-1 outbound 3.212.79.116/32).
pub const CONTROL_PLANE_ADDRESS: Ipv4Addr = Ipv4Addr::new(3, 212, 79, 116);

/// Key Vault's network rules for Atlas off a private link: a public client at its control-plane
/// address, refused as Key Vault refuses any client (`ForbiddenByFirewall`/`ForbiddenByConnection`).
fn firewall(vault: &ArmResource, claims: &Claims) -> Result<(), Failure> {
    let origin = network::Origin::Client(IpAddr::V4(CONTROL_PLANE_ADDRESS));
    let Err(blocked) = network::allows(&vault.body, &origin) else {
        return Ok(());
    };
    let caller = format!(
        "appid={};oid={};iss={}",
        claims.appid.as_deref().unwrap_or_default(),
        claims.oid.as_deref().unwrap_or_default(),
        claims.iss
    );
    let reply = network::refusal(vault, blocked, &origin, &caller);
    let inner = match blocked {
        network::Blocked::Connection => "ForbiddenByConnection",
        network::Blocked::Firewall => "ForbiddenByFirewall",
    };
    Err(Failure::Key(format!("{inner}: {}", said(&reply))))
}

/// Runs the check for `settings` of `project` against the state as it is now.
pub fn reach(
    shared: &Shared,
    state: &State,
    project: &AtlasProject,
    settings: &Settings,
) -> Result<(), Failure> {
    let key = parse_key_identifier(&shared.cloud, &settings.key_identifier).ok_or_else(|| {
        Failure::Key(format!(
            "{} is not a versioned key identifier",
            settings.key_identifier
        ))
    })?;
    // Sign in to the key's tenant.
    let (tenant_id, app_id, role_principal) = match &settings.access {
        Access::Secret {
            client_id,
            tenant_id,
            ..
        } => (tenant_id.clone(), client_id.clone(), None),
        Access::Role { role_id } => {
            let role = project
                .azure_service_principals
                .iter()
                .find(|r| r.id == *role_id)
                .ok_or_else(|| {
                    Failure::Credentials(format!("no cloudProviderAccess role {role_id}"))
                })?;
            (
                role.tenant_id.clone(),
                role.atlas_azure_app_id.clone(),
                Some(role.service_principal_id.clone()),
            )
        }
    };
    // Entra finds a tenant by its id or a verified domain only, as the token endpoint does.
    let tenant = state
        .tenant_by_entra_ref(&tenant_id)
        .ok_or_else(|| Failure::Credentials(said(&crate::login::tenant_not_found(&tenant_id))))?;
    let (app, sp) = token::app_in_tenant(state, tenant, &app_id)
        .map_err(|reply| Failure::Credentials(said(&reply)))?;
    match (&settings.access, &role_principal) {
        (
            Access::Secret {
                secret_sha256: Some(hash),
                ..
            },
            _,
        ) => check_secret(shared, app, hash).map_err(|p| {
            Failure::Credentials(match p {
                SecretProblem::Invalid => format!(
                    "AADSTS{}: Invalid client secret provided for app '{}'",
                    p.aadsts(),
                    app.app_id
                ),
                SecretProblem::Expired => format!(
                    "AADSTS{}: The provided client secret keys for app '{}' are expired",
                    p.aadsts(),
                    app.app_id
                ),
            })
        })?,
        (Access::Secret { .. }, _) => {
            return Err(Failure::Credentials("no client secret was given".into()));
        }
        (Access::Role { .. }, Some(principal)) => {
            if !sp.id.to_string().eq_ignore_ascii_case(principal) {
                return Err(Failure::Credentials(format!(
                    "the role names service principal {principal}, but Atlas's app is {} in tenant {tenant_id}",
                    sp.id
                )));
            }
        }
        (Access::Role { .. }, None) => unreachable!("a role names its principal"),
    }
    let issued = issue::app_token(shared, tenant, sp, &shared.cloud.key_vault_audience);
    let claims = shared
        .signer
        .verify(&issued.token)
        .map_err(|p| Failure::Credentials(format!("the simulator refused its own token: {p:?}")))?;

    // The vault where the settings say it is.
    let vault_id = crate::state::resource_id(
        &settings.subscription_id.parse().map_err(|_| {
            Failure::Vault(format!(
                "{} is not a subscription id",
                settings.subscription_id
            ))
        })?,
        &settings.resource_group_name,
        "Microsoft.KeyVault/vaults",
        &settings.key_vault_name,
    );
    let vault = state.resource(&vault_id).ok_or_else(|| {
        Failure::Vault(format!(
            "no vault {} in resource group {} of subscription {}",
            settings.key_vault_name, settings.resource_group_name, settings.subscription_id
        ))
    })?;
    if !key.vault.eq_ignore_ascii_case(&vault.name) {
        return Err(Failure::Vault(format!(
            "the key identifier's vault {} is not {}",
            key.vault, vault.name
        )));
    }
    if crate::arm::cosmos::chain::vault_tenant(vault).map(|t| t.to_string()) != claims.tid {
        return Err(Failure::Credentials(format!(
            "AKV10032: Invalid issuer: the vault {} belongs to another tenant",
            vault.name
        )));
    }
    if !(settings.require_private_networking && private_link_up(state, project)) {
        firewall(vault, &claims)?;
    }
    for permission in [
        KeyPermission::Get,
        KeyPermission::Encrypt,
        KeyPermission::Decrypt,
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
        .map_err(|reply| Failure::Key(said(&reply)))?;
    }
    let store = vault.name.to_ascii_lowercase();
    for op in ["encrypt", "decrypt"] {
        let (_, version) =
            usable_version(state, &store, &key.key, &key.version, op).map_err(|p| match p {
                KeyProblem::Disabled => Failure::KeyDisabled,
                other => Failure::Key(said(&other.reply(&key.key, op))),
            })?;
        let now = crate::tokens::now();
        if version.nbf.is_some_and(|nbf| nbf > now) {
            return Err(Failure::KeyNotActive);
        }
        match version.exp {
            Some(exp) if exp <= now => return Err(Failure::KeyExpired),
            Some(exp) if exp <= now + 48 * 3600 => return Err(Failure::KeyExpiring),
            _ => {}
        }
    }
    Ok(())
}
