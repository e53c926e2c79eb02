//! The Test button: one real request, built from a chosen project (or phase, or the tester
//! as the user) and marked as a test, with the form's current settings. No data changes; a
//! saved webhook's history gets a "tested" entry.

use super::history::{self, Change};
use super::{ServiceError, fields, resolve_headers};
use crate::db::webhooks::{HeaderRow, WebhookRow};
use crate::db::{self};
use crate::delivery::Attempt;
use crate::delivery::engine::insert_attempt;
use crate::domain::catalogue::event_type;
use crate::domain::catalogue::{Action, ActionFilter, ObjectType};
use crate::domain::delivery::Trigger;
use crate::domain::event::Event;
use crate::domain::ids::{DeliveryId, EventRowId, ProjectId, UserId, WebhookId};
use crate::domain::webhook::{WebhookDraft, WebhookUrl};
use crate::events::operational::{Carried, Notice};
use crate::services::Actor;
use crate::state::AppState;

const CHOOSE_PROJECT: &str = "Choose a project to test with.";
const CHOOSE_USER: &str = "Choose a user to test with.";

/// What a test speaks of: a project (for Project and Phase webhooks), a user (for User
/// webhooks: the tester when none is chosen).
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject {
    pub project: Option<ProjectId>,
    pub user: Option<UserId>,
}

/// The object the test speaks of, as an event would carry it.
async fn sample(
    state: &AppState,
    actor: &Actor,
    object: ObjectType,
    Subject { project, user }: Subject,
) -> Result<
    (
        i64,
        Option<(ObjectType, i64)>,
        serde_json::Map<String, serde_json::Value>,
        i64,
        Option<String>,
    ),
    ServiceError,
> {
    let field = |m: &str| ServiceError::field("test_project", m.to_owned());
    match object {
        ObjectType::Project => {
            let p = db::projects::find(&state.store, project.ok_or_else(|| field(CHOOSE_PROJECT))?)
                .await?
                .ok_or_else(|| field(CHOOSE_PROJECT))?;
            Ok((p.id.get(), None, p.attributes(), p.change_version, None))
        }
        ObjectType::Phase => {
            let p = db::projects::find(&state.store, project.ok_or_else(|| field(CHOOSE_PROJECT))?)
                .await?
                .ok_or_else(|| field(CHOOSE_PROJECT))?;
            let phase = db::projects::phases(&state.store, p.id)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| field("This project has no phase to test with."))?;
            let parent =
                serde_json::json!({"id": p.id, "code": p.code, "name": p.name}).to_string();
            Ok((
                phase.id.get(),
                Some((ObjectType::Project, p.id.get())),
                phase.attributes(),
                phase.change_version,
                Some(parent),
            ))
        }
        ObjectType::User => {
            let user_field = |m: &str| ServiceError::field("test_user", m.to_owned());
            let id = user.or(actor.id).ok_or_else(|| user_field(CHOOSE_USER))?;
            let mut tx = state.store.begin_write().await?;
            let found = db::users::attributes(&mut tx, id).await?;
            tx.rollback().await?;
            let (attributes, version) = found.ok_or_else(|| user_field(CHOOSE_USER))?;
            Ok((id.get(), None, attributes, version, None))
        }
        ObjectType::Webhook | ObjectType::Delivery => {
            unreachable!("operational events are tested with an example (see `example`)")
        }
    }
}

/// An operational event for a test: about the webhook under test itself, since it is only
/// an example (a real one is never about the webhook it goes to).
fn example(object: ObjectType, id: Option<WebhookId>, wording: &str, now: i64) -> Event {
    let webhook = id.unwrap_or(WebhookId::new(0));
    let notice = match object {
        ObjectType::Delivery => Notice::DeliveryDead {
            delivery: DeliveryId::new(0),
            event: EventRowId::new(0),
            message_id: crate::random::sortable_id("msg_", now),
            webhook,
            wording: wording.to_owned(),
            attempts: 9,
            last_error: Some("HTTP 503 Service Unavailable (example)".into()),
        },
        _ => Notice::WebhookDisabled {
            webhook,
            wording: wording.to_owned(),
            reason: "Turned off by Hookline: every call has failed for five days (example).".into(),
            failing_since: Some(now - 5 * 24 * 3_600_000),
            failures: 240,
        },
    };
    let carried = Carried {
        event_id: "evt_example",
        event_type: "project.modified",
    };
    notice.event(notice.attributes(Some(carried)), now)
}

