//! Which webhooks an event goes to. The active webhooks come from the shared snapshot
//! (`db::snapshot`), read again only when the webhooks counter moves (any change to a
//! webhook, by any process), so a change pays no query for them: the counter comes back
//! with its event's insert.

use chrono::NaiveDate;

use crate::db::webhooks::WebhookRow;
use crate::domain::catalogue::{Action, ObjectType};
use crate::domain::ids::{ProjectId, UserId};

/// What an event is, as routes see it.
pub struct Target<'a> {
    pub object: ObjectType,
    pub action: Action,
    pub initiator: Option<UserId>,
    pub project: Option<ProjectId>,
    /// A webhook is valid through its last day.
    pub today: NaiveDate,
    /// The detail fields a modification changed.
    pub changed: &'a [&'a str],
}

/// Whether an active webhook fires for the event, its project filter aside.
pub fn fits(route: &WebhookRow, t: &Target<'_>) -> bool {
    route.active
        && route.event_object == t.object
        && route.event_action.matches(t.action)
        && route.valid_until.is_none_or(|last| last >= t.today)
        && route
            .initiator_user_id
            .is_none_or(|u| Some(u) == t.initiator)
        && route.project_id.is_none_or(|p| Some(p) == t.project)
        && (t.action != Action::Modify || sees_a_change(route, t.changed))
}

/// Whether a modification changed a field the webhook sees: one that changes only excluded
/// fields sends it nothing.
fn sees_a_change(route: &WebhookRow, changed: &[&str]) -> bool {
    route.excluded_fields.is_empty() || changed.iter().any(|f| !route.excluded_fields.contains(f))
}
