//! Owners of app registrations (Graph's `owners` navigation of `application`): the user who creates
//! an app becomes its owner (learn.microsoft.com/graph/api/application-post-applications), and an
//! owner may change the app without an administrator role.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use xtcmk::ObjectId;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppOwners(BTreeMap<ObjectId, Vec<ObjectId>>);

impl AppOwners {
    /// The owners of the application with object id `app`.
    pub fn owners_of(&self, app: &ObjectId) -> &[ObjectId] {
        self.0.get(app).map(Vec::as_slice).unwrap_or_default()
    }

    /// Makes `owner` an owner of `app` (once).
    pub fn add(&mut self, app: ObjectId, owner: ObjectId) {
        let list = self.0.entry(app).or_default();
        if !list.contains(&owner) {
            list.push(owner);
        }
    }
}
