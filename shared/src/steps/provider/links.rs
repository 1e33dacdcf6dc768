//! The links of the chain from a Cosmos DB account to the customer's key, one check each — what
//! `cosmos deploy` checks before it sends anything and what `doctor` lists. One implementation of
//! each check, used by both.
//!
//! What the provider can see by itself: the key URI, the customer's tenant and the vault's (Key
//! Vault's challenge names it), its managed identity, the app, the app's federated credentials.
//! What only the real exchange shows — Cosmos DB answers the same 503 "Error contacting the Azure
//! Key Vault resource" for all of them (troubleshoot-cmk 1.2) — is checked when a token for the
//! identity is available ([`exchange`]): the identity's token, the app's token in the customer's
//! tenant (Entra's AADSTS codes), then Key Vault's answers to get, wrapKey and unwrapKey.

use crate::clients::arm::user_assigned_identities::UserAssignedIdentity;
use crate::clients::graph::applications::ApplicationInfo;
use crate::clients::keyvault::VaultProbe;
use crate::clients::keyvault::keys::Wrapped;
use crate::context::Ctx;
use crate::fic::{FicExpectation, FicMatch};
use crate::http::HttpError;
use crate::http::federation::IdentityTokens;
use crate::output::{Check, CheckState};
use crate::steps::customer::key::KeyFacts;
use crate::steps::provider::app::MULTI_TENANT;
use crate::{AppId, InputError, ResourceId, TenantId, VersionlessKeyUri};

pub const KEY_URI: &str = "key URI";
pub const CUSTOMER_TENANT: &str = "customer tenant";
pub const VAULT: &str = "vault";
pub const IDENTITY: &str = "identity";
pub const APP: &str = "app";
pub const CREDENTIAL: &str = "credential";
pub const ACCOUNT: &str = "account";
pub const ACCOUNT_IDENTITY: &str = "account identity";
pub const DEFAULT_IDENTITY: &str = "default identity";
pub const ACCOUNT_KEY: &str = "account key";
pub const KEY_STATUS: &str = "key status";
pub const IDENTITY_TOKEN: &str = "identity token";
pub const SERVICE_PRINCIPAL: &str = "service principal";
pub const GRANT: &str = "grant";
pub const KEY: &str = "key";

/// The links only the identity's token can check, in the order the exchange reaches them.
pub const EXCHANGE_LINKS: [&str; 4] = [IDENTITY_TOKEN, SERVICE_PRINCIPAL, GRANT, KEY];

/// What the chain is made of.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The provider's tenant (where the identity, the app and the account are).
    pub provider_tenant: TenantId,
    /// The key's tenant, as the handoff says.
    pub customer_tenant: TenantId,
    pub key: VersionlessKeyUri,
    pub app_id: AppId,
    /// The provider's user-assigned managed identity.
    pub identity: ResourceId,
}

/// What the provider-side checks found, for the checks that follow.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub checks: Vec<Check>,
    pub identity: Option<UserAssignedIdentity>,
    pub app: Option<ApplicationInfo>,
    /// The tenant the key's vault answers for.
    pub vault_tenant: Option<TenantId>,
}

impl Seen {
    pub fn state(&self, item: &str) -> Option<CheckState> {
        self.checks.iter().find(|c| c.item == item).map(|c| c.state)
    }
}

fn forbidden(e: &HttpError) -> bool {
    e.status() == Some(403)
}

/// The key URI: versionless, of this cloud's Key Vault suffix. `problem` is why the given one
/// could not be used as it is (the handoff's `keyUri`), if it could not.
pub fn key_uri(key: &VersionlessKeyUri, problem: Option<&InputError>) -> Check {
    match problem {
        None => Check::pass(
            KEY_URI,
            format!("{key}: versionless, on this cloud's Key Vault suffix"),
        ),
        Some(e) => {
            let versioned = e.problem.contains("version");
            let mut detail = format!("{e}");
            if versioned {
                // Cosmos DB's own answer to a versioned URI (MicrosoftDocs/azure-docs#70179).
                detail.push_str(&format!(
                    "; Cosmos DB refuses it: \"{}\"",
                    crate::cosmos::VERSIONED_KEY_REFUSED
                ));
            }
            Check::fail(KEY_URI, detail).with_fix(format!(
                "ask the customer to send a handoff whose keyUri is {key} (the checks below used it)"
            ))
        }
    }
}

