//! `customerManagedKeyStatus` (2023-09-15 and later): every read re-runs the chain and answers
//! Azure's text for what it found. The texts are the values of the `CustomerManagedKeyStatus` enum
//! of cosmos-db.json 2023-09-15 (a free string from 2024 on; the error codes are those of
//! cmk-troubleshooting-guide). A change of status shows only once its replication delay has passed
//! (replication kind [`KEY_STATUS`]; Azure takes up to an hour to notice a revocation or a fix).

use super::chain::{self, Account};
use crate::shared::Shared;
use crate::state::State;
use crate::state::cosmos::{ChainFailure, Check, Link};
use serde_json::Value;

/// Replication kind of a status change: `ReplicationRule { object: "cosmosKeyStatus", .. }` keeps
/// the previous status for that many reads or that long.
pub const KEY_STATUS: &str = "cosmosKeyStatus";

pub const CONFIRMED: &str = "Access to the configured customer managed key confirmed.";

const GUIDE: &str = "for more details about this error and how to restore access to your account please visit https://learn.microsoft.com/en-us/azure/cosmos-db/cmk-troubleshooting-guide";

/// The status text for a broken link.
pub fn text(link: &Link) -> String {
    let (why, anchor, code) = match link {
        Link::ManagedIdentityNotFound
        | Link::ApplicationNotFound
        | Link::ServicePrincipalMissing
        | Link::FederatedCredentialRefused { .. }
        | Link::TokenTenantMismatch => (
            "the Azure Cosmos DB service is unable to obtain the AAD authentication token for the account's default identity",
            "#azure-active-directory-token-acquisition-error",
            4000,
        ),
        Link::NotAuthorized { .. } | Link::KeyDisabled => (
            "the current default identity no longer has permission to the associated Key Vault key",
            "#default-identity-is-unauthorized-to-access-the-azure-key-vault-key",
            4002,
        ),
        Link::KeyNotFound => (
            "the correspondent key is not found on the specified Key Vault",
            "#azure-key-vault-resource-not-found",
            4003,
        ),
        Link::WrapUnwrapFailed => (
            "the Azure Cosmos DB service is unable to wrap or unwrap the key",
            "#internal-unwrapping-procedure-error",
            4005,
        ),
        Link::KeyUriFormat => (
            "the Azure Cosmos DB account's key vault key URI does not follow the expected format",
            "#improper-syntax-detected-on-the-key-vault-uri-property",
            4006,
        ),
        Link::VaultDnsUnresolved => (
            "the Azure Key Vault DNS name specified by the account's keyvaultkeyuri property could not be resolved",
            "#unable-to-resolve-the-key-vaults-dns",
            4009,
        ),
        Link::DefaultIdentityUndefined => (
            "the Azure Cosmos DB account has an undefined default identity",
            "#invalid-azure-cosmos-db-default-identity",
            4015,
        ),
        Link::VaultFirewall => (
            "the access rules are blocking outbound requests to the Azure Key Vault service",
            "",
            4016,
        ),
        Link::VaultNotFound => (
            "the correspondent Azure Key Vault was not found",
            "#azure-key-vault-resource-not-found",
            4017,
        ),
        Link::PurgeProtectionOff | Link::DefaultIdentityNotSimulated => {
            return format!("Access to your account is currently revoked; {GUIDE}");
        }
    };
    format!("Access to your account is currently revoked because {why}; {GUIDE}{anchor} ({code}).")
}

/// Whether a status means the account is revoked.
pub fn is_revoked(status: &str) -> bool {
    status != CONFIRMED
}

fn strings(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The account's chain input, read from its stored body (`None` without a key).
pub fn account_input(body: &Value) -> Option<(String, Option<String>, Vec<String>)> {
    let props = &body["properties"];
    let key = props["keyVaultKeyUri"]
        .as_str()
        .filter(|k| !k.is_empty())?
        .to_string();
    let default_identity = props["defaultIdentity"].as_str().map(str::to_string);
    let user_assigned = strings(&body["identity"]["userAssignedIdentities"]);
    Some((key, default_identity, user_assigned))
}

/// Keeps a failed run of the chain for the admin endpoint, and logs it.
pub fn record(state: &mut State, account_id: &str, check: Check, broken: &chain::Broken) {
    let account = account_id
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    tracing::info!(
        "cosmos {account}: {check:?} failed at {:?}: {}",
        broken.link,
        broken.detail
    );
    state.cosmos.failures.push(ChainFailure {
        account,
        account_id: account_id.to_string(),
        check,
        link: broken.link.clone(),
        detail: broken.detail.clone(),
    });
}

/// Re-runs the chain for the account and returns the status reads show, or `None` for an account
/// without a customer-managed key.
pub fn refresh(shared: &Shared, state: &mut State, account_id: &str) -> Option<String> {
    let body = state.resource(account_id)?.body.clone();
    let (key_uri, default_identity, user_assigned) = account_input(&body)?;
    let outcome = chain::run(
        shared,
        state,
        &Account {
            key_uri: &key_uri,
            default_identity: default_identity.as_deref(),
            user_assigned: &user_assigned,
        },
    );
    let computed = match &outcome {
        Ok(_) => CONFIRMED.to_string(),
        Err(b) => text(&b.link),
    };
    let link = outcome.as_ref().err().map(|b| b.link.clone());
    // A failure is recorded when it starts (or changes), not on every read.
    if let Err(b) = &outcome
        && state
            .cosmos
            .meta(account_id)
            .and_then(|m| m.last_failure.as_ref())
            != Some(&b.link)
    {
        record(state, account_id, Check::Status, b);
    }
    let meta = state.cosmos.meta_mut(account_id);
    meta.last_failure = link;
    let shown = match meta.status.clone() {
        None => {
            meta.status = Some(computed.clone());
            computed
        }
        Some(current) if current == computed => {
            meta.pending_status = None;
            current
        }
        Some(current) => {
            let key = format!("{}|{computed}", account_id.to_ascii_lowercase());
            if meta.pending_status.as_deref() != Some(computed.as_str()) {
                meta.pending_status = Some(computed.clone());
                shared.replication.created(KEY_STATUS, &key);
            }
            if shared.replication.visible(KEY_STATUS, &key) {
                meta.status = Some(computed.clone());
                meta.pending_status = None;
                computed
            } else {
                current
            }
        }
    };
    Some(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_end_in_their_codes() {
        assert_eq!(
            text(&Link::KeyNotFound),
            "Access to your account is currently revoked because the correspondent key is not found on the specified Key Vault; for more details about this error and how to restore access to your account please visit https://learn.microsoft.com/en-us/azure/cosmos-db/cmk-troubleshooting-guide#azure-key-vault-resource-not-found (4003)."
        );
        assert_eq!(
            text(&Link::VaultFirewall),
            "Access to your account is currently revoked because the access rules are blocking outbound requests to the Azure Key Vault service; for more details about this error and how to restore access to your account please visit https://learn.microsoft.com/en-us/azure/cosmos-db/cmk-troubleshooting-guide (4016)."
        );
        assert!(
            text(&Link::ServicePrincipalMissing)
                .ends_with("#azure-active-directory-token-acquisition-error (4000).")
        );
        assert!(text(&Link::KeyDisabled).ends_with("(4002)."));
        assert!(is_revoked(&text(&Link::KeyDisabled)));
        assert!(!is_revoked(CONFIRMED));
    }
}
