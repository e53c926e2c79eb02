//! Which webhooks an event goes to. The active webhooks come from the shared snapshot
//! (`db::snapshot`), read again only when the webhooks counter moves (any change to a
//! webhook, by any process), so a change pays no query for them: the counter comes back
//! with its event's insert.

use chrono::NaiveDate;

use crate::db::app_log::LogEntry;
use crate::db::webhooks::WebhookRow;
use crate::db::{self, Tx};
use crate::domain::app_log::{LogKind, LogLevel};
use crate::domain::catalogue::{Action, ObjectType};
use crate::domain::ids::{EventRowId, ProjectId, UserId, WebhookId};

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
    /// The webhook an operational event is about: it is not told of its own trouble.
    pub about: Option<WebhookId>,
}

/// Whether an active webhook fires for the event, its project filter aside.
pub fn fits(route: &WebhookRow, t: &Target<'_>) -> bool {
    route.active
        && Some(route.id) != t.about
        && route.event_object == t.object
        && route.event_action.matches(t.action)
        && route.valid_until.is_none_or(|last| last >= t.today)
        && route
            .initiator_user_id
            .is_none_or(|u| Some(u) == t.initiator)
        && route.project_id.is_none_or(|p| Some(p) == t.project)
        && (t.action != Action::Modify || sees_a_change(route, t.changed))
}

/// Whether a modification changed a field the webhook sees (one that changes only excluded
/// fields sends it nothing) and, when it names trigger fields, one of them.
fn sees_a_change(route: &WebhookRow, changed: &[&str]) -> bool {
    let seen = route.excluded_fields.is_empty()
        || changed.iter().any(|f| !route.excluded_fields.contains(f));
    let triggered =
        route.trigger_fields.is_empty() || changed.iter().any(|f| route.trigger_fields.contains(f));
    seen && triggered
}

/// Logs the webhooks an event did not fire because more than `cap` matched it.
pub async fn log_over_cap(
    tx: &mut Tx,
    over: &[WebhookId],
    kind: &str,
    object_id: i64,
    event: EventRowId,
    cap: usize,
    now: i64,
) -> sqlx::Result<()> {
    for &over in over {
        let message = format!(
            "Webhook #{over} was not fired for {kind} (object #{object_id}): at most {cap} webhooks fire for one action."
        );
        let entry = LogEntry {
            level: LogLevel::Warning,
            kind: LogKind::OverCap,
            message: &message,
            webhook_id: Some(over),
            event_id: Some(event),
            attempt_id: None,
        };
        db::app_log::log(tx, &entry, now).await?;
        tracing::warn!(
            webhook_id = %over,
            event_id = %event,
            cap,
            "webhook over the per-action cap not fired"
        );
    }
    Ok(())
}
