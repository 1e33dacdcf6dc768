//! Soft-deleted Key Vaults. A deleted vault keeps its name (unique across the cloud) and its keys
//! until purged; `createMode: recover` brings it back (keyvault-mgmt 2026-02-01 `CreateMode`,
//! Key Vault soft-delete overview).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use xtcmk::SubscriptionId;

/// Days a deleted vault is kept by default (`softDeleteRetentionInDays` default 90).
pub const RETENTION_DAYS: i64 = 90;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedVault {
    pub name: String,
    pub subscription: SubscriptionId,
    pub resource_group: String,
    pub location: String,
    /// The vault's body when it was deleted (restored as is by a recover).
    pub body: Value,
    /// Seconds since the epoch.
    pub deletion_date: i64,
    pub scheduled_purge_date: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeletedVaults(pub Vec<DeletedVault>);

impl DeletedVaults {
    /// The soft-deleted vault holding `name`, in any subscription.
    pub fn by_name(&self, name: &str) -> Option<&DeletedVault> {
        self.0.iter().find(|v| v.name.eq_ignore_ascii_case(name))
    }

    pub fn take(&mut self, name: &str) -> Option<DeletedVault> {
        let i = self
            .0
            .iter()
            .position(|v| v.name.eq_ignore_ascii_case(name))?;
        Some(self.0.remove(i))
    }

    /// Soft-deletes a vault: its body is kept, its name stays taken.
    pub fn add(&mut self, subscription: SubscriptionId, resource_group: &str, body: Value) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let days = body
            .pointer("/properties/softDeleteRetentionInDays")
            .and_then(Value::as_i64)
            .unwrap_or(RETENTION_DAYS);
        self.0.push(DeletedVault {
            name: body["name"].as_str().unwrap_or_default().to_string(),
            subscription,
            resource_group: resource_group.to_string(),
            location: body["location"].as_str().unwrap_or_default().to_string(),
            body,
            deletion_date: now,
            scheduled_purge_date: now + days * 24 * 3600,
        });
    }
}
