//! The cause of a call: the recorded change behind a delivery — which object, what was done
//! to it and which fields moved, who did it (on screen or through which API token) and when.

use serde_json::{Map, Value};

use super::ServiceError;
use crate::db;
use crate::db::deliveries::DeliveryRow;
use crate::domain::catalogue::{Action, ObjectType};
use crate::domain::event::Event;
use crate::domain::ids::UserId;
use crate::events::changes::FieldChange;
use crate::state::AppState;

/// One changed field, with the catalogue's label.
#[derive(Debug, Clone)]
pub struct Moved {
    pub name: String,
    pub label: &'static str,
    pub previous: Value,
    pub current: Value,
}

#[derive(Debug, Clone)]
pub struct Cause {
    pub event_id: String,
    pub event_type: String,
    pub object: ObjectType,
    pub object_id: i64,
    /// None for an event type this version does not know.
    pub action: Option<Action>,
    /// How people name the object: a project's code and name, a phase's or webhook's name,
    /// a user's display name.
    pub object_name: Option<String>,
    /// A phase's project.
    pub project_id: Option<i64>,
    pub changes: Vec<Moved>,
    pub by_id: Option<UserId>,
    pub by_name: String,
    pub by_email: String,
    pub via_token: Option<String>,
    pub at: i64,
}

impl Cause {
    fn of(e: Event) -> Cause {
        let action = e.action();
        let changes: Vec<FieldChange> = serde_json::from_str(&e.changes).unwrap_or_default();
        let label = |name: &str| {
            e.object_type
                .fields()
                .iter()
                .find(|f| f.name == name)
                .map_or("", |f| f.label)
        };
        let attributes = e.object_attributes();
        Cause {
            action,
            object_name: attributes.as_ref().and_then(|a| name_of(e.object_type, a)),
            project_id: e
                .parent_id
                .filter(|_| e.parent_type == Some(ObjectType::Project)),
            changes: changes
                .into_iter()
                .map(|c| Moved {
                    label: label(&c.name),
                    name: c.name,
                    previous: c.previous,
                    current: c.current,
                })
                .collect(),
            event_id: e.event_id,
            event_type: e.event_type,
            object: e.object_type,
            object_id: e.object_id,
            by_id: e.initiator_id,
            by_name: e.initiator_name,
            by_email: e.initiator_email,
            via_token: e.initiator_token,
            at: e.occurred_at,
        }
    }

    /// Whether the object is still there to be opened (not deleted by this change).
    pub fn object_remains(&self) -> bool {
        self.action != Some(Action::Delete)
    }
}

fn name_of(object: ObjectType, a: &Map<String, Value>) -> Option<String> {
    let text = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_owned);
    match object {
        ObjectType::Project => match (text("code"), text("name")) {
            (Some(code), Some(name)) => Some(format!("{code} — {name}")),
            (code, name) => code.or(name),
        },
        ObjectType::Phase => text("name"),
        ObjectType::User => text("display_name").or_else(|| text("email")),
        ObjectType::Webhook => text("wording"),
        ObjectType::Delivery => text("message_id"),
    }
}

/// The change behind a delivery; None once retention has removed its event.
pub async fn of_delivery(state: &AppState, d: &DeliveryRow) -> Result<Option<Cause>, ServiceError> {
    let mut events = db::events::find_many(&state.store, &[d.event_id]).await?;
    Ok(events.remove(&d.event_id).map(Cause::of))
}
