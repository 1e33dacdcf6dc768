//! What Cosmos DB keeps about its accounts beyond their ARM bodies: the tenant a cross-tenant
//! account is pinned to, the `customerManagedKeyStatus` shown, and which link of the chain to the
//! customer's key failed (the simulator's own record; Azure only answers its generic error).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use xtcmk::TenantId;

/// A link of the chain from a Cosmos DB account to its customer-managed key, as it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "link", rename_all = "camelCase")]
pub enum Link {
    /// `keyVaultKeyUri` is not a Key Vault key URI.
    KeyUriFormat,
    /// The default identity names no user-assigned identity of the account.
    DefaultIdentityUndefined,
    /// FirstPartyIdentity / SystemAssignedIdentity: identities the simulator does not play.
    DefaultIdentityNotSimulated,
    /// The user-assigned identity (ARM resource or its service principal) is gone.
    ManagedIdentityNotFound,
    /// `FederatedClientId` names no app registration (AADSTS700016).
    ApplicationNotFound,
    /// The app has no service principal in the key's tenant (AADSTS700016).
    ServicePrincipalMissing,
    /// The token exchange was refused: no federated credential of the app matches the identity's
    /// token (AADSTS70021, 700211 issuer, 700212 audience, 700213 subject, ...).
    FederatedCredentialRefused {
        aadsts: u32,
    },
    /// The token is from another tenant than the vault's (AKV10032), e.g. `&FederatedClientId=`
    /// is missing for a key in another tenant.
    TokenTenantMismatch,
    /// No vault answers at the key URI's host (DNS would not resolve).
    VaultDnsUnresolved,
    /// The vault is soft-deleted.
    VaultNotFound,
    /// The vault's network rules refuse trusted services (a firewall or disabled public access
    /// without `bypass: AzureServices`).
    VaultFirewall,
    /// The principal lacks a key permission (`get`, `wrapKey`, `unwrapKey`).
    NotAuthorized {
        permission: String,
    },
    KeyNotFound,
    /// The current version is disabled, expired or not yet valid.
    KeyDisabled,
    /// Soft delete or purge protection is off on the vault.
    PurgeProtectionOff,
    /// The key cannot wrap and unwrap (not RSA, or `key_ops` without wrapKey/unwrapKey).
    WrapUnwrapFailed,
}

/// What a run of the chain was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Check {
    Create,
    /// Enabling CMK or changing the key of an existing account.
    KeyChange,
    /// Changing the default identity.
    DefaultIdentityChange,
    /// The periodic check behind `customerManagedKeyStatus`.
    Status,
}

/// One failed run of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainFailure {
    pub account: String,
    pub account_id: String,
    pub check: Check,
    #[serde(flatten)]
    pub link: Link,
    /// What the failing service said (an AADSTS or Key Vault message), for humans.
    pub detail: String,
}

/// Per-account bookkeeping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountMeta {
    /// The key vault's tenant once the account uses a cross-tenant default identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_tenant: Option<TenantId>,
    /// The `customerManagedKeyStatus` reads return (unset until first checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// A newer status, hidden until its replication delay has passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_status: Option<String>,
    /// The link that failed at the last check; `None` when the key was reachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<Link>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CosmosState {
    /// By lower-cased account resource id.
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountMeta>,
    /// Every failed run of the chain, oldest first.
    #[serde(default)]
    pub failures: Vec<ChainFailure>,
}

impl CosmosState {
    pub fn meta(&self, account_id: &str) -> Option<&AccountMeta> {
        self.accounts.get(&account_id.to_ascii_lowercase())
    }

    pub fn meta_mut(&mut self, account_id: &str) -> &mut AccountMeta {
        self.accounts
            .entry(account_id.to_ascii_lowercase())
            .or_default()
    }

    /// The latest failed run of the chain for the account named `account` (any resource group).
    pub fn last_failure(&self, account: &str) -> Option<&ChainFailure> {
        self.failures
            .iter()
            .rev()
            .find(|f| f.account.eq_ignore_ascii_case(account))
    }
}
