//! Webhook administration: create, modify, delete, each in one transaction with its history
//! entry. The UI and the API both come through here.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Actor, ServiceError};
use crate::db::webhooks::{HeaderRow, WebhookFields, WebhookRow};
use crate::db::{self, Tx};
use crate::domain::FieldErrors;
use crate::domain::ids::{ProjectFilterId, UserId, WebhookId};
use crate::domain::webhook::{HeaderDraft, WebhookDraft, WebhookUrl};
use crate::services::webhooks::history::{Change, Snapshot};
use crate::state::AppState;
use version::Version;

pub mod health;
pub mod history;
pub mod preview;
pub mod restore;
pub mod stored;
pub mod test;
pub mod version;

const CHANGED_MEANWHILE: &str = "This webhook was changed by someone else since you opened it. Reload it to see their changes, then make yours again.";

/// The rules a webhook is checked against, for a user who may pick `project_filters`.
pub fn rules<'a>(
    state: &'a AppState,
    project_filters: &'a [ProjectFilterId],
) -> crate::domain::webhook::Rules<'a> {
    crate::domain::webhook::Rules {
        https_only: state.settings.require_https,
        second_language: state.settings.second_language.as_deref(),
        today: chrono::Utc::now().date_naive(),
        project_filters,
        kept_expiry: None,
    }
}

/// The rules for modifying a webhook whose stored last day is `stored_expiry`: that day may
/// stay as it is even once past.
pub fn rules_for_update<'a>(
    state: &'a AppState,
    project_filters: &'a [ProjectFilterId],
    stored_expiry: Option<chrono::NaiveDate>,
) -> crate::domain::webhook::Rules<'a> {
    crate::domain::webhook::Rules {
        kept_expiry: stored_expiry,
        ..rules(state, project_filters)
    }
}

/// A renewal without a date moves the last day this far from today.
pub const RENEW_DAYS: u64 = 90;

/// The project filters a user may pick: their own and the public ones.
pub async fn visible_filter_ids(
    state: &AppState,
    user_id: UserId,
) -> Result<Vec<ProjectFilterId>, ServiceError> {
    Ok(db::project_filters::visible_to(&state.store, user_id)
        .await?
        .iter()
        .map(|f| f.id)
        .collect())
}

/// A new signing secret in the Standard Webhooks format: `whsec_` and 24 random bytes.
pub fn new_signing_secret() -> String {
    format!("whsec_{}", STANDARD.encode(crate::random::bytes::<24>()))
}

pub(crate) fn fields(draft: &WebhookDraft) -> WebhookFields<'_> {
    WebhookFields {
        wording: &draft.wording,
        description: &draft.description,
        active: draft.active,
        url: draft.url.as_ref(),
        verb: draft.verb,
        body: &draft.body,
        mode: draft.mode,
        event_action: draft.event.action,
        event_object: draft.event.object,
        project_filter_id: draft.event.project_filter,
        second_label: draft.second_label.as_deref(),
        initiator_user_id: draft.initiator_user,
        excluded_fields: &draft.excluded_fields,
        exclude_payload: draft.exclude_payload,
        valid_until: draft.valid_until,
        project_id: draft.project_id,
        values_as_strings: draft.values_as_strings,
        rate_limit: draft.rate_limit,
        trigger_fields: &draft.trigger_fields,
    }
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    draft: WebhookDraft,
) -> Result<WebhookId, ServiceError> {
    let headers = resolve_headers(&draft.headers, &[], false)?;
    let mut tx = state.store.begin_write().await?;
    check_references(&mut tx, &draft).await?;
    let now = db::now_ms();
    let f = fields(&draft);
    let id = db::webhooks::insert(&mut tx, &state.keys, &f, &new_signing_secret(), now).await?;
    db::webhooks::replace_headers(&mut tx, &state.keys, id, &headers).await?;
    let after = Snapshot::of(&mut tx, &f, &headers).await?;
    history::record_version(
        &mut tx,
        actor,
        (id, "created", &draft.wording),
        &Snapshot::empty().diff(&after),
        &Version::of(&draft),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(webhook_id = %id, "webhook created");
    Ok(id)
}

/// Saves `draft` over the webhook read at `version`; false when it changed nothing (a
/// no-op save records nothing).
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: WebhookId,
    version: i64,
    draft: WebhookDraft,
) -> Result<bool, ServiceError> {
    update_noted(state, actor, (id, version), draft, None).await
}