/// The event a test of a change webhook speaks of: the chosen object, as its action would
/// carry it.
async fn change_event(
    state: &AppState,
    actor: &Actor,
    draft: &WebhookDraft,
    subject: Subject,
    now: i64,
) -> Result<Event, ServiceError> {
    let object = draft.event.object;
    let (object_id, parent, attributes, version, parent_attributes) =
        sample(state, actor, object, subject).await?;
    let action = match draft.event.action {
        ActionFilter::Only(a) => a,
        ActionFilter::All => Action::Modify,
    };
    let json = serde_json::Value::Object(attributes).to_string();
    Ok(Event {
        id: EventRowId::new(0),
        event_id: crate::random::sortable_id("evt_", now),
        event_type: event_type(object, action),
        object_type: object,
        object_id,
        parent_type: parent.map(|(t, _)| t),
        parent_id: parent.map(|(_, id)| id),
        project_id: subject.project,
        parent_attributes,
        attributes: (action != Action::Delete).then(|| json.clone()),
        before_attributes: (action != Action::Create).then_some(json),
        changes: "[]".into(),
        initiator_id: actor.id,
        initiator_name: actor.name.clone(),
        initiator_email: actor.email.clone(),
        initiator_token: actor.via_token.clone(),
        occurred_at: now,
        change_version: version,
    })
}

/// The webhook a form or request describes, ready to build requests: its stored self (when
/// modifying), the draft as a webhook signed with the stored secret, and its headers with
/// secret values left empty filled from the stored ones.
pub(super) async fn prepare(
    state: &AppState,
    draft: &WebhookDraft,
    stored_id: Option<WebhookId>,
) -> Result<(Option<WebhookRow>, WebhookRow, Vec<HeaderRow>), ServiceError> {
    let stored = match stored_id {
        Some(id) => Some(
            db::webhooks::find(&state.store, &state.keys, id)
                .await?
                .ok_or(ServiceError::NotFound)?,
        ),
        None => None,
    };
    let stored_headers = match &stored {
        Some(w) => db::webhooks::headers(&state.store, &state.keys, w.id).await?,
        None => Vec::new(),
    };
    let host_changed = stored.as_ref().is_some_and(|w| {
        WebhookUrl::authority_of(&w.url).as_deref() != Some(draft.url.authority())
    });
    let headers = resolve_headers(&draft.headers, &stored_headers, host_changed)?;
    let webhook = sample_webhook(draft, stored.as_ref());
    Ok((stored, webhook, headers))
}

pub async fn test(
    state: &AppState,
    actor: &Actor,
    draft: &WebhookDraft,
    stored_id: Option<WebhookId>,
    subject: Subject,
) -> Result<Attempt, ServiceError> {
    let (stored, webhook, headers) = prepare(state, draft, stored_id).await?;
    let now = db::now_ms();
    let event = if draft.event.object.is_operational() {
        example(draft.event.object, stored_id, &draft.wording, now)
    } else {
        change_event(state, actor, draft, subject, now).await?
    };
    let message_id = crate::random::sortable_id("msg_", now);
    let attempt = state
        .deliverer
        .caller()
        .call(&webhook, &headers, &event, &message_id, Trigger::Test)
        .await
        .unwrap_or_else(Attempt::unsendable);
    if let Some(w) = stored {
        let mut tx = state.store.begin_write().await?;
        insert_attempt(&mut tx, None, w.id, 1, Trigger::Test, now, &attempt).await?;
        let note = Change {
            field: "Test".into(),
            before: String::new(),
            after: attempt.summary(),
        };
        history::record(&mut tx, actor, w.id, "tested", &w.wording, &[note], now).await?;
        tx.commit().await?;
    }
    Ok(attempt)
}

/// Tests a saved webhook as it is stored (the API's Test).
pub async fn test_stored(
    state: &AppState,
    actor: &Actor,
    id: WebhookId,
    subject: Subject,
) -> Result<Attempt, ServiceError> {
    let row = db::webhooks::find(&state.store, &state.keys, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let headers = db::webhooks::headers(&state.store, &state.keys, id).await?;
    // What was saved passed the rules of its day, and an expired webhook can still be tested.
    test(state, actor, &row.draft(&headers), Some(id), subject).await
}

/// The webhook as the form describes it, signed with the stored secret (or a throwaway one
/// for a webhook not saved yet).
fn sample_webhook(draft: &WebhookDraft, stored: Option<&WebhookRow>) -> WebhookRow {
    let f = fields(draft);
    WebhookRow {
        id: stored.map_or(WebhookId::new(0), |w| w.id),
        wording: f.wording.to_owned(),
        description: f.description.to_owned(),
        active: f.active,
        url: f.url.to_owned(),
        verb: f.verb,
        body: f.body.to_owned(),
        mode: f.mode,
        event_action: f.event_action,
        event_object: f.event_object,
        project_filter_id: f.project_filter_id,
        second_label: f.second_label.map(str::to_owned),
        initiator_user_id: f.initiator_user_id,
        excluded_fields: f.excluded_fields.clone(),
        exclude_payload: f.exclude_payload,
        valid_until: f.valid_until,
        signing_secret: stored.map_or_else(super::new_signing_secret, |w| w.signing_secret.clone()),
        version: stored.map_or(1, |w| w.version),
        last_execution_at: None,
        last_status: None,
        project_id: f.project_id,
        values_as_strings: f.values_as_strings,
        previous_signing_secret: stored.and_then(|w| w.previous_signing_secret.clone()),
        previous_secret_expires_at: stored.and_then(|w| w.previous_secret_expires_at),
        disabled_reason: None,
        rate_limit: f.rate_limit,
        trigger_fields: f.trigger_fields.clone(),
    }
}
