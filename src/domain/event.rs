//! An event as recorded: which object changed and how, its attributes before and after, who
//! made the change and when. Payloads and placeholders render from it.

use serde_json::{Map, Value};

use super::catalogue::{Action, ObjectType};
use super::ids::{EventRowId, ProjectId, UserId};

#[derive(Debug, Clone)]
pub struct Event {
    pub id: EventRowId,
    /// The public id (`evt_…`), time-ordered.
    pub event_id: String,
    /// `project.created` and the like.
    pub event_type: String,
    pub object_type: ObjectType,
    pub object_id: i64,
    /// A phase's project.
    pub parent_type: Option<ObjectType>,
    pub parent_id: Option<i64>,
    pub project_id: Option<ProjectId>,
    /// JSON texts, as stored: the parent's id, code and name; the object after and before.
    pub parent_attributes: Option<String>,
    pub attributes: Option<String>,
    pub before_attributes: Option<String>,
    /// The changed fields, a JSON array.
    pub changes: String,
    pub initiator_id: Option<UserId>,
    pub initiator_name: String,
    pub initiator_email: String,
    /// The API token the change came through, by name (none for a change on screen).
    pub initiator_token: Option<String>,
    /// Milliseconds since the epoch.
    pub occurred_at: i64,
    pub change_version: i64,
}

impl Event {
    /// The action its type names (`project.modified` → Modify); None for a type this
    /// version does not know.
    pub fn action(&self) -> Option<Action> {
        let (_, past) = self.event_type.split_once('.')?;
        self.object_type
            .actions()
            .iter()
            .copied()
            .find(|a| a.past() == past)
    }

    /// The object's attributes: after the change, or before it for a deletion.
    pub fn object_attributes(&self) -> Option<Map<String, Value>> {
        [
            self.attributes.as_deref(),
            self.before_attributes.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find_map(|json| serde_json::from_str(json).ok())
    }
}