/// The customer's tenant is not the provider's own, and the key's vault answers for it.
pub async fn customer_tenant(
    ctx: &Ctx,
    chain: &Chain,
) -> anyhow::Result<(Check, Check, Option<TenantId>)> {
    let vault_url = chain.key.vault_url();
    let vault_name = chain.key.vault_name().to_string();
    let probe = crate::clients::keyvault::vault_tenant(&ctx.stack, &vault_url).await?;
    let (vault, vault_tenant) = match &probe {
        VaultProbe::Tenant(t) => (
            Check::pass(VAULT, format!("{vault_name} answers at {vault_url}")),
            Some(*t),
        ),
        VaultProbe::Missing(why) => (
            Check::fail(VAULT, format!("no vault answers at {vault_url}: {why}")).with_fix(
                "the customer recovers the vault (`az keyvault recover`), or sends a handoff for an existing one",
            ),
            None,
        ),
    };
    let tenant = if chain.customer_tenant == chain.provider_tenant {
        Check::fail(
            CUSTOMER_TENANT,
            format!(
                "the handoff's tenant {} is the provider's own tenant: this is not a cross-tenant key",
                chain.customer_tenant
            ),
        )
        .with_fix("use a handoff the customer made in their own tenant with `xtcmk-customer onboard`")
    } else {
        match vault_tenant {
            Some(t) if t == chain.customer_tenant => Check::pass(
                CUSTOMER_TENANT,
                format!(
                    "{}, not the provider's {}; vault {vault_name} takes tokens from it",
                    chain.customer_tenant, chain.provider_tenant
                ),
            ),
            Some(t) => Check::fail(
                CUSTOMER_TENANT,
                format!(
                    "vault {vault_name} takes tokens from tenant {t}, not {} as the handoff says",
                    chain.customer_tenant
                ),
            )
            .with_fix("ask the customer for a handoff made in the vault's tenant"),
            None => Check::unknown(
                CUSTOMER_TENANT,
                format!(
                    "{} is not the provider's tenant; the vault's own tenant is unknown while it does not answer",
                    chain.customer_tenant
                ),
            ),
        }
    };
    Ok((tenant, vault, vault_tenant))
}

/// The managed identity exists; its principal id is what the credential's subject must be.
/// Read once per run (a batch's customers share it).
pub async fn identity(
    ctx: &Ctx,
    chain: &Chain,
) -> anyhow::Result<(Check, Option<UserAssignedIdentity>)> {
    let key = format!("links identity {}", chain.identity);
    ctx.memo.once(key, || read_identity(ctx, chain)).await
}

async fn read_identity(
    ctx: &Ctx,
    chain: &Chain,
) -> anyhow::Result<(Check, Option<UserAssignedIdentity>)> {
    Ok(match ctx.arm.user_assigned_identity(&chain.identity).await {
        Ok(Some(found)) => (
            Check::pass(
                IDENTITY,
                format!(
                    "{} (principal {}, client {})",
                    chain.identity, found.properties.principal_id, found.properties.client_id
                ),
            ),
            Some(found),
        ),
        Ok(None) => (
            Check::fail(
                IDENTITY,
                format!("no user-assigned managed identity at {}", chain.identity),
            )
            .with_fix("pass the resource id of the provider's identity (`xtcmk-provider setup` creates one)"),
            None,
        ),
        Err(e) if e.is(404, "ResourceGroupNotFound") => (
            Check::fail(
                IDENTITY,
                format!(
                    "the identity's resource group {} does not exist",
                    chain.identity.resource_group_name().unwrap_or_default()
                ),
            )
            .with_fix("pass the resource id of the provider's identity (`xtcmk-provider setup` creates one)"),
            None,
        ),
        Err(e) if forbidden(&e) => (
            Check::unknown(
                IDENTITY,
                format!(
                    "you may not read {} ({}): the Reader role on it lets this be checked",
                    chain.identity,
                    e.code().unwrap_or("Forbidden")
                ),
            ),
            None,
        ),
        Err(e) => return Err(e.into()),
    })
}

