//! The cause of a call as the delivery's page shows it, and where each object's page is.

use serde_json::Value;

use super::format;
use crate::domain::catalogue::ObjectType;
use crate::services::cause::Cause;

/// The page of an object, where its changes are made.
pub fn object_page(object: ObjectType, id: i64) -> String {
    match object {
        ObjectType::Project => format!("/projects/{id}"),
        ObjectType::Phase => format!("/phases/{id}"),
        ObjectType::User => format!("/users/{id}"),
        ObjectType::Webhook => format!("/webhooks/{id}/overview"),
        ObjectType::Delivery => format!("/pending-orders/{id}"),
    }
}

pub struct CauseView {
    pub c: Cause,
    /// The object's page, unless the change deleted it.
    pub link: Option<String>,
    pub at: String,
    /// Label, previous, current: values as text, an empty one as "—".
    pub changes: Vec<(&'static str, String, String)>,
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) if s.is_empty() => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl CauseView {
    pub fn of(c: Cause) -> CauseView {
        CauseView {
            link: c
                .object_remains()
                .then(|| object_page(c.object, c.object_id)),
            at: format::time(c.at),
            changes: c
                .changes
                .iter()
                .map(|m| (m.label, shown(&m.previous), shown(&m.current)))
                .collect(),
            c,
        }
    }
}
