//! The Key Vault and Managed HSM data planes (`<vault>.vault.localhost`,
//! `<hsm>.managedhsm.localhost`). Errors have Key Vault's shape `{"error":{"code","message"}}`
//! (`KeyVaultError`, keyvault-data/2025-07-01). Authentication is challenge-based: a request
//! without a token gets 401 with `WWW-Authenticate: Bearer authorization="<login>/<tenant>",
//! resource="<audience>"`, the SDK then asks for a token for that resource and retries.
//!
//! Authorization follows the vault's permission model: with `enableRbacAuthorization` the caller
//! needs a role assignment (an ARM resource of type `Microsoft.Authorization/roleAssignments`
//! whose `properties.scope` — or the id's prefix — covers the vault, `properties.principalId` =
//! the caller's object id and `properties.roleDefinitionId` naming a Key Vault role); otherwise an
//! entry of `properties.accessPolicies` for the caller with the key permission.

pub mod api_versions;
pub mod crypto;
pub(crate) mod keys;
pub mod models;
pub mod network;

use crate::auth::{Checked, audience_matches, check};
use crate::reply::Reply;
use crate::routes::{Call, Caller, RouteTable};
use crate::service::Service;
use crate::service_def::ServiceDef;
use crate::state::ArmResource;
use crate::tokens::TokenProblem;
use serde_json::{Value, json};

pub fn def(service: Service) -> ServiceDef {
    ServiceDef {
        service,
        routes: RouteTable::new([keys::routes(), crypto::routes()].concat()),
        admit,
        error: |_, status, code, message| error(status, code, message),
        not_found: |call| {
            error(
                404,
                "BadParameter",
                &format!(
                    "xtcmk-sim has no Key Vault route for {} {} (add one in tests/src/keyvault/).",
                    call.method, call.path
                ),
            )
        },
        stamp: |call, reply| {
            reply
                .headers
                .push(("x-ms-request-id".into(), call.request_id.clone()));
            reply
                .headers
                .push(("x-ms-keyvault-service-version".into(), "1.9.0.0".into()));
        },
    }
}

/// `{"error":{"code","message"}}` with `status`.
pub fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({ "error": { "code": code, "message": message } }),
    )
}

/// A 403 with the inner error code Key Vault adds (`ForbiddenByRbac`, `ForbiddenByPolicy`).
fn forbidden(inner: &str, message: &str) -> Reply {
    Reply::json(
        403,
        json!({ "error": { "code": "Forbidden", "message": message, "innererror": { "code": inner } } }),
    )
}

/// The vault or HSM this request's host names (an ARM resource), if it exists.
pub fn instance(call: &Call) -> Option<ArmResource> {
    let name = call.instance.as_deref()?;
    let state = call.state();
    match call.service {
        Service::ManagedHsm => state
            .resources
            .values()
            .find(|r| {
                r.kind
                    .eq_ignore_ascii_case("Microsoft.KeyVault/managedHSMs")
                    && r.name.eq_ignore_ascii_case(name)
            })
            .cloned(),
        _ => state.vault(name).cloned(),
    }
}

fn audience(call: &Call) -> &str {
    match call.service {
        Service::ManagedHsm => &call.sim.cloud.managed_hsm_audience,
        _ => &call.sim.cloud.key_vault_audience,
    }
}

/// The 401 challenge the service answers a request without (or with an unusable) token.
fn challenge(call: &Call, tenant: Option<String>, message: &str) -> Reply {
    let tenant = tenant.unwrap_or_else(|| "common".into());
    let login = call.sim.login_url();
    error(401, "Unauthorized", message).header(
        "WWW-Authenticate",
        format!(
            "Bearer authorization=\"{}{tenant}\", resource=\"{}\"",
            login,
            audience(call).trim_end_matches('/')
        ),
    )
}

