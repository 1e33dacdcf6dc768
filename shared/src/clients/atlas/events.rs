//! A project's events (`GET /api/atlas/v2/groups/{groupId}/events?eventType=…`, Project Read
//! Only, newest first). Twin of `tests/src/atlas/events.rs`.

use super::AtlasClient;
use crate::atlas::GroupId;
use crate::http::HttpError;
use serde::Deserialize;

/// Atlas records this event whenever the encryption-at-rest configuration changes.
pub const CONFIGURATION_UPDATED: &str = "ENCRYPTION_AT_REST_CONFIGURATION_UPDATED";
/// … and this one when its check of the configuration fails.
pub const VALIDATION_FAILED: &str = "ENCRYPTION_AT_REST_CONFIGURATION_VALIDATION_FAILED";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AtlasEvent {
    pub id: String,
    /// ISO 8601 UTC.
    pub created: String,
    pub event_type_name: String,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    results: Vec<AtlasEvent>,
}

impl AtlasEvent {
    pub fn created_at(&self) -> Option<time::OffsetDateTime> {
        time::OffsetDateTime::parse(
            &self.created,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()
    }
}

impl AtlasClient {
    /// The newest event of `event_type`, if any.
    pub async fn latest_event(
        &self,
        group: &GroupId,
        event_type: &str,
    ) -> Result<Option<AtlasEvent>, HttpError> {
        // One page of one item: the newest (the feed is sorted newest first).
        let page: Option<Page> = self
            .get(&format!(
                "groups/{group}/events?eventType={event_type}&itemsPerPage=1"
            ))
            .await?;
        Ok(page.and_then(|p| p.results.into_iter().next()))
    }
}
