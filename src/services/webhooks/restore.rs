//! Restoring a version from a webhook's history: its settings put back as a new history
//! entry ("restored version of <time>"). Secret header values stay as they are now, unless
//! the restored URL's host differs: then they must be given again.

use chrono::NaiveDate;

use super::history::{Change, Snapshot};
use super::version::Version;
use super::{ServiceError, rules_for_update, update_noted, visible_filter_ids};
use crate::db;
use crate::db::webhooks::HeaderRow;
use crate::domain::FieldErrors;
use crate::domain::ids::WebhookId;
use crate::domain::webhook::WebhookDraft;
use crate::services::Actor;
use crate::state::AppState;

/// The field a restore names its history entry by.
pub const FIELD: &str = "history_id";

/// Version `history_id` of webhook `id`, and when it was saved; a field error when the entry
/// is another webhook's, unknown, or older than whole versions.
pub async fn version_of(
    state: &AppState,
    id: WebhookId,
    history_id: i64,
) -> Result<(Version, i64), ServiceError> {
    let entry = db::history::find(&state.store, history_id)
        .await?
        .filter(|e| e.webhook_id == id)
        .ok_or_else(|| ServiceError::field(FIELD, "This webhook has no such history entry."))?;
    let version = entry
        .settings
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .ok_or_else(|| {
            ServiceError::field(
                FIELD,
                "This entry holds no whole version (it was recorded before versions were kept, or by an action other than a save): it cannot be restored.",
            )
        })?;
    Ok((version, entry.at))
}

/// A version read back as a draft, under the rules of a save by `actor` (the version's
/// last day kept as it was, past or not, as a save keeps a stored one).
async fn draft_of(
    state: &AppState,
    actor: &Actor,
    version: &Version,
) -> Result<Result<WebhookDraft, FieldErrors>, ServiceError> {
    let filters = match actor.id {
        Some(user) => visible_filter_ids(state, user).await?,
        None => Vec::new(),
    };
    let kept = version
        .valid_until
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let rules = rules_for_update(state, &filters, kept);
    Ok(WebhookDraft::parse(&version.input(), &rules))
}

/// A version beside the webhook as it is now.
pub struct Comparison {
    /// When the version was saved.
    pub at: i64,
    /// Label, the version's value, the current value (secret values masked).
    pub rows: Vec<(&'static str, String, String)>,
    /// Why the version can no longer be saved as it was, if so (a project filter deleted …).
    pub invalid: Option<String>,
}

/// Version `history_id` of webhook `id` beside the webhook as it is now.
pub async fn compare(
    state: &AppState,
    actor: &Actor,
    id: WebhookId,
    history_id: i64,
) -> Result<Comparison, ServiceError> {
    let (version, at) = version_of(state, id, history_id).await?;
    let (current, headers) = super::stored::with_headers(state, id).await?;
    let parsed = draft_of(state, actor, &version).await?;
    let mut tx = state.store.begin_write().await?;
    let now = Snapshot::of(&mut tx, &super::stored_fields(&current), &headers).await?;
    let (then, invalid) = match &parsed {
        Ok(draft) => {
            // Secret values are not kept in versions: they show masked, as now.
            let then_headers: Vec<HeaderRow> = draft
                .headers
                .iter()
                .map(|h| HeaderRow {
                    name: h.name.clone(),
                    value: h.value.clone().unwrap_or_default(),
                    secret: h.secret,
                })
                .collect();
            let f = super::fields(draft);
            (Snapshot::of(&mut tx, &f, &then_headers).await?, None)
        }
        Err(errors) => (
            Snapshot::empty(),
            Some(errors.iter().map(|(_, m)| m).collect::<Vec<_>>().join(" ")),
        ),
    };
    tx.rollback().await?;
    let rows = now
        .rows()
        .iter()
        .map(|(label, current)| {
            let was = then
                .rows()
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            (*label, was, current.clone())
        })
        .collect();
    Ok(Comparison { at, rows, invalid })
}

/// Puts version `history_id` back; false when it is the current one already.
pub async fn restore(
    state: &AppState,
    actor: &Actor,
    id: WebhookId,
    history_id: i64,
) -> Result<bool, ServiceError> {
    let (version, at) = version_of(state, id, history_id).await?;
    let current = db::webhooks::find(&state.store, &state.keys, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let draft = draft_of(state, actor, &version)
        .await?
        .map_err(ServiceError::Invalid)?;
    let note = Change {
        field: "Restored".into(),
        before: String::new(),
        after: format!("version of {}", crate::events::payload::timestamp(at)),
    };
    update_noted(state, actor, (id, current.version), draft, Some(note)).await
}