/// Key Vault's token check: the challenge for a missing token, then signature, lifetime,
/// audience and the vault's tenant; then the required `api-version`.
fn admit(call: &Call) -> Result<Option<Caller>, Reply> {
    let Some(vault) = instance(call) else {
        // In Azure the host name would not resolve; the simulator says so in Key Vault's shape.
        return Err(error(
            404,
            "VaultNotFound",
            &format!(
                "No vault or HSM named '{}' exists (in Azure its host name would not resolve).",
                call.instance.as_deref().unwrap_or_default()
            ),
        ));
    };
    let tenant = vault
        .body
        .pointer("/properties/tenantId")
        .and_then(Value::as_str)
        .map(str::to_string);
    let claims = match check(call) {
        Checked::Missing => {
            return Err(challenge(
                call,
                tenant,
                "AKV10000: Request is missing a Bearer or PoP token.",
            ));
        }
        Checked::Refused(TokenProblem::Expired { .. }) => {
            return Err(challenge(call, tenant, "AKV10013: Token expired."));
        }
        Checked::Refused(TokenProblem::Signature) => {
            return Err(challenge(
                call,
                tenant,
                "AKV10011: Signature validation failed.",
            ));
        }
        Checked::Refused(_) => {
            return Err(challenge(
                call,
                tenant,
                "AKV10003: Token could not be validated.",
            ));
        }
        Checked::Valid(claims) => claims,
    };
    let expected = audience(call).trim_end_matches('/').to_string();
    if !audience_matches(&claims.aud, &expected) {
        return Err(challenge(
            call,
            tenant,
            &format!(
                "AKV10022: Invalid audience. Expected {expected}, found: {}.",
                claims.aud
            ),
        ));
    }
    if let Some(t) = &tenant
        && claims.tid.as_deref() != Some(t.as_str())
    {
        let expected = format!("{}{t}/v2.0", call.sim.login_url());
        return Err(challenge(
            call,
            tenant.clone(),
            &format!(
                "AKV10032: Invalid issuer. Expected one of {expected}, found {}.",
                claims.iss
            ),
        ));
    }
    // Every data-plane operation takes a required, known api-version (keyvault-data/2025-07-01).
    if let Some(refused) = api_versions::check(call.query("api-version")) {
        return Err(refused);
    }
    // The vault's firewall and public-access setting apply to every authenticated request.
    let origin = network::client_origin(call.peer);
    if let Err(blocked) = network::allows(&vault.body, &origin) {
        return Err(network::refusal(
            &vault,
            blocked,
            &origin,
            &caller_text(&claims),
        ));
    }
    Ok(Some(Caller { claims: *claims }))
}

/// `appid=…;oid=…;iss=…`, how Key Vault names the caller in its 403s.
fn caller_text(claims: &crate::tokens::Claims) -> String {
    format!(
        "appid={};oid={};iss={}",
        claims.appid.as_deref().unwrap_or_default(),
        claims.oid.as_deref().unwrap_or_default(),
        claims.iss
    )
}

/// A key permission and the RBAC data action it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPermission {
    Get,
    Create,
    Update,
    WrapKey,
    UnwrapKey,
    Encrypt,
    Decrypt,
    Rotate,
    GetRotationPolicy,
    SetRotationPolicy,
}

impl KeyPermission {
    /// The access-policy permission name (keyvault-mgmt `KeyPermissions`).
    fn policy_name(self) -> &'static str {
        match self {
            KeyPermission::Get => "get",
            KeyPermission::Create => "create",
            KeyPermission::Update => "update",
            KeyPermission::WrapKey => "wrapKey",
            KeyPermission::UnwrapKey => "unwrapKey",
            KeyPermission::Encrypt => "encrypt",
            KeyPermission::Decrypt => "decrypt",
            KeyPermission::Rotate => "rotate",
            KeyPermission::GetRotationPolicy => "getrotationpolicy",
            KeyPermission::SetRotationPolicy => "setrotationpolicy",
        }
    }

    fn data_action(self) -> &'static str {
        match self {
            KeyPermission::Get => "Microsoft.KeyVault/vaults/keys/read",
            KeyPermission::Create => "Microsoft.KeyVault/vaults/keys/create/action",
            KeyPermission::Update => "Microsoft.KeyVault/vaults/keys/update/action",
            KeyPermission::WrapKey => "Microsoft.KeyVault/vaults/keys/wrap/action",
            KeyPermission::UnwrapKey => "Microsoft.KeyVault/vaults/keys/unwrap/action",
            KeyPermission::Encrypt => "Microsoft.KeyVault/vaults/keys/encrypt/action",
            KeyPermission::Decrypt => "Microsoft.KeyVault/vaults/keys/decrypt/action",
            KeyPermission::Rotate => "Microsoft.KeyVault/vaults/keys/rotate/action",
            // Key rotation policies are their own data type (Key Vault Crypto Officer:
            // `Microsoft.KeyVault/vaults/keyrotationpolicies/*`).
            KeyPermission::GetRotationPolicy => {
                "Microsoft.KeyVault/vaults/keyrotationpolicies/read"
            }
            KeyPermission::SetRotationPolicy => {
                "Microsoft.KeyVault/vaults/keyrotationpolicies/write"
            }
        }
    }
}