/// The app is registered in the provider's tenant and is multi-tenant. Read once per run.
pub async fn app(ctx: &Ctx, chain: &Chain) -> anyhow::Result<(Check, Option<ApplicationInfo>)> {
    let key = format!("links app {} {}", ctx.tenant, chain.app_id);
    ctx.memo.once(key, || read_app(ctx, chain)).await
}

async fn read_app(ctx: &Ctx, chain: &Chain) -> anyhow::Result<(Check, Option<ApplicationInfo>)> {
    let found = match ctx.graph.application_by_app_id(&chain.app_id).await {
        Ok(found) => found,
        Err(e) if forbidden(&e) => {
            return Ok((
                Check::unknown(
                    APP,
                    format!(
                        "you may not read app registrations in tenant {} ({})",
                        ctx.tenant,
                        e.code().unwrap_or("Forbidden")
                    ),
                ),
                None,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let Some(app) = found else {
        return Ok((
            Check::fail(
                APP,
                format!(
                    "no app registration with client id {} in tenant {}",
                    chain.app_id, ctx.tenant
                ),
            )
            .with_fix("the handoff names an app that is gone: run `xtcmk-provider setup` and have the customer onboard the new app"),
            None,
        ));
    };
    let name = app.display_name.clone().unwrap_or_default();
    let audience = app.sign_in_audience.as_deref().unwrap_or("AzureADMyOrg");
    let check = if audience == MULTI_TENANT || audience == "AzureADandPersonalMicrosoftAccount" {
        Check::pass(
            APP,
            format!("{name} ({}): multi-tenant ({audience})", chain.app_id),
        )
    } else {
        Check::fail(
            APP,
            format!(
                "{name} ({}) is single-tenant ({audience}): it cannot sign in to the customer's tenant",
                chain.app_id
            ),
        )
        .with_fix(format!(
            "re-run `xtcmk-provider setup` with --app-id {} and --fix (signInAudience becomes {MULTI_TENANT})",
            chain.app_id
        ))
    };
    Ok((check, Some(app)))
}

/// A federated credential on the app trusts the identity with this cloud's issuer and audience; the
/// near misses are named (a trailing slash, a case-only subject, another cloud's audience…).
pub async fn credential(
    ctx: &Ctx,
    chain: &Chain,
    app: Option<&ApplicationInfo>,
    identity: Option<&UserAssignedIdentity>,
) -> anyhow::Result<Check> {
    let (Some(app), Some(identity)) = (app, identity) else {
        return Ok(Check::unknown(
            CREDENTIAL,
            "not checked: it needs the app and the identity above",
        ));
    };
    let key = format!(
        "links credential {} {} {} {} {}",
        app.id,
        identity.properties.principal_id,
        chain.provider_tenant,
        chain.identity,
        chain.app_id
    );
    ctx.memo
        .once(key, || read_credential(ctx, chain, app, identity))
        .await
}

async fn read_credential(
    ctx: &Ctx,
    chain: &Chain,
    app: &ApplicationInfo,
    identity: &UserAssignedIdentity,
) -> anyhow::Result<Check> {
    let principal = identity.properties.principal_id;
    let credentials = match ctx.graph.federated_credentials(&app.id).await {
        Ok(c) => c,
        Err(e) if forbidden(&e) => {
            return Ok(Check::unknown(
                CREDENTIAL,
                format!(
                    "you may not read the app's federated credentials ({})",
                    e.code().unwrap_or("Forbidden")
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let expected = FicExpectation::new(ctx.cloud(), &chain.provider_tenant, &principal);
    let repair = format!(
        "re-run `xtcmk-provider setup` for identity {} (with --fix to repair a credential of the same name); `xtcmk-provider identities --app-id {}` lists the app's credentials",
        chain.identity, chain.app_id
    );
    let mut near = Vec::new();
    for c in &credentials {
        match expected.classify_credential(c) {
            FicMatch::Trusts => {
                return Ok(Check::pass(
                    CREDENTIAL,
                    format!(
                        "{} trusts principal {principal} (issuer {}, audience {})",
                        c.name, expected.issuer, expected.audience
                    ),
                ));
            }
            FicMatch::NearMiss(reasons) => near.push(format!("{}: {}", c.name, reasons.join("; "))),
            FicMatch::Unrelated => {}
        }
    }
    Ok(if near.is_empty() {
        Check::fail(
            CREDENTIAL,
            format!(
                "no federated credential on the app trusts principal {principal} (it needs issuer {}, subject {principal}, audience {})",
                expected.issuer, expected.audience
            ),
        )
        .with_fix(repair)
    } else {
        Check::fail(
            CREDENTIAL,
            format!(
                "token exchange would fail (AADSTS700211/700213): {}",
                near.join(" | ")
            ),
        )
        .with_fix(repair)
    })
}

/// Every check the provider can make by itself, in chain order.
pub async fn provider_side(
    ctx: &Ctx,
    chain: &Chain,
    key_problem: Option<&InputError>,
) -> anyhow::Result<Seen> {
    let mut checks = vec![key_uri(&chain.key, key_problem)];
    let (tenant, vault, vault_tenant) = customer_tenant(ctx, chain).await?;
    checks.push(tenant);
    checks.push(vault);
    let (identity_check, identity) = identity(ctx, chain).await?;
    checks.push(identity_check);
    let (app_check, app) = app(ctx, chain).await?;
    checks.push(app_check);
    checks.push(credential(ctx, chain, app.as_ref(), identity.as_ref()).await?);
    Ok(Seen {
        checks,
        identity,
        app,
        vault_tenant,
    })
}

/// The exchange links as `?`, saying what would let them be checked.
pub fn exchange_unchecked(why: &str) -> Vec<Check> {
    EXCHANGE_LINKS
        .iter()
        .map(|item| {
            Check::unknown(item, format!("not checked: {why}")).with_fix(
                "run doctor where the identity is assigned (a managed-identity endpoint: IDENTITY_ENDPOINT, or the VM's), with --as-identity",
            )
        })
        .collect()
}

/// What stopped the exchange, as the link it breaks.
struct Stop {
    check: Check,
}

fn stop(check: Check) -> Stop {
    Stop { check }
}

/// Entra's refusal of the app's token in the customer's tenant, as the link it breaks.
fn token_refusal(e: &HttpError, chain: &Chain, app_missing: bool) -> Stop {
    let code = e.code().unwrap_or_default().to_string();
    let said = e
        .service_error()
        .map(|s| s.message.clone())
        .unwrap_or_else(|| e.to_string());
    let repair = format!(
        "re-run `xtcmk-provider setup` for identity {} (with --fix to repair); `xtcmk-provider identities --app-id {}` shows the near misses",
        chain.identity, chain.app_id
    );
    // Entra workload identity federation: AADSTS70021 no matching record (also while a new one
    // propagates), 700211 issuer, 700212 audience, 700213 subject, 7002138 subject differing in case.
    match code.as_str() {
        "AADSTS70021" => stop(
            Check::fail(CREDENTIAL, format!("Entra found no federated credential matching the identity's token ({code}: {said})"))
                .with_fix(format!("a credential created in the last minutes may not have propagated yet: retry in a few minutes; otherwise {repair}")),
        ),
        "AADSTS700211" | "AADSTS700212" | "AADSTS700213" | "AADSTS7002138" => {
            let part = match code.as_str() {
                "AADSTS700211" => "issuer",
                "AADSTS700212" => "audience",
                "AADSTS7002138" => "subject (it differs only in case)",
                _ => "subject",
            };
            stop(
                Check::fail(CREDENTIAL, format!("Entra refused the credential's {part} ({code}: {said})"))
                    .with_fix(repair),
            )
        }
        // AADSTS700016 / AADSTS7000229: the app has no service principal in that tenant.
        "AADSTS700016" | "AADSTS7000229" if app_missing => stop(
            Check::fail(APP, format!("Entra does not know the app in tenant {} ({code}: {said})", chain.customer_tenant)),
        ),
        "AADSTS700016" | "AADSTS7000229" => stop(
            Check::fail(
                SERVICE_PRINCIPAL,
                format!("app {} is not installed in tenant {} ({code}: {said})", chain.app_id, chain.customer_tenant),
            )
            .with_fix(format!(
                "send the customer's admin the consent URL (`xtcmk-provider consent-url --app-id {} --tenant {}`), or have them run `xtcmk-customer onboard`",
                chain.app_id, chain.customer_tenant
            )),
        ),
        _ => stop(
            Check::fail(
                SERVICE_PRINCIPAL,
                format!("Entra refused the app's token in tenant {}: {e}", chain.customer_tenant),
            ),
        ),
    }
}

/// Key Vault's refusal of the app (as the app in the customer's tenant), as the link it breaks.
fn vault_refusal(e: &HttpError, chain: &Chain, permission: &str) -> Stop {
    let vault = chain.key.vault_name();
    let code = e.code().unwrap_or_default();
    let said = e
        .service_error()
        .map(|s| s.message.lines().next().unwrap_or_default().to_string())
        .unwrap_or_else(|| e.to_string());
    if let HttpError::Transport(t) = e {
        return stop(Check::fail(
            VAULT,
            format!("vault {vault} does not answer: {}", t.cause),
        ));
    }
    if said.contains("AKV10032") {
        // Key Vault AKV10032 "Invalid issuer": the token is from another tenant than the vault's.
        return stop(
            Check::fail(
                CUSTOMER_TENANT,
                format!(
                    "vault {vault} refused a token of tenant {}: {said}",
                    chain.customer_tenant
                ),
            )
            .with_fix("ask the customer for a handoff made in the vault's tenant"),
        );
    }
    match (e.status(), code) {
        (Some(403), "ForbiddenByFirewall") if said.contains("not a trusted service") => stop(
            // The firewall lets trusted services through (troubleshoot-cmk 1.1 names the other
            // case), so Cosmos DB passes; this host does not, and cannot look further.
            Check::unknown(
                VAULT,
                format!("vault {vault}'s firewall refuses this host but lets trusted services (Cosmos DB) through: {said}"),
            )
            .with_fix("run doctor from an address the vault's firewall allows to check the grant and the key"),
        ),
        (Some(403), "ForbiddenByFirewall") => stop(
            Check::fail(
                VAULT,
                format!("vault {vault}'s firewall lets no trusted service through, so Cosmos DB is refused too: {said}"),
            )
            .with_fix("the customer allows trusted Microsoft services through the firewall (networkAcls.bypass AzureServices) or opens public access"),
        ),
        (Some(403), "ForbiddenByConnection") => stop(
            Check::fail(
                VAULT,
                format!("vault {vault} takes private-link traffic only, which Cosmos DB cannot use: {said}"),
            )
            .with_fix("the customer enables public network access with trusted services allowed through the firewall"),
        ),
        (Some(403), "ForbiddenByRbac" | "ForbiddenByPolicy") => stop(
            Check::fail(
                GRANT,
                format!(
                    "the app's service principal in tenant {} may not {permission} with the key ({code}): {said}",
                    chain.customer_tenant
                ),
            )
            .with_fix(
                "the customer grants it again: `xtcmk-customer onboard` with the same options (Key Vault Crypto Service Encryption User on the key, or get/wrapKey/unwrapKey in an access policy)",
            ),
        ),
        (Some(403), _) if said.contains("disabled") => stop(
            Check::fail(KEY, format!("key {} is disabled: {said}", chain.key.key_name()))
                .with_fix("the customer enables the key (`az keyvault key set-attributes --enabled true`)"),
        ),
        (Some(404), "VaultNotFound") => stop(Check::fail(
            VAULT,
            format!("vault {vault} does not exist: {said}"),
        )),
        (Some(404), _) => stop(
            Check::fail(KEY, format!("key {} does not exist in vault {vault}: {said}", chain.key.key_name()))
                .with_fix("the customer recovers the deleted key (`az keyvault key recover`), or sends a handoff naming an existing key"),
        ),
        _ => stop(Check::fail(KEY, format!("{permission} with the key failed: {e}"))),
    }
}

/// Runs the real exchange as Cosmos DB does: the identity's token, the app's token in the
/// customer's tenant with it as the assertion, then get, wrapKey and unwrapKey on the key. Returns
/// one check per link it reached; the links after the one that failed are `?`.
pub async fn exchange(ctx: &Ctx, chain: &Chain, seen: &Seen) -> anyhow::Result<Vec<Check>> {
    let Some(identity) = &seen.identity else {
        return Ok(exchange_unchecked("the identity above is missing"));
    };
    let app_missing = seen.state(APP) == Some(CheckState::Fail);
    let mut done: Vec<Check> = Vec::new();
    let finish = |mut done: Vec<Check>, stopped: Stop| {
        let at = stopped.check.item.clone();
        done.push(stopped.check);
        for item in EXCHANGE_LINKS {
            if !done.iter().any(|c| c.item == item) {
                done.push(Check::unknown(
                    item,
                    format!("not reached: the exchange stopped at the {at} link"),
                ));
            }
        }
        done
    };

    // 1. The identity's token, as the managed-identity endpoint issues it.
    let tokens = IdentityTokens::new(&ctx.stack, identity.properties.client_id)?;
    let claims = match tokens.exchange_token().await {
        Ok((_, claims)) => claims,
        Err(e) => {
            return Ok(finish(
                done,
                stop(
                    Check::unknown(
                        IDENTITY_TOKEN,
                        format!(
                            "this host's managed-identity endpoint gave no token for client id {}: {e}",
                            identity.properties.client_id
                        ),
                    )
                    .with_fix("run doctor on the compute the identity is assigned to"),
                ),
            ));
        }
    };
    done.push(Check::pass(
        IDENTITY_TOKEN,
        format!(
            "issuer {}, subject {}",
            claims.iss.as_deref().unwrap_or("(none)"),
            claims.sub.as_deref().unwrap_or("(none)")
        ),
    ));

    // 2. The app's token in the customer's tenant, the identity's token as its assertion.
    let app = tokens.as_app(&ctx.stack, chain.customer_tenant, chain.app_id)?;
    match app.key_vault_token(&ctx.stack).await {
        Ok(_) => {
            done.push(Check::pass(
                CREDENTIAL,
                "Entra accepted the identity's token as the app's credential",
            ));
            done.push(Check::pass(
                SERVICE_PRINCIPAL,
                format!(
                    "app {} signs in to tenant {} as its service principal",
                    chain.app_id, chain.customer_tenant
                ),
            ));
        }
        Err(e) => return Ok(finish(done, token_refusal(&e, chain, app_missing))),
    }

    // 3. Key Vault, as the app: get, then wrap and unwrap random bytes.
    if seen.state(VAULT) == Some(CheckState::Fail) {
        done.push(Check::unknown(
            GRANT,
            "not checked: the vault does not answer",
        ));
        done.push(Check::unknown(
            KEY,
            "not checked: the vault does not answer",
        ));
        return Ok(done);
    }
    let kv = app.key_vault(&ctx.stack, &chain.key.vault_url())?;
    let name = chain.key.key_name();
    let key = match kv.get_key(name).await {
        Ok(Some(key)) => KeyFacts::from_key(&key),
        Ok(None) => {
            done.push(Check::pass(
                VAULT,
                "the vault let the app's request through",
            ));
            done.push(Check::unknown(GRANT, "not checked: the key is missing"));
            return Ok(finish(
                done,
                stop(
                    Check::fail(KEY, format!("key {name} does not exist in vault {}", chain.key.vault_name()))
                        .with_fix("the customer recovers the deleted key (`az keyvault key recover`), or sends a handoff naming an existing key"),
                ),
            ));
        }
        Err(e) => return Ok(finish(done, vault_refusal(&e, chain, "get"))),
    };
    done.push(Check::pass(
        VAULT,
        "the vault let the app's request through",
    ));
    if !key.enabled {
        done.push(Check::pass(
            GRANT,
            "get is allowed (wrapKey and unwrapKey are not tried on a disabled key)",
        ));
        return Ok(finish(
            done,
            stop(
                Check::fail(KEY, format!("key {name} is disabled"))
                    .with_fix("the customer enables the key (`az keyvault key set-attributes --enabled true`)"),
            ),
        ));
    }
    let plain: Vec<u8> = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()]
        .iter()
        .flat_map(|u| u.as_bytes().to_vec())
        .collect();
    // The current version, as Cosmos DB uses it.
    let version = key
        .kid
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let wrapped: Wrapped = match kv.wrap_key(name, version, &plain).await {
        Ok(w) => w,
        Err(e) => return Ok(finish(done, vault_refusal(&e, chain, "wrapKey"))),
    };
    match kv.unwrap_key(name, &wrapped).await {
        Ok(back) if back == plain => {}
        Ok(_) => {
            return Ok(finish(
                done,
                stop(Check::fail(
                    KEY,
                    "unwrapKey did not give back the wrapped bytes",
                )),
            ));
        }
        Err(e) => return Ok(finish(done, vault_refusal(&e, chain, "unwrapKey"))),
    }
    done.push(Check::pass(
        GRANT,
        format!(
            "the app's service principal may get, wrapKey and unwrapKey in tenant {}",
            chain.customer_tenant
        ),
    ));
    done.push(Check::pass(
        KEY,
        format!(
            "{} ({}): enabled; wrapped and unwrapped random bytes with {}",
            name,
            key.kty,
            wrapped.kid.rsplit('/').next().unwrap_or_default()
        ),
    ));
    Ok(done)
}

/// The provider-side checks with what the exchange found: a failure on either side fails the link,
/// the exchange confirms a link the provider could not see, and the links the exchange alone checks
/// follow in chain order.
pub fn merge(statics: Vec<Check>, exchange: Vec<Check>) -> Vec<Check> {
    let mut out = statics;
    for x in exchange {
        match out.iter_mut().find(|c| c.item == x.item) {
            Some(c) => match (c.state, x.state) {
                (CheckState::Fail, _) => {}
                (_, CheckState::Fail) => *c = x,
                (CheckState::Unknown, CheckState::Ok) => *c = x,
                // The vault let the provider's probe through, but its firewall stops this host:
                // what lies behind it is unknown.
                (CheckState::Ok, CheckState::Unknown) if x.item == VAULT => *c = x,
                _ => {}
            },
            None => out.push(x),
        }
    }
    out
}

/// The failed links, for a refusal.
pub fn failures(checks: &[Check]) -> Vec<&Check> {
    checks.iter().filter(|c| c.failed()).collect()
}

/// `key tenant` of a key URI the account already uses: the handoff's tenant when it is the same
/// vault, else what the vault's challenge says.
pub async fn key_tenant_of(
    ctx: &Ctx,
    uri: &str,
    chain: &Chain,
    vault_tenant: Option<TenantId>,
) -> anyhow::Result<Option<TenantId>> {
    let Ok(parsed) = crate::KeyUri::parse(ctx.cloud(), "keyVaultKeyUri", uri) else {
        return Ok(None);
    };
    if parsed
        .vault_name()
        .eq_ignore_ascii_case(chain.key.vault_name())
    {
        return Ok(vault_tenant.or(Some(chain.customer_tenant)));
    }
    Ok(
        match crate::clients::keyvault::vault_tenant(&ctx.stack, &parsed.vault_url()).await? {
            VaultProbe::Tenant(t) => Some(t),
            VaultProbe::Missing(_) => None,
        },
    )
}

/// The account's `customerManagedKeyStatus`, decoded: ✓ confirmed, ✗ revoked (with its cause and
/// fix), `?` when the account reports none.
pub fn key_status(account: &crate::clients::arm::cosmos::DatabaseAccount) -> Check {
    if !account.has_cmk() {
        return Check::fail(KEY_STATUS, "customer-managed keys are off on this account")
            .with_fix("`xtcmk-provider cosmos deploy` turns them on");
    }
    match account.key_status() {
        Some(status) if status.is_confirmed() => Check::pass(KEY_STATUS, status.words()),
        Some(status) => {
            let check = Check::fail(KEY_STATUS, status.words());
            match status.fix() {
                Some(fix) => check.with_fix(fix),
                None => check.with_fix("`xtcmk-provider doctor` checks each link of the chain"),
            }
        }
        None => Check::unknown(
            KEY_STATUS,
            "the account reports no customerManagedKeyStatus (api-version 2023-09-15 or later shows it)",
        ),
    }
}

/// The account carries exactly this identity, default identity and key, and its status.
pub async fn account(
    ctx: &Ctx,
    id: &ResourceId,
    chain: &Chain,
    vault_tenant: Option<TenantId>,
) -> anyhow::Result<Vec<Check>> {
    let found = match ctx.arm.cosmos_account(id).await {
        Ok(found) => found,
        Err(e) if forbidden(&e) => {
            return Ok(vec![Check::unknown(
                ACCOUNT,
                format!(
                    "you may not read {id} ({}): the Reader role on it lets this be checked",
                    e.code().unwrap_or("Forbidden")
                ),
            )]);
        }
        Err(e) => return Err(e.into()),
    };
    let Some(account) = found else {
        return Ok(vec![
            Check::unknown(ACCOUNT, format!("{id} does not exist (yet)"))
                .with_fix("`xtcmk-provider cosmos deploy` creates it"),
        ]);
    };
    let deploy = "`xtcmk-provider cosmos deploy` with the same options sets it";
    let mut checks = Vec::new();
    checks.push(if account.has_identity(&chain.identity) {
        Check::pass(
            ACCOUNT_IDENTITY,
            format!("{} is on the account", chain.identity),
        )
    } else {
        Check::fail(
            ACCOUNT_IDENTITY,
            format!("{} is not among the account's identities", chain.identity),
        )
        .with_fix(deploy)
    });
    let expected = crate::cosmos::default_identity(&chain.identity, &chain.app_id);
    checks.push(
        if account.default_identity().eq_ignore_ascii_case(&expected) {
            Check::pass(DEFAULT_IDENTITY, expected)
        } else {
            Check::fail(
                DEFAULT_IDENTITY,
                format!("{} instead of {expected}", account.default_identity()),
            )
            .with_fix(deploy)
        },
    );
    let wanted = chain.key.to_string();
    checks.push(match account.key_uri() {
        None => Check::fail(ACCOUNT_KEY, "customer-managed keys are off")
            .with_fix("`xtcmk-provider cosmos deploy` turns them on (for good: they cannot be turned off)"),
        Some(k) if k.trim_end_matches('/').eq_ignore_ascii_case(&wanted) => {
            Check::pass(ACCOUNT_KEY, k.to_string())
        }
        Some(k) => {
            let from = key_tenant_of(ctx, k, chain, vault_tenant).await?;
            let pinned = crate::cosmos::federated_client_id(account.default_identity()).is_some()
                || from.is_some_and(|t| t != chain.provider_tenant);
            match from {
                Some(old) if pinned && old != chain.customer_tenant => Check::fail(
                    ACCOUNT_KEY,
                    format!(
                        "it uses {k} of tenant {old}; the handoff's key is in tenant {}, which Cosmos DB refuses for this account: \"{}\"",
                        chain.customer_tenant,
                        crate::cosmos::pinned_tenant_refusal(&chain.customer_tenant, &old)
                    ),
                )
                .with_fix(format!(
                    "deploy another account for this key; this one stays with tenant {old}"
                )),
                _ => Check::fail(ACCOUNT_KEY, format!("it uses {k}, not {wanted}"))
                    .with_fix("`xtcmk-provider cosmos deploy` with the same options changes the key"),
            }
        }
    });
    checks.push(key_status(&account));
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_failures_and_fills_unknowns() {
        let statics = vec![
            Check::pass(KEY_URI, "ok"),
            Check::fail(CREDENTIAL, "no credential"),
            Check::pass(VAULT, "answers"),
        ];
        let exchange = vec![
            Check::pass(IDENTITY_TOKEN, "iss"),
            Check::fail(CREDENTIAL, "AADSTS700213"),
            Check::unknown(SERVICE_PRINCIPAL, "not reached"),
            Check::unknown(GRANT, "not reached"),
            Check::unknown(KEY, "not reached"),
        ];
        let merged = merge(statics, exchange);
        let failed: Vec<&str> = failures(&merged).iter().map(|c| c.item.as_str()).collect();
        assert_eq!(failed, [CREDENTIAL]);
        assert_eq!(
            merged[1].detail, "no credential",
            "the provider's own finding stays"
        );
        assert_eq!(merged.len(), 7);
        let over = merge(
            vec![Check::pass(VAULT, "answers")],
            vec![Check::fail(VAULT, "firewall")],
        );
        assert!(over[0].failed());
    }
}