/// `update`, with a line of its own in the history entry (such as the version restored).
pub(super) async fn update_noted(
    state: &AppState,
    actor: &Actor,
    (id, version): (WebhookId, i64),
    draft: WebhookDraft,
    note: Option<history::Change>,
) -> Result<bool, ServiceError> {
    let mut tx = state.store.begin_write().await?;
    let old = db::webhooks::find(&mut tx, &state.keys, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if old.version != version {
        return Err(ServiceError::Conflict(CHANGED_MEANWHILE.into()));
    }
    let old_headers = db::webhooks::headers(&mut tx, &state.keys, id).await?;
    let host_changed = WebhookUrl::authority_of(&old.url).as_deref() != Some(draft.url.authority());
    let headers = resolve_headers(&draft.headers, &old_headers, host_changed)?;
    check_references(&mut tx, &draft).await?;
    let f = fields(&draft);
    let before = Snapshot::of(&mut tx, &stored_fields(&old), &old_headers).await?;
    let after = Snapshot::of(&mut tx, &f, &headers).await?;
    let mut changes = before.diff(&after);
    if changes.is_empty() {
        return Ok(false);
    }
    changes.extend(note);
    let now = db::now_ms();
    if !db::webhooks::update(&mut tx, id, version, &f, now).await? {
        return Err(ServiceError::Conflict(CHANGED_MEANWHILE.into()));
    }
    db::webhooks::replace_headers(&mut tx, &state.keys, id, &headers).await?;
    history::record_version(
        &mut tx,
        actor,
        (id, action_of(&changes, draft.active), &draft.wording),
        &changes,
        &Version::of(&draft),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(webhook_id = %id, "webhook modified");
    Ok(true)
}

pub async fn delete(
    state: &AppState,
    actor: &Actor,
    id: WebhookId,
) -> Result<String, ServiceError> {
    let mut tx = state.store.begin_write().await?;
    let old = db::webhooks::find(&mut tx, &state.keys, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let old_headers = db::webhooks::headers(&mut tx, &state.keys, id).await?;
    let before = Snapshot::of(&mut tx, &stored_fields(&old), &old_headers).await?;
    db::webhooks::delete(&mut tx, id).await?;
    let now = db::now_ms();
    db::deliveries::cancel_waiting(&mut tx, id, "the webhook was deleted", now).await?;
    history::record(
        &mut tx,
        actor,
        id,
        "deleted",
        &old.wording,
        &before.diff(&Snapshot::empty()),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(webhook_id = %id, "webhook deleted");
    Ok(old.wording)
}

/// Deletes every webhook, each with its own history entry; returns how many.
pub async fn delete_all(state: &AppState, actor: &Actor) -> Result<u64, ServiceError> {
    let mut deleted = 0;
    for id in db::webhooks::all_ids(&state.store).await? {
        match delete(state, actor, id).await {
            Ok(_) => deleted += 1,
            // Deleted meanwhile by someone else: the goal is reached all the same.
            Err(ServiceError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(deleted)
}

/// Moves the webhook's last day to `until`. A webhook without expiry stays so unless
/// `explicit` (the caller named a date).
pub async fn renew(
    state: &AppState,
    actor: &Actor,
    id: WebhookId,
    until: Option<chrono::NaiveDate>,
    explicit: bool,
) -> Result<(), ServiceError> {
    let mut tx = state.store.begin_write().await?;
    let old = db::webhooks::find(&mut tx, &state.keys, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if old.valid_until.is_none() && !explicit {
        return Ok(());
    }
    let headers = db::webhooks::headers(&mut tx, &state.keys, id).await?;
    let mut f = stored_fields(&old);
    let before = Snapshot::of(&mut tx, &f, &headers).await?;
    f.valid_until = until;
    let after = Snapshot::of(&mut tx, &f, &headers).await?;
    let changes = before.diff(&after);
    if changes.is_empty() {
        return Ok(());
    }
    let now = db::now_ms();
    if !db::webhooks::update(&mut tx, id, old.version, &f, now).await? {
        return Err(ServiceError::Conflict(CHANGED_MEANWHILE.into()));
    }
    history::record(&mut tx, actor, id, "modified", &old.wording, &changes, now).await?;
    tx.commit().await?;
    tracing::info!(webhook_id = %id, "webhook renewed");
    Ok(())
}

/// Only the Active box changed: say activated or deactivated, as Project Monitor's history does.
fn action_of(changes: &[Change], active: bool) -> &'static str {
    match changes {
        [only] if only.field == history::ACTIVE => {
            if active {
                "activated"
            } else {
                "deactivated"
            }
        }
        _ => "modified",
    }
}

pub fn stored_fields(row: &WebhookRow) -> WebhookFields<'_> {
    WebhookFields {
        wording: &row.wording,
        description: &row.description,
        active: row.active,
        url: &row.url,
        verb: row.verb,
        body: &row.body,
        mode: row.mode,
        event_action: row.event_action,
        event_object: row.event_object,
        project_filter_id: row.project_filter_id,
        second_label: row.second_label.as_deref(),
        initiator_user_id: row.initiator_user_id,
        excluded_fields: &row.excluded_fields,
        exclude_payload: row.exclude_payload,
        valid_until: row.valid_until,
        project_id: row.project_id,
        values_as_strings: row.values_as_strings,
        rate_limit: row.rate_limit,
        trigger_fields: &row.trigger_fields,
    }
}

/// Fills secret values left empty from the stored ones — unless the URL's host changed, so
/// that a secret never follows a webhook to another server.
pub(crate) fn resolve_headers(
    drafts: &[HeaderDraft],
    stored: &[HeaderRow],
    host_changed: bool,
) -> Result<Vec<HeaderRow>, ServiceError> {
    let mut out = Vec::with_capacity(drafts.len());
    for (i, h) in drafts.iter().enumerate() {
        let value = match &h.value {
            Some(v) => v.clone(),
            None => {
                let kept = stored
                    .iter()
                    .find(|s| s.secret && s.name.eq_ignore_ascii_case(&h.name));
                match kept {
                    Some(_) if host_changed => {
                        return Err(ServiceError::field(
                            "headers",
                            format!(
                                "Header {} ({}): the host of the URL changed, so enter the secret value again.",
                                i + 1,
                                h.name
                            ),
                        ));
                    }
                    Some(s) => s.value.clone(),
                    None => {
                        return Err(ServiceError::field(
                            "headers",
                            format!("Header {} ({}): the value is missing.", i + 1, h.name),
                        ));
                    }
                }
            }
        };
        out.push(HeaderRow {
            name: h.name.clone(),
            value,
            secret: h.secret,
        });
    }
    Ok(out)
}

/// The user, project and project filter a webhook names must exist.
async fn check_references(tx: &mut Tx, draft: &WebhookDraft) -> Result<(), ServiceError> {
    let mut e = FieldErrors::new();
    if let Some(id) = draft.initiator_user
        && db::users::find(&mut *tx, id).await?.is_none()
    {
        e.add("initiator_user", "Choose a user from the list.");
    }
    if let Some(id) = draft.project_id
        && db::projects::find(&mut *tx, id).await?.is_none()
    {
        e.add("project", "Choose a project from the list.");
    }
    if let Some(id) = draft.event.project_filter
        && db::project_filters::find(&mut *tx, id).await?.is_none()
    {
        e.add("event", "Choose a project filter from the list.");
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(e))
    }
}

/// A new signing secret; the previous one keeps signing beside it for 24 hours, so that
/// receivers can switch without losing a request.
pub async fn rotate_secret(
    state: &AppState,
    actor: &Actor,
    id: WebhookId,
) -> Result<(), ServiceError> {
    const OVERLAP_MS: i64 = 24 * 3600 * 1000;
    let mut tx = state.store.begin_write().await?;
    let w = db::webhooks::find(&mut tx, &state.keys, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = db::now_ms();
    let new = new_signing_secret();
    db::webhooks::rotate_secret(&mut tx, &state.keys, id, &new, now + OVERLAP_MS).await?;
    let note = Change {
        field: "Signing secret".into(),
        before: history::MASK.into(),
        after: format!(
            "{} (rotated; the previous secret signs too for 24 hours)",
            history::MASK
        ),
    };
    history::record(&mut tx, actor, id, "modified", &w.wording, &[note], now).await?;
    tx.commit().await?;
    Ok(())
}