/// Whether the role definition `role_definition_id` (built-in or custom) grants `permission`:
/// one of its `dataActions` matches the permission's data action and no `notDataActions` does
/// (Azure RBAC evaluation of data actions, authorization/builtin-roles).
fn role_grants(
    state: &crate::state::State,
    role_definition_id: &str,
    permission: KeyPermission,
) -> bool {
    use crate::arm::permissions::action_matches;
    let Some(definition) = crate::arm::role_definitions::definition(state, role_definition_id)
    else {
        return false;
    };
    let wanted = permission.data_action();
    let list = |p: &Value, key: &str| -> Vec<String> {
        p.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    definition["properties"]["permissions"]
        .as_array()
        .is_some_and(|permissions| {
            permissions.iter().any(|p| {
                list(p, "dataActions")
                    .iter()
                    .any(|a| action_matches(a, wanted))
                    && !list(p, "notDataActions")
                        .iter()
                        .any(|a| action_matches(a, wanted))
            })
        })
}

/// Checks that the caller may do `permission` on `vault`, answering Key Vault's 403 otherwise.
pub fn authorize(call: &Call, vault: &ArmResource, permission: KeyPermission) -> Result<(), Reply> {
    let key = Some(call.param("name")).filter(|k| !k.is_empty());
    let state = call.state();
    authorize_principal(
        &call.sim,
        &state,
        &call.caller().claims,
        vault,
        key,
        call.service == Service::ManagedHsm,
        permission,
    )
}

/// The data plane's authorization of the principal behind `claims` for `permission` on `vault`
/// (or on its key `key`): what [`authorize`] decides for a request, and what Cosmos DB's access to
/// a customer key is decided by.
pub fn authorize_principal(
    shared: &crate::shared::Shared,
    state: &crate::state::State,
    claims: &crate::tokens::Claims,
    vault: &ArmResource,
    key: Option<&str>,
    managed_hsm: bool,
    permission: KeyPermission,
) -> Result<(), Reply> {
    let oid = claims.oid.clone().unwrap_or_default();
    let who = caller_text(claims);
    let location = vault
        .body
        .get("location")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let rbac = vault
        .body
        .pointer("/properties/enableRbacAuthorization")
        .and_then(Value::as_bool)
        .unwrap_or(managed_hsm);
    if rbac {
        // A key operation's resource is the key (`{vault}/keys/{name}`): assignments at the
        // key, the vault or above cover it (Key Vault RBAC, key-scope role assignments).
        let target = match key {
            None => vault.id.clone(),
            Some(key) => format!("{}/keys/{key}", vault.id),
        };
        let allowed = crate::arm::role_assignments::related(state, &target)
            .iter()
            .any(|ra| {
                crate::arm::permissions::covers(&ra.scope, &target)
                    && ra.principal_id == oid
                    && role_grants(state, &ra.role_definition_id, permission)
                    && crate::arm::role_assignments::propagated(shared, &ra.id)
            });
        if allowed {
            return Ok(());
        }
        return Err(forbidden(
            "ForbiddenByRbac",
            &format!(
                "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: {who}\r\nAction: '{}'\r\nResource: '{}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: {};location={location}\r\n",
                permission.data_action(),
                vault.id.to_ascii_lowercase(),
                vault.name
            ),
        ));
    }
    let wanted = permission.policy_name();
    let allowed = vault
        .body
        .pointer("/properties/accessPolicies")
        .and_then(Value::as_array)
        .is_some_and(|policies| {
            policies.iter().any(|p| {
                p.get("objectId").and_then(Value::as_str) == Some(oid.as_str())
                    && p.pointer("/permissions/keys")
                        .and_then(Value::as_array)
                        .is_some_and(|keys| {
                            keys.iter().filter_map(Value::as_str).any(|k| {
                                k.eq_ignore_ascii_case(wanted) || k.eq_ignore_ascii_case("all")
                            })
                        })
            })
        });
    if allowed {
        Ok(())
    } else {
        Err(forbidden(
            "ForbiddenByPolicy",
            &format!(
                "The user, group or application '{who}' does not have keys {} permission on key vault '{};location={location}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
                wanted.to_ascii_lowercase(),
                vault.name
            ),
        ))
    }
}
