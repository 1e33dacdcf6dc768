//! The subscriptions the caller can see (`Subscriptions_List`, `GET /subscriptions`).

use super::ArmClient;
use crate::SubscriptionId;
use crate::http::HttpError;
use serde::Deserialize;

/// Subscriptions API version.
pub const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionInfo {
    pub subscription_id: SubscriptionId,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<String>,
}

impl ArmClient {
    /// Every subscription the caller has a role in.
    pub async fn subscriptions(&self) -> Result<Vec<SubscriptionInfo>, HttpError> {
        self.list("/subscriptions", SUBSCRIPTIONS_API_VERSION).await
    }
}
