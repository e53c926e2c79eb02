//! Preview: which of the last recorded events a draft webhook would fire for, and the exact
//! request each would make — verb, URL with its placeholders filled, headers with secret
//! values masked, body. Nothing is sent and nothing is saved.

use serde_json::{Map, Value};

use super::ServiceError;
use super::test::prepare;
use crate::db;
use crate::delivery::request::{self, Outgoing};
use crate::domain::catalogue::ObjectType;
use crate::domain::event::Event;
use crate::domain::ids::WebhookId;
use crate::domain::webhook::{MASK, WebhookDraft};
use crate::events::changes::FieldChange;
use crate::events::routes::{Target, fits};
use crate::state::AppState;

/// The most recorded events one preview looks at.
pub const MAX_LAST: i64 = 500;

/// How many events a preview looks at, 1 to `MAX_LAST`, as typed or sent (`field` names it
/// in the error).
pub fn last(n: Option<i64>, field: &'static str) -> Result<i64, ServiceError> {
    n.filter(|n| (1..=MAX_LAST).contains(n)).ok_or_else(|| {
        ServiceError::field(
            field,
            format!("Preview looks at 1 to {MAX_LAST} of the last recorded events."),
        )
    })
}

/// An event the draft would fire for, and its request (or why it could not be built).
pub struct Preview {
    pub event: Event,
    pub request: Result<Outgoing, String>,
}

pub struct Previewed {
    /// The events looked at (fewer than asked when fewer were recorded).
    pub examined: usize,
    /// Newest first.
    pub matches: Vec<Preview>,
}

/// Matches the draft (of webhook `stored_id` when modifying) against the last `last` events.
/// It is looked at as if active: a preview answers what it would do once on.
pub async fn preview(
    state: &AppState,
    draft: &WebhookDraft,
    stored_id: Option<WebhookId>,
    last: i64,
) -> Result<Previewed, ServiceError> {
    let (_, mut webhook, headers) = prepare(state, draft, stored_id).await?;
    webhook.active = true;
    let filter = match webhook.project_filter_id {
        Some(id) => db::project_filters::find(&state.store, id).await?,
        None => None,
    };
    let events = db::events::latest(&state.store, last).await?;
    let examined = events.len();
    let today = chrono::Utc::now().date_naive();
    let now = db::now_ms();
    let mut matches = Vec::new();
    for event in events {
        let Some(action) = event.action() else {
            continue;
        };
        let changes: Vec<FieldChange> = serde_json::from_str(&event.changes).unwrap_or_default();
        let changed: Vec<&str> = changes.iter().map(|c| c.name.as_str()).collect();
        let target = Target {
            object: event.object_type,
            action,
            initiator: event.initiator_id,
            project: event.project_id,
            today,
            changed: &changed,
            about: about(&event),
        };
        if !fits(&webhook, &target) {
            continue;
        }
        if let Some(filter) = &filter {
            let project = project_of(state, &event).await?;
            if !project.is_some_and(|p| filter.criteria.matches(&p)) {
                continue;
            }
        }
        let message_id = crate::random::sortable_id("msg_", now);
        let request =
            request::build(&webhook, &headers, &event, &message_id, false, now).map(masked);
        matches.push(Preview { event, request });
    }
    Ok(Previewed { examined, matches })
}

/// The webhook an operational event is about, which it never goes to.
fn about(e: &Event) -> Option<WebhookId> {
    match e.object_type {
        ObjectType::Webhook => Some(WebhookId::new(e.object_id)),
        ObjectType::Delivery => e
            .object_attributes()?
            .get("webhook")
            .and_then(Value::as_i64)
            .map(WebhookId::new),
        _ => None,
    }
}

/// The project a project filter judges: a project event's own attributes, or a phase's
/// project as it is now.
async fn project_of(
    state: &AppState,
    e: &Event,
) -> Result<Option<Map<String, Value>>, ServiceError> {
    Ok(match (e.object_type, e.project_id) {
        (ObjectType::Project, _) => e.object_attributes(),
        (ObjectType::Phase, Some(id)) => db::projects::find(&state.store, id)
            .await?
            .map(|p| p.attributes()),
        _ => None,
    })
}

/// Secret header values masked; the signature, made when the request is sent, left out.
fn masked(mut out: Outgoing) -> Outgoing {
    for (name, value, secret) in &mut out.headers {
        if *secret {
            *value = MASK.to_owned();
        } else if name.eq_ignore_ascii_case("webhook-signature") {
            *value = "(signed when sent)".to_owned();
        }
    }
    out
}
